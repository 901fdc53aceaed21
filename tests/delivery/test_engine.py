"""The engine's paths a plain post does not take: resuming a failed row, late posts, broken
posts started afresh, reconciling, and the default retry policy. Scripted Discord
(`FakeDiscord` of tests/test_publish), real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.preview import sample_digest
from bot.delivery import (
    ChannelForbidden,
    ChannelGone,
    MessageGone,
    PayloadRejected,
    Publisher,
    TransientPostError,
    compose,
    nonce_for,
    plan,
)
from bot.delivery.progress import SCAN_MARGIN
from bot.models import PostRecord, Subscription
from bot.store import open_store
from bot.store.base import Store
from tests.test_publish import CH, DAY, Crash, FakeDiscord, clock, publisher


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "db.sqlite3") as s:
        yield s


async def subscribe(store: Store, **kw: Any) -> Subscription:
    return await store.upsert_subscription(Subscription(guild_id=1, channel_id=CH, id=CH, **kw))


async def test_a_failed_post_resumed_after_a_refresh_keeps_its_claimed_papers(
    store: Store,
) -> None:
    """As a crashed (pending) post does (tests/attack/test_publish_restart): a post that
    *failed* part-way completes the selection it claimed, not the refreshed one."""
    sub = await subscribe(store, format="detailed", limit=16)
    digest = sample_digest()
    await store.save_digest(digest)
    fake = FakeDiscord()
    fake.faults = []
    real_send = fake.send
    sends = 0

    async def send(channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        nonlocal sends
        sends += 1
        if sends == 3:  # header and one part posted: the third message fails for good
            raise ChannelForbidden("Missing Permissions")
        return await real_send(channel_id, payload, nonce=nonce)

    fake.send = send  # type: ignore[method-assign]
    out = await publisher(store, fake).publish(sub, digest)
    assert out.status == "forbidden"
    claimed = (await store.get_post(CH, DAY)).arxiv_ids  # type: ignore[union-attr]
    refreshed = digest.model_copy(update={"papers": digest.papers[1:]})
    out = await publisher(store, fake).publish(sub, refreshed)
    assert out.status == "sent"
    posted = [
        e["url"].rsplit("/", 1)[-1]
        for m in fake.channels[out.thread_id or 0]
        for e in m.get("embeds") or []
    ]
    assert posted == claimed


async def test_a_crashed_post_resumed_after_a_refresh_keeps_its_claimed_papers(
    store: Store,
) -> None:
    """The same for a post the process died in (its row still `pending`)."""
    sub = await subscribe(store, format="detailed", limit=16)
    digest = sample_digest()
    await store.save_digest(digest)
    fake = FakeDiscord(crash_after=3)  # header, thread, one part: then the process dies
    with pytest.raises(Crash):
        await publisher(store, fake).publish(sub, digest)
    row = await store.get_post(CH, DAY)
    assert row is not None and row.status == "pending"
    refreshed = digest.model_copy(update={"papers": digest.papers[1:]})
    out = await publisher(store, fake).publish(sub, refreshed)
    assert out.status == "sent"
    posted = [
        e["url"].rsplit("/", 1)[-1]
        for m in fake.channels[out.thread_id or 0]
        for e in m.get("embeds") or []
    ]
    assert posted == row.arxiv_ids


async def test_post_now_of_a_day_still_being_made_marks_it_late(store: Store) -> None:
    sub = await subscribe(store)
    fake = FakeDiscord(faults=[TransientPostError("503")])
    out = await publisher(store, fake, attempts=1).publish(sub, sample_digest())
    assert out.status == "failed"
    out = await publisher(store, fake).publish(sub, sample_digest(), late=True)
    assert out.status == "sent"
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.late and rec.status == "sent"


async def test_a_late_post_of_a_missed_day_reads_nothing_back_and_stays_late_if_restarted(
    store: Store,
) -> None:
    """A missed day was never posted: there is nothing to scan for. Its thread deleted while
    it fills, the fresh post is still the late one."""
    sub = await subscribe(store, format="detailed", limit=4)
    await store.claim_post(
        PostRecord(
            subscription_id=CH,
            guild_id=1,
            channel_id=CH,
            day=DAY,
            source="hotpapers-md",
            nonce=nonce_for(CH, CH, DAY),
            status="missed",
            created_at=clock(),
        )
    )
    fake = FakeDiscord()
    real_send = fake.send

    async def send(channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        if channel_id != CH and fake.calls.count("send") == 2:
            raise ChannelGone("Unknown Channel")  # the first thread, deleted as it fills
        return await real_send(channel_id, payload, nonce=nonce)

    fake.send = send  # type: ignore[method-assign]
    out = await publisher(store, fake).publish(sub, sample_digest(), late=True)
    assert out.status == "sent" and out.restarted
    assert "recent" not in fake.calls
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.late and rec.generation == 1


async def test_a_fresh_post_sends_its_own_header_even_if_the_broken_one_stays(
    store: Store,
) -> None:
    """The broken post's header could not be deleted (403 on delete): the fresh generation
    posts a header of its own instead of adopting the broken one."""
    sub = await subscribe(store, format="detailed", limit=4)
    fake = FakeDiscord(fault_calls=("delete",), faults=[ChannelForbidden("no Manage Messages")])
    real_send = fake.send
    broke: list[int] = []

    async def send(channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        if channel_id != CH and not broke:
            broke.append(channel_id)
            raise ChannelGone("Unknown Channel")
        return await real_send(channel_id, payload, nonce=nonce)

    fake.send = send  # type: ignore[method-assign]
    out = await publisher(store, fake).publish(sub, sample_digest())
    assert out.status == "sent" and out.restarted
    headers = [m["id"] for m in fake.channels[CH]]
    assert len(headers) == 2 and out.message_ids[0] == headers[1]
    assert fake.channels[CH][1]["nonce"] == nonce_for(CH, CH, DAY, 0, 1)


async def test_a_thread_deleted_twice_fails_the_post_with_why(store: Store) -> None:
    sub = await subscribe(store, format="detailed", limit=4)
    fake = FakeDiscord()
    real_send = fake.send

    async def send(channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        if channel_id != CH:
            raise ChannelGone("Unknown Channel")
        return await real_send(channel_id, payload, nonce=nonce)

    fake.send = send  # type: ignore[method-assign]
    out = await publisher(store, fake).publish(sub, sample_digest())
    assert out.status == "failed" and out.retry
    assert out.error == "the post broke twice while being made (its thread was deleted)"
    assert fake.channels[CH] == []  # both broken headers were removed
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.status == "failed" and rec.error == out.error


async def test_reconcile_of_no_row_or_a_finished_one_changes_nothing(store: Store) -> None:
    sub = await subscribe(store)
    fake = FakeDiscord()
    pub = publisher(store, fake)
    assert await pub.reconcile(sub, sample_digest()) is None
    out = await pub.publish(sub, sample_digest())
    rec = await pub.reconcile(sub, sample_digest())
    assert rec is not None and rec.status == "sent" and rec.message_ids == out.message_ids
    assert "recent" not in fake.calls


async def test_reconcile_of_a_failed_post_records_its_lost_messages(store: Store) -> None:
    sub = await subscribe(store, format="detailed", limit=4)
    fake = FakeDiscord(crash_after=3)  # header, thread, first part: the answer is lost
    with pytest.raises(Crash):
        await publisher(store, fake).publish(sub, sample_digest())
    await store.finish_post(CH, DAY, status="failed", error="the post took too long")
    rec = await publisher(store, fake).reconcile(sub, sample_digest())
    assert rec is not None and rec.status == "failed" and rec.error == "the post took too long"
    assert rec.thread_id is not None
    assert rec.message_ids == [fake.channels[CH][0]["id"], fake.channels[rec.thread_id][0]["id"]]
    assert fake.calls.count("send") == 2  # nothing was sent by the reconcile


@pytest.mark.parametrize(
    ("kw", "sleeps"),
    [({}, [1.0, 2.0, 4.0]), ({"attempts": 8}, [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0])],
)
async def test_the_default_backoff_doubles_from_one_second_up_to_thirty(
    store: Store, kw: dict[str, Any], sleeps: list[float]
) -> None:
    sub = await subscribe(store)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    fake = FakeDiscord(faults=[TransientPostError("503") for _ in range(20)])
    out = await Publisher(store, fake, clock=clock, sleep=sleep, **kw).publish(sub, sample_digest())
    assert out.status == "failed" and slept == sleeps


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "403 Forbidden: missing access or permissions"),
        (
            "Missing Access (status 403, code 50001)",
            "403 Forbidden: Missing Access (status 403, code 50001)",
        ),
    ],
)
async def test_a_403_says_why_even_without_a_message(store: Store, text: str, reason: str) -> None:
    sub = await subscribe(store)
    out = await publisher(store, FakeDiscord(faults=[ChannelForbidden(text)])).publish(
        sub, sample_digest()
    )
    assert out.status == "forbidden" and out.error == reason
    stored = await store.find_subscription(CH, "daily")
    assert stored is not None and stored.failing_reason == reason


async def test_clearing_a_broken_thread_deletes_only_the_bots_messages(store: Store) -> None:
    """The header is gone, so the old thread's messages go; a member's reply in it stays."""
    sub = await subscribe(store, format="detailed", limit=16)
    fake = FakeDiscord(crash_after=3)
    with pytest.raises(Crash):
        await publisher(store, fake).publish(sub, sample_digest())
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.thread_id is not None
    old = rec.thread_id
    fake.channels[old].append({"id": 5, "nonce": None, "author": "other", "content": "thanks!"})
    fake.channels[CH] = []  # a moderator deletes the header
    out = await publisher(store, fake).publish(sub, sample_digest())
    assert out.status == "sent" and out.restarted
    assert [m["id"] for m in fake.channels[old]] == [5]


@pytest.mark.parametrize(
    ("error", "status", "reason", "failing"),
    [
        (
            PayloadRejected("Invalid Form Body (50035)"),
            "rejected",
            "400 Discord rejected the message: Invalid Form Body (50035)",
            True,
        ),
        (
            ChannelGone("Unknown Channel"),
            "gone",
            "404 Not Found: channel deleted (Unknown Channel)",
            True,
        ),
        (
            TransientPostError("502  Bad\nGateway"),
            "failed",
            "temporary error, will retry: 502 Bad Gateway",
            False,
        ),
        (
            MessageGone("Unknown Message"),
            "failed",
            "temporary error, will retry: Unknown Message",
            False,
        ),
        (
            TransientPostError("x" * 200),
            "failed",
            "temporary error, will retry: " + "x" * 159 + "…",
            False,
        ),
    ],
)
async def test_each_error_is_its_outcome_with_its_reason(
    store: Store, error: Exception, status: str, reason: str, failing: bool
) -> None:
    sub = await subscribe(store)
    fake = FakeDiscord(faults=[error])
    out = await publisher(store, fake, attempts=1).publish(sub, sample_digest())
    assert (out.status, out.error) == (status, reason)
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.status == "failed" and rec.error == reason
    stored = await store.find_subscription(CH, "daily")
    assert stored is not None
    assert stored.failing_reason == (reason if failing else None)
    assert stored.enabled is (status != "gone")


async def test_a_broken_thread_that_cannot_be_read_back_still_loses_its_recorded_messages(
    store: Store,
) -> None:
    sub = await subscribe(store, format="detailed", limit=16)
    fake = FakeDiscord(crash_after=4)  # header, thread, two parts (the second one unrecorded)
    with pytest.raises(Crash):
        await publisher(store, fake).publish(sub, sample_digest())
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.thread_id is not None and len(rec.message_ids) == 2
    old = rec.thread_id
    fake.channels[CH] = []  # a moderator deletes the header
    fake.fault_calls = ("recent",)
    fake.faults = [ChannelForbidden("Missing Access")]  # the old thread cannot be read
    out = await publisher(store, fake).publish(sub, sample_digest())
    assert out.status == "sent" and out.restarted
    left = [m["id"] for m in fake.channels[old]]
    assert rec.message_ids[1] not in left and len(left) == 1  # only the unknown one stays


async def test_a_header_gone_twice_on_resume_fails_with_why(store: Store) -> None:
    sub = await subscribe(store, format="detailed", limit=4)
    fake = FakeDiscord(crash_after=2)
    with pytest.raises(Crash):
        await publisher(store, fake).publish(sub, sample_digest())
    fake.channels[CH] = []
    real_thread = fake.create_thread

    async def create_thread(channel_id: int, message_id: int, name: str) -> int:
        raise MessageGone("Unknown Message")

    fake.create_thread = create_thread  # type: ignore[method-assign]
    out = await publisher(store, fake).publish(sub, sample_digest())
    assert out.error == "the post broke twice while being made (its header message was deleted)"
    del real_thread


async def test_reconcile_stops_at_the_first_step_that_is_not_there(store: Store) -> None:
    """A later part read back is not recorded in the place of an earlier missing one."""
    sub = await subscribe(store, format="detailed", limit=16)
    fake = FakeDiscord(crash_after=3)  # header, thread, first part (unrecorded)
    with pytest.raises(Crash):
        await publisher(store, fake).publish(sub, sample_digest())
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.thread_id is not None
    thread = fake.channels[rec.thread_id]
    first = thread.pop()  # the first part is gone...
    second = dict(first, id=99, nonce=None)  # ...and a message like the second part is there
    digest = sample_digest()
    _, parts = plan(sub, compose(sub, digest), candidates=len(digest.papers))
    second.update(parts[1])
    thread.append(second)
    again = await publisher(store, fake).reconcile(sub, digest)
    assert again is not None and again.message_ids == rec.message_ids


async def test_the_scan_looks_only_since_the_claim(store: Store) -> None:
    """An older copy (a post the ledger no longer knows, from before the claim) is not
    adopted: the read-back starts a little before the claim."""

    class Dated(FakeDiscord):
        async def recent(self, channel_id: int, *, after: Any) -> list[Any]:
            seen = await super().recent(channel_id, after=after)
            old = {m["id"] for m in self.channels.get(channel_id, []) if m.get("old")}
            return [m for m in seen if after is None or m.id not in old]

    sub = await subscribe(store)
    digest = sample_digest()
    payload = plan(sub, compose(sub, digest), candidates=len(digest.papers))[0][0]
    fake = Dated(dedup_nonces=False, faults=[TransientPostError("503")])
    fake.channels[CH] = [{"id": 1, "nonce": None, "old": True, **payload}]
    out = await publisher(store, fake).publish(sub, digest)
    assert out.status == "sent" and out.recovered == 0 and out.message_ids != [1]


async def test_a_resume_that_is_not_late_stays_on_time(store: Store) -> None:
    sub = await subscribe(store)
    fake = FakeDiscord(faults=[TransientPostError("503")])
    await publisher(store, fake, attempts=1).publish(sub, sample_digest())
    out = await publisher(store, fake).publish(sub, sample_digest())
    rec = await store.get_post(CH, DAY)
    assert out.status == "sent" and rec is not None and not rec.late


class RacingStore:
    """A store whose first `get_post` misses a row another process had just claimed."""

    def __init__(self, store: Store) -> None:
        self.store, self.raced = store, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def get_post(self, subscription_id: int, day: Any) -> PostRecord | None:
        if not self.raced:
            self.raced = True
            return None
        return await self.store.get_post(subscription_id, day)


async def test_a_lost_claim_looks_before_it_sends(store: Store) -> None:
    """The claim was another process's (it sent the message, then died): this call's claim
    loses, so it reads the channel back first and adopts the message instead of resending."""
    sub = await subscribe(store)
    fake = FakeDiscord(crash_after=1, dedup_nonces=False, echo_nonce=False)
    with pytest.raises(Crash):
        await publisher(store, fake).publish(sub, sample_digest())
    racing = RacingStore(store)
    out = await publisher(racing, fake).publish(sub, sample_digest())
    assert out.status == "sent" and out.recovered == 1 and racing.raced
    assert len(fake.channels[CH]) == 1


async def test_a_failing_channel_that_posts_again_is_no_longer_failing(store: Store) -> None:
    sub = await subscribe(store)
    await store.mark_failing(CH, "403 Forbidden: Missing Access")
    failing = await store.find_subscription(CH, "daily")
    assert failing is not None and failing.failing_reason
    out = await publisher(store, FakeDiscord()).publish(failing, sample_digest())
    fresh = await store.find_subscription(CH, "daily")
    assert out.status == "sent" and fresh is not None and fresh.failing_reason is None
    del sub


async def test_the_read_back_starts_the_margin_before_the_claim(store: Store) -> None:
    """A host clock ahead of Discord's must not hide the post's own messages: every read-back
    of a resumed send asks for the messages since the claim *minus* the margin."""

    afters: list[Any] = []

    class Asked(FakeDiscord):
        async def recent(self, channel_id: int, *, after: Any) -> list[Any]:
            afters.append(after)
            return await super().recent(channel_id, after=after)

    sub = await subscribe(store)
    fake = Asked(faults=[TransientPostError("503")])
    out = await publisher(store, fake).publish(sub, sample_digest())
    assert out.status == "sent"
    created = (await store.get_post(CH, DAY)).created_at  # type: ignore[union-attr]
    assert created is not None and afters
    assert all(after == created - SCAN_MARGIN for after in afters)
    assert timedelta(0) < SCAN_MARGIN
