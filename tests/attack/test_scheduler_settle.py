"""Outsider attacks on the scheduler: settling closed windows, restarts, the global limit.

Real scheduler, publisher and SQLite store; Discord is the scripted `FakeDiscord`, digests the
scripted service of tests/test_isolation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app.scheduler import Scheduler
from bot.app.sender import GlobalLimit
from bot.app.settle import GAVE_UP, given_up
from bot.errors import SourceError
from bot.models import PostRecord
from bot.publish import ChannelForbidden, Publisher, RateLimitedPost, TransientPostError
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.store import open_store
from bot.store.base import Store
from tests.test_isolation import DAY, GOOD, NINE, ScriptedDigests, build, config, subscribe
from tests.test_publish import FakeDiscord, no_sleep


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "db.sqlite3") as s:
        yield s


async def test_a_window_closing_exactly_on_a_settle_instant_is_still_settled(
    store: Store,
) -> None:
    """Expected: a day whose catch-up window closes while the bot runs gets its stated outcome
    (`failed`, with why) however the ticks fall.

    Before: `_settle` takes the slots with `since < closes < now` (`passed_slots`), and the
    next settle starts at this one's `now`; a window closing exactly at a settle instant
    (09:00 + 2 h = 11:00, on a 15-minute tick grid) is in neither interval, so the day is
    never recorded at all: no ledger row, no reason in /digest status.
    """
    await subscribe(store, 1)
    scheduler, _, clock = build(
        store, {"good": SourceError("Hugging Face answered 503")}, cfg=config(catch_up_hours=2)
    )
    while clock.now <= NINE + timedelta(hours=4):
        await scheduler.tick()
        clock.advance(timedelta(minutes=15))
    row = await store.get_post(1, DAY)
    assert row is not None, "the day whose window closed at 11:00 was never settled"
    assert row.status == "failed" and "503" in (row.error or "")


async def test_days_whose_window_closed_while_no_tick_ran_are_missed_not_failed(
    store: Store,
) -> None:
    """Expected: a day whose whole catch-up window passed while the scheduler did not tick
    (the host was suspended, the loop was blocked for days) is `missed` with when posting
    came back, not `failed` with "no attempt succeeded" (no attempt was ever made).

    Before: `_settle` calls a day `missed` only if its window closed before the *first*
    tick (`started_at`); every later gap, however long, reads as a failure.
    """
    await subscribe(store, 1)
    scheduler, discord, clock = build(store, {"good": GOOD}, cfg=config(catch_up_hours=2))
    clock.set(NINE - timedelta(minutes=30))  # 08:30: running, nothing due yet
    await scheduler.tick()
    clock.set(NINE + timedelta(days=2, hours=3))  # next tick two days later, at 12:00
    await scheduler.tick()
    row = await store.get_post(1, DAY)
    assert row is not None
    assert not discord.channels.get(1)  # nothing was posted late
    assert row.status == "missed", row.error


async def test_a_403_channel_is_not_retried_on_every_restart(store: Store) -> None:
    """Expected: a channel that answered 403 is retried on the long backoff (30 min first)
    also across restarts; a bot restarted every minute (a crash loop, a supervisor) must not
    send one more forbidden request per start: Discord bans IPs that make too many invalid
    (401/403/429) requests.

    Before: the backoff lives only in the scheduler's memory (`_failing_retry_at`); a fresh
    process tries the failing channel at its first tick, so N restarts = N more 403s.
    """
    await subscribe(store, 1)
    discord = FakeDiscord(faults=[ChannelForbidden("Missing Access") for _ in range(50)])
    cfg = config()
    clock = ManualClock(NINE)
    for minute in range(5):  # five starts, one minute apart
        clock.set(NINE + timedelta(minutes=minute))
        pub = Publisher(store, discord, clock=clock, sleep=no_sleep, attempts=1)
        digests: DigestService = ScriptedDigests(store, cfg, {"good": GOOD}, clock)
        await Scheduler(store, pub, digests, cfg, clock=clock).tick()
    assert discord.calls.count("send") == 1, f"{discord.calls.count('send')} forbidden sends"


@pytest.mark.parametrize("header", ["inf", "1e12", "Infinity"])
def test_a_global_limit_pause_is_bounded_whatever_retry_after_says(header: str) -> None:
    """Expected: posting "resumes by itself" after a global 429 (scheduler docstring); a
    malformed or absurd Retry-After pauses it for a bounded time (at most a day here).

    Before: `GlobalLimit.saw` takes any float: `inf` or 1e12 s pauses posting until the
    process restarts, and /digest status says "resumes in inf s".
    """
    limit = GlobalLimit(threshold=30.0, clock=lambda: 1000.0)
    limit.saw(429, {"X-RateLimit-Global": "true", "Retry-After": header})
    assert limit.remaining() <= 24 * 3600


async def test_the_first_settle_over_a_long_lookback_does_not_block_the_event_loop(
    store: Store,
) -> None:
    """Expected: recording the missed days of the lookback (up to 366 days, per channel)
    leaves the event loop to the rest of the bot between channels: slash commands have 3 s
    to be answered, and the gateway needs its heartbeats.

    Before: `_settle` computes `passed_slots` for every subscription and every day of the
    lookback in one synchronous stretch (no await between subscriptions, and none at all when
    nothing needs recording); 1000 channels x 31 days take ~1.6 s here, x 366 days ~15 s,
    during which no command is answered. `passed_slots` also walks the days before the
    subscription existed although it skips them.
    """
    subs = 200
    for channel in range(1, subs + 1):
        await subscribe(store, channel)
    scheduler, _, clock = build(store, {"good": GOOD}, cfg=config(missed_lookback_days=366))
    clock.set(NINE - timedelta(minutes=30))  # nothing due: only the first settle runs
    turns = 0
    stop = False

    async def other_work() -> None:
        nonlocal turns
        while not stop:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    start = turns
    await scheduler.tick()
    stop = True
    await other
    assert turns - start >= subs // 10, f"the loop ran other work {turns - start} times"


async def test_a_day_lost_to_a_global_rate_limit_says_so(store: Store) -> None:
    """Expected: a day whose window closed while Discord's global rate limit paused posting
    is recorded with that reason (what a moderator reads in /digest status), as every other
    failed day keeps its last reason.

    Before: `_post` defers the post (returns None) without noting why, so `_settle` records
    "not posted within the catch-up window: no attempt succeeded".
    """
    await subscribe(store, 1)
    limit = GlobalLimit(threshold=30.0, clock=lambda: 0.0)
    limit.saw(429, {"X-RateLimit-Global": "true", "Retry-After": "7200"})
    scheduler, discord, clock = build(
        store, {"good": GOOD}, cfg=config(catch_up_hours=1), global_limit=limit
    )
    paused = []
    while clock.now <= NINE + timedelta(hours=2):
        paused.append((await scheduler.tick()).paused)
        clock.advance(timedelta(minutes=7))
    assert not discord.channels.get(1) and any(paused)
    row = await store.get_post(1, DAY)
    assert row is not None and row.status == "failed"
    assert "global rate limit" in (row.error or ""), row.error


@pytest.mark.parametrize("retry_after", [float("inf"), 1e12])
async def test_an_absurd_rate_limit_on_one_channel_does_not_end_the_tick(
    store: Store, retry_after: float
) -> None:
    """Expected (the isolation rule): one channel's 429, whatever its `retry_after` (discord.py
    takes it from the JSON body, where `1e400` parses as inf), is that channel's outcome; the
    tick completes, the other channels' outcomes are noted and the closed days are settled.

    Before: `Scheduler._note` computes `now + timedelta(seconds=retry_after)`, which raises
    OverflowError for inf or ~1e12 s, out of `tick()` after the fan-out: the rest of the
    outcomes are not noted and `_settle` does not run.
    """
    await subscribe(store, 1)
    await subscribe(store, 2)
    fake = FakeDiscord(faults=[RateLimitedPost(retry_after)])
    scheduler, _, _ = build(store, {"good": GOOD}, discord=fake)
    report = await scheduler.tick()
    assert sorted(o.status for o in report.outcomes) == ["failed", "sent"]


async def test_a_day_given_up_is_settled_once_across_restarts(store: Store) -> None:
    """Expected: a post that kept failing until its window closed is given up once, with its
    last reason; a restart's first settle (over the whole lookback) neither reads the
    channel back again nor rewrites the reason. The row says it was given up (`given_up`)."""
    await subscribe(store, 1)
    await store.save_digest(GOOD.model_copy(update={"day": DAY, "source": "good"}))
    fake = FakeDiscord(faults=[TransientPostError(f"503 #{i}") for i in range(100)])
    cfg = config(catch_up_hours=1)
    scheduler, _, clock = build(store, {"good": GOOD}, discord=fake, cfg=cfg)
    while clock.now <= NINE + timedelta(hours=2):
        await scheduler.tick()
        clock.advance(timedelta(minutes=7))
    row = await store.get_post(1, DAY)
    assert row is not None and given_up(row)
    assert row.error is not None and row.error.startswith(GAVE_UP + "temporary error")
    reads = fake.calls.count("recent")
    restarted, _, later = build(store, {"good": GOOD}, discord=fake, cfg=cfg)
    later.set(clock.now)
    report = await restarted.tick()
    assert report.settled == [] and fake.calls.count("recent") == reads
    again = await store.get_post(1, DAY)
    assert again is not None and again.error == row.error


def test_only_a_failed_row_with_the_settle_reason_is_given_up() -> None:
    def row(status: str, error: str | None) -> PostRecord:
        return PostRecord(
            subscription_id=1,
            guild_id=1,
            channel_id=1,
            day=DAY,
            source="s",
            nonce="n",
            status=status,
            error=error,
        )

    assert given_up(row("failed", GAVE_UP + "503"))
    assert not given_up(row("failed", "temporary error: 503 (gave up when ...)"))
    assert not given_up(row("failed", None))
    assert not given_up(row("missed", GAVE_UP + "x"))
