"""Attacks on the poster lease, the crash-loop backoff and their store rows (issue 11)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.lease import PosterLease
from bot.app.startup import backoff_before_connecting, crash_loop_delay
from bot.config import parse_config
from bot.errors import ConfigError, StoreError
from bot.store import open_store
from bot.store.base import Start
from bot.store.sqlite import SqliteStore

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    async with open_store(tmp_path / "s.sqlite3") as s:
        assert isinstance(s, SqliteStore)
        yield s


async def test_two_leases_in_one_process_never_both_hold(store: SqliteStore) -> None:
    """Two PosterLease objects on one store in the same process (two bots in one test run, the
    soak's second "process", an embedding) must not both be allowed to post: the second must
    wait for the first's lease. Today holder_is_gone() calls any other holder with our own PID
    "gone", so each one steals the lease from the other and both report holds()."""
    clock = lambda: T0  # noqa: E731
    a = PosterLease(store, clock=clock)
    b = PosterLease(store, clock=clock)
    assert await a.acquire()
    b_holds = await b.holds()
    a_holds = await a.holds()
    assert not (a_holds and b_holds), "both PosterLease objects may post at the same instant"
    assert not b_holds, "the second lease took a live holder's lease"


@pytest.mark.parametrize("garbage", ["garbage", "", "2026-12-01 12:00:00"])
async def test_a_garbage_expires_at_does_not_crash_the_gate(
    store: SqliteStore, garbage: str
) -> None:
    """A lease row whose expires_at is not an aware ISO time (hand-edited, written by
    sqlite's datetime('now'), truncated) must not make the posting gate raise a bare
    ValueError/AssertionError/TypeError out of tick(): holds() answers (False, or takes the
    unreadable lease over) or the store raises its own StoreError with one line."""
    await store.acquire_lease("poster", "otherhost:1:aa", now=T0, ttl=TTL)
    await store._db.execute("UPDATE leases SET expires_at = ?", (garbage,))
    lease = PosterLease(store, clock=lambda: T0)
    with contextlib.suppress(StoreError):
        await lease.holds()


def test_a_start_in_the_future_does_not_switch_the_backoff_off() -> None:
    """After the clock steps back (NTP fixing a clock that ran an hour ahead), the starts table
    holds a start "in the future". A crash loop after that must still back off: the future
    start is ignored (or taken as now), not allowed to break the chain of quick restarts for
    the next hour. Today quick_restarts() meets it first, sees a negative run and stops at 0."""
    now = T0
    quick = [Start(now - timedelta(seconds=30 * i)) for i in range(8, 0, -1)]
    assert crash_loop_delay(quick, now)[0] > timedelta(0)  # the loop alone backs off
    future = [*quick, Start(now + timedelta(hours=1))]
    delay, chain = crash_loop_delay(future, now)
    assert delay > timedelta(0), f"no backoff after 8 quick restarts (chain {chain})"


@pytest.mark.parametrize(
    "value", ["http://127.0.0.1:8765/api/v10\n", "http://127.0.0.1\t:8765/api"]
)
def test_an_api_base_with_a_control_character_is_refused_at_load(value: str) -> None:
    """discord.api_base is checked at load so a bad URL fails with one line before connecting.
    A trailing newline (an env var or YAML block scalar) or a tab inside must be refused like
    a space is; today urlsplit() silently strips tab/CR/LF before the check, so the URL passes
    and the raw value (still holding the control character) goes to discord.py/httpx."""
    with pytest.raises(ConfigError, match="api_base"):
        parse_config({"discord": {"api_base": value}})


@pytest.mark.parametrize("garbage", ["garbage", "2026-12-01 11:59:00"])
async def test_a_garbage_start_row_does_not_crash_every_start(
    store: SqliteStore, garbage: str
) -> None:
    """One unreadable row in `starts` (hand-edited, a naive time written by sqlite's
    datetime('now')) must not make backoff_before_connecting raise: it runs before every
    connect, so a crash there is a crash loop with no backoff at all. Expected: the row is
    skipped (or a one-line StoreError). Today _dt()/the comparison raise ValueError/TypeError
    out of list_starts()."""
    await store._db.execute("INSERT INTO starts (at) VALUES (?)", (garbage,))
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    with contextlib.suppress(StoreError):
        await backoff_before_connecting(store, clock=lambda: T0, sleep=sleep)
