"""Where the bot's commands and scheduler get digests and papers: the store, fetching on a miss.

Source names in subscriptions may be "default" (= `sources.default`). A source that cannot be
built from the configuration (e.g. `hotpapers-md` without a folder or URL) is served from the
store only: the bot then shows what was imported, and says so when a day is missing.

Two kinds of callers, with different rights upstream:

- **The scheduler** (`get`, `ensure`): always fetches a missing day, and its arXiv requests
  go first in the shared throttle.
- **Members** (`hot`, `ranked`, `latest`, `paper`; also `/digest preview` and `post-now`):
  bounded work. A date outside arXiv's life is a `UserInputError` before anything else; a day
  older than `sources.fetch_horizon_days` is answered from the store or is a `NotKeptError`,
  never fetched; an unknown arXiv id or a day upstream has no post for is remembered for
  `sources.negative_cache_minutes` (a failure for `FAILURE_COOLDOWN`) and not asked again
  meanwhile; at most `sources.member_requests_waiting` member fetches run at once and their
  arXiv requests wait behind the scheduled ones; one more is a `BusyError` at once. So no
  member can delay the scheduled fetch or make the bot do unbounded upstream work.

A day whose source says arXiv announced nothing (`NoAnnouncement`: a weekend, a holiday) is
an empty digest carrying the reason (`Digest.no_announcement`, `closed_day`), for both kinds
of callers: the ledger, the empty-day notice, `/history`, `/digest status`, `/hot` and
post-now then say "no arXiv announcement on Saturdays", never "the source had none". It is
not stored (the calendar answers it again at no cost) and not counted against the source.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from bot import arxiv_calendar as cal
from bot.config import Config
from bot.errors import (
    BusyError,
    ConfigError,
    NoAnnouncement,
    NotKeptError,
    SourceError,
    UpstreamMissingError,
    UserInputError,
)
from bot.filters import PaperFilter, pick, view_title, window_range
from bot.models import Digest, DigestMeta, Paper, SourceHealth, Window
from bot.schedule import Clock, latest_complete_day, utc_now
from bot.services.fetching import FetchLocking, OneFetcher
from bot.sources.base import Source, SourceFactory
from bot.sources.blend import Covering, archives_for
from bot.sources.cache import check_day, covers, ensure_digest, get_digest, is_fresh
from bot.sources.negative import Remembered
from bot.sources.priority import on_behalf_of_member
from bot.sources.registry import title
from bot.store.base import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

FAILURE_COOLDOWN = timedelta(minutes=1)  # a member's failed fetch is not retried sooner


@dataclass(frozen=True)
class HotView:
    """What `/hot` shows: the window's papers merged, filtered, ranked, cut and titled."""

    end: date
    view: Digest
    candidates: int  # distinct papers in the window before filtering
    digests: int  # digests of the window in the store (0: nothing to show at all)
    window_title: str = ""  # the window's title without the filter (`view.title` has it)
    no_announcement: str | None = None  # a day's view: arXiv announced nothing that day

    def __bool__(self) -> bool:
        """Whether any digest of the window is stored (`_latest` falls back when not)."""
        return self.digests > 0


