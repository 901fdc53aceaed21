"""`/digest why paper: [day:]`: what a channel's digest(s) did with a paper, and why.

Reads only the store (no fetch, nothing written): the paper's listing days in the source of
each digest, the day's stored digest, the ledger's rows. The day in question is the `day`
option, else the paper's newest listing day in that source (a paper posted on any of its
days is `posted`, with the link). The verdict itself is pure (`bot.why.explain`); its
sentence is `bot.services.texts.why_text`. One line per digest of the channel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from bot import arxiv_calendar as cal
from bot.errors import UserInputError
from bot.models import Subscription, stored_id
from bot.render import safe
from bot.schedule import Clock, slot_covering
from bot.services.digests import DigestService
from bot.services.outcomes import slot_of_day
from bot.services.periods import period_digest
from bot.services.subscriptions import Where, find
from bot.services.texts import (
    fit_lines,
    no_subscription_text,
    parse_day,
    parse_paper_id,
    why_text,
)
from bot.sources.registry import WHOLE
from bot.store.base import Store
from bot.taxonomy import MAX_CHOICES, fit
from bot.why import (
    DayFacts,
    NotListed,
    Posted,
    Verdict,
    explain,
    period_of,
    posted_link,
    sent_with,
)


class WhyService:
    """`/digest why` over the store and the ledger."""

    def __init__(
        self, store: Store, digests: DigestService, *, clock: Clock, grace: timedelta
    ) -> None:
        self.store = store
        self.digests = digests
        self.clock = clock
        self.grace = grace  # the catch-up window: past it, a day with no row was not posted

    async def verdict(self, arxiv_id: str, sub: Subscription, day: date | None) -> Verdict:
        """What `sub` did with the paper on `day` (None: its listing days), and why."""
        source = self.digests.resolve(sub.source)
        lag = self.digests.lag_days
        posts = await self.store.list_posts(subscription_id=stored_id(sub), arxiv_id=arxiv_id)
        days = tuple(d for _, d in await self.store.paper_days(arxiv_id, source))
        if day is None:
            sent = sent_with(arxiv_id, posts, sub.guild_id)
            if sent is not None:
                link = posted_link(sent, sub.guild_id)
                assert link is not None  # `sent_with` keeps only posts with a link
                return Posted(sent.day, link)
            if not days:
                return NotListed(None, source)
            day = days[0]
        slot = period_of(sub, day, lag_days=lag)
        key = slot.day if slot is not None else day
        record = await self.store.get_post(stored_id(sub), key)
        if slot is None and record is not None:  # a day off posted by `post-now date:`
            slot = slot_covering(sub, day, lag_days=lag)
        digest = None
        if slot is not None:
            kind = "daily" if slot.first is None else sub.cadence
            digest = await period_digest(self.digests, source, slot.start, key, kind, fetch=False)
        facts = DayFacts(
            day=key,
            source=source,
            digests=[digest] if digest is not None else [],
            record=record,
            slot=slot,
            posted=posts,
            no_announcement=cal.no_announcement(key) if source in WHOLE else None,
            listed_on=days,
        )
        return explain(arxiv_id, sub, facts, now=self.clock(), grace=self.grace)

    def span(self, sub: Subscription) -> Callable[[date], str]:
        """How replies name a post of `sub` by its key day: the day, a week, a month."""

        def named(key: date) -> str:
            slot = slot_of_day(sub, key, self.digests.lag_days)
            if slot.first is None or slot.day != key:
                return key.isoformat()
            if sub.cadence == "monthly":
                return f"{key:%B %Y}"
            return f"the week {slot.first} – {key}"

        return named

    async def why(
        self, where: Where, paper: str, day_text: str | None = None, name: str | None = None
    ) -> str:
        """The reply: the paper, then one line per digest of the channel (or the one named)
        with its verdict."""
        arxiv_id = parse_paper_id(paper)
        day = parse_day(day_text, today=self.clock().date())
        if name is not None:
            subs = [await find(self.store, where, name)]
        else:
            channel_id = where.channel_id()
            found = await self.store.list_subscriptions(channel_id=channel_id)
            subs = [s for s in found if s.guild_id == where.guild_id]
            if not subs:
                raise UserInputError(no_subscription_text(channel_id, None))
        known = await self.store.get_paper(arxiv_id)
        title = f" · {safe(known.title, 200)}" if known is not None else ""
        head = [f"**arXiv:{arxiv_id}**{title}"]
        lines = []
        for sub in subs:
            text = why_text(await self.verdict(arxiv_id, sub, day), self.span(sub))
            lines.append(f"<#{sub.channel_id}> **{sub.name}**: {text}")
        return fit_lines(head, lines)

    async def suggest(
        self, where: Where, current: str, name: str | None = None
    ) -> list[tuple[str, str]]:
        """`paper`'s autocomplete: (label, id) of the papers of the channel's digest's latest
        stored day whose id or title holds what is typed, in rank order (at most 25)."""
        try:
            sub = await find(self.store, where, name)
        except UserInputError:  # no digest, or several and no name yet: the first one's
            subs = await self.store.list_subscriptions(channel_id=where.channel_id())
            if not subs:
                return []
            sub = subs[0]
        source = self.digests.resolve(sub.source)
        latest = await self.store.latest_day(source)
        digest = await self.store.get_digest(source, latest) if latest is not None else None
        typed = current.strip().casefold()
        out: list[tuple[str, str]] = []
        for p in digest.papers if digest is not None else []:
            if typed in p.arxiv_id or typed in p.title.casefold():
                out.append((fit(f"{p.arxiv_id} — {p.title}"), p.arxiv_id))
        return out[:MAX_CHOICES]
