"""Outsider attacks on the rewritten delivery (issue 12): orders of events the engine's own
tests did not write, through the sandbox with the real bot, and with a scripted sender.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.store import open_store
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.records import Message as SandboxMessage
from sandbox.world import User
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    FakeClock,
    clock,
    make_config,
    running_app,
    sandbox,
    store,
)
from tests.resilience.test_faults import DAY, POST, assert_exactly_once, digests, subscribed_guild


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
    sub = await store.get_subscription(cid)
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
        sub = await store.get_subscription(cid)
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
        sub = await store.get_subscription(cid)
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
