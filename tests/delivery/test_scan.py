"""The recovery scan against foreign, edited and already-adopted messages.

A resumed post adopts a message already in the channel instead of sending it again; adopting
the wrong one is a silently missing post. Pure rule (`bot.delivery.scan.adopt`) first, then
the engine with a scripted Discord (`FakeDiscord` of tests/test_publish) and a real store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.preview import sample_digest
from bot.delivery import compose, plan
from bot.delivery.plan import Message
from bot.delivery.scan import adopt
from bot.delivery.wire import BOT, OTHER, REPLY, SeenMessage, fingerprint, nonce_for, webhook_author
from bot.models import PostRecord, Subscription
from bot.store import open_store
from bot.store.base import Store
from tests.test_publish import CH, DAY, FakeDiscord, clock, publisher

PAYLOAD = {"content": "Hot papers", "embeds": [{"title": "A", "description": "x"}]}
FP = fingerprint(PAYLOAD)
NONCE = "n" * 25
STEP = Message(PAYLOAD)


def seen(
    mid: int, *, author: str = BOT, fp: str = FP, nonce: str | None = None, **kw: Any
) -> SeenMessage:
    return SeenMessage(mid, nonce, fp, author, **kw)


# --- the rule -------------------------------------------------------------------------


def test_the_bots_own_message_with_the_same_content_is_adopted() -> None:
    assert adopt([seen(7)], STEP, NONCE, used=set(), after=None) == 7


@pytest.mark.parametrize("author", [OTHER, REPLY, webhook_author(99)])
def test_a_message_by_anyone_else_is_never_adopted(author: str) -> None:
    assert adopt([seen(7, author=author, nonce=NONCE)], STEP, NONCE, used=set(), after=None) is None


def test_a_webhook_step_adopts_only_its_own_webhooks_messages() -> None:
    step = Message(PAYLOAD, author=webhook_author(99))
    msgs = [seen(5), seen(6, author=webhook_author(98)), seen(7, author=webhook_author(99))]
    assert adopt(msgs, step, NONCE, used=set(), after=None) == 7


def test_a_message_already_used_is_skipped_for_the_next_one() -> None:
    assert adopt([seen(7), seen(8)], STEP, NONCE, used={7}, after=None) == 8
    assert adopt([seen(7)], STEP, NONCE, used={7}, after=None) is None


def test_only_a_message_newer_than_the_step_before_is_adopted() -> None:
    assert adopt([seen(7), seen(9)], STEP, NONCE, used=set(), after=7) == 9
    assert adopt([seen(7)], STEP, NONCE, used=set(), after=7) is None
    assert adopt([seen(7)], STEP, NONCE, used=set(), after=6) == 7


def test_the_nonce_vouches_for_an_unedited_message_only() -> None:
    other = fingerprint({"content": "something else"})
    unedited = seen(7, fp=other, nonce=NONCE)
    assert adopt([unedited], STEP, NONCE, used=set(), after=None) == 7
    edited = seen(7, fp=other, nonce=NONCE, edited=True)
    assert adopt([edited], STEP, NONCE, used=set(), after=None) is None
    assert adopt([seen(7, fp=other, nonce="m" * 25)], STEP, NONCE, used=set(), after=None) is None


def test_an_edit_that_left_the_content_as_sent_is_still_adopted() -> None:
    assert adopt([seen(7, edited=True)], STEP, NONCE, used=set(), after=None) == 7


# --- the engine -----------------------------------------------------------------------


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "db.sqlite3") as s:
        yield s


async def _pending(store: Store, day: date = DAY, **kw: Any) -> Subscription:
    """A subscription and a pending claim for `day` with nothing recorded (a crash after the
    claim, or after a send whose answer was lost)."""
    sub = await store.upsert_subscription(Subscription(guild_id=1, channel_id=CH, id=CH, **kw))
    digest = sample_digest().model_copy(update={"day": day})
    await store.claim_post(
        PostRecord(
            subscription_id=CH,
            guild_id=1,
            channel_id=CH,
            day=day,
            source=digest.source,
            nonce=nonce_for(CH, CH, day),
            arxiv_ids=[p.arxiv_id for p in compose(sub, digest).papers],
            created_at=clock() - timedelta(minutes=1),
        )
    )
    return sub


def _first_payload(sub: Subscription) -> dict[str, Any]:
    digest = sample_digest()
    in_channel, _ = plan(sub, compose(sub, digest), candidates=len(digest.papers))
    return in_channel[0]


@pytest.mark.parametrize("author", [OTHER, REPLY, webhook_author(4242)])
async def test_a_resume_does_not_adopt_someone_elses_copy_of_the_post(
    store: Store, author: str
) -> None:
    """A user pasting the digest, `/digest preview` answering with the same payload, or a
    webhook relaying it: none of them is the bot's post, so the bot still posts its own."""
    sub = await _pending(store)
    discord = FakeDiscord(dedup_nonces=False)
    copy = {"id": 1, "nonce": nonce_for(CH, CH, DAY), "author": author, **_first_payload(sub)}
    discord.channels[CH] = [copy]
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "sent" and out.recovered == 0
    assert [m["id"] for m in discord.channels[CH]] == [1, out.message_ids[0]]
    assert out.message_ids[0] != 1


