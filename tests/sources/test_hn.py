"""Hacker News as a crowd: stories linking arXiv papers, summed per paper, bounded, isolated."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from bot.config import SourcesConfig
from bot.errors import SourceError
from bot.sources.base import SourceFactory
from bot.sources.crowds import ReportedSignal
from bot.sources.hn import parse_hit
from bot.sources.signals import Quote, SignalSource

from .crowd_upstreams import Crowds, corpus_json, query

DAY = date(2025, 3, 5)
IDS = ["2503.01234", "2503.04567", "hep-th/9901001", "2503.09999", "2503.77777"]


@pytest.fixture
def crowds() -> Crowds:
    return Crowds(hn_pages=[corpus_json("hn", "search_by_date_arxiv.json")])


@pytest.fixture
async def factory(crowds: Crowds) -> AsyncIterator[SourceFactory]:
    config = SourcesConfig.model_validate({"hn": {"base_url": "http://hn.test", "max_pages": 3}})
    async with httpx.AsyncClient(transport=httpx.MockTransport(crowds.handler)) as client:
        yield SourceFactory(config, client, sleep=_no_sleep)


async def _no_sleep(_seconds: float) -> None:
    return None


def hn_of(factory: SourceFactory) -> SignalSource:
    (hn,) = [s for s in factory.signals() if s.name == "hn"]
    return hn


async def test_stories_become_signals_summed_per_paper_with_the_top_thread(
    factory: SourceFactory,
) -> None:
    found = await hn_of(factory).signals_for(DAY, IDS)

    assert sorted(found) == ["2503.01234", "2503.04567", "hep-th/9901001"]
    attention = found["2503.01234"]  # an abs link of v1 and a pdf link of v2: one paper
    assert dict(attention.counts) == {"hn_points": 312 + 45, "hn_comments": 141 + 12}
    assert attention.links == ("https://news.ycombinator.com/item?id=43251001",)
    assert attention.quotes == (
        Quote(
            source="hn",
            author="",
            handle="alicehn",
            url="https://news.ycombinator.com/item?id=43251001",
            text="Attention-free transformers match baselines at 1/4 the compute",
            likes=312,
            kind="reaction",
        ),
    )
    assert dict(found["2503.04567"].counts) == {"hn_points": 88, "hn_comments": 37}
    assert dict(found["hep-th/9901001"].counts) == {"hn_points": 20, "hn_comments": 3}
    assert attention.read_at.tzinfo is UTC or attention.read_at.utcoffset() is not None
    assert attention.discounted == {}


async def test_papers_not_asked_about_are_dropped(factory: SourceFactory) -> None:
    found = await hn_of(factory).signals_for(DAY, ["2503.04567"])
    assert list(found) == ["2503.04567"]


async def test_the_search_asks_for_stories_linking_arxiv_in_the_days_window(
    factory: SourceFactory, crowds: Crowds
) -> None:
    await hn_of(factory).signals_for(DAY, IDS)

    (request,) = crowds.requests
    assert request.url.path == "/api/v1/search_by_date"
    q = query(request)
    start = int(datetime(2025, 3, 4, tzinfo=UTC).timestamp())  # a day before the day
    end = int(datetime(2025, 3, 9, tzinfo=UTC).timestamp())  # three days after it
    assert q == {
        "query": ["arxiv.org"],
        "restrictSearchableAttributes": ["url"],
        "tags": ["story"],
        "numericFilters": [f"created_at_i>={start},created_at_i<{end}"],
        "hitsPerPage": ["1000"],
        "page": ["0"],
    }
    assert "authorization" not in request.headers  # no credentials


async def test_every_archive_asking_about_a_day_costs_one_search(
    factory: SourceFactory, crowds: Crowds
) -> None:
    hn = hn_of(factory)
    for archive in (["2503.01234"], ["2503.04567"], ["hep-th/9901001"], ["2503.77777"]):
        await hn.signals_for(DAY, archive)
    assert crowds.count("hn.test") == 1
    await hn.signals_for(date(2025, 3, 6), IDS)  # another day is another search
    assert crowds.count("hn.test") == 2


async def test_paging_follows_nb_pages_and_stops_at_the_budget(
    factory: SourceFactory, crowds: Crowds
) -> None:
    page: dict[str, Any] = corpus_json("hn", "search_by_date_arxiv.json")
    full = [copy.deepcopy(page["hits"][0]) for _ in range(1000)]
    for n, hit in enumerate(full):
        hit["objectID"] = str(50_000_000 + n)
        hit["points"] = 1
        hit["num_comments"] = 0
    crowds.hn_pages = [{**page, "hits": full, "nbPages": 40, "page": p} for p in range(40)]

    found = await hn_of(factory).signals_for(DAY, IDS)

    assert crowds.count("hn.test") == 3  # max_pages = 3, though nbPages says 40
    assert [query(r)["page"] for r in crowds.requests] == [["0"], ["1"], ["2"]]
    assert found["2503.01234"].counts["hn_points"] == 1000  # each story once, repeats dropped


@pytest.mark.parametrize(
    ("body", "headers", "pattern"),
    [
        (b"[1, 2, 3]", {"content-type": "application/json"}, "not a JSON object"),
        (b"<html><h1>502 Bad Gateway</h1></html>", {"content-type": "text/html"}, "not JSON"),
        (b'{"hits": "none"}', {}, "without a list of stories"),
        (b'{"hits": [], "nbPages": ' + b"9" * 5000 + b"}", {}, "not JSON"),
        (b"", {}, "empty answer"),
        (b"\xff\xfe\x00garbage", {}, "not JSON"),
    ],
)
async def test_garbage_is_a_source_error_naming_hacker_news_and_is_in_the_health(
    factory: SourceFactory, crowds: Crowds, body: bytes, headers: dict[str, str], pattern: str
) -> None:
    crowds.overrides["hn.test"] = lambda _r: httpx.Response(200, content=body, headers=headers)
    recorded: list[tuple[str, bool, str | None]] = []

    async def sink(
        source: str, *, ok: bool, error: str | None = None, at: datetime | None = None
    ) -> None:
        recorded.append((source, ok, error))

    factory.report_health(sink)
    with pytest.raises(SourceError, match=pattern) as info:
        await hn_of(factory).signals_for(DAY, IDS)
    assert str(info.value).startswith("Hacker News ")
    assert recorded == [("hn", False, str(info.value))]


async def test_a_ten_megabyte_body_is_refused_not_buffered(
    factory: SourceFactory, crowds: Crowds
) -> None:
    huge = b'{"hits": [' + b'{"x": 1},' * 1_200_000 + b"{}]}"
    crowds.overrides["hn.test"] = lambda _r: httpx.Response(200, content=huge)
    with pytest.raises(SourceError, match=r"^Hacker News sent a response larger than"):
        await hn_of(factory).signals_for(DAY, IDS)


async def test_huge_or_odd_counts_skip_the_story_not_the_day(
    factory: SourceFactory, crowds: Crowds
) -> None:
    page = corpus_json("hn", "search_by_date_arxiv.json")
    page["hits"][2]["points"] = 10**30
    page["hits"][3]["num_comments"] = True
    crowds.hn_pages = [page]
    found = await hn_of(factory).signals_for(DAY, IDS)
    assert sorted(found) == ["2503.01234"]


async def test_a_success_after_a_failure_is_recorded_ok(factory: SourceFactory) -> None:
    recorded: list[tuple[str, bool]] = []

    async def sink(
        source: str, *, ok: bool, error: str | None = None, at: datetime | None = None
    ) -> None:
        recorded.append((source, ok))

    factory.report_health(sink)
    hn = hn_of(factory)
    assert isinstance(hn, ReportedSignal)
    await hn.signals_for(DAY, IDS)
    assert recorded == [("hn", True)]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/abs/2503.01234v3", "2503.01234"),
        ("http://arxiv.org/pdf/2503.01234", "2503.01234"),
        ("https://arxiv.org/pdf/2503.01234v2.pdf", "2503.01234"),
        ("https://arxiv.org/html/2503.01234v1#S2", "2503.01234"),
        ("https://www.arxiv.org/abs/1207.7214?context=hep-ex", "1207.7214"),
        ("https://arxiv.org/abs/math.AG/0601001v2", "math.AG/0601001"),
        ("https://arxiv.org/abs/astro-ph/0601001", "astro-ph/0601001"),
        ("https://arxiv.org/list/math.AG/new", None),
        ("https://example.com/arxiv.org/abs/2503.01234", None),
        ("https://arxiv.org.evil.test/abs/2503.01234", None),
        ("http://[::1/abs/2503.01234", None),
    ],
)
def test_story_urls_name_papers_in_every_spelling(url: str, expected: str | None) -> None:
    hit = {"objectID": "1", "url": url, "points": 3, "num_comments": 1, "title": "t", "author": "a"}
    story = parse_hit(hit)
    assert (story.arxiv_id if story else None) == expected
