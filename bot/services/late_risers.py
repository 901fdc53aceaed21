"""Late risers: finds the papers a subscription's follow-ups are owed and has them sent once.

`LateRisers.check(sub)` is the one call the scheduler makes (after a subscription's post,
at its first tick in a process, and every `RECHECK` after): it resumes the subscription's
open follow-ups (a crash or a failed send left them `pending` or `failed`), then ranks the
week ending on its newest sent post as `/hot window:week` would for its filters, asks the
pure core (`bot.late_risers.climbers`) who deserves a follow-up, claims each in the
follow-up ledger and has it delivered (`bot.delivery.followup`). Reads only the week: one
query of the week's entries, the top K papers, a few ledger rows.

It never touches the subscription's own state (failing, enabled): a follow-up that cannot be
sent is recorded `failed` on its row, tried again at the next check, `MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta

from bot.delivery.followup import FollowUpPoster
from bot.filters import select
from bot.late_risers import (
    CADENCES,
    climbers,
    end_of_week,
    followup_nonce,
    followup_text,
    top_of_week,
    week,
    week_filter,
)
from bot.models import Entry, FollowUp, Paper, Subscription
from bot.schedule import Clock, utc_now
from bot.store.base import Store
from bot.store.subscriptions import Timing

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a follow-up that failed this often is given up (its row says why)
RECHECK = timedelta(hours=6)  # crowds keep counting: look again this often, not every tick
LOOKBACK = timedelta(days=7)  # a subscription that has not posted for a week is not checked
# What `wanted` and `due` read: the model, or the scheduler's light row of it (bot.app.scan).
Asking = Subscription | Timing


class LateRisers:
    """The follow-ups of subscriptions with `late_risers` > 0 (see the module)."""

    def __init__(
        self,
        store: Store,
        poster: FollowUpPoster,
        *,
        default_source: str = "default",
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.poster = poster
        self.default_source = default_source
        self.clock = clock
        self.deadline: float | None = None  # one check's bound (None: the post deadline)
        self._locks: dict[int, asyncio.Lock] = {}
        self._checked: dict[int, datetime] = {}

    @staticmethod
    def wanted(sub: Asking) -> bool:
        """Whether `sub` asks for follow-ups at all."""
        return (
            sub.late_risers > 0
            and sub.id is not None
            and sub.enabled
            and not sub.paused
            and sub.cadence in CADENCES
        )

    def due(self, sub: Asking, now: datetime, *, posted: bool = False) -> bool:
        """Whether to check `sub` now: it just posted, or it was not checked in this
        process yet (a restart resumes what a crash left), or not for `RECHECK`."""
        if not self.wanted(sub) or sub.id is None:
            return False
        last = self._checked.get(sub.id)
        return posted or last is None or now - last >= RECHECK

    def last_checked(self, sub: Asking) -> datetime:
        """When `sub` was last checked in this process (long ago: never)."""
        return self._checked.get(sub.id or 0, datetime.min.replace(tzinfo=UTC))

    def _source(self, sub: Subscription) -> str:
        return self.default_source if sub.source in ("", "default") else sub.source

    async def check(self, sub: Subscription) -> list[FollowUp]:
        """Resume `sub`'s open follow-ups and send the ones it deserves now; the rows touched."""
        if not self.wanted(sub) or sub.id is None:
            return []
        sid = sub.id
        lock = self._locks.setdefault(sid, asyncio.Lock())
        async with lock:
            now = self.clock()
            self._checked[sid] = now
            since = now.date() - LOOKBACK
            touched: list[FollowUp] = []
            for fu in await self.store.list_followups(subscription_id=sid, since=since):
                if fu.status == "pending" or (fu.status == "failed" and fu.attempts < MAX_ATTEMPTS):
                    touched.append(await self.poster.deliver(fu, resuming=True))
            posts = await self.store.list_posts(subscription_id=sid, since=since)
            end = end_of_week(posts)
            if end is None:
                return touched
            start, _ = week(end)
            name = self._source(sub)
            _, entries = await self.store.window_entries(name, start, end, categories=True)
            ranked = await self._ranked(sub, name, start, end, entries)
            followed = {
                pid for pid in ranked if await self.store.get_followup(sid, pid) is not None
            }
            week_posts = [p for p in posts if start <= p.day <= end]
            for c in climbers(sub, list(ranked), entries, week_posts, followed):
                if await self.store.list_posts(subscription_id=sid, arxiv_id=c.arxiv_id):
                    continue  # posted by this subscription before the week
                claim = await self.store.claim_followup(
                    FollowUp(
                        subscription_id=sid,
                        arxiv_id=c.arxiv_id,
                        day=c.post.day,
                        channel_id=c.post.channel_id,
                        place_id=c.place_id,
                        rank=c.rank,
                        content=followup_text(ranked[c.arxiv_id], c.rank),
                        nonce=followup_nonce(sid, c.arxiv_id),
                        created_at=now,
                    )
                )
                log.info("subscription %s: %s climbed to #%d", sid, c.arxiv_id, c.rank)
                touched.append(await self.poster.deliver(claim.record, resuming=not claim.won))
            return touched

    async def _ranked(
        self, sub: Subscription, name: str, start: date, end: date, entries: list[Entry]
    ) -> dict[str, Paper]:
        """The week's top K for `sub`, best first, each with its best entry's counts."""
        if sub.keywords:  # keywords match text: whole digests (`bot.filters.pick` says why)
            digests = await self.store.digests_between(name, start, end)
            view = select(digests, week_filter(sub), end=end, window="week", source=name)
            papers = view.papers
        else:
            papers = await self.store.entry_papers(name, top_of_week(sub, entries))
        return {p.arxiv_id: p for p in papers}
