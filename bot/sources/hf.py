"""Hugging Face Daily Papers: a day's community-curated papers, ranked by upvotes.

`GET {base}/api/daily_papers?date=YYYY-MM-DD&limit=N&p=P` answers a JSON array of items
(schema: ../shared/data/hf/SCHEMA.md). The parser is tolerant where the API is loose (optional
fields, unknown keys, a summary with hard line breaks) and strict where garbage would otherwise
be stored: a body that is not a JSON array is an `UpstreamFormatError`, and so is a page whose
items are all unusable. A single unusable item is skipped with a warning, so one odd record
does not cost the whole day. Counts must be plain integers of a sane size (at most
`MAX_COUNT`): a 400-digit "upvotes" would overflow the score and the store. Whatever else goes
wrong while reading a day leaves `fetch_day` as a `SourceError` (`bot.sources.boundary`).

Hugging Face is also a crowd (`HFSignal`, `bot.sources.signals`): for the papers arXiv
announced on a day, the upvotes, GitHub stars and comments of those HF curated, from the same
daily_papers fetch of that day and the `SIGNAL_DAYS - 1` days after it (HF lists a paper the
day it was submitted there, often the morning after the announcement), never a future day;
kept `SIGNAL_CACHE_MINUTES` for every archive that asks.
The `hf` day source for ML channels is unchanged; both read `[sources.hf]`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from pydantic import Field, field_validator

from bot.checks import http_url
from bot.errors import UpstreamFormatError
from bot.models import Digest, Paper, parse_arxiv_id
from bot.sources.boundary import boundary
from bot.sources.crowds import DayMemo
from bot.sources.http import Fetched, Http, snippet
from bot.sources.metrics import Metric, MetricSet, rank, tiebreak_keys
from bot.sources.signals import Signal
from bot.sources.spec import Context, SourceSettings, SourceSpec

log = logging.getLogger(__name__)

NAME = "hf"
MAX_PAGES = 20  # 2,000 papers at 100 a page: far beyond any real day, a guard against loops
MAX_COUNT = 10**12  # no paper has a trillion upvotes; beyond this a count is garbage
TITLE = "Hugging Face"
SIGNAL_DAYS = 2  # as a crowd: the announcement day and the day after (one request each)
SIGNAL_CACHE_MINUTES = 60
METRICS = MetricSet(
    (
        Metric("upvotes", "Hugging Face upvotes", "▲ {n} on Hugging Face", enters="score"),
        Metric("github_stars", "GitHub stars", "{n}★ GitHub", enters="tiebreak"),
        Metric("comments", "comments", "{n} comments", enters="tiebreak"),
    )
)
_TIEBREAK = tiebreak_keys([METRICS])


class _BadItem(ValueError):
    """One daily-papers item that cannot become a Paper (the message says why)."""


def _int(value: object) -> int | None:
    """An int that is really an int of a sane size (JSON true is not 1 upvote)."""
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_COUNT:
        return None
    return value


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def parse_item(item: object) -> Paper:
    """One daily-papers item → Paper with metrics upvotes, github_stars, comments.

    Requires `paper.id` (an arXiv id) and an integer `paper.upvotes` (the rank signal);
    everything else is optional. Raises `_BadItem` otherwise.
    """
    if not isinstance(item, dict):
        raise _BadItem(f"item is {type(item).__name__}, not an object")
    paper = item.get("paper")
    if not isinstance(paper, dict):
        raise _BadItem("item has no 'paper' object")
    raw_id = paper.get("id")
    if not isinstance(raw_id, str):
        raise _BadItem(f"paper.id is {type(raw_id).__name__}, not a string")
    try:
        parse_arxiv_id(raw_id)
    except ValueError as exc:
        raise _BadItem(f"paper.id: {exc}") from None
    upvotes = _int(paper.get("upvotes", 0))
    if upvotes is None:
        raise _BadItem(f"{raw_id}: paper.upvotes is {paper.get('upvotes')!r}, not an integer")
    title = _str(item.get("title")) or _str(paper.get("title"))
    if not title.strip():
        raise _BadItem(f"{raw_id}: no title")
    metrics = {"upvotes": upvotes}
    stars = _int(paper.get("githubStars"))
    if stars is not None:
        metrics["github_stars"] = stars
    comments = _int(item.get("numComments"))
    if comments is not None:
        metrics["comments"] = comments
    authors_raw = paper.get("authors")
    authors = [
        a["name"]
        for a in (authors_raw if isinstance(authors_raw, list) else [])
        if isinstance(a, dict) and isinstance(a.get("name"), str)
    ]
    return Paper(
        arxiv_id=raw_id,
        title=title,
        authors=authors,
        abstract=_str(paper.get("summary")) or _str(item.get("summary")),
        metrics=metrics,
        score=METRICS.score(metrics),
    )


def parse_page(fetched: Fetched) -> tuple[list[Paper], int]:
    """A page body → (papers, number of items on the page, usable or not).

    The item count decides paging: a full page means there may be another.
    """
    if not fetched.content.strip():
        raise UpstreamFormatError(
            f"{TITLE} sent an empty answer.", detail=f"empty body from {fetched.url}"
        )
    try:
        data: Any = json.loads(fetched.content)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, huge ints
        kind = fetched.content_type or "unknown content type"
        raise UpstreamFormatError(
            f"{TITLE} sent something that is not JSON.",
            detail=f"expected a JSON array from {fetched.url}, got {kind} "
            f"({exc.__class__.__name__}: {exc}): {snippet(fetched.content)}",
        ) from exc
    if not isinstance(data, list):
        raise UpstreamFormatError(
            f"{TITLE} sent something that is not a list of papers.",
            detail=f"expected a JSON array from {fetched.url}, got {type(data).__name__}: "
            f"{snippet(fetched.content)}",
        )
    papers: list[Paper] = []
    problems: list[str] = []
    for item in data:
        try:
            papers.append(parse_item(item))
        except _BadItem as exc:
            problems.append(str(exc))
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. a Paper field refused
            problems.append(f"{type(exc).__name__}: {str(exc)[:200]}")
    if problems:
        log.warning(
            "%s: skipped %d unusable item(s) from %s: %s",
            NAME,
            len(problems),
            fetched.url,
            "; ".join(problems[:3]),
        )
    if data and not papers:
        raise UpstreamFormatError(
            f"{TITLE} sent {len(data)} item(s), none of them a usable paper.",
            detail=f"none of the items from {fetched.url} is a paper "
            f"(first problem: {problems[0]})",
        )
    return papers, len(data)


class HFSource:
    """The `hf` source: one day of Hugging Face Daily Papers, ranked by upvotes."""

    name = NAME

    def __init__(self, http: Http, base_url: str, *, page_size: int = 100) -> None:
        self.http = http
        self.url = base_url.rstrip("/") + "/api/daily_papers"
        self.page_size = page_size

    async def fetch_day(self, day: date) -> Digest:
        """Fetch every page of `day` (another page only when one comes back full)."""
        with boundary(NAME, f"sent a day ({day}) that could not be read", title=TITLE):
            return await self._fetch_day(day)

    async def _fetch_day(self, day: date) -> Digest:
        papers: list[Paper] = []
        seen: set[str] = set()
        for page in range(MAX_PAGES):
            fetched = await self.http.get(
                self.url, params={"date": day.isoformat(), "limit": self.page_size, "p": page}
            )
            found, count = parse_page(fetched)
            new = [p for p in found if p.arxiv_id not in seen]
            seen.update(p.arxiv_id for p in new)
            papers.extend(new)
            if count < self.page_size:
                break
            if not new:  # a server that ignores `p` would repeat page 0 forever
                log.warning("%s: page %d of %s repeated earlier papers; stopping", NAME, page, day)
                break
        else:
            log.warning("%s: stopped after %d full pages for %s", NAME, MAX_PAGES, day)
        log.info("%s: %s has %d papers", NAME, day, len(papers))
        return Digest(day=day, source=NAME, papers=rank(papers, _TIEBREAK))


class HFSignal:
    """Hugging Face as a crowd: the `hf` day source's papers as signals on a day's universe."""

    name = NAME

    def __init__(self, source: HFSource, base_url: str, *, days: int, memo_minutes: int) -> None:
        self.source = source
        self.papers_url = base_url.rstrip("/") + "/papers/"
        self.days = days
        self.memo: DayMemo[dict[str, Signal]] = DayMemo(memo_minutes, clock=source.http.clock)

    async def signals_for(
        self, day: date, ids: Sequence[str], *, authors: Mapping[str, Sequence[str]] | None = None
    ) -> dict[str, Signal]:
        """Upvotes, stars and comments of those of `ids` that Hugging Face listed."""
        found = await self.memo.get(day, self._fetch)
        return {i: found[i] for i in ids if i in found}

    async def _fetch(self, day: date) -> dict[str, Signal]:
        today = self.source.http.wall_clock().date()
        best: dict[str, Paper] = {}
        for offset in range(self.days):
            listed = day + timedelta(days=offset)
            if listed > today:
                break
            for paper in (await self.source._fetch_day(listed)).papers:
                kept = best.get(paper.arxiv_id)
                if kept is None or (paper.score or 0.0) > (kept.score or 0.0):
                    best[paper.arxiv_id] = paper
        read_at = self.source.http.wall_clock()
        return {
            i: Signal(
                arxiv_id=i,
                counts=dict(p.metrics),
                read_at=read_at,
                links=(self.papers_url + i,),
            )
            for i, p in best.items()
        }


class HFSettings(SourceSettings):
    """`[sources.hf]`: where Hugging Face lives and how much one request asks for."""

    base_url: str = "https://huggingface.co"
    page_size: int = Field(default=100, ge=1, le=100)  # items per daily_papers request

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return http_url(value)


def _build(context: Context, settings: HFSettings) -> HFSource:
    return HFSource(context.http(NAME), settings.base_url, page_size=settings.page_size)


def _build_signal(context: Context, settings: HFSettings) -> HFSignal:
    return HFSignal(
        _build(context, settings),
        settings.base_url,
        days=SIGNAL_DAYS,
        memo_minutes=SIGNAL_CACHE_MINUTES,
    )


SOURCE = SourceSpec(
    name=NAME,
    title=TITLE,
    settings=HFSettings,
    fetcher=_build,
    signaller=_build_signal,
    metrics=METRICS,
    moved={"hf_base_url": "base_url", "hf_page_size": "page_size"},
)
