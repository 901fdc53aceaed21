"""The posting loop: one task ticking every `schedule.tick_seconds`, with an injectable clock.

Each tick asks `bot.schedule.due_slots` who is due *now* in their own time zone, skips what the
ledger says is posted, fetches each (source, day) once, and fans out to `Publisher.publish`
with at most `discord.max_concurrent_posts` posts in flight (discord.py keeps within the
per-channel buckets, the sender's pacer within the global limit at
`discord.requests_per_second`). A (channel, day) whose post failed transiently is retried on a
later tick with exponential backoff, within the catch-up window. `tick()` is public, so tests
and the demo drive the real path with a chosen clock instead of waiting.

Shutdown: `stop()` lets the tick in flight finish its posts (up to a timeout) before the loop
is cancelled, so SIGTERM does not cut a fan-out in half; if it is cut anyway (SIGKILL), the
ledger and the nonces make the next start complete it without duplicates.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar

from bot.app.digests import DigestService
from bot.app.sender import gather_limited
from bot.config import Config
from bot.errors import SourceError
from bot.models import Digest, Subscription
from bot.publish import Outcome, Publisher
from bot.schedule import Clock, Slot, due_slots, utc_now
from bot.store.base import Store

if TYPE_CHECKING:
    from bot.app.lease import PosterLease

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
K = TypeVar("K")


class Backoff(Generic[K]):
    """When each failing key may be tried again: exponential steps per consecutive failure."""

    def __init__(self, step: Callable[[int], timedelta]) -> None:
        self.step = step
        self.entries: dict[K, tuple[int, datetime]] = {}

    def may_try(self, key: K, now: datetime) -> bool:
        """Whether `key` is not waiting for its next attempt."""
        entry = self.entries.get(key)
        return entry is None or now >= entry[1]

    def failed(self, key: K, now: datetime) -> None:
        """Note a failure: the next attempt waits one step longer than the last."""
        attempts = self.entries.get(key, (0, now))[0] + 1
        self.entries[key] = (attempts, now + self.step(attempts))

    def clear(self, key: K) -> None:
        """Forget `key` (it succeeded)."""
        self.entries.pop(key, None)


@dataclass
class TickReport:
    """What one tick did."""

    at: datetime
    due: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # (source, day) not available yet
    paused: str | None = None  # why this tick posted nothing (no poster lease, store unwritable)

    @property
    def sent(self) -> int:
        """How many posts were made in this tick."""
        return sum(1 for o in self.outcomes if o.status == "sent")


class Scheduler:
    """Decides who is due and hands (subscription, day) to the publisher."""

    def __init__(
        self,
        store: Store,
        publisher: Publisher,
        digests: DigestService,
        config: Config,
        *,
        clock: Clock = utc_now,
        lease: PosterLease | None = None,
    ) -> None:
        self.lease = lease  # posting needs it held (one poster per store; bot/app/lease.py)
        self.store = store
        self.publisher = publisher
        self.digests = digests
        self.config = config
        self.clock = clock
        self._sent: set[tuple[int, date]] = set()
        self._retry_at: Backoff[tuple[int, date]] = Backoff(self._step)
        self._source_retry_at: Backoff[tuple[str, date]] = Backoff(self._step)
        self._task: asyncio.Task[None] | None = None
        self._current: asyncio.Task[TickReport] | None = None
        self._stopping = False
        self.last_tick: TickReport | None = None
        self.ready: Callable[[], Awaitable[object]] | None = None

    @property
    def grace(self) -> timedelta:
        """How long after its time a missed post is still made."""
        return timedelta(hours=self.config.schedule.catch_up_hours)

    def _step(self, attempts: int) -> timedelta:
        base = timedelta(seconds=self.config.schedule.tick_seconds)
        step: timedelta = base * (2 ** max(0, attempts - 1))
        return min(step, MAX_BACKOFF)

    async def tick(self, now: datetime | None = None) -> TickReport:
        """Post everything due at `now` (default: the clock); safe to call at any time."""
        now = now or self.clock()
        report = TickReport(at=now)
        if self.lease is not None and not await self.lease.holds():
            report.paused = self.lease.status_line()
            self.last_tick = report
            return report
        subs = await self.store.list_subscriptions(enabled_only=True)
        by_channel = {s.channel_id: s for s in subs}
        slots = due_slots(
            subs, now, grace=self.grace, lag_days=self.digests.lag_days, done=self._sent
        )
        slots = [s for s in slots if self._retry_at.may_try((s.channel_id, s.day), now)]
        if slots:
            since = min(s.day for s in slots)
            for post in await self.store.list_posts(since=since):
                if post.status == "sent":
                    self._sent.add((post.channel_id, post.day))
            slots = [s for s in slots if (s.channel_id, s.day) not in self._sent]
        report.due = len(slots)
        groups: dict[tuple[str, date], list[tuple[Slot, Subscription]]] = {}
        for slot in slots:
            sub = by_channel[slot.channel_id]
            key = (self.digests.resolve(sub.source), slot.day)
            groups.setdefault(key, []).append((slot, sub))
        jobs: list[Callable[[], Awaitable[Outcome]]] = []
        for (source, day), members in sorted(groups.items(), key=lambda kv: kv[0][1]):
            if not self._source_retry_at.may_try((source, day), now):
                report.waiting.append(f"{source} {day}")
                continue
            try:
                digest = await self.digests.get(source, day)
            except SourceError as exc:
                log.error("cannot post %s %s yet: %s", source, day, exc)
                self._source_retry_at.failed((source, day), now)
                report.waiting.append(f"{source} {day}")
                continue
            if digest is None:
                log.warning("no %s digest for %s in the store yet; will try again", source, day)
                self._source_retry_at.failed((source, day), now)
                report.waiting.append(f"{source} {day}")
                continue
            self._source_retry_at.clear((source, day))
            for _slot, sub in members:
                jobs.append(functools.partial(self._post, sub, digest))
        limit = self.config.discord.max_concurrent_posts
        report.outcomes = await gather_limited(limit, jobs)
        for out in report.outcomes:
            post_key = (out.channel_id, out.day)
            if out.status in ("sent", "already"):
                self._sent.add(post_key)
                self._retry_at.clear(post_key)
            elif out.retry:
                self._retry_at.failed(post_key, now)
        self._forget_before(now)
        self.last_tick = report
        if report.due:
            log.info("tick %s: %d due, %d sent", now.isoformat(), report.due, report.sent)
        return report

    async def _post(self, sub: Subscription, digest: Digest) -> Outcome:
        """Publish one; an unexpected error is logged and retried later, not fatal to the tick."""
        try:
            return await self.publisher.publish(sub, digest)
        except Exception as exc:
            log.exception("posting %s to channel %s failed", digest.day, sub.channel_id)
            return Outcome("failed", sub.channel_id, digest.day, error=f"{type(exc).__name__}")

    def _forget_before(self, now: datetime) -> None:
        horizon = now.date() - timedelta(days=7)
        self._sent = {k for k in self._sent if k[1] >= horizon}

    # --- the loop -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop (kept by reference; its exceptions are logged, never lost)."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="hotpapers-scheduler")

    @property
    def running(self) -> bool:
        """Whether the loop task is alive."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        if self.ready is not None:
            await self.ready()
        interval = self.config.schedule.tick_seconds
        while not self._stopping:
            started = time.monotonic()
            self._current = asyncio.create_task(self.tick(), name="hotpapers-tick")
            try:
                await asyncio.shield(self._current)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler tick failed; the next tick will try again")
            finally:
                self._current = None
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    async def stop(self, wait_seconds: float = 30.0) -> None:
        """Stop ticking; let the posts in flight finish (up to `wait_seconds`)."""
        self._stopping = True
        current = self._current
        if current is not None and not current.done():
            log.info("waiting for the posts in flight before stopping")
            try:
                await asyncio.wait_for(asyncio.shield(current), wait_seconds)
            except TimeoutError:
                log.warning("posts still in flight after %.0fs; stopping anyway", wait_seconds)
                current.cancel()
            except Exception:
                log.exception("the last tick failed")
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("the scheduler loop failed")
            self._task = None
