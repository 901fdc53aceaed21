"""The source interface (a day in, a digest out) and the factory that builds sources by name.

Names:
    hf                   Hugging Face Daily Papers, ranked by upvotes
    hotpapers-md         Hot Papers markdown posts (sources.hotpapers_dir or …_url_template)
    hf+arxiv             the default: hf enriched by arXiv (categories primary first, full
                         author lists, abstracts); the upvotes stay the score
    hotpapers-md+arxiv   the same enrichment over the blog's posts

`arxiv` alone is not a day source: it supplies metadata for ids, not a ranking, so it only
appears as an enrichment (or directly as `ArxivClient`, e.g. for a paper lookup).

Every base URL comes from `SourcesConfig` and the `httpx.AsyncClient` from the caller, so tests
and mirrors can stand in. Sleep, clock and randomness are injectable for the same reason.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
import time
from datetime import date
from typing import Protocol, runtime_checkable

import httpx

from bot.config import SourcesConfig
from bot.errors import ConfigError
from bot.models import Digest
from bot.sources.arxiv import ArxivClient, enrich
from bot.sources.boundary import boundary
from bot.sources.hf import HFSource
from bot.sources.hotpapers_url import HotPapersDirSource, HotPapersUrlSource
from bot.sources.http import Clock, Http, Random, Sleep, Throttle

log = logging.getLogger(__name__)

DAY_SOURCES = ("hf", "hotpapers-md")
ENRICHMENT = "arxiv"
SOURCE_NAMES = ("hf+arxiv", "hf", "hotpapers-md", "hotpapers-md+arxiv")


@runtime_checkable
class Source(Protocol):
    """Something that turns a day into that day's ranked digest (or raises SourceError)."""

    name: str

    async def fetch_day(self, day: date) -> Digest:
        """The digest of `day`, papers in rank order; an empty day is an empty digest."""
        ...


class EnrichedSource:
    """A day source whose papers are completed from arXiv; one arXiv request per 100 papers.

    If arXiv fails the whole fetch fails (SourceError): storing unenriched papers would make
    `/hot category:…` silently miss them, and a past day is never fetched again.
    """

    def __init__(self, inner: Source, arxiv: ArxivClient) -> None:
        self.inner = inner
        self.arxiv = arxiv
        self.name = f"{inner.name}+{ENRICHMENT}"

    async def fetch_day(self, day: date) -> Digest:
        """The inner source's digest with arXiv metadata merged into each paper."""
        with boundary(self.inner.name, f"sent a day ({day}) that could not be read"):
            digest = await self.inner.fetch_day(day)
        if not digest.papers:
            return digest.model_copy(update={"source": self.name})
        with boundary(ENRICHMENT, "sent metadata that could not be read"):
            meta = await self.arxiv.fetch_many(p.arxiv_id for p in digest.papers)
            papers = [enrich(p, meta.get(p.arxiv_id)) for p in digest.papers]
            return digest.model_copy(update={"source": self.name, "papers": papers})


class SourceFactory:
    """Builds sources that share one HTTP client and one arXiv throttle.

    Keep one factory per process (the bot builds it in its entry point): arXiv's etiquette is
    per client, so every source that talks to arXiv must share the same `Throttle`.
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
        self.arxiv_throttle = Throttle(
            config.arxiv_min_interval_seconds,
            clock=clock,
            sleep=sleep,
            member_waiting=config.member_requests_waiting,
            name=ENRICHMENT,
        )
        self._arxiv: ArxivClient | None = None

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
        )

    @property
    def arxiv(self) -> ArxivClient:
        """The one arXiv client of this factory (shared throttle)."""
        if self._arxiv is None:
            http = self.http(ENRICHMENT, throttle=self.arxiv_throttle)
            self._arxiv = ArxivClient(http, self.config.arxiv_base_url)
        return self._arxiv

    def _day_source(self, name: str) -> Source:
        if name == "hf":
            return HFSource(
                self.http("hf"), self.config.hf_base_url, page_size=self.config.hf_page_size
            )
        if name == "hotpapers-md":
            if self.config.hotpapers_dir:
                return HotPapersDirSource(self.config.hotpapers_dir)
            if self.config.hotpapers_url_template:
                return HotPapersUrlSource(
                    self.http("hotpapers-md"), self.config.hotpapers_url_template
                )
            raise ConfigError(
                "sources: hotpapers-md needs sources.hotpapers_dir or "
                "sources.hotpapers_url_template"
            )
        if name == ENRICHMENT:
            raise ConfigError("sources: arxiv supplies metadata, not a day's ranking; use hf+arxiv")
        raise ConfigError(f"sources: unknown source {name!r} (known: {', '.join(SOURCE_NAMES)})")

    def build(self, name: str) -> Source:
        """The source called `name` ("default" means `sources.default`)."""
        if name == "default":
            name = self.config.default
        base, plus, extra = name.partition("+")
        if plus and extra != ENRICHMENT:
            raise ConfigError(
                f"sources: unknown source {name!r} (known: {', '.join(SOURCE_NAMES)})"
            )
        source = self._day_source(base)
        return EnrichedSource(source, self.arxiv) if plus else source


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
