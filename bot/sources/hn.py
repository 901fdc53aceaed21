"""Hacker News as a crowd: stories linking arXiv papers, their points and comments.

Through the public Algolia search API (https://hn.algolia.com/api), no credentials:

    GET {base}/api/v1/search_by_date?query=arxiv.org&restrictSearchableAttributes=url
        &tags=story&numericFilters=created_at_i>=START,created_at_i<END
        &hitsPerPage=1000&page=P

answers `{"hits": [...], "page": P, "nbPages": K, "hitsPerPage": 1000, ...}`; each hit a story
with `objectID`, `title`, `url`, `author`, `points`, `num_comments`, `created_at_i`
(fixtures and their provenance: tests/corpus/upstream/hn/README.md). The query restricted to
the `url` attribute finds every story whose link is on arxiv.org; `search_by_date` returns all
of them in the window (`crowds.window`), newest first, not only the most relevant.

A paper is a story's URL parsed by `bot.sources.links` (abs, pdf, html, versions, old-style
ids); a story about anything else is skipped. Several stories of one paper add up (points and
comments); the one with the most points gives the discussion link
(`https://news.ycombinator.com/item?id=…`) and the quote (its title, its poster).

Budget: a day is one window search, at most `max_pages` requests (one in practice: arXiv
stories on HN number a few dozen a day), memoised `cache_minutes` for every archive that asks
(`crowds.DayMemo`). A body that is not the documented object is an `UpstreamFormatError`;
a single odd hit is skipped with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import Field, field_validator

from bot.checks import http_url
from bot.errors import UpstreamFormatError
from bot.sources import links
from bot.sources.crowds import DayMemo, count, json_object, window
from bot.sources.http import Fetched, Http
from bot.sources.metrics import Metric, MetricSet
from bot.sources.signals import Quote, Signal
from bot.sources.spec import Context, SourceSettings, SourceSpec

log = logging.getLogger(__name__)

NAME = "hn"
TITLE = "Hacker News"
ITEM_URL = "https://news.ycombinator.com/item?id={id}"
MAX_BYTES = 8_000_000  # 1,000 hits with highlights are ~1.5 MB; more is not an answer
METRICS = MetricSet(
    (
        Metric("hn_points", "Hacker News points", "{n} points HN", enters="score"),
        Metric("hn_comments", "Hacker News comments", "{n} comments HN", enters="tiebreak"),
    )
)


@dataclass(frozen=True)
class Story:
    """One HN story that links a paper."""

    item_id: str
    arxiv_id: str
    title: str
    author: str
    points: int
    comments: int

    @property
    def thread(self) -> str:
        """The discussion page on Hacker News."""
        return ITEM_URL.format(id=self.item_id)


def parse_hit(hit: object) -> Story | None:
    """A search hit → Story, or None when it links no arXiv paper or is unusable."""
    if not isinstance(hit, dict):
        return None
    item_id, url = hit.get("objectID"), hit.get("url")
    if not isinstance(item_id, str) or not item_id.isascii() or not item_id.isdigit():
        return None  # "²".isdigit() too, and int() of it fails (the whole page with it)
    if len(item_id) > 20:
        return None
    if not isinstance(url, str):
        return None
    arxiv_id = links.id_of_url(url)
    points, comments = count(hit.get("points")), count(hit.get("num_comments") or 0)
    if arxiv_id is None or points is None or comments is None:
        return None
    title, author = hit.get("title"), hit.get("author")
    return Story(
        item_id=item_id,
        arxiv_id=arxiv_id,
        title=title[:300] if isinstance(title, str) else "",
        author=author[:100] if isinstance(author, str) else "",
        points=points,
        comments=comments,
    )


def parse_page(fetched: Fetched) -> tuple[list[Story], int, int]:
    """A search page → (stories linking papers, number of hits on the page, nbPages)."""
    data = json_object(fetched, TITLE)
    hits: Any = data.get("hits")
    if not isinstance(hits, list):
        raise UpstreamFormatError(
            f"{TITLE} sent a search answer without a list of stories.",
            detail=f"'hits' is {type(hits).__name__} in the answer from {fetched.url}",
        )
    pages = count(data.get("nbPages"))
    stories = [s for s in (parse_hit(h) for h in hits) if s is not None]
    odd = sum(1 for h in hits if not isinstance(h, dict) or not isinstance(h.get("url"), str))
    if odd:
        log.debug("%s: %d hit(s) without a URL in %s", NAME, odd, fetched.url)
    return stories, len(hits), pages if pages is not None else 1


def signals_of(stories: list[Story], read_at: datetime) -> dict[str, Signal]:
    """Each paper's stories summed; the top story (most points, then id) links and quotes."""
    by_paper: dict[str, list[Story]] = {}
    seen: set[str] = set()
    for story in stories:
        if story.item_id not in seen:  # a story on two pages counts once
            seen.add(story.item_id)
            by_paper.setdefault(story.arxiv_id, []).append(story)
    out: dict[str, Signal] = {}
    for arxiv_id, mine in by_paper.items():
        mine.sort(key=lambda s: (-s.points, -s.comments, int(s.item_id)))
        top = mine[0]
        quote = Quote(
            source=NAME,
            author="",
            handle=top.author,
            url=top.thread,
            text=top.title,
            likes=top.points,
            kind="reaction",
        )
        out[arxiv_id] = Signal(
            arxiv_id=arxiv_id,
            counts={
                "hn_points": sum(s.points for s in mine),
                "hn_comments": sum(s.comments for s in mine),
            },
            read_at=read_at,
            quotes=(quote,),
            links=(top.thread,),
        )
    return out


