"""The factory that builds sources by name from the registry, and the enrichment wrapper.

Names (`bot.sources.registry.REGISTRY.names`; the default, `sources.default`, first):
    hf+arxiv             hf enriched by arXiv (categories primary first, full author lists,
                         abstracts); the upvotes stay the score
    hf                   Hugging Face Daily Papers, ranked by upvotes
    hotpapers-md         Hot Papers markdown posts ([sources.hotpapers-md] dir or url_template)
    hotpapers-md+arxiv   the same enrichment over the blog's posts

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
from datetime import date

import httpx

from bot.config import SourcesConfig
from bot.errors import ConfigError
from bot.models import Digest
from bot.sources import registry
from bot.sources.arxiv import ArxivClient
from bot.sources.boundary import boundary
from bot.sources.http import Clock, Http, Random, Sleep, Throttle
from bot.sources.metrics import MetricSet
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
        )

    def throttle(self, name: str, min_interval: float) -> Throttle:
        """A throttle for one upstream; member requests waiting are bounded by the config."""
        return Throttle(
            min_interval,
            clock=self.clock,
            sleep=self.sleep,
            member_waiting=self.config.member_requests_waiting,
            name=name,
            title=registry.title(name),
        )

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
