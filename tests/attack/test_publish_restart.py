"""Outsider attacks on the publisher's fresh-restart path (a deleted header or thread).

Discord keeps a thread when its starter message is deleted; the publisher's clean-up of a
broken post must then remove the old thread's messages too, or the channel keeps an orphan
half-digest next to the fresh one. Scripted Discord: `FakeDiscord` of tests/test_publish.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.cli.preview import sample_digest
from bot.models import Subscription
from bot.publish import ChannelForbidden, SeenMessage, TransientPostError
from bot.store import open_store
from bot.store.base import Store
from tests.test_publish import CH, Crash, FakeDiscord, clock, publisher


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "db.sqlite3") as s:
        yield s


async def _subscribe(store: Store, **kw: Any) -> Subscription:
    return await store.upsert_subscription(Subscription(guild_id=1, channel_id=CH, id=CH, **kw))


def _thread_messages(discord: FakeDiscord) -> dict[int, int]:
    """thread id -> how many bot messages it still holds."""
    return {t: len(discord.channels.get(t, [])) for t in discord.threads.values()}


async def test_a_restart_after_the_header_was_deleted_leaves_no_orphan_thread_content(
    store: Store,
) -> None:
    """Expected: when a resumed post starts afresh because its header was deleted, what is left
    of the broken post is removed, including the messages already posted in its thread
    (Discord keeps a thread whose starter message is deleted). Only the new post's thread
    holds digest messages afterwards.

    Before: `Publisher._check_header` calls `_discard(channel, record.message_ids)`, deleting
    the thread's messages by the *parent channel's* id; Discord answers 404 Unknown Message
    (swallowed), so the old thread keeps its partial digest: an orphan next to the new post.
    """
    sub = await _subscribe(store, format="detailed", limit=16)
    # header sent (1), thread opened (2), first thread message sent (3): the process dies
    discord = FakeDiscord(crash_after=3)
    with pytest.raises(Crash):
        await publisher(store, discord).publish(sub, sample_digest())
    rec = await store.get_post(CH, sample_digest().day)
    assert rec is not None and rec.thread_id is not None
    old_thread = rec.thread_id
    assert len(discord.channels[old_thread]) == 1
    # a moderator deletes the header message; the thread stays (as on Discord)
    discord.channels[CH] = []

    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "sent" and out.restarted
    assert out.thread_id != old_thread
    leftovers = {t: n for t, n in _thread_messages(discord).items() if t != out.thread_id and n}
    assert leftovers == {}, f"the old thread still holds the broken post's messages: {leftovers}"


@dataclass
class SkewedDiscord(FakeDiscord):
    """Message ids are snowflakes stamped by Discord's clock, and `recent(after=)` returns only
    messages newer than `after` (as `GET /messages?after=<snowflake>` does)."""

    discord_now: datetime = datetime(2021, 3, 13, 9, tzinfo=UTC)

    async def send(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        self.discord_now += timedelta(milliseconds=50)
        self.ids = itertools.count(discord.utils.time_snowflake(self.discord_now))
        return await super().send(channel_id, payload, nonce=nonce)

    async def recent(self, channel_id: int, *, after: datetime | None) -> list[SeenMessage]:
        seen = await super().recent(channel_id, after=after)
        floor = discord.utils.time_snowflake(after) if after else 0
        return [m for m in seen if m.id > floor]


async def test_a_host_clock_a_second_ahead_of_discord_does_not_hide_a_sent_message(
    store: Store,
) -> None:
    """Expected: the recovery scan finds a message sent just before a crash even when the
    host's clock runs a little ahead of Discord's (NTP keeps it within ~1 s, a VM may drift
    more), so a restart after the nonce window does not post the digest twice.

    Before: the scan asks for messages `after=record.created_at`, the claim time by the host
    clock, with no margin; Discord stamps the message with its own (earlier) time, the scan
    skips it, and the resend (nonce window over) is a duplicate.
    """
    sub = await _subscribe(store)
    host_ahead = timedelta(seconds=1)
    fake = SkewedDiscord(crash_after=1, dedup_nonces=False, echo_nonce=False)
    fake.discord_now = clock() - host_ahead
    with pytest.raises(Crash):  # the message exists; the answer is lost
        await publisher(store, fake).publish(sub, sample_digest())
    out = await publisher(store, fake).publish(sub, sample_digest())
    assert out.status == "sent"
    assert len(fake.channels[CH]) == 1, "the digest was posted twice"


async def test_a_channel_without_read_message_history_still_gets_its_post_after_a_5xx(
    store: Store,
) -> None:
    """Expected: the README asks for Send Messages, Create Public Threads, Send Messages in
    Threads and Embed Links only; without Read Message History, reading the channel back
    after a 503 answers 403, but posting works. The post then completes (the resend carries
    its nonce, so Discord dedups it) and the channel is not marked failing.

    Before: the 403 of the read-back (`_Progress._send` -> `sender.recent`) is taken for "the
    bot may not post here": the day ends `forbidden`, the channel is marked failing, and
    every later retry reads back first, so the channel never gets a digest again.
    """
    sub = await _subscribe(store)
    fake = FakeDiscord(faults=[TransientPostError("503 Service Unavailable")])

    async def recent(channel_id: int, *, after: datetime | None) -> list[SeenMessage]:
        raise ChannelForbidden("Missing Access (status 403, code 50001)")

    fake.recent = recent  # type: ignore[method-assign]
    out = await publisher(store, fake).publish(sub, sample_digest())
    assert out.status == "sent", out.error
    assert len(fake.channels[CH]) == 1
    fresh = await store.find_subscription(CH, "daily")
    assert fresh is not None and fresh.failing_reason is None


async def test_a_resumed_post_keeps_the_papers_it_claimed_when_the_digest_changed(
    store: Store,
) -> None:
    """Expected: a post resumed after a crash completes the post that was claimed: every
    paper of the ledger row's `arxiv_ids` appears exactly once, even if the stored digest of
    that day was refreshed in between (a source re-ranked or dropped a paper).

    Before: `_publish` composes the *current* digest and `_attempt` continues at the recorded
    message offset, so the thread's first part comes from the old selection and the rest from
    the new one: a claimed paper is silently skipped (or another duplicated), and the ledger
    (`/paper` "posted in this server") lists a paper that was never posted.
    """
    sub = await _subscribe(store, format="detailed", limit=16)
    digest = sample_digest()
    await store.save_digest(digest)  # as the scheduler and post-now have it: stored
    fake = FakeDiscord(crash_after=3)  # header, thread, first part of the thread: then it dies
    with pytest.raises(Crash):
        await publisher(store, fake).publish(sub, digest)
    claimed = (await store.get_post(CH, digest.day)).arxiv_ids  # type: ignore[union-attr]
    refreshed = digest.model_copy(update={"papers": digest.papers[1:]})  # the source dropped one
    out = await publisher(store, fake).publish(sub, refreshed)
    assert out.status == "sent"
    posted = [
        e["url"].rsplit("/", 1)[-1]
        for m in fake.channels[out.thread_id or 0]
        for e in m.get("embeds") or []
    ]
    rec = await store.get_post(CH, digest.day)
    assert rec is not None
    assert sorted(posted) == sorted(set(posted)), "a paper was posted twice"
    assert set(rec.arxiv_ids) <= set(posted), f"claimed, never posted: {set(claimed) - set(posted)}"
