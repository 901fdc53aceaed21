"""Crash-loop backoff: a process restarted again and again waits before it connects to Discord.

Every gateway connection costs one IDENTIFY, and Discord allows a bot 1,000 a day; a bot that
crashes at start-up under a supervisor that restarts it at once (systemd `Restart=always`, a
Procfile host) would burn them in minutes and then be unable to log in for the rest of the day.
So the store remembers each start and how long it waited before connecting (table `starts`),
and a start that follows a run of quick restarts waits first, saying so in one log line.

The rule (`crash_loop_delay`): walking back from now, count the earlier starts whose run was
quick: the next start came less than `quick` (10 minutes) after it connected. Up to `free` (5)
of them cost nothing; each further one doubles the wait, from `base` (30 s) up to `cap`
(15 minutes). A run is measured from its connection, not its start, so the wait itself never
looks like a long, healthy run; one run that lasts `quick` breaks the chain and the next start
is free. A crash loop settles at one connection per `cap`: under 120 IDENTIFYs a day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.schedule import Clock, utc_now
from bot.store.base import Start, Store

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True)
class CrashLoopPolicy:
    """The numbers of the rule in the module docstring."""

    quick: timedelta = timedelta(minutes=10)
    free: int = 5
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(minutes=15)
    keep: timedelta = timedelta(days=1)  # starts older than this are forgotten


def quick_restarts(starts: list[Start], now: datetime, quick: timedelta) -> int:
    """How many of `starts` (oldest first) form an unbroken chain of quick runs up to now."""
    chain = 0
    later = now  # when the start after the one looked at began
    # a start "in the future" (the clock stepped back since) counts as now, not as a long run
    starts = [s if s.connected_at <= now else Start(min(s.at, now)) for s in starts]
    for start in reversed(starts):
        ran = later - start.connected_at
        if ran >= quick or ran < timedelta(0):
            break
        chain += 1
        later = start.at
    return chain


def crash_loop_delay(
    starts: list[Start], now: datetime, policy: CrashLoopPolicy = CrashLoopPolicy()
) -> tuple[timedelta, int]:
    """(how long to wait before connecting, how many quick restarts came before this one)."""
    chain = quick_restarts(starts, now, policy.quick)
    if chain < policy.free:
        return timedelta(0), chain
    delay = policy.base * (2 ** min(chain - policy.free, 30))  # bounded: no overflow
    return min(delay, policy.cap), chain


async def backoff_before_connecting(
    store: Store,
    *,
    clock: Clock = utc_now,
    sleep: Sleep = asyncio.sleep,
    policy: CrashLoopPolicy = CrashLoopPolicy(),
) -> timedelta:
    """Wait as the rule says (logging one line if at all), then record this start."""
    now = clock()
    starts = await store.list_starts(now - policy.keep)
    delay, chain = crash_loop_delay(starts, now, policy)
    if delay:
        log.warning(
            "crash loop: %d quick restarts in a row (each within %d min of the last); waiting "
            "%d s before connecting to Discord, to spare its daily IDENTIFY budget",
            chain,
            policy.quick.total_seconds() // 60,
            delay.total_seconds(),
        )
        await sleep(delay.total_seconds())
    await store.record_start(Start(now, delay), forget_before=now - policy.keep)
    return delay
