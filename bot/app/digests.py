"""Where the bot's commands and scheduler get digests and papers: the store, fetching on a miss.

Source names in subscriptions may be "default" (= `sources.default`). A source that cannot be
built from the configuration (e.g. `hotpapers-md` without a folder or URL) is served from the
store only: the bot then shows what was imported, and says so when a day is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from bot.config import Config
from bot.errors import ConfigError, SourceError, UserInputError
from bot.filters import PaperFilter, pick, view_title, window_range
from bot.models import Digest, Paper, Window
from bot.schedule import Clock, latest_complete_day, utc_now
from bot.sources.base import Source, SourceFactory
from bot.sources.cache import ensure_digest, get_digest
from bot.store.base import Store

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class HotView:
    """What `/hot` shows: the window's papers merged, filtered, ranked, cut and titled."""

    end: date
    view: Digest
    candidates: int  # distinct papers in the window before filtering
    digests: int  # digests of the window in the store (0: nothing to show at all)

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
    ) -> None:
        self.store = store
        self.config = config
        self.factory = factory
        self.clock = clock
        self._sources: dict[str, Source | None] = {}

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
        return await get_digest(
            self.store, upstream, day, now=self.clock(), config=self.config.sources
        )

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
            await ensure_digest(
                self.store, upstream, day, now=self.clock(), config=self.config.sources
            )

    async def ranked(self, source: str, end: date, window: Window, flt: PaperFilter) -> HotView:
        """`/hot`'s view of a window ending on `end` (`end` fetched on a miss).

        The same papers as `bot.filters.select` over the window's digests, but decided on
        entries (ids, scores, categories) before any paper is read; then only the papers
        shown are read, without discussion snippets (a ranked list does not show them).
        A month costs a fifth of reading its ~600 papers (bench/commands.py).
        """
        name = self.resolve(source)
        start, _ = window_range(end, window)
        await self.ensure(name, end)
        by_category = bool(flt.include or flt.exclude)
        titles, entries = await self.store.window_entries(name, start, end, categories=by_category)
        chosen, candidates = pick(entries, flt)
        papers = await self.store.entry_papers(name, chosen)
        title = view_title(end, window, titles.get(end), flt)
        view = Digest(day=end, source=name, title=title, papers=papers)
        return HotView(end=end, view=view, candidates=candidates, digests=len(titles))

    async def hot(self, source: str, day: date | None, window: Window, flt: PaperFilter) -> HotView:
        """`/hot`: the window ending on the given day, else on the latest day (as `latest`
        chooses it). The filter has no keywords (see `bot.filters.pick`)."""
        end, view = await self._latest(
            source, day, lambda name, end: self.ranked(name, end, window, flt)
        )
        if view is None:
            name = self.resolve(source)
            return HotView(end=end, view=Digest(day=end, source=name), candidates=0, digests=0)
        return view

    async def latest(self, source: str) -> tuple[date, Digest | None]:
        """(day, digest) of the latest complete day, falling back to the latest stored day when
        that one cannot be had (upstream down, not imported); None if neither exists."""
        return await self._latest(source, None, self.get)

    async def _latest(
        self, source: str, day: date | None, load: Callable[[str, date], Awaitable[T]]
    ) -> tuple[date, T | None]:
        """`load(source, day)` for the given day, else for the latest complete day, else
        (nothing found there: upstream down, not imported) for the latest stored day."""
        name = self.resolve(source)
        if day is not None:
            return day, await load(name, day)
        end = await self.default_day(name)
        found: T | None = None
        if end is not None:
            try:
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
        """A paper by version-less id: stored, else looked up on arXiv (when configured)."""
        stored = await self.store.get_paper(arxiv_id)
        if stored is not None or self.factory is None:
            return stored
        try:
            found = await self.factory.arxiv.fetch_many([arxiv_id])
        except SourceError as exc:
            log.warning("arXiv lookup of %s failed: %s", arxiv_id, exc)
            raise
        return found.get(arxiv_id)
