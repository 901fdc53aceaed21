"""Pacing Discord requests: an even spacing and the global window (`Pacer`), one process's
share of the bot's one budget (`shared_rate`, `window_limit`), and the trace hook that makes
every HTTP request of a paced call pass the pacer (`pace_each_request`), discord.py's own
resends included. `bot.app.sender.DiscordSender` paces through it.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

JITTER_HEADROOM = 2.0  # requests per second one pacing process may overshoot a window by


def shared_rate(rate: float, share: float) -> float:
    """The rate one of several processes paces at, given its share of the one global budget.

    `rate` (`discord.requests_per_second`, 48) is one process's pace, 2 below Discord's 50:
    Discord counts fixed windows, and a request held back by a busy event loop (or the
    network) lands in the next window beside that window's own, so a paced process can
    overshoot a window by about two. Every process overshoots on its own, so each keeps that
    headroom: a share `s` of the limit the pace stands for (`rate + 2`), less 2. Two processes
    at 0.5 pace at 23 each: 46, plus 2 × 2 of jitter, stays within 50. (Measured: at 24 each,
    bench/fanout.py --processes 2 met one 429 in 2,000 posts.) Never below half of `rate × s`.
    """
    if share >= 1:
        return rate
    return max(share * (rate + JITTER_HEADROOM) - JITTER_HEADROOM, rate * share / 2)


DISCORD_GLOBAL_LIMIT = 50  # requests per second per bot (rate-limits.mdx, "Global Rate Limit")
GLOBAL_WINDOW_SECONDS = 1.0
MIN_SLEEP = 0.001  # a wait for the window never rounds to nothing (no busy loop)


def window_limit(share: float) -> int:
    """Requests one process may have in Discord's global window (`Pacer.window`), given its
    share of the bot's one budget: its share of 50, at least 1."""
    return max(1, math.floor(DISCORD_GLOBAL_LIMIT * min(1.0, share) + 1e-9))


class Pacer:
    """Spaces requests evenly, at most `rate` per second, and (with `window` = (L, W)) never
    lets more than L requests reach any W-second window of Discord's, whatever the jitter:
    a fan-out stays under the global limit (50 requests/s per bot) instead of learning it
    from 429s.

    discord.py throttles per-route buckets from the `X-RateLimit-*` headers, but the global
    limit has no headers: it only waits after a global 429. Even spacing alone keeps every
    window at `rate` only while requests reach Discord as evenly as they leave; a busy event
    loop or network bunches them (bench/fanout.py on a loaded machine, 32 posts in flight:
    77 × 429 in 1,200 requests at 48/s). The window rule holds under any bunching: Discord
    counts a request at some instant between its sending and its answer, so a request sent
    at t can share a window of W seconds only with requests sent before it (or with it) that
    were not answered by t − W. `wait()` therefore lets a request go only while fewer than L
    requests are in flight or were answered in the last W seconds, and `done()` records the
    answer. The cost of that proof is the round trip: at most L / (W + round trip) per
    second (0.95 × 50 at 50 ms).
    Each caller reserves the next free slot without awaiting in between, so no lock is needed.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        window: tuple[int, float] | None = None,
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self.window = window
        self._next = 0.0
        self.in_flight = 0
        self._answered: deque[float] = deque()  # answer times within the last W seconds
        self._changed = asyncio.Event()

    async def wait(self) -> None:
        """Return when this caller may send its request (with a window: then call `done()`
        once it is answered, whatever the answer)."""
        now = self.clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self.sleep(slot - now)
        if self.window is None:
            return
        limit, seconds = self.window
        while True:
            now = self.clock()
            answered = self._answered
            while answered and answered[0] + seconds <= now:
                answered.popleft()
            if self.in_flight + len(answered) < limit:
                self.in_flight += 1
                return
            if answered:  # the oldest answer leaves the window then
                await self.sleep(max(answered[0] + seconds - now, MIN_SLEEP))
            else:  # all L in flight: wait for an answer
                self._changed.clear()
                await self._changed.wait()

    def done(self) -> None:
        """The request `wait()` let go was answered (or failed) now."""
        if self.window is None:
            return
        self.in_flight -= 1
        self._answered.append(self.clock())
        self._changed.set()


class Slot:
    """The pacer one paced call goes through, and whether its HTTP request holds a slot now."""

    __slots__ = ("held", "pacer")

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer
        self.held = False


SLOT: contextvars.ContextVar[Slot | None] = contextvars.ContextVar("paced_slot", default=None)


def pace_each_request(trace: aiohttp.TraceConfig) -> aiohttp.TraceConfig:
    """Let every HTTP request of a paced call pass the pacer, not only the call's first.

    discord.py resends a request answered 429 by itself, after its `retry_after` (a route
    bucket's is often a fraction of a second), inside the one `HTTPClient.request` the sender
    paced: counted once, two requests could reach one second of Discord's, and the window's
    proof was gone. Here each request of a call the sender paced (`DiscordSender`, with
    `each_request`) waits for the pacer when it starts and frees its slot when it ends
    (answered or failed), so a resend takes a slot of its own, and none is held while
    discord.py sleeps on a bucket. Requests outside a paced call are left as they were.
    """

    async def start(_s: Any, _ctx: Any, _p: Any) -> None:
        slot = SLOT.get()
        if slot is not None and not slot.held:
            await slot.pacer.wait()
            slot.held = True

    async def end(_s: Any, _ctx: Any, _p: Any) -> None:
        slot = SLOT.get()
        if slot is not None and slot.held:
            slot.held = False
            slot.pacer.done()

    trace.on_request_start.append(start)
    trace.on_request_end.append(end)
    trace.on_request_exception.append(end)
    return trace
