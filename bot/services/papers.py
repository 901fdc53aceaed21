"""`/hot` and `/paper`: what channel members ask. Plain data in, rendered payloads out.

Both read the store and, on a miss, upstream within a member's bounds (`DigestService`). Each
is two steps: `hot_request` / `paper_id` check the arguments at once (pure: a typo is answered
before anything is charged or fetched), then `hot` / `paper` do the work. Between them the cog
charges the member's budget, so only a valid request costs one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from bot import limits
from bot.errors import UserInputError
from bot.filters import PaperFilter, build_filter, check_window
from bot.models import DigestMeta, PostRecord, Window
from bot.render import escape, render_digest, render_paper, truncate
from bot.schedule import Clock, latest_complete_day
from bot.services.digests import DigestService
from bot.services.hot_cache import HotCache, key_for
from bot.services.texts import (
    message_link,
    no_announcement_text,
    parse_day,
    parse_paper_id,
    source_down_text,
)
from bot.sources.registry import title as source_title
from bot.store.base import Store

Payload = dict[str, Any]
SOURCE = "default"  # /hot and /paper read `sources.default`


@dataclass(frozen=True)
class HotRequest:
    """A checked `/hot`: the filter (categories, limit), the window, and the day it ends on
    (None: the latest day available)."""

    filter: PaperFilter
    window: Window
    day: date | None


@lru_cache(maxsize=1024)
def _hot_filter(category: str | None, limit: int) -> PaperFilter:
    """`/hot`'s filter of its options: pure (the taxonomy is bundled), so kept per option pair
    (each command checks its options; the same few are typed again and again). A bad option
    raises and is not kept. A `PaperFilter` is frozen: one may be shared."""
    return build_filter(categories=category, limit=limit)


def posted_note(arxiv_id: str, guild_id: int, posts: list[PostRecord]) -> str:
    """`/paper`'s line on when (and where) the paper was posted in this server."""
    sent = [p for p in posts if p.status == "sent"]
    if not sent:
        return f"arXiv:{arxiv_id} has not been posted in this server yet."
    parts = []
    for p in sent[:5]:
        where = f"<#{p.channel_id}>"
        if p.message_ids:
            where = f"{where} ([jump]({message_link(guild_id, p.channel_id, p.message_ids[0])}))"
        parts.append(f"{where} in the digest of {p.day.isoformat()}")
    more = f" and {len(sent) - 5} more" if len(sent) > 5 else ""
    return f"Posted in this server: {'; '.join(parts)}{more}."


