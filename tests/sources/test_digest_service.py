"""The bot's `DigestService` over live sources (faked): `/paper`'s arXiv fallback, and `/hot`
fetching its end day once, then answering from the store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.config import parse_config
from bot.errors import SourceError
from bot.filters import PaperFilter, build_filter
from bot.models import Digest, Paper
from bot.services.digests import DigestService
from bot.sources.base import SourceFactory

from .conftest import FakeClock, Upstreams, categories_for, hf_day, raises_source

NOW = datetime(2025, 4, 2, 9, 0, tzinfo=UTC)
DAY = date(2025, 3, 31)


def service(client: httpx.AsyncClient, store: Any, clock: FakeClock) -> DigestService:
    config = parse_config(
        {
            "sources": {
                "default": "hf+arxiv",
                "hf": {"base_url": "http://hf.test"},
                "arxiv": {"base_url": "http://arxiv.test/"},
            }
        },
        env={},
    )
    factory = SourceFactory(config.sources, client, clock=clock, sleep=clock.sleep)
    return DigestService(store, config, factory, clock=lambda: NOW)


async def test_paper_is_answered_from_the_store_else_looked_up_on_arxiv(
    upstreams: Upstreams, client: httpx.AsyncClient, clock: FakeClock, store: Any
) -> None:
    digests = service(client, store, clock)
    known = Paper(arxiv_id="2503.00002", title="Known", categories=["cs.RO"], score=3)
    await store.save_digest(Digest(day=DAY, source="hf+arxiv", papers=[known]))
    found = await digests.paper("2503.00002")
    assert found is not None and found.title == "Known"
    assert upstreams.requests == []

    found = await digests.paper("2503.00007")
    assert found is not None
    assert found.title == "arXiv title of 2503.00007"
    assert found.categories == categories_for("2503.00007")
    assert upstreams.count("arxiv.test") == 1


async def test_paper_lookup_failure_is_a_source_error(
    upstreams: Upstreams, client: httpx.AsyncClient, clock: FakeClock, store: Any
) -> None:
    upstreams.arxiv_override = lambda req: httpx.Response(200, content=b"<feed")
    with raises_source(SourceError, "arxiv"):
        await service(client, store, clock).paper("2503.00007")


async def test_hot_fetches_its_end_day_once_then_answers_from_the_store(
    upstreams: Upstreams, client: httpx.AsyncClient, clock: FakeClock, store: Any
) -> None:
    upstreams.hf_pages[DAY.isoformat()] = hf_day(12)
    digests = service(client, store, clock)
    week = await digests.hot("default", DAY, "week", PaperFilter(limit=5))
    assert week.end == DAY and week.digests == 1 and week.candidates == 12
    assert [p.metrics["upvotes"] for p in week.view.papers] == [500, 497, 494, 491, 488]
    assert (upstreams.count("hf.test"), upstreams.count("arxiv.test")) == (1, 1)

    cv = await digests.hot("default", DAY, "day", build_filter(categories="cs.CV"))
    assert cv.view.papers and all("cs.CV" in p.categories for p in cv.view.papers)
    assert len(upstreams.requests) == 2  # a stored past day is final: no request

    upstreams.hf_override = lambda req: httpx.Response(503, text="down")
    with pytest.raises(SourceError):  # a day never fetched, upstream down: not "no papers"
        await digests.hot("default", DAY - timedelta(days=1), "day", PaperFilter())