class HNSignal:
    """The `hn` signal: Hacker News stories linking the day's papers (see the module doc)."""

    name = NAME

    def __init__(self, http: Http, settings: HNSettings) -> None:
        self.http = http
        self.settings = settings
        self.url = settings.base_url.rstrip("/") + "/api/v1/" + settings.endpoint
        self.memo: DayMemo[dict[str, Signal]] = DayMemo(settings.cache_minutes, clock=http.clock)

    async def signals_for(
        self, day: date, ids: Sequence[str], *, authors: Mapping[str, Sequence[str]] | None = None
    ) -> dict[str, Signal]:
        """Signals for those of `ids` that HN discussed in the window around `day`."""
        found = await self.memo.get(day, self._fetch)
        return {i: found[i] for i in ids if i in found}

    async def _fetch(self, day: date) -> dict[str, Signal]:
        s = self.settings
        start, end = window(day, s.window_before_days, s.window_after_days)
        stories: list[Story] = []
        for page in range(s.max_pages):
            params: dict[str, str | int] = {
                "query": "arxiv.org",
                "restrictSearchableAttributes": "url",
                "tags": "story",
                "numericFilters": f"created_at_i>={int(start.timestamp())},"
                f"created_at_i<{int(end.timestamp())}",
                "hitsPerPage": s.hits_per_page,
                "page": page,
            }
            found, hits, pages = parse_page(await self.http.get(self.url, params=params))
            stories.extend(found)
            if hits < s.hits_per_page or page + 1 >= pages:
                break
        else:
            log.warning("%s: stopped after %d full pages for %s", NAME, s.max_pages, day)
        signals = signals_of(stories, self.http.wall_clock())
        log.info("%s: %s: %d stories on %d papers", NAME, day, len(stories), len(signals))
        return signals


class HNSettings(SourceSettings):
    """`[sources.hn]`: where Algolia's HN search lives, the window and the request budget."""

    base_url: str = "https://hn.algolia.com"
    endpoint: str = Field(default="search_by_date", pattern=r"^(search|search_by_date)$")
    max_pages: int = Field(default=2, ge=1, le=10)  # requests per day at most
    hits_per_page: int = Field(default=1000, ge=10, le=1000)
    window_before_days: int = Field(default=1, ge=0, le=7)
    window_after_days: int = Field(default=3, ge=0, le=14)
    cache_minutes: int = Field(default=60, ge=1, le=1440)

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return http_url(value)


def _build(context: Context, settings: HNSettings) -> HNSignal:
    http = context.http(NAME)
    http.max_bytes = min(http.max_bytes, MAX_BYTES)
    return HNSignal(http, settings)


SOURCE = SourceSpec(name=NAME, title=TITLE, settings=HNSettings, signaller=_build, metrics=METRICS)