async def test_a_resume_adopts_the_bots_own_lost_message(store: Store) -> None:
    """The counterpart: the bot's message whose answer was lost is adopted, not resent."""
    sub = await _pending(store)
    discord = FakeDiscord(dedup_nonces=False, echo_nonce=False)
    discord.channels[CH] = [{"id": 1, "nonce": None, **_first_payload(sub)}]
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "sent" and out.recovered == 1 and out.message_ids == [1]
    assert len(discord.channels[CH]) == 1


async def test_a_resume_does_not_adopt_a_message_edited_into_something_else(
    store: Store,
) -> None:
    sub = await _pending(store)
    discord = FakeDiscord(dedup_nonces=False)
    edited = {"id": 1, "nonce": nonce_for(CH, CH, DAY), "content": "edited away", "edited": True}
    discord.channels[CH] = [edited]
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "sent" and out.recovered == 0 and out.message_ids != [1]
    assert len(discord.channels[CH]) == 2


async def test_a_resume_does_not_adopt_a_message_recorded_for_another_day(store: Store) -> None:
    """Two days can render the same message (a notice, a re-run of one selection); the one the
    ledger holds for another day is that day's post, and adopting it would leave this day
    with no message of its own."""
    sub = await _pending(store)
    other_day = DAY - timedelta(days=1)
    discord = FakeDiscord(dedup_nonces=False)
    discord.channels[CH] = [{"id": 1, "nonce": None, **_first_payload(sub)}]
    await store.claim_post(
        PostRecord(
            subscription_id=CH,
            guild_id=1,
            channel_id=CH,
            day=other_day,
            source="x",
            nonce=nonce_for(CH, CH, other_day),
        )
    )
    await store.finish_post(CH, other_day, status="sent", message_ids=[1])
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "sent" and out.recovered == 0 and out.message_ids != [1]
    assert len(discord.channels[CH]) == 2


async def test_a_resume_adopts_each_message_once(store: Store) -> None:
    """Detailed: the thread's parts are adopted in order, one message each; a duplicate
    already there is not counted for two steps."""
    sub = await _pending(store, format="detailed", limit=16)
    digest = sample_digest()
    in_channel, in_thread = plan(sub, compose(sub, digest), candidates=len(digest.papers))
    assert len(in_thread) >= 2
    discord = FakeDiscord(dedup_nonces=False, echo_nonce=False)
    discord.channels[CH] = [{"id": 10, "nonce": None, **in_channel[0]}]
    discord.threads[10] = 10
    # the first part twice (a resend whose first try went through), nothing more
    discord.channels[10] = [
        {"id": 11, "nonce": None, **in_thread[0]},
        {"id": 12, "nonce": None, **in_thread[0]},
    ]
    await store.finish_post(CH, DAY, status="pending", message_ids=[10], thread_id=10)
    out = await publisher(store, discord).publish(sub, digest)
    assert out.status == "sent"
    assert out.message_ids[:2] == [10, 11] and 12 not in out.message_ids
    assert len(out.message_ids) == len(set(out.message_ids)) == 1 + len(in_thread)


async def test_reconcile_adopts_only_what_the_resume_would(store: Store) -> None:
    """The given-up post's read-back uses the same rule: a foreign copy is not recorded."""
    sub = await _pending(store)
    discord = FakeDiscord()
    discord.channels[CH] = [{"id": 1, "nonce": None, "author": OTHER, **_first_payload(sub)}]
    rec = await publisher(store, discord).reconcile(sub, sample_digest())
    assert rec is not None and rec.message_ids == [] and rec.status == "pending"
    discord.channels[CH].append({"id": 2, "nonce": None, **_first_payload(sub)})
    rec = await publisher(store, discord).reconcile(sub, sample_digest())
    assert rec is not None and rec.message_ids == [2]
    assert discord.calls.count("send") == 0
