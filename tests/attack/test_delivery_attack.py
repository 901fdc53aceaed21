"""Outsider attacks on the rewritten delivery (issue 12): orders of events the engine's own
tests did not write, through the sandbox with the real bot, and with a scripted sender.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.cli.preview import sample_digest
from bot.delivery import ChannelGone, SeenMessage, TransientPostError
from bot.models import Subscription
from bot.store import open_store
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.records import Message as SandboxMessage
from sandbox.world import User
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    MANAGE_GUILD,
    FakeClock,
    clock,
    make_config,
    running_app,
    sandbox,
    store,
)
from tests.resilience.test_faults import DAY, POST, assert_exactly_once, digests, subscribed_guild
from tests.test_publish import CH, Crash, FakeDiscord, publisher


def chatter(sb: Sandbox, channel_id: int, n: int, *, content: str = "chat") -> None:
    """`n` messages by a member in a channel (as if typed there)."""
    guild_id = sb.state.channels[channel_id].guild_id
    user = User(sb.state.ids.next(), "chatty")
    for i in range(n):
        sb.state.store_message(
            SandboxMessage(
                id=sb.state.ids.next(),
                channel_id=channel_id,
                guild_id=guild_id,
                author=user,
                content=f"{content} {i}",
            )
        )


async def test_a_busy_channel_does_not_hide_the_message_a_500_after_the_effect_created(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    """Expected: a 500 after Discord created the message, outside the nonce window, is
    recovered by the read-back whatever else the channel holds: one digest.

    Before: `DiscordSender.recent` read one page (`GET …/messages?after=`, limit 100), the
    oldest 100 messages after the scan's start. A channel where members had written 100
    messages since then (5 minutes before the claim) hid the bot's own message behind them;
    the retry found nothing and posted the digest a second time.
    """
    sandbox.control.configure(nonce_window=0.0)
    channels = await subscribed_guild(sandbox, store, clock, n=1)
    chatter(sandbox, channels[0], 100)
    config = make_config(schedule={"post_deadline_seconds": 180.0})
    async with running_app(sandbox, store, clock, config=config, post_backoff_seconds=0.01) as bot:
        sandbox.control.inject_fault(POST, after=True, times=1, status=503)
        await bot.scheduler.tick()
        assert_exactly_once(sandbox, channels)


THREADS = "POST /channels/{channel_id}/messages/{message_id}/threads"


async def detailed_guild(sandbox: Sandbox, store: Store, clock: FakeClock) -> int:  # noqa: F811
    """One channel subscribed to the detailed (thread) format, due at the clock's time."""
    (cid,) = await subscribed_guild(sandbox, store, clock, n=1)
    sub = await store.find_subscription(cid, "daily")
    assert sub is not None
    await store.upsert_subscription(sub.model_copy(update={"format": "detailed"}))
    return cid


def threads_of(sandbox: Sandbox, channel_id: int) -> list[int]:  # noqa: F811
    return [
        c.id for c in sandbox.state.channels.values() if c.is_thread and c.parent_id == channel_id
    ]


