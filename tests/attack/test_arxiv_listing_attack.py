"""Attacks on the day's arXiv announcement (issue 13, deliverable 1): the export API's paging."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.errors import SourceError
from tests.sources.test_arxiv_listing import NEXT_WEEK, WED, StandIn, atom, listing

ENTRIES = [(f"2605.2{i:04d}", ["math.AG"]) for i in range(5)]


def _counted(body: bytes, total: int) -> bytes:
    """An API page carrying `opensearch:totalResults`, as every real export-API page does."""
    tag = f"<opensearch:totalResults>{total}</opensearch:totalResults>"
    return body.replace(b"<title>arXiv Query</title>", b"<title>arXiv Query</title>" + tag.encode())


def _flaky(empty_at: int) -> StandIn:
    """arxiv.test answering the day's 5 entries two a page, but page `empty_at` empty."""
    arxiv = StandIn()

    def answer(request: httpx.Request) -> httpx.Response:
        query = parse_qs(urlsplit(str(request.url)).query)
        start, size = int(query["start"][0]), int(query["max_results"][0])
        page = [] if start // size == empty_at else ENTRIES[start : start + size]
        return httpx.Response(200, content=_counted(atom(page), len(ENTRIES)))

    arxiv.api_override = answer
    return arxiv


@pytest.mark.parametrize("empty_at", [0, 1])
async def test_an_empty_page_the_api_counted_papers_for_is_an_error_not_a_short_day(
    empty_at: int,
) -> None:
    """Found: the export API now and then answers an empty page in the middle of a query while
    its `opensearch:totalResults` still counts the rest (a known arXiv quirk: clients such as
    arxiv.py retry such pages). `_query` stopped at the first short page, so the day came
    back cut short (page 1 empty: 2 of 5 papers) or empty (page 0) with no error, and a past
    day is stored and never read again.
    Promised: a listing is the day's papers or a SourceError (try again), never a silent
    part of it."""
    arxiv = _flaky(empty_at)
    source, _, client = await listing(arxiv, NEXT_WEEK, page_size=2)
    async with client:
        with pytest.raises(SourceError, match=r"empty page where it counted 5 papers"):
            await source.announced(WED, ["math"])


async def test_a_day_the_api_counts_empty_is_still_an_empty_day() -> None:
    """The fix must not turn a quiet archive into an error: totalResults 0, no entries."""
    arxiv = StandIn()
    arxiv.api_override = lambda _r: httpx.Response(200, content=_counted(atom([]), 0))
    source, _, client = await listing(arxiv, NEXT_WEEK)
    async with client:
        assert await source.announced(WED, ["math"]) == []


async def test_a_day_longer_than_the_page_guard_is_an_error_not_its_first_pages() -> None:
    """Found: `_query` stops after `MAX_PAGES` (30) full pages with only a log warning and
    returns what it has. `page_size` may be configured down to 1, so `page_size = 10` cut a
    `cs` day of ~1,000 papers to its first 300, and an API answering full pages forever gave
    a day of 30 pages, both served as the whole listing.
    Promised: the day's papers, or a SourceError saying why; never a silent part."""
    arxiv = StandIn()
    arxiv.api["math"] = [(f"2605.3{i:04d}", ["math.AG"]) for i in range(70)]
    source, _, client = await listing(arxiv, NEXT_WEEK, page_size=2)
    async with client:
        with pytest.raises(SourceError, match=r"more than 30 pages of 2 papers"):
            await source.announced(WED, ["math"])
    assert len(arxiv.requests) == 30
