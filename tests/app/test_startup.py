"""Crash-loop backoff: quick restarts wait longer and longer before connecting to Discord, so a
supervisor's restart loop cannot spend the daily IDENTIFY budget (issue 10, item 12)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.startup import CrashLoopPolicy, backoff_before_connecting, crash_loop_delay
from bot.store import open_store
from bot.store.base import Start
from tests.app.conftest import FakeClock

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _starts(*seconds: float) -> list[Start]:
    return [Start(T0 + timedelta(seconds=s)) for s in seconds]


def test_the_rule() -> None:
    quick = _starts(*(10 * i for i in range(8)))
    now = T0 + timedelta(seconds=80)
    assert crash_loop_delay([], now) == (timedelta(0), 0)
    assert crash_loop_delay(quick[:4], now)[0] == timedelta(0)
    assert crash_loop_delay(quick[:5], now) == (timedelta(seconds=30), 5)
    assert crash_loop_delay(quick[:6], now) == (timedelta(seconds=60), 6)
    assert crash_loop_delay(quick, now) == (timedelta(seconds=240), 8)
    many = _starts(*range(40))
    assert crash_loop_delay(many, T0 + timedelta(seconds=40))[0] == timedelta(minutes=15)
    # One run that lasted 10 minutes breaks the chain.
    broken = [*quick[:4], Start(T0 + timedelta(minutes=20))]
    assert crash_loop_delay(broken, T0 + timedelta(minutes=21)) == (timedelta(0), 1)
    assert crash_loop_delay(quick, T0 + timedelta(minutes=30))[0] == timedelta(0)
    # A start that waited 15 minutes and crashed at once was a quick run, not a long one.
    waited = [*quick[:5], Start(T0 + timedelta(seconds=60), timedelta(minutes=15))]
    later = T0 + timedelta(minutes=16, seconds=2)
    assert crash_loop_delay(waited, later) == (timedelta(seconds=60), 6)


def test_a_crash_loop_stays_far_below_the_daily_identify_budget() -> None:
    """Simulated: the bot crashes 2 s after connecting and is restarted at once, for a day."""
    policy = CrashLoopPolicy()
    starts: list[Start] = []
    now = T0
    while now < T0 + timedelta(days=1):
        delay, _ = crash_loop_delay([s for s in starts if s.at > now - policy.keep], now, policy)
        starts.append(Start(now, delay))
        now += delay + timedelta(seconds=2)  # connects (one IDENTIFY), crashes 2 s later
    assert len(starts) < 120


async def test_backoff_waits_logs_one_line_records_and_prunes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.app.startup")
    clock = FakeClock(T0)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds=seconds)

    async with open_store(tmp_path / "s.sqlite3") as store:
        await store.record_start(
            Start(T0 - timedelta(days=3)), forget_before=T0 - timedelta(days=9)
        )
        delays = []
        for _ in range(8):  # eight starts, each crashing 5 s after it connected
            delays.append(await backoff_before_connecting(store, clock=clock, sleep=sleep))
            clock.advance(seconds=5)
        assert [d.total_seconds() for d in delays] == [0, 0, 0, 0, 0, 30, 60, 120]
        assert slept == [30, 60, 120]
        lines = [r.getMessage() for r in caplog.records]
        assert len(lines) == 3
        assert lines[0] == (
            "crash loop: 5 quick restarts in a row (each within 10 min of the last); waiting "
            "30 s before connecting to Discord, to spare its daily IDENTIFY budget"
        )
        starts = await store.list_starts(T0 - timedelta(days=30))
        assert len(starts) == 8  # the one from three days ago was forgotten
        assert [s.waited.total_seconds() for s in starts] == [0, 0, 0, 0, 0, 30, 60, 120]
        # After a healthy run of 10 minutes, the next start connects at once.
        clock.advance(minutes=10)
        assert await backoff_before_connecting(store, clock=clock, sleep=sleep) == timedelta(0)
