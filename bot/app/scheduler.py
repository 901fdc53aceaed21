"""The posting loop: one task ticking every `schedule.tick_seconds`, with an injectable clock.

Each tick asks `bot.schedule.due_slots` who is due *now* in their own time zone, skips what the
ledger says is done, fetches each (source, day) once, and fans out to `Publisher.publish`
with at most `discord.max_concurrent_posts` posts in flight (discord.py keeps within the
per-channel buckets, the sender's pacer within the global limit at
`discord.requests_per_second`). `tick()` is public, so tests and the demo drive the real path
with a chosen clock instead of waiting.

The isolation rule
------------------
**A unit of work is one (source, day) fetch or one (subscription, day) post. Every unit runs with
its own deadline (`schedule.fetch_deadline_seconds`, `schedule.post_deadline_seconds`) inside
its own error boundary that catches every exception type, so no unit can stop another or
delay it beyond its deadline.** A failed unit is logged with its reason, its (subscription, day)
keeps the reason for the ledger, and it is retried on its own backoff; everything else in the
tick goes on. Subscriptions are turned into slots one at a time for the same reason (one
corrupt row cannot hide every other channel). Fetches of different sources run concurrently,
so a slow source delays only its own channels.

Rate limits: a 429 longer than `discord.max_ratelimit_seconds` is not waited out by the post
that met it; the post is rescheduled for after the limit. Discord's *global* limit pauses
posting (no new post starts while it lasts, `/digest status` shows it) and posting resumes by
itself; nothing is lost, because the ledger keeps every unposted day due.

Every (subscription, day) ends in one stated outcome
-----------------------------------------------------
`sent`, `empty` (with why), `failed` (with why) or `missed`. A day whose catch-up window
closes without a post is recorded by `bot.app.settle`: `missed` when the bot was not running
during the window (with when it came back), otherwise `failed` with the last reason seen
(source unreachable, 403, ...). `/digest post-now date:` can still post it, marked late.

Shards: a sharded process (`[discord] shard_count`, `shard_ids`) posts only to the channels
of its shards' guilds, by Discord's own formula (`bot.sharding`), and only while it holds each
of its shards' leases; another process posts the rest.

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
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple, Protocol

from bot.app.backoff import Backoff
from bot.app.scan import scheduled
from bot.app.sender import GlobalLimit, gather_limited
from bot.app.settle import Settler
from bot.config import Config
from bot.delivery import Outcome, Publisher, bounded_wait
from bot.errors import SourceError, StoreError
from bot.models import Cadence, Digest, PostRecord, Subscription
from bot.observe import NO_OBSERVER, Observer
from bot.schedule import Clock, Slot, due_slots, utc_now
from bot.services.digests import DigestService
from bot.services.late_risers import LateRisers
from bot.services.periods import period_digest
from bot.sharding import Shards
from bot.store.base import Store
from bot.store.subscriptions import Timing

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
FAILING_FIRST_RETRY = timedelta(minutes=30)  # a 403 channel: not every tick (invalid requests)
FAILING_MAX_RETRY = timedelta(hours=6)
UNREADABLE = "its subscription could not be read from the store (see the bot's log)"


class Period(NamedTuple):
    """What one fetch unit gets: a source's day, or a weekly / monthly post's days."""

    source: str
    start: date
    day: date  # the key day (the last)
    cadence: Cadence

    @property
    def label(self) -> str:
        """How `/digest status` names it while it waits: `hotpapers-md 2021-03-12`."""
        span = f"{self.start}…{self.day}" if self.start != self.day else f"{self.day}"
        return f"{self.source} {span}"


class Lease(Protocol):
    """What the scheduler needs of the poster lease (`bot.app.lease`)."""

    async def holds(self) -> bool:
        """Whether this process may post now."""
        ...


@dataclass
class TickReport:
    """What one tick did."""

    at: datetime
    due: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # (source, day) not available yet
    settled: list[PostRecord] = field(default_factory=list)  # days recorded missed/failed
    deferred: int = 0  # posts not started: Discord's global rate limit was in force
    paused: str | None = None  # why nothing was posted at all (lease, global limit)
    broken: list[str] = field(default_factory=list)  # subscriptions whose slots failed

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
        lease: Lease | None = None,
        global_limit: GlobalLimit | None = None,
        observer: Observer = NO_OBSERVER,
        shards: Shards | None = None,
        late_risers: LateRisers | None = None,
    ) -> None:
        self.store = store
        self.late_risers = late_risers  # "climbing" follow-ups, after the posts (_follow_up)
        self.observer = observer  # told the fan-out's queue (bot.observe)
        self.shards = shards or Shards()
        self.publisher = publisher
        self.digests = digests
        self.config = config
        self.clock = clock
        self.lease = lease
        self.global_limit = global_limit
        # keyed by (subscription id, day): a channel may hold several subscriptions
        self._sent: set[tuple[int | None, date]] = set()
        self._retry_at: Backoff[tuple[int | None, date]] = Backoff(self._step)
        self._source_retry_at: Backoff[Period] = Backoff(self._step)
        self._failing_retry_at: Backoff[int | None] = Backoff(self._failing_step)
        self._why: dict[tuple[int | None, date], str] = {}  # last reason a day was not posted
        self._task: asyncio.Task[None] | None = None
        self._current: asyncio.Task[TickReport] | None = None
        self._stopping = False
        self.settler = Settler(store, publisher, digests, config)
        self.last_tick: TickReport | None = None
        self.tick_error: str | None = None  # why the last tick failed as a whole (the store)
        self.ready: Callable[[], Awaitable[object]] | None = None

    @property
    def grace(self) -> timedelta:
        """How long after its time a missed post is still made."""
        return timedelta(hours=self.config.schedule.catch_up_hours)

    def _step(self, attempts: int) -> timedelta:
        base = timedelta(seconds=self.config.schedule.tick_seconds)
        step: timedelta = base * (2 ** max(0, attempts - 1))
        return min(step, MAX_BACKOFF)

    @staticmethod
    def _failing_step(attempts: int) -> timedelta:
        step: timedelta = FAILING_FIRST_RETRY * (2 ** max(0, attempts - 1))
        return min(step, FAILING_MAX_RETRY)

    def paused_reason(self) -> str | None:
        """Why posting is paused right now, for `/digest status` (None: it is not)."""
        if self.global_limit is not None and (left := self.global_limit.remaining()) > 0:
            return f"Discord's global rate limit: posting resumes in {left:.0f} s"
        tick = self.last_tick
        return tick.paused if tick is not None else None

    async def tick(self, now: datetime | None = None) -> TickReport:
        """Post everything due at `now` (default: the clock); safe to call at any time."""
        now = now or self.clock()
        report = TickReport(at=now)
        self.last_tick = report
        if self.lease is not None and not await self.lease.holds():
            report.paused = "another HotPapers process holds this store's poster lease"
            return report
        self.settler.note_tick(now)
        by_id, slots, wanted = await self._due(now, report)
        if slots:
            since = min(s.day for s in slots)
            for post in await self.store.posts_of(sorted(by_id), since=since):
                if post.status in ("sent", "empty", "missed"):
                    self._sent.add((post.subscription_id, post.day))
            slots = [s for s in slots if s.key not in self._sent]
        report.due = len(slots)
        # One fetch per (source, period): a day, or a weekly / monthly post's days merged.
        groups: dict[Period, list[Timing]] = {}
        for slot in slots:
            row = by_id[slot.subscription_id or 0]
            kind: Cadence = "daily" if slot.first is None else row.cadence
            key = Period(self.digests.resolve(row.source), slot.start, slot.day, kind)
            groups.setdefault(key, []).append(row)
        ready = [p for p in sorted(groups, key=lambda p: p.day) if self._may_fetch(p, now)]
        report.waiting.extend(p.label for p in groups if p not in ready)
        fetched = await asyncio.gather(*(self._fetch(p, now) for p in ready))
        jobs: list[Callable[[], Awaitable[Outcome | None]]] = []
        for group, digest in zip(ready, fetched, strict=True):
            if isinstance(digest, str):
                report.waiting.append(group.label)
                for row in groups[group]:
                    self._why[(row.id, group.day)] = digest
                continue
            # Whole models only for the subscriptions that post, read now (not at the scan).
            members = groups[group]
            models = {s.id: s for s in await self.store.get_subscriptions([r.id for r in members])}
            for row in members:
                sub = models.get(row.id)
                if sub is None:  # removed since the scan, or its row cannot be read whole
                    self._why[(row.id, group.day)] = UNREADABLE
                elif sub.active:  # not paused or disabled since the scan
                    jobs.append(functools.partial(self._post, sub, digest, report))
        limit = self.config.discord.max_concurrent_posts
        self.observer.fanout_queued(len(jobs))
        report.outcomes = [o for o in await gather_limited(limit, jobs) if o is not None]
        for out in report.outcomes:
            try:
                self._note(out, by_id.get(out.subscription_id or 0), now)
            except Exception:  # one odd outcome must not cost the others their bookkeeping
                log.exception("cannot note the outcome of subscription %s", out.subscription_id)
        report.settled = await self.settler.settle_if_due(
            now, self._why, self._sent, owns=self.shards.owns
        )
        await self._follow_up(wanted, report, now)
        self._forget_before(now)
        if report.deferred and report.paused is None:
            report.paused = self.paused_reason()
        if report.due:
            log.info("tick %s: %d due, %d sent", now.isoformat(), report.due, report.sent)
        return report

    async def _due(
        self, now: datetime, report: TickReport
    ) -> tuple[dict[int, Timing], list[Slot], list[Timing]]:
        """Who is due at `now` and may be tried, a page of subscriptions at a time
        (`bot.app.scan`): the due ones by id, their slots (oldest first), and the ones
        asking for follow-ups. What is kept is bounded by what is due, not by how many
        subscriptions there are."""
        late = self.late_risers
        by_id: dict[int, Timing] = {}
        slots: list[Slot] = []
        wanted: list[Timing] = []
        pages = scheduled(self.store, self.shards.owns, limit=self.settler.page)
        async for page in pages:  # only this process's shards' guilds
            for row in page:
                if late is not None and late.wanted(row):
                    wanted.append(row)
                try:  # one subscription at a time: a corrupt one must not hide the others
                    found = due_slots(
                        (row,),
                        now,
                        grace=self.grace,
                        lag_days=self.digests.lag_days,
                        done=self._sent,
                    )
                except Exception as exc:
                    log.exception("cannot schedule subscription %s", row.id)
                    report.broken.append(f"{row.channel_id}: {type(exc).__name__}")
                    continue
                found = [s for s in found if self._retry_at.may_try(s.key, now)]
                if found and self._may_try_failing(row, now):
                    by_id[row.id] = row
                    slots.extend(found)
        slots.sort(key=lambda s: (s.due_at, s.channel_id, s.subscription_id or 0))
        return by_id, slots, wanted

    async def _follow_up(self, wanted: list[Timing], report: TickReport, now: datetime) -> None:
        """Late risers' follow-ups (`bot.services.late_risers`), once the tick's posts are done:
        each subscription's check is its own unit, with the post deadline and an error
        boundary, so a failing follow-up never fails or delays a post of this tick."""
        late = self.late_risers
        if late is None or (self.global_limit is not None and self.global_limit.remaining() > 0):
            return
        posted = {o.subscription_id for o in report.outcomes if o.done}
        due = [row for row in wanted if late.due(row, now, posted=row.id in posted)]
        due.sort(key=late.last_checked)  # the longest unchecked first: a cut phase rotates
        jobs: list[Callable[[], Awaitable[None]]] = [
            functools.partial(self._check_late, late, row.id) for row in due
        ]
        if not jobs:
            return
        # The whole phase has one deadline too, however many checks hang: the next tick's
        # posts wait for it. A check it cuts (or never starts) is due again next tick.
        deadline = late.deadline or self.config.schedule.post_deadline_seconds
        try:
            async with asyncio.timeout(deadline):
                await gather_limited(self.config.discord.max_concurrent_posts, jobs)
        except TimeoutError:
            log.warning("follow-ups took over %g s; the rest wait for the next tick", deadline)

    async def _check_late(self, late: LateRisers, subscription_id: int) -> None:
        deadline = late.deadline or self.config.schedule.post_deadline_seconds
        try:
            async with asyncio.timeout(deadline):
                sub = await self.store.get_subscription(subscription_id)  # the whole model
                if sub is not None:
                    await late.check(sub)
        except TimeoutError:
            log.warning("follow-ups of subscription %s took over %g s", subscription_id, deadline)
        except Exception:  # any type: a follow-up never costs a post or the tick
            log.exception("follow-ups of subscription %s failed", subscription_id)

    def _may_try_failing(self, sub: Timing, now: datetime) -> bool:
        """A failing subscription (403, rejected payload) is tried on a long backoff only.

        The backoff starts at its last failure as the store recorded it, so a process
        restarted again and again does not retry it at every start.
        """
        if not sub.failing_reason:
            return True
        key = sub.id
        if key not in self._failing_retry_at.entries and sub.failing_at is not None:
            last = sub.failing_at if sub.failing_at.tzinfo else sub.failing_at.replace(tzinfo=UTC)
            if now < last + FAILING_FIRST_RETRY:
                return False
        return self._failing_retry_at.may_try(key, now)

    def _may_fetch(self, key: Period, now: datetime) -> bool:
        return self._source_retry_at.may_try(key, now)

    async def _fetch(self, period: Period, now: datetime) -> Digest | str:
        """One (source, period): the digest, or why it cannot be posted yet (never raises)."""
        deadline = self.config.schedule.fetch_deadline_seconds
        source, day = period.source, period.day
        try:
            async with asyncio.timeout(deadline):
                digest = await period_digest(
                    self.digests, source, period.start, day, period.cadence
                )
        except TimeoutError:
            why = f"{source} did not answer within {deadline:g} s"
        except SourceError as exc:
            why = f"{source} is unavailable: {exc}"
        except Exception as exc:  # any type: a parser bug must not stop the other sources
            log.exception("fetching %s %s failed unexpectedly", source, day)
            why = f"{source} failed ({type(exc).__name__}); see the bot's log"
        else:
            if digest is not None:
                self._source_retry_at.clear(period)
                return digest
            why = f"no {source} digest for {day} in the store yet"
        log.warning("cannot post %s %s yet: %s", source, day, why)
        self._source_retry_at.failed(period, now)
        return why

    async def _post(self, sub: Subscription, digest: Digest, report: TickReport) -> Outcome | None:
        """Publish one within its deadline; any error is an outcome, never the tick's end.

        None: not started, because Discord's global rate limit is in force (still due).
        """
        self.observer.fanout_started()
        if self.global_limit is not None and self.global_limit.remaining() > 0:
            report.deferred += 1
            self._why[(sub.id, digest.day)] = "posting was paused by Discord's global rate limit"
            return None
        deadline = self.config.schedule.post_deadline_seconds
        try:
            async with asyncio.timeout(deadline):
                return await self.publisher.publish(sub, digest)
        except TimeoutError:
            log.warning(
                "posting %s to channel %s took over %g s", digest.day, sub.channel_id, deadline
            )
            error = f"the post took longer than {deadline:g} s; will retry"
        except StoreError as exc:  # the store's own health says it once; no traceback per post
            log.warning("posting %s to channel %s: %s", digest.day, sub.channel_id, exc)
            error = f"the store could not be written ({exc}); will retry"
        except Exception as exc:
            log.exception("posting %s to channel %s failed", digest.day, sub.channel_id)
            error = f"unexpected {type(exc).__name__}; will retry (see the bot's log)"
        await self._record_failure(sub, digest, error)
        self.observer.post_finished(sub, digest.day, "failed", self.clock())
        return Outcome("failed", sub.channel_id, digest.day, error=error, subscription_id=sub.id)

    async def _record_failure(self, sub: Subscription, digest: Digest, error: str) -> None:
        """Best effort: leave the reason on the ledger row of a post cut off by its boundary."""
        try:
            if sub.id is None:
                return
            existing = await self.store.get_post(sub.id, digest.day)
            if existing is not None and existing.status in ("pending", "failed"):
                await self.store.finish_post(sub.id, digest.day, status="failed", error=error)
        except Exception:
            log.exception("could not record the failure of subscription %s", sub.id)

    def _note(self, out: Outcome, sub: Timing | None, now: datetime) -> None:
        post_key = (out.subscription_id, out.day)
        if out.done:
            self._sent.add(post_key)
            self._retry_at.clear(post_key)
            self._failing_retry_at.clear(out.subscription_id)
            self._why.pop(post_key, None)
            return
        if out.error:
            self._why[post_key] = out.error
        if out.status in ("forbidden", "rejected"):
            self._failing_retry_at.failed(out.subscription_id, now)
        elif out.retry:
            wait = timedelta(seconds=bounded_wait(out.retry_after))
            self._retry_at.failed(post_key, now, at_least=wait)
        elif sub is not None and sub.failing_reason:
            self._failing_retry_at.failed(out.subscription_id, now)

    def _forget_before(self, now: datetime) -> None:
        horizon = now.date() - timedelta(days=7)
        self._sent = {k for k in self._sent if k[1] >= horizon}
        self._why = {k: v for k, v in self._why.items() if k[1] >= horizon}

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
        failing: str | None = None
        while not self._stopping:
            started = time.monotonic()
            self._current = asyncio.create_task(self.tick(), name="hotpapers-tick")
            try:
                await asyncio.shield(self._current)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.tick_error = f"{type(exc).__name__}: {exc}"
                if failing != type(exc).__name__:  # a traceback once, not one per tick
                    log.exception("scheduler tick failed; the next tick will try again")
                    failing = type(exc).__name__
            else:
                if failing is not None:
                    log.info("scheduler ticks work again")
                failing = self.tick_error = None
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
