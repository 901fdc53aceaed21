"""Days whose catch-up window closed: each gets its terminal outcome, `missed` or `failed`.

Every (subscription, day) ends in one stated outcome: `sent`, `empty` (with why), `failed` (with
why) or `missed`. The posting loop (`bot.app.scheduler`) makes the first two; this module
records the other two for a day whose window closes without a post: `missed` when the bot was
not running during the whole window (with when it came back), otherwise `failed` with the
last reason seen (source unreachable, 403, ...). A post given up this way first reads its
channel back (`Publisher.reconcile`), so a message whose answer was lost is on the ledger.
`/digest post-now date:` can still post the day, marked late.

A day given up is recorded once: its row says so (`given_up`), so a restart's first settle
over the whole lookback neither reads every such channel back again nor rewrites its reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, MutableMapping, MutableSet
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from bot.app.scan import scheduled
from bot.config import Config
from bot.delivery import Publisher, nonce_for
from bot.models import PostRecord
from bot.schedule import Slot, passed_slots
from bot.services.digests import DigestService
from bot.services.periods import period_digest
from bot.store.base import Store
from bot.store.subscriptions import PAGE, Timing

log = logging.getLogger(__name__)

SETTLE_EVERY = timedelta(minutes=15)
GAP_AFTER = timedelta(minutes=5)  # no tick for longer than this (and 3 ticks): the bot was down
GAVE_UP = "gave up when the catch-up window closed: "

Key = tuple[int | None, date]  # (subscription id, day)


def _everyone(guild_id: int) -> bool:
    return True


def _order(row: PostRecord) -> tuple[date, int]:
    return (row.day, row.subscription_id)


def given_up(row: PostRecord) -> bool:
    """Whether a ledger row is a post given up when its window closed (recorded by `settle`).

    The row has no column for it (no schema change): `settle` writes the reason with the
    `GAVE_UP` prefix and this is the one place that reads it back.
    """
    return row.status == "failed" and (row.error or "").startswith(GAVE_UP)


class Settler:
    """Knows when the bot was down, and settles the days whose window closed."""

    def __init__(
        self, store: Store, publisher: Publisher, digests: DigestService, config: Config
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.digests = digests
        self.config = config
        self.started_at: datetime | None = None  # the first tick: when the bot came back
        self._last_tick_at: datetime | None = None
        # (from, until): stretches with no tick (the host slept, the loop was blocked); a day
        # whose whole window fell in one was missed, not failed
        self.gaps: list[tuple[datetime, datetime]] = []
        self.settled_at: datetime | None = None
        self.page = PAGE  # subscriptions read at a time (bot.app.scan)

    @property
    def grace(self) -> timedelta:
        """How long after its time a missed post is still made."""
        return timedelta(hours=self.config.schedule.catch_up_hours)

    def note_tick(self, now: datetime) -> None:
        """Note that a tick ran at `now` (a long silence before it was a gap)."""
        if self.started_at is None:
            self.started_at = now
        last = self._last_tick_at
        allowed = max(GAP_AFTER, 3 * timedelta(seconds=self.config.schedule.tick_seconds))
        if last is not None and now - last > allowed:
            self.gaps.append((last, now))
            horizon = now - timedelta(days=self.config.schedule.missed_lookback_days)
            self.gaps = [g for g in self.gaps if g[1] >= horizon][-100:]
        if last is None or now > last:
            self._last_tick_at = now

    def down_until(self, opens: datetime, closes: datetime) -> datetime | None:
        """When the bot came back, if it was not ticking during all of [opens, closes]."""
        came_back = self.started_at
        if came_back is not None and closes < came_back:
            return came_back
        for start, end in self.gaps:
            if start < opens and closes <= end:
                return end
        return None

    async def settle_if_due(
        self,
        now: datetime,
        why: MutableMapping[Key, str],
        done: MutableSet[Key],
        *,
        owns: Callable[[int], bool] = _everyone,
    ) -> list[PostRecord]:
        """Every so often, give each day whose catch-up window closed its terminal outcome.

        `why`: the last reason each due day was not posted (taken from it once used);
        `done`: the days with a terminal outcome (added to); `owns`: whether a guild is this
        process's (its shards'). Never raises.
        """
        last = self.settled_at
        if last is not None and last <= now < last + SETTLE_EVERY:
            return []
        lookback = timedelta(days=self.config.schedule.missed_lookback_days)
        since = last if last is not None else now - lookback
        since = min(since, now)  # a clock that jumped back looks again
        try:
            settled = await self.settle(now, since, why, done, owns=owns)
        except Exception:
            log.exception("recording missed days failed; will try again")
            return []
        self.settled_at = now
        return settled

    async def settle(
        self,
        now: datetime,
        since: datetime,
        why: MutableMapping[Key, str],
        done: MutableSet[Key],
        *,
        owns: Callable[[int], bool] = _everyone,
    ) -> list[PostRecord]:
        """Record the days whose window closed in (`since`, `now`] without a terminal row.

        A page of subscriptions at a time (`bot.app.scan`): what is held at once is one
        page's closed days and their ledger rows, however many subscriptions there are.
        """
        reopened: list[PostRecord] = []  # rows of attempted days, given up now
        claimed: list[PostRecord] = []  # days never attempted, recorded now
        async for page in scheduled(self.store, owns, limit=self.page):
            await self._settle_page(page, now, since, why, done, reopened, claimed)
        settled = sorted(reopened, key=_order) + sorted(claimed, key=_order)
        if settled:
            log.info("recorded %d day(s) whose catch-up window closed", len(settled))
        return settled

    async def _settle_page(
        self,
        page: list[Timing],
        now: datetime,
        since: datetime,
        why: MutableMapping[Key, str],
        done: MutableSet[Key],
        reopened: list[PostRecord],
        claimed: list[PostRecord],
    ) -> None:
        closed: dict[Key, tuple[Timing, Slot]] = {}
        for sub in page:
            await asyncio.sleep(0)  # a long lookback over many channels leaves the loop be
            try:
                for slot in passed_slots(
                    sub, now, grace=self.grace, lag_days=self.digests.lag_days, since=since
                ):
                    closed[slot.key] = (sub, slot)
            except Exception:
                log.exception("cannot list the past days of channel %s", sub.channel_id)
        if not closed:
            return
        first = min(day for _, day in closed)
        ids = sorted({sub.id for sub, _ in closed.values()})
        rows: dict[Key, PostRecord] = {
            (p.subscription_id, p.day): p for p in await self.store.posts_of(ids, since=first)
        }
        unposted: list[PostRecord] = []
        for key, (sub, slot) in sorted(closed.items(), key=lambda kv: (kv[0][1], kv[0][0] or 0)):
            row = rows.get(key)
            if row is not None and (row.status in ("sent", "empty", "missed") or given_up(row)):
                continue
            reason = why.pop(key, None) or (row.error if row else None) or sub.failing_reason
            if row is not None:
                await self._reconcile(sub, slot)
                error = GAVE_UP + (reason or "not completed")
                await self.store.finish_post(
                    row.subscription_id, slot.day, status="failed", error=error
                )
                reopened.append(row.model_copy(update={"status": "failed", "error": error}))
                continue
            unposted.append(self._unposted(sub, slot, now, reason))
        # Days never attempted (a month of them after a long outage): one write a page.
        for claim in await self.store.claim_posts(unposted):
            if claim.won:
                claimed.append(claim.record)
                done.add((claim.record.subscription_id, claim.record.day))

    def _unposted(self, sub: Timing, slot: Slot, now: datetime, reason: str | None) -> PostRecord:
        """The row of a day never attempted: missed (the bot was down) or failed (why)."""
        back = self.down_until(slot.due_at, slot.due_at + self.grace)
        status: Literal["missed", "failed"]
        if back is not None:
            status = "missed"
            error = f"the bot was not running; it came back at {_utc(back)}"
        else:
            status = "failed"
            error = f"not posted within the catch-up window: {reason or 'no attempt succeeded'}"
        key = sub.id
        return PostRecord(
            subscription_id=key,
            guild_id=sub.guild_id,
            channel_id=sub.channel_id,
            day=slot.day,
            source=self.digests.resolve(sub.source),
            nonce=nonce_for(key, sub.channel_id, slot.day),
            status=status,
            error=error,
            created_at=now,
        )

    async def _reconcile(self, sub: Timing, slot: Slot) -> None:
        """Best effort, bounded: adopt what a given-up post left in its channel (its whole
        subscription read only now: given up posts are few)."""
        kind = "daily" if slot.first is None else sub.cadence
        try:
            async with asyncio.timeout(self.config.schedule.post_deadline_seconds):
                digest = await period_digest(
                    self.digests, sub.source, slot.start, slot.day, kind, fetch=False
                )
                full = await self.store.get_subscription(sub.id)
                if digest is not None and full is not None:
                    await self.publisher.reconcile(full, digest)
        except Exception:
            log.exception("could not reconcile %s in channel %s", slot.day, sub.channel_id)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
