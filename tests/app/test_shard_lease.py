"""The poster lease per shard (`bot.app.shard_lease`): disjoint shards both post, overlapping
ones never, all or nothing, and a dead process's shards taken over (issue 15)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app.compose import build_bot
from bot.app.sender import DiscordSender
from bot.app.shard_lease import ShardLeases
from bot.sharding import Shards, lease_name
from bot.store import open_store
from tests.app.conftest import SAMPLE_NOW, FakeClock, make_config


async def test_disjoint_shards_both_hold_overlapping_ones_wait_all_or_nothing(
    tmp_path: Path,
) -> None:
    clock = FakeClock(SAMPLE_NOW)
    db = tmp_path / "s.sqlite3"
    async with open_store(db) as s1, open_store(db) as s2, open_store(db) as s3:
        zero = ShardLeases(s1, Shards.of(4, [0, 1]), holder="host-a:1:aaaa", clock=clock)
        two = ShardLeases(s2, Shards.of(4, [2, 3]), holder="host-b:2:bbbb", clock=clock)
        both = ShardLeases(s3, Shards.of(4, [1, 2]), holder="host-c:3:cccc", clock=clock)
        assert await zero.acquire() and await two.acquire()
        assert await zero.holds() and await two.holds()
        assert "poster of shards 0, 1 of 4" in zero.status_line()
        assert not await both.acquire()  # shards 1 and 2 are held by live processes
        assert not await both.holds()
        assert "holder host-a:1:aaaa" in both.status_line()
        # Shard 3's holder gives up; still, `both` takes nothing it cannot take whole.
        await two.stop()
        assert not await both.acquire()
        assert await s3.get_lease(lease_name(2, 4)) is None  # the one it got was given back
        assert (await s3.get_lease(lease_name(1, 4))).holder == "host-a:1:aaaa"  # type: ignore[union-attr]
        # `zero` stops renewing (killed on another host): its leases expire and are taken.
        clock.advance(seconds=61)
        assert await both.acquire() and await both.holds()
        assert not await zero.acquire()  # back from a pause: shard 1 is no longer its own
        assert (await s1.get_lease(lease_name(0, 4))) is None  # and it kept none of its own


async def test_a_standby_waits_then_takes_over_what_a_dead_process_held(tmp_path: Path) -> None:
    clock = FakeClock(SAMPLE_NOW)
    db = tmp_path / "s.sqlite3"
    slept: list[float] = []

    async with open_store(db) as s1, open_store(db) as s2:
        alive = ShardLeases(s1, Shards.of(2, [1]), holder="host-a:1:aaaa", clock=clock)
        assert await alive.acquire()

        async def sleep(seconds: float) -> None:  # time passes while the standby waits
            slept.append(seconds)
            clock.advance(seconds=seconds)

        standby = ShardLeases(
            s2, Shards.of(2, [1]), holder="host-b:2:bbbb", clock=clock, sleep=sleep
        )
        await standby.wait_for_all()  # `alive` never renews again: a SIGKILL on another host
        assert await standby.holds() and not await alive.holds()
        assert sum(slept) >= 60 and all(s == standby.interval for s in slept)
        assert timedelta(seconds=sum(slept)) <= timedelta(seconds=60) + 2 * standby.ttl / 3


async def test_a_process_paces_its_posting_at_its_share_of_the_global_budget(
    tmp_path: Path,
) -> None:
    """`[discord] global_rate_share`: two processes at 0.5 each stay within the one limit."""
    async with open_store(tmp_path / "s.sqlite3") as store:
        # Each process keeps 2 requests/s of headroom for its own jitter (`shared_rate`).
        for share, rate in ((1.0, 48.0), (0.5, 23.0), (0.25, 10.5), (0.02, 0.48)):
            config = make_config(discord={"global_rate_share": share})
            bot = build_bot(config, store)
            sender = bot.publisher.sender
            assert isinstance(sender, DiscordSender) and sender.pacer is not None
            assert sender.pacer.interval == pytest.approx(1 / rate)
            await bot.close()
