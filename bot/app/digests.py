"""Where the bot's commands and scheduler get digests and papers: the store, fetching on a miss.

Source names in subscriptions may be "default" (= `sources.default`). A source that cannot be
built from the configuration (e.g. `hotpapers-md` without a folder or URL) is served from the
store only: the bot then shows what was imported, and says so when a day is missing.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from bot.config import Config
from bot.errors import ConfigError, SourceError, UserInputError
from bot.filters import window_range
from bot.models import Digest, Paper, Window
from bot.schedule import Clock, latest_complete_day, utc_now
from bot.sources.base import Source, SourceFactory
from bot.sources.cache import get_digest
from bot.store.base import Store

log = logging.getLogger(__name__)


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

    async def window(self, source: str, end: date, window: Window) -> list[Digest]:
        """The digests of a window ending on `end`: `end` itself (fetched on a miss) and the
        other stored days (a week or month is not fetched day by day on a command).

        The other days come without their papers' discussion snippets: a window is shown as a
        ranked list, which does not show them, and they are much of a month's reading cost.
        """
        name = self.resolve(source)
        start, _ = window_range(end, window)
        out: list[Digest] = []
        last = await self.get(name, end)
        if last is not None:
            out.append(last)
        if start < end:
            out.extend(
                await self.store.digests_between(name, start, end - timedelta(days=1), tweets=False)
            )
        return out

    async def latest_window(
        self, source: str, day: date | None, window: Window
    ) -> tuple[date, list[Digest]]:
        """(end day, digests) for `/hot`: the given day, else the latest complete day, falling
        back to the latest stored day when that one cannot be had (upstream down, not imported).
        """
        name = self.resolve(source)
        if day is not None:
            return day, await self.window(name, day, window)
        end = await self.default_day(name)
        found: list[Digest] = []
        if end is not None:
            try:
                found = await self.window(name, end, window)
            except SourceError as exc:
                log.warning("latest day of %s unavailable, using the stored one: %s", name, exc)
        if not found:
            stored = await self.store.latest_day(name)
            if stored is not None and stored != end:
                return stored, await self.window(name, stored, window)
        if end is None:
            raise UserInputError(
                f"No digest is stored yet for source {name}; import one with `hotpapers import`."
            )
        return end, found

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
