"""The factory that builds sources by name from the registry, and the enrichment wrapper.

Names (`bot.sources.registry.REGISTRY.names`; the default, `sources.default`, first):
    hf+arxiv             hf enriched by arXiv (categories primary first, full author lists,
                         abstracts); the upvotes stay the score
    hf                   Hugging Face Daily Papers, ranked by upvotes
    hotpapers-md         Hot Papers markdown posts ([sources.hotpapers-md] dir or url_template)
    hotpapers-md+arxiv   the same enrichment over the blog's posts

Signal sources (`REGISTRY.signals`: Hugging Face, Hacker News, Bluesky) are no names here:
`factory.signals()` builds every one that is on, once, wrapped so its outcomes reach the
source health (`report_health`, attached by the composition root) and its errors are
`SourceError`s (`bot.sources.crowds`); a blend day source asks for them through its `Context`.

`arxiv` alone is not a day source: it supplies metadata for ids, not a ranking, so it only
appears as an enrichment (or directly as `factory.arxiv`, e.g. for a paper lookup).

The factory knows no source by name: it looks the name up in the registry and calls the
spec's `fetcher` or `enricher` with itself as the `Context` (HTTP with the shared settings
of `[sources]`, throttles) and the source's own section. Every base URL comes from the config
and the `httpx.AsyncClient` from the caller, so tests and mirrors can stand in. Sleep, clock
and randomness are injectable for the same reason.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
import time
from collections.abc import Sequence
from datetime import date

import httpx

from bot.config import SourcesConfig
from bot.errors import ConfigError
from bot.models import Digest
from bot.observe import NO_OBSERVER, Observer
from bot.sources import registry
from bot.sources.arxiv import ArxivClient, ArxivSettings
from bot.sources.arxiv_listing import ArxivListing, WallClock, build_listing
from bot.sources.boundary import boundary
from bot.sources.crowds import HealthSink, ReportedSignal
from bot.sources.http import Clock, Http, Random, Sleep, Throttle
from bot.sources.metrics import MetricSet
from bot.sources.signals import SignalSource
from bot.sources.spec import Enrichment, Source

__all__ = ["SOURCE_NAMES", "EnrichedSource", "Source", "SourceFactory", "build_source"]

log = logging.getLogger(__name__)

# The names `hotpapers fetch --source` offers (taken at import; the factory asks the registry).
SOURCE_NAMES = registry.REGISTRY.names


class EnrichedSource:
    """A day source whose papers are completed by an enrichment (arXiv: one request per 100).

    If the enrichment fails the whole fetch fails (SourceError): storing unenriched papers
    would make `/hot category:…` silently miss them, and a past day is never fetched again.
    """

    def __init__(self, inner: Source, enrichment: Enrichment) -> None:
        self.inner = inner
        self.enrichment = enrichment
        self.name = f"{inner.name}+{enrichment.name}"

    async def fetch_day(self, day: date) -> Digest:
        """The inner source's digest with the enrichment's metadata merged into each paper."""
        inner, extra = self.inner.name, self.enrichment.name
        what = f"sent a day ({day}) that could not be read"
        with boundary(inner, what, title=registry.title(inner)):
            digest = await self.inner.fetch_day(day)
        if not digest.papers:
            return digest.model_copy(update={"source": self.name})
        with boundary(extra, "sent metadata that could not be read", title=registry.title(extra)):
            papers = await self.enrichment.complete(digest.papers)
            return digest.model_copy(update={"source": self.name, "papers": papers})


class SourceFactory:
    """Builds sources that share one HTTP client and one instance of each enrichment.

    Keep one factory per process (the bot builds it in its entry point): arXiv's etiquette is
    per client, so every source that talks to arXiv must share the same `Throttle`, and the
    factory builds each enrichment (with its throttle) once.
    """

    def __init__(
        self,
        config: SourcesConfig,
        client: httpx.AsyncClient,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        random: Random = _random.random,
    ) -> None:
        self.config = config
        self.client = client
        self.sleep = sleep
        self.random = random
        self.clock = clock
        self._enrichments: dict[str, Enrichment] = {}
        self._throttles: dict[str, Throttle] = {}
        self._listing: ArxivListing | None = None
        self._signals: tuple[SignalSource, ...] | None = None
        self._health: HealthSink | None = None
        self.observer: Observer = NO_OBSERVER  # set by the composition root (bot.observe)

    def report_health(self, sink: HealthSink | None) -> None:
        """Record every signal source's outcomes with `sink` (`store.record_source_health`)."""
        self._health = sink

    def signals(self) -> Sequence[SignalSource]:
        """Every signal source that is on, in registry order, built once (see module doc)."""
        if self._signals is None:
            built: list[SignalSource] = []
            for spec in registry.REGISTRY.signals:
                inner = spec.build_signal(self, self.config.sections)
                if inner is None:
                    log.info("%s: off with this configuration", spec.name)
                    continue
                built.append(ReportedSignal(inner, spec.title, health=lambda: self._health))
            self._signals = tuple(built)
        return self._signals

    def http(self, name: str, *, throttle: Throttle | None = None) -> Http:
        """An `Http` for one upstream with the configured timeout, deadline and retries."""
        return Http(
            self.client,
            name,
            timeout=self.config.timeout_seconds,
            deadline=self.config.request_deadline_seconds,
            max_retries=self.config.max_retries,
            throttle=throttle,
            sleep=self.sleep,
            random=self.random,
            clock=self.clock,
            title=registry.title(name),
            observer=self.observer,
        )

    def throttle(self, name: str, min_interval: float) -> Throttle:
        """The one throttle of upstream `name` in this factory (built on first use), so every
        source that talks to arXiv (metadata lookups, the day's listing) shares one: arXiv's
        etiquette is per client. Member requests waiting are bounded by the config."""
        if name not in self._throttles:
            self._throttles[name] = Throttle(
                min_interval,
                clock=self.clock,
                sleep=self.sleep,
                member_waiting=self.config.member_requests_waiting,
                name=name,
                title=registry.title(name),
            )
        return self._throttles[name]

    def scoring(self) -> tuple[dict[str, MetricSet], tuple[tuple[str, int], ...]]:
        """Every source's metrics by source name and the tiebreak keys, for a blend (`hot`)."""
        reg = registry.REGISTRY
        return {s.name: s.metrics for s in reg.specs if s.metrics.metrics}, reg.tiebreak

    def enrichment(self, name: str) -> Enrichment:
        """The one enrichment called `name` of this factory (built once: shared throttle)."""
        if name not in self._enrichments:
            spec = registry.REGISTRY.by_name.get(name)
            if spec is None or not spec.is_enrichment:
                raise ConfigError(f"sources: {name!r} is not an enrichment")
            self._enrichments[name] = spec.build_enrichment(self, self.config.sections)
        return self._enrichments[name]

    @property
    def arxiv(self) -> ArxivClient:
        """The one arXiv client of this factory (shared throttle), e.g. for `/paper`."""
        client = self.enrichment("arxiv")
        if not isinstance(client, ArxivClient):
            raise TypeError("the arxiv enrichment is not an ArxivClient")
        return client

    def arxiv_listing(self, *, clock: WallClock | None = None) -> ArxivListing:
        """The day's arXiv announcement (`bot.sources.arxiv_listing`), built once, over the
        same arXiv throttle as `arxiv` (one per process). `clock`: the wall clock deciding
        whether the RSS feed or the API has the day (the real one by default)."""
        if self._listing is None:
            spec = registry.REGISTRY.by_name["arxiv"]
            settings = spec.section(self.config.sections)
            if not isinstance(settings, ArxivSettings):
                raise TypeError("sources.arxiv: expected ArxivSettings")
            self._listing = build_listing(self, settings, clock=clock)
        return self._listing

    def build(self, name: str) -> Source:
        """The source called `name` ("default" means `sources.default`); else ConfigError."""
        if name == "default":
            name = self.config.default
        reg = registry.REGISTRY
        base, plus, extra = name.partition("+")
        spec = reg.by_name.get(base)
        if spec is not None and spec.is_enrichment and not plus:
            days = ", ".join(f"{d.name}+{name}" for d in reg.days[:1])
            raise ConfigError(f"sources: {name} supplies metadata, not a day's ranking; use {days}")
        if spec is not None and spec.fetcher is None and spec.is_signal and not plus:
            raise ConfigError(
                f"sources: {name} is a crowd's signal on a day's papers, not a day's ranking by "
                "itself; a blend source asks it"
            )
        if name not in reg.names or spec is None:
            raise ConfigError(f"sources: unknown source {name!r} (known: {reg.known()})")
        source = spec.build_day(self, self.config.sections)
        return EnrichedSource(source, self.enrichment(extra)) if plus else source


def build_source(
    name: str,
    config: SourcesConfig,
    client: httpx.AsyncClient,
    *,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    random: Random = _random.random,
) -> Source:
    """Build one source by name; for several, use one `SourceFactory` so arXiv is shared."""
    return SourceFactory(config, client, clock=clock, sleep=sleep, random=random).build(name)