class PapersService:
    """`/hot` and `/paper` over the digests and the post ledger."""

    def __init__(self, store: Store, digests: DigestService, *, clock: Clock) -> None:
        self.store = store
        self.digests = digests
        self.clock = clock
        self.cache = HotCache()

    def hot_request(
        self, category: str | None, date_text: str | None, window: str, limit: int
    ) -> HotRequest:
        """Check `/hot`'s arguments (no I/O): a bad category, window or date, or a day not
        complete yet (when it would be fetched), is a UserInputError."""
        flt = _hot_filter(category, limit)
        span = check_window(window)
        day = parse_day(date_text, today=self.clock().date())
        if day is not None:
            latest = latest_complete_day(self.clock(), self.digests.lag_days)
            if day > latest and self.digests.source(SOURCE) is not None:
                raise UserInputError(
                    f"{day} is not complete yet; the latest complete day is {latest}."
                )
        return HotRequest(filter=flt, window=span, day=day)

    async def hot(self, request: HotRequest) -> list[Payload]:
        """The most-discussed papers of the window, one compact digest; a line saying so when
        the filter leaves none; a UserInputError (why) when there is no digest at all.

        The answer over a final day is kept and served again (`HotCache`)."""
        meta = await self._final_meta(request)
        key = key_for(meta, request.window, request.filter) if meta is not None else None
        payloads = self.cache.get(key) if key is not None else None
        stored = True  # a stored day's answer (not a day without announcement)
        if payloads is not None and key is not None:
            end = key[1]
        else:
            end, payloads, stored = await self._answer(request, meta)
            if key is not None and key[1] == end and stored:
                self.cache.put(key, payloads)
        if request.day is None and stored:
            payloads = await self._stale_note(end, payloads)
        return payloads

    async def _final_meta(self, request: HotRequest) -> DigestMeta | None:
        """The stored meta of a one-day `/hot`'s final day past the lag (its cache key is made
        of it; the answer reuses it, not reading it again), else None."""
        if request.window != "day":
            return None
        day = request.day
        if day is not None:
            self.digests.check_date(day)  # what `hot` would refuse is refused before the cache
        else:
            day = await self.digests.default_day(SOURCE)
        if day is None or day > latest_complete_day(self.clock(), self.digests.lag_days):
            return None
        meta = await self.store.digest_meta(self.digests.resolve(SOURCE), day)
        if meta is None or not meta.final:
            return None
        return meta

    async def _answer(
        self, request: HotRequest, meta: DigestMeta | None = None
    ) -> tuple[date, list[Payload], bool]:
        """The window's day, its rendered answer, and whether it is a stored day's (False: a
        day without announcement, said as such), from the store (and upstream). `meta`: the
        day's stored meta as `_final_meta` read it."""
        flt = request.filter
        hot = await self.digests.hot(SOURCE, request.day, request.window, flt, known=meta)
        if hot.no_announcement:
            text = no_announcement_text(hot.end, hot.no_announcement)
            return hot.end, [{"content": text}], False
        if not hot:
            raise UserInputError(await self._missing(hot.end))
        if not hot.view.papers and hot.candidates:
            text = (
                f"None of the {hot.candidates} hot papers of "
                f"{escape(truncate(hot.window_title or hot.view.title, 300))} match "
                f"{escape(truncate(flt.describe(), 1200))}."
            )
            return hot.end, [{"content": truncate(text, limits.CONTENT)}], True
        return hot.end, render_digest(hot.view, "compact"), True

    async def _missing(self, day: date) -> str:
        """Why a day has no digest: the source is unreachable (since when), or it has none."""
        name = self.digests.resolve(SOURCE)
        health = await self.digests.outage(SOURCE)
        if health is not None:
            return source_down_text(name, health)
        return f"There is no digest for {day} yet (source: {name}). Try another date as YYYY-MM-DD."

    async def _stale_note(self, end: date, payloads: list[Payload]) -> list[Payload]:
        """Say so when the latest day could not be had and an older stored day is shown."""
        latest = latest_complete_day(self.clock(), self.digests.lag_days)
        if end == latest or not payloads or await self.digests.outage(SOURCE) is None:
            return payloads
        note = (
            f"-# {source_title(self.digests.resolve(SOURCE))} cannot be reached right now, "
            f"so this is the latest stored day, not {latest}."
        )
        first = dict(payloads[0])
        first["content"] = truncate(f"{note}\n{first.get('content', '')}".strip(), limits.CONTENT)
        return [first, *payloads[1:]]

    def paper_id(self, text: str) -> str:
        """`/paper`'s argument as a version-less arXiv id (no I/O); UserInputError if not one."""
        return parse_paper_id(text)

    async def paper(self, arxiv_id: str, guild_id: int | None) -> Payload:
        """One paper with its metrics and, in a server, where it was posted there and its
        votes there (👍, from the buttons on posts)."""
        found = await self.digests.paper(arxiv_id)
        if found is None:
            raise UserInputError(
                f"arXiv:{arxiv_id} has not been in any digest I know of, so I have no "
                "metrics for it. Check the id, or see https://arxiv.org/abs/" + arxiv_id
            )
        note = ""
        if guild_id is not None:
            posts = await self.store.list_posts(guild_id=guild_id, arxiv_id=arxiv_id)
            votes = (await self.store.vote_counts(guild_id, [arxiv_id])).get(arxiv_id, 0)
            note = f"{posted_note(arxiv_id, guild_id, posts)}\n👍 {votes} in this server."
        return render_paper(found, note=note)