async def test_a_thread_locked_mid_post_does_not_mark_the_channel_failing(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    """Expected: a thread a moderator locked while the bot filled it is a broken post, like a
    deleted one: the post is made again, once, with a new header and thread; the day ends
    with one complete post and the channel is not marked failing.

    Before: posting into the locked thread answered 403 / 160005, taken as "the bot may not
    post in this channel": the channel was marked failing (`/digest status`, long backoff)
    and the day stayed a header over an empty locked thread, retried in vain until its
    window closed.
    """
    cid = await detailed_guild(sandbox, store, clock)
    async with running_app(sandbox, store, clock, post_backoff_seconds=0.01) as bot:
        sandbox.control.inject_fault(THREADS, after=True, latency_ms=300, times=1)
        tick = asyncio.create_task(bot.scheduler.tick())
        await sandbox.state.wait_for(lambda: threads_of(sandbox, cid), timeout=10)
        (locked,) = threads_of(sandbox, cid)
        await sandbox.control.set_thread(locked, archived=True, locked=True)
        await tick
        row = await store.get_post(cid, DAY)
        sub = await store.find_subscription(cid, "daily")
        assert row is not None and sub is not None
        assert (row.status, sub.failing_reason) == ("sent", None), (row, sub.failing_reason)
        assert [int(m["id"]) for m in digests(sandbox, cid)] == row.message_ids[:1]
        assert row.thread_id is not None and row.thread_id != locked
        in_thread = [int(m["id"]) for m in digests(sandbox, row.thread_id)]
        assert in_thread == row.message_ids[1:] and in_thread


@pytest.mark.parametrize("fmt", ["compact", "detailed"])
async def test_two_bots_on_one_store_post_a_day_once(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
    tmp_path: Path,
    fmt: str,
) -> None:
    """Held: two processes on one store (lease off) tick the same (channel, day) at once; the
    loser of the claim reads back before sending, and the nonces dedup what both send."""
    channels = await subscribed_guild(sandbox, store, clock, n=3)
    for cid in channels:
        sub = await store.find_subscription(cid, "daily")
        assert sub is not None
        await store.upsert_subscription(sub.model_copy(update={"format": fmt}))
    async with (
        open_store(tmp_path / "bot.sqlite3") as other,
        running_app(sandbox, store, clock, post_backoff_seconds=0.01) as a,
        running_app(sandbox, other, clock, post_backoff_seconds=0.01) as b,
    ):
        await asyncio.gather(a.scheduler.tick(), b.scheduler.tick())
        for cid in channels:
            row = await store.get_post(cid, DAY)
            assert row is not None and row.status == "sent"
            assert [int(m["id"]) for m in digests(sandbox, cid)] == (
                row.message_ids if fmt == "compact" else row.message_ids[:1]
            )
            if fmt == "detailed":
                assert row.thread_id is not None
                inside = [int(m["id"]) for m in digests(sandbox, row.thread_id)]
                assert inside == row.message_ids[1:]
        assert_exactly_once(sandbox, channels)


# --- scripted sender ---------------------------------------------------------------------


@dataclass
class DeletingDiscord(FakeDiscord):
    """A scripted Discord where a moderator can delete a thread (its id stays taken: Discord
    gives a message's thread the message's id, so a second thread on it is refused and the
    sender answers the old id), and where deleting a message can keep failing (5xx)."""

    deleted: set[int] = field(default_factory=set)
    failing_deletes: int = 0

    def delete_thread(self, thread_id: int) -> None:
        self.deleted.add(thread_id)
        self.channels.pop(thread_id, None)

    async def send(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        if channel_id in self.deleted:
            raise ChannelGone("Unknown Channel (status 404, code 10003)")
        return await super().send(channel_id, payload, nonce=nonce)

    async def recent(self, channel_id: int, *, after: datetime | None) -> list[SeenMessage]:
        if channel_id in self.deleted:
            raise ChannelGone("Unknown Channel (status 404, code 10003)")
        return await super().recent(channel_id, after=after)

    async def delete(self, channel_id: int, message_id: int) -> None:
        if self.failing_deletes:
            self.failing_deletes -= 1
            raise TransientPostError("503 Service Unavailable")
        await super().delete(channel_id, message_id)


async def test_a_restart_whose_clean_up_failed_does_not_adopt_the_old_header(
    tmp_path: Path,
) -> None:
    """Expected: a post started afresh (its thread was deleted) never stands on the broken
    attempt's header: while the old header cannot be deleted the post waits (failed, retried
    later); once it can, the new generation posts its own header and thread, once.

    Before: the old header's delete failed (a 5xx, swallowed), the fresh attempt's header send
    hit a 5xx, and the retry's read-back adopted the old header (same content, the bot's, no
    longer recorded once the row was reset). The new thread was "opened" on it, which Discord
    answers with the deleted thread (a message's thread has the message's id): the post
    "broke twice", the day `failed` with an empty ledger row and the old header in the channel.
    """
    async with open_store(tmp_path / "db.sqlite3") as db:
        sub = await db.upsert_subscription(
            Subscription(guild_id=1, channel_id=CH, id=CH, format="detailed")
        )
        discord = DeletingDiscord(crash_after=3)  # header, thread, first paper; then it dies
        with pytest.raises(Crash):
            await publisher(db, discord).publish(sub, sample_digest())
        rec = await db.get_post(CH, DAY)
        assert rec is not None and rec.thread_id is not None
        old_header = rec.message_ids[0]
        discord.delete_thread(rec.thread_id)  # a moderator deletes the thread
        discord.failing_deletes = 100  # and Discord cannot delete the old header for a while
        discord.faults = [TransientPostError("503 Service Unavailable")]  # the next send
        first = await publisher(db, discord).publish(sub, sample_digest())
        row = await db.get_post(CH, DAY)
        assert row is not None
        assert row.generation == 0 or old_header not in row.message_ids, row  # not stood on
        assert "broke twice" not in (first.error or ""), first  # one deleted thread, one restart
        discord.failing_deletes = 0
        out = await publisher(db, discord).publish(sub, sample_digest())
        row = await db.get_post(CH, DAY)
        assert row is not None and out.status in ("sent", "already") and row.status == "sent"
        assert [m["id"] for m in discord.channels[CH]] == row.message_ids[:1]
        assert row.message_ids[0] != old_header and row.thread_id not in discord.deleted
        assert row.thread_id is not None
        assert [m["id"] for m in discord.channels[row.thread_id]] == row.message_ids[1:]


async def test_a_header_deleted_before_its_thread_opened_gives_one_complete_post(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    """Held: a moderator deletes the header between the header and its thread (the thread
    request is slowed, the header deleted meanwhile): 404 Unknown Message, the post is made
    again once; one header, one thread with every part, ledger = channel."""
    cid = await detailed_guild(sandbox, store, clock)
    async with running_app(sandbox, store, clock, post_backoff_seconds=0.01) as bot:
        sandbox.control.inject_fault(THREADS, latency_ms=300, times=1)
        tick = asyncio.create_task(bot.scheduler.tick())
        await sandbox.state.wait_for(lambda: digests(sandbox, cid), timeout=10)
        (header,) = digests(sandbox, cid)
        sandbox.state.delete_message(int(header["id"]))
        await tick
        row = await store.get_post(cid, DAY)
        assert row is not None and row.status == "sent" and row.generation == 1, row
        assert [int(m["id"]) for m in digests(sandbox, cid)] == row.message_ids[:1]
        assert row.thread_id is not None and threads_of(sandbox, cid) == [row.thread_id]
        inside = [int(m["id"]) for m in digests(sandbox, row.thread_id)]
        assert inside == row.message_ids[1:] and inside


async def test_post_now_racing_the_scheduler_posts_the_day_once(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    """Held: a moderator's post-now for the day the scheduler's tick is posting, at once."""
    channels = await subscribed_guild(sandbox, store, clock, n=1)
    async with running_app(sandbox, store, clock, post_backoff_seconds=0.01) as bot:
        tick = asyncio.create_task(bot.scheduler.tick())
        now = asyncio.create_task(
            sandbox.control.invoke(
                "digest post-now", {"channel": channels[0]}, permissions=MANAGE_GUILD
            )
        )
        _, reply = await asyncio.gather(tick, now)
        assert not reply.content.startswith("Sorry"), reply.content
        assert_exactly_once(sandbox, channels)