class DigestService:
    """Digests and papers by (source, day), from the store and, on a miss, from upstream."""

    def __init__(
        self,
        store: Store,
        config: Config,
        factory: SourceFactory | None = None,
        *,
        clock: Clock = utc_now,
        fetch_locking: FetchLocking | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.factory = factory
        self.clock = clock
        # Several processes on the store: one fetches each source (bot.services.fetching).
        self.fetcher = OneFetcher(store, config.sources, clock, fetch_locking)
        self._sources: dict[str, Source | None] = {}
        self._missing_days: Remembered[tuple[str, date, tuple[str, ...]]] = Remembered()
        self._missing_ids: Remembered[str] = Remembered()
        self._member_fetches: dict[str, int] = {}  # per upstream: one busy source is not all
        self._covers: dict[
            str, tuple[Source, Covering | None]
        ] = {}  # `_covering`, per built source

    @property
    def lag_days(self) -> int:
        """How many days a source day takes to be complete."""
        return self.config.sources.day_lag_days

    def resolve(self, source: str) -> str:
        """The real source name ("default" means `sources.default`)."""
        return self.config.sources.default if source in ("", "default") else source

    def source(self, name: str) -> Source | None:
        """The upstream source called `name`, or None when it is served from the store only."""
        name = self.resolve(name)
        if name not in self._sources:
            built: Source | None = None
            if self.factory is not None:
                try:
                    built = self.factory.build(name)
                except ConfigError as exc:
                    log.warning("source %s is store-only: %s", name, exc)
            self._sources[name] = built
        return self._sources[name]

    async def outage(self, source: str) -> list[SourceHealth] | None:
        """The store's source health when `source` is an upstream source that is failing now
        (so a reply can say which source and since when); None when it answers, or when it
        is served from the store only (then a missing day is simply not imported)."""
        name = self.resolve(source)
        if self.source(name) is None:
            return None
        health = list(await self.store.source_health())
        return health if any(h.source == name and not h.ok for h in health) else None

    async def archives(self, source: str, categories: Sequence[str] = ()) -> list[str]:
        """The arXiv archives a request of a covering source (`hot`) needs: those of the
        included `categories`; with none, every enabled subscription's to that source (a
        subscription naming no category: `[sources.hot] archives`). [] for other sources."""
        name = self.resolve(source)
        upstream = self._covering(name)
        if upstream is None:
            return []
        if categories:
            return archives_for(categories) or list(upstream.archives)
        wanted: set[str] = set()
        for sub in await self.store.list_subscriptions(enabled_only=True):
            if self.resolve(sub.source) == name:
                wanted.update(archives_for(sub.categories) or upstream.archives)
        return sorted(wanted) or list(upstream.archives)

    def _covering(self, name: str) -> Covering | None:
        """The built source of `name` if it is `Covering`, else None (asked per `/hot`: a
        Protocol's isinstance checks every member, so the answer is kept per built source)."""
        upstream = self.source(name)
        if upstream is None:
            return None
        known = self._covers.get(name)
        if known is None or known[0] is not upstream:
            known = self._covers[name] = (
                upstream,
                upstream if isinstance(upstream, Covering) else None,
            )
        return known[1]

    async def stored(self, source: str, day: date) -> Digest | None:
        """The stored digest of a day, without asking upstream."""
        return await self.store.get_digest(self.resolve(source), day)

    async def get(self, source: str, day: date) -> Digest | None:
        """The digest of a day: stored, or fetched and stored. None if store-only and absent.

        Raises SourceError when upstream fails and nothing of that day is stored.
        """
        upstream = self.source(source)
        if upstream is None:
            return await self.stored(source, day)
        try:
            archives = await self.archives(source)
            return await self.fetcher.run(
                upstream.name,
                day,
                lambda: get_digest(
                    self.store,
                    upstream,
                    day,
                    now=self.clock(),
                    config=self.config.sources,
                    archives=archives,
                ),
            )
        except NoAnnouncement as exc:
            return closed_day(self.resolve(source), day, exc)

    async def default_day(self, source: str) -> date | None:
        """The day `/hot` shows by default: the latest complete day, else the latest stored."""
        name = self.resolve(source)
        if self.source(name) is not None:
            return latest_complete_day(self.clock(), self.lag_days)
        return await self.store.latest_day(name)

    async def ensure(self, source: str, day: date) -> None:
        """Make sure a day is stored (fetched on a miss), without reading it back."""
        upstream = self.source(source)
        if upstream is not None:
            with contextlib.suppress(NoAnnouncement):  # no announcement: nothing to store
                archives = await self.archives(source)
                await self.fetcher.run(
                    upstream.name,
                    day,
                    lambda: ensure_digest(
                        self.store,
                        upstream,
                        day,
                        now=self.clock(),
                        config=self.config.sources,
                        archives=archives,
                    ),
                )

    async def ranked(
        self,
        source: str,
        end: date,
        window: Window,
        flt: PaperFilter,
        *,
        known: DigestMeta | None = None,
    ) -> HotView:
        """`/hot`'s view of a window ending on `end` (`end` fetched on a miss).

        The same papers as `bot.filters.select` over the window's digests, but decided on
        entries (ids, scores, categories) before any paper is read; then only the papers
        shown are read, without discussion snippets (a ranked list does not show them).
        A month costs a fifth of reading its ~600 papers (bench/commands.py).

        `known`: the stored meta of `end` the caller already read (`/hot`'s cache key), used
        instead of reading it again (twice) unless a fetch ran in between.
        """
        name = self.resolve(source)
        check_day(end, self.clock())
        start, _ = window_range(end, window)
        if known is not None and (known.source, known.day) != (name, end):
            known = None
        try:
            archives = await self.archives(name, flt.include)
            if await self.ensure_for_member(name, end, archives, known=known):
                known = None  # fetched: what was known of the day may have changed
        except NoAnnouncement as exc:
            if window == "day":
                return HotView(
                    end=end,
                    view=closed_day(name, end, exc),
                    candidates=0,
                    digests=0,
                    no_announcement=exc.reason,
                )
            # a week or month ending on such a day: the window's other days still count
        by_category = bool(flt.include or flt.exclude)
        titles, entries = await self.store.window_entries(name, start, end, categories=by_category)
        chosen, candidates = pick(entries, flt)
        papers = await self.store.entry_papers(name, chosen)
        title = view_title(end, window, titles.get(end), flt)
        view = Digest(day=end, source=name, title=title, papers=papers)
        plain = view_title(end, window, titles.get(end), PaperFilter())
        meta = known if known is not None else await self.store.digest_meta(name, end)
        if meta is not None and (meta.signals_ok or meta.signals_failed):
            view = view.model_copy(
                update={"signals_ok": meta.signals_ok, "signals_failed": meta.signals_failed}
            )
        return HotView(
            end=end, view=view, candidates=candidates, digests=len(titles), window_title=plain
        )

    async def hot(
        self,
        source: str,
        day: date | None,
        window: Window,
        flt: PaperFilter,
        *,
        known: DigestMeta | None = None,
    ) -> HotView:
        """`/hot`: the window ending on the given day, else on the latest day (as `latest`
        chooses it). The filter has no keywords (see `bot.filters.pick`). `known`: a stored
        day's meta already read (`ranked` uses it for that day only)."""
        if day is not None:
            self.check_date(day)
        end, view = await self._latest(
            source, day, lambda name, end: self.ranked(name, end, window, flt, known=known)
        )
        if view is None or view.no_announcement:
            if view is not None:
                return view
            name = self.resolve(source)
            return HotView(end=end, view=Digest(day=end, source=name), candidates=0, digests=0)
        return view

    async def latest(self, source: str) -> tuple[date, Digest | None]:
        """(day, digest) of the latest complete day, falling back to the latest stored day when
        that one cannot be had (upstream down, not imported); None if neither exists.

        A member's request (`/digest preview`, `post-now`): bounded as the module says."""
        return await self._latest(source, None, self.get_for_member)

    async def _latest(
        self, source: str, day: date | None, load: Callable[[str, date], Awaitable[T]]
    ) -> tuple[date, T | None]:
        """`load(source, day)` for the given day, else for the latest complete day (the last
        one arXiv announced, when the source says the latest had no announcement), else
        (nothing found there: upstream down, not imported) for the latest stored day."""
        name = self.resolve(source)
        if day is not None:
            return day, await load(name, day)
        end = await self.default_day(name)
        found: T | None = None
        if end is not None:
            try:
                found = await load(name, end)
                if getattr(found, "no_announcement", None):  # a weekend: the listing before
                    end = cal.previous_day(end)
                    found = await load(name, end)
            except SourceError as exc:
                log.warning("latest day of %s unavailable, using the stored one: %s", name, exc)
        if not found:
            stored = await self.store.latest_day(name)
            if stored is not None and stored != end:
                return stored, await load(name, stored)
        if end is None:
            raise UserInputError(
                f"No digest is stored yet for source {name}; import one with `hotpapers import`."
            )
        return end, found  # None: upstream failed and nothing of that day is stored

    async def paper(self, arxiv_id: str) -> Paper | None:
        """A paper by version-less id: stored, else looked up on arXiv (when configured).

        An id arXiv does not know is remembered (`sources.negative_cache_minutes`) and answered
        None without asking again; a failed lookup is repeated from memory for a minute.
        Raises SourceError (arXiv failed) or BusyError (too many member requests waiting).
        """
        stored = await self.store.get_paper(arxiv_id)
        if stored is not None or self.factory is None:
            return stored
        now = self.clock()
        miss = self._missing_ids.get(arxiv_id, now)
        if miss is not None:
            if miss.error is not None:
                raise _again(miss.error)
            return None
        try:
            async with self._member_budget("arxiv"):
                found = await self.factory.arxiv.fetch_many([arxiv_id])
        except SourceError as exc:
            log.warning("arXiv lookup of %s failed: %s %s", arxiv_id, exc, exc.detail)
            self._missing_ids.remember(arxiv_id, now, FAILURE_COOLDOWN, exc)
            raise
        paper = found.get(arxiv_id)
        if paper is None:
            self._missing_ids.remember(arxiv_id, now, self._negative_ttl)
        return paper

    # --- bounded member work ----------------------------------------------------------------

    @property
    def _negative_ttl(self) -> timedelta:
        return timedelta(minutes=self.config.sources.negative_cache_minutes)

    @property
    def horizon(self) -> date:
        """The oldest day fetched for a member; older days come from the store only."""
        return self.clock().date() - timedelta(days=self.config.sources.fetch_horizon_days)

    def check_date(self, day: date) -> None:
        """A UserInputError for a day arXiv cannot have (before 1991-08-14, after tomorrow UTC).

        Pure and instant: cogs may call it before deferring."""
        check_day(day, self.clock())

    async def ensure_for_member(
        self,
        source: str,
        day: date,
        archives: Sequence[str] = (),
        *,
        known: DigestMeta | None = None,
    ) -> bool:
        """Make sure a day is stored for a member's command, within the member's bounds.

        Fetches only a day within the horizon that is not stored fresh, not remembered as
        missing, and only when fewer than `sources.member_requests_waiting` member fetches
        are running. Raises UserInputError (date outside arXiv's life), NotKeptError (too old
        and not stored), BusyError (too many member requests) or SourceError (upstream failed
        now or recently, and nothing of that day is stored). True when a fetch ran.

        `known`: the day's stored meta as the caller just read it (not read again).
        """
        name = self.resolve(source)
        now = self.clock()
        check_day(day, now)
        upstream = self.source(name)
        if upstream is None:
            return False
        if known is not None and (known.source, known.day) == (name, day):
            meta: DigestMeta | None = known
        else:
            meta = await self.store.digest_meta(name, day)
        covered = not archives or covers(meta, archives)
        if is_fresh(meta, now, self.config.sources) and covered:
            return False
        if day < self.horizon:
            if meta is not None:
                return False  # stored, if stale: answered from the store, never fetched again
            days = self.config.sources.fetch_horizon_days
            raise NotKeptError(
                f"{day.isoformat()} is older than {days} days and is not kept here; "
                f"I fetch only the last {days} days. Try a date since {self.horizon.isoformat()}."
            )
        key = (name, day, tuple(archives))
        miss = self._missing_days.get(key, now)
        if miss is not None:
            if meta is not None:
                return False  # the stored (stale) digest stands in, as after a failed fetch
            assert miss.error is not None
            raise _again(miss.error)
        try:
            async with self._member_budget(name):
                deadline = self.config.schedule.fetch_deadline_seconds
                try:
                    async with asyncio.timeout(deadline):
                        await self.fetcher.run(
                            name,
                            day,
                            lambda: ensure_digest(
                                self.store,
                                upstream,
                                day,
                                now=now,
                                config=self.config.sources,
                                archives=archives,
                            ),
                        )
                except TimeoutError:
                    raise SourceError(
                        f"{title(name)} did not send {day.isoformat()} within {deadline:g} s."
                    ) from None
        except UpstreamMissingError as exc:
            self._missing_days.remember(key, now, self._negative_ttl, exc)
            raise
        except SourceError as exc:
            self._missing_days.remember(key, now, FAILURE_COOLDOWN, exc)
            raise
        return True

    async def get_for_member(self, source: str, day: date) -> Digest | None:
        """A day for a member's command (`/digest post-now date:`): stored, or fetched within
        the member's bounds (`ensure_for_member`); None if store-only and absent. A day
        arXiv announced nothing is an empty digest saying so (`Digest.no_announcement`)."""
        try:
            await self.ensure_for_member(source, day, await self.archives(source))
        except NoAnnouncement as exc:
            return closed_day(self.resolve(source), day, exc)
        return await self.stored(source, day)

    @asynccontextmanager
    async def _member_budget(self, name: str) -> AsyncIterator[None]:
        """One of the few member fetches allowed at once, its requests after scheduled ones."""
        running = self._member_fetches.get(name, 0)
        if running >= self.config.sources.member_requests_waiting:
            raise BusyError(
                f"{title(name)} is busy with other requests right now; try again in a minute."
            )
        self._member_fetches[name] = running + 1
        try:
            with on_behalf_of_member():
                yield
        finally:
            self._member_fetches[name] -= 1


def _again(error: SourceError) -> SourceError:
    """A fresh copy of a remembered error (same type and sentence) to raise once more."""
    return type(error)(str(error), detail=error.detail)


def closed_day(source: str, day: date, why: NoAnnouncement) -> Digest:
    """The empty digest of a day its source had no announcement for, saying why."""
    return Digest(day=day, source=source, no_announcement=why.reason)
