"""The papers arXiv announced on a day in some archives: the universe a day's ranking starts from.

`ArxivListing.announced(day, archives)` answers the new submissions and cross-lists of digest
day `day` (the listing of that date, `bot.arxiv_calendar`) in each archive (`cs`, `math`,
`astro-ph`), categories primary first, authors and abstract, no metrics. Replacements are left
out unless `[sources.arxiv] include_replacements` is on. A day without a listing raises
`NoAnnouncement(reason)` before any request: a state of the day, not a failure.

Where it reads from
-------------------
- **The listing the RSS feeds show now** (`cal.feed_day`: the Eastern day's own listing,
  from midnight Eastern; empty on weekends): `{rss_base_url}/rss/<a>+<b>+…`,
  arXiv's per-archive RSS, several archives per request (`archives_per_feed`), each item
  typed by `arxiv:announce_type` (new, cross, replace, replace-cross;
  https://info.arxiv.org/help/rss_specifications.html). The channel's `pubDate` must be the
  day asked for; a feed showing another listing, or none, is not used (the API answers).
- **Any other day**: the export API, `{base_url}/api/query` with `search_query=(cat:… OR …)
  AND submittedDate:[start TO end]` over the day's submission window (`cal.window`), one
  archive per query, `page_size` entries a page, paging until a short page. This is the
  best a past day can be had: a paper held in moderation and announced later, or cross-listed
  after it was announced, is not in its announcement day's window. With replacements on, a
  second query by `lastUpdatedDate` adds versions after the first.

Etiquette: every request goes through the process's one arXiv `Throttle` (shared with the
metadata lookups by the factory): one at a time, `min_interval_seconds` (3 s) apart. A day of
N archives costs ceil(N / archives_per_feed) requests from the feeds, or one API request per
archive and further `page_size` (1,000) papers: `cs`, the largest archive, may need two after
a weekend.

Parsers are tolerant where arXiv varies (a missing `announce_type` read from the
description's "Announce Type:", authors as one comma-separated `dc:creator` or several, a
`guid` or only a link) and strict on garbage: not XML, not RSS, every item unusable, or a
feed that names no listing date is an `UpstreamFormatError`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from bot import arxiv_calendar as cal
from bot import taxonomy
from bot.errors import NoAnnouncement, SourceError, UpstreamFormatError, UserInputError
from bot.models import Paper, parse_arxiv_id
from bot.sources.arxiv import NAME, TITLE, ArxivSettings, parse_feed
from bot.sources.boundary import boundary
from bot.sources.http import Fetched, Http, snippet
from bot.sources.spec import Context

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

log = logging.getLogger(__name__)

ARXIV_NS = "{http://arxiv.org/schemas/atom}"
DC_NS = "{http://purl.org/dc/elements/1.1/}"
OPENSEARCH_NS = "{http://a9.com/-/spec/opensearch/1.1/}"
ANNOUNCE_TYPES = frozenset({"new", "cross", "replace", "replace-cross"})
FIRST = ("new", "cross")  # what a day announces for the first time in an archive
MAX_PAGES = 30  # 30,000 entries at the default page_size: beyond any real day; a loop guard
_ANNOUNCE = re.compile(r"Announce Type:\s*([a-z-]+)", re.IGNORECASE)
_ABSTRACT = re.compile(r"^.*?Abstract:\s*", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")

WallClock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def check_archives(archives: Iterable[str]) -> list[str]:
    """The archives as arXiv spells them, deduplicated in order; UserInputError for unknown."""
    tax = taxonomy.load()
    out: list[str] = []
    for raw in archives:
        found = tax.lookup(raw)
        if found is None or found not in tax.archives:
            raise UserInputError(f"{raw!r} is not an arXiv archive (e.g. cs, math, astro-ph).")
        if found not in out:
            out.append(found)
    return out


def archive_categories(archive: str) -> list[str]:
    """Every category of an archive (the archive itself when it is a single category)."""
    cats = [c.id for c in taxonomy.load().categories.values() if c.archive == archive]
    return cats or [archive]


# --- the RSS feed --------------------------------------------------------------------------


def _root(fetched: Fetched, expect: str) -> Element:
    """The XML root of a body, refusing what is not XML, has a DTD, or is a web page."""
    if not fetched.content.strip():
        raise UpstreamFormatError(
            f"{TITLE} sent an empty answer.",
            detail=f"empty body (HTTP {fetched.status}) from {fetched.url}",
        )
    head = fetched.content.lstrip()[:100].lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise UpstreamFormatError(
            f"{TITLE} sent a web page instead of a feed.",
            detail=f"got an HTML page (HTTP {fetched.status}) from {fetched.url}: "
            f"{snippet(fetched.content)}",
        )
    from xml.etree.ElementTree import ParseError  # on the first feed: see arxiv.parse_feed

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root: Element = fromstring(fetched.content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UpstreamFormatError(
            f"{TITLE} sent a feed with a DTD or entity declarations; refused.",
            detail=f"refused a body with a DTD from {fetched.url} ({type(exc).__name__})",
        ) from exc
    except ParseError as exc:
        raise UpstreamFormatError(
            f"{TITLE} sent something that is not XML.",
            detail=f"not XML (HTTP {fetched.status}) from {fetched.url}: {exc}: "
            f"{snippet(fetched.content)}",
        ) from exc
    if root.tag != expect:
        raise UpstreamFormatError(
            f"{TITLE} sent something that is not an RSS feed.",
            detail=f"expected <{expect}> from {fetched.url}, got <{str(root.tag)[:80]}>",
        )
    return root


def _text(el: Element, tag: str) -> str:
    found = el.find(tag)
    return " ".join((found.text or "").split()) if found is not None else ""


def _date(text: str) -> date | None:
    """The calendar date of an RFC 822 date in its own offset ("…00:00:00 -0500")."""
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class _BadItem(ValueError):
    """One feed item that cannot become a paper (the message says why)."""


def _item_id(item: Element) -> str:
    description = item.findtext("description") or ""
    for raw in (
        (item.findtext("guid") or "").strip().removeprefix("oai:arXiv.org:"),
        m.group(1) if (m := re.search(r"arXiv:(\S+)", description)) else "",
        (item.findtext("link") or "").strip(),
    ):
        if not raw:
            continue
        try:
            base, version = parse_arxiv_id(raw)
        except ValueError:
            continue
        return f"{base}v{version}" if version else base
    raise _BadItem("no arXiv id in guid, description or link")


def _announce_type(item: Element) -> str:
    kind = (item.findtext(f"{ARXIV_NS}announce_type") or "").strip().lower()
    if not kind:
        m = _ANNOUNCE.search(item.findtext("description") or "")
        kind = m.group(1).lower() if m else ""
    if kind not in ANNOUNCE_TYPES:
        raise _BadItem(f"announce type {kind[:40]!r} is none of {sorted(ANNOUNCE_TYPES)}")
    return kind


def _authors(item: Element) -> list[str]:
    names: list[str] = []
    for creator in item.findall(f"{DC_NS}creator"):
        text = _TAG.sub("", creator.text or "")
        names.extend(n.strip() for n in text.split(",") if n.strip())
    return names


def parse_item(item: Element) -> tuple[str, Paper]:
    """One RSS `<item>` → (announce type, Paper); `_BadItem` when it is not a paper."""
    kind = _announce_type(item)
    raw_id = _item_id(item)
    title = _text(item, "title")
    if not title:
        raise _BadItem(f"{raw_id}: no title")
    categories: list[str] = []
    primary = item.find(f"{ARXIV_NS}primary_category")
    if primary is not None and primary.get("term"):
        categories.append(primary.get("term", "").strip())
    for cat in item.findall("category"):
        term = (cat.text or "").strip()
        if term and term not in categories:
            categories.append(term)
    abstract = _ABSTRACT.sub("", item.findtext("description") or "", count=1).strip()
    paper = Paper(
        arxiv_id=raw_id, title=title, authors=_authors(item), categories=categories,
        abstract=abstract,
    )  # fmt: skip
    return kind, paper


def parse_rss(fetched: Fetched) -> tuple[date, list[tuple[str, Paper]]]:
    """A feed body → (the listing date it shows, its items as (announce type, paper)).

    Unusable items are skipped with a warning; a feed whose items are all unusable, or that
    names no listing date (channel or item `pubDate`), is an UpstreamFormatError.
    """
    root = _root(fetched, "rss")
    channel = root.find("channel")
    if channel is None:
        raise UpstreamFormatError(
            f"{TITLE} sent an RSS feed without a channel.", detail=f"no <channel> in {fetched.url}"
        )
    items = channel.findall("item")
    listed = _date(_text(channel, "pubDate")) or next(
        (d for i in items if (d := _date(_text(i, "pubDate"))) is not None), None
    )
    if listed is None:
        raise UpstreamFormatError(
            f"{TITLE} sent a feed that does not say which day it lists.",
            detail=f"no readable pubDate in the channel or its items ({fetched.url})",
        )
    out: list[tuple[str, Paper]] = []
    problems: list[str] = []
    for item in items:
        try:
            out.append(parse_item(item))
        except (_BadItem, ValueError, TypeError) as exc:
            problems.append(str(exc)[:200])
    if problems:
        log.warning(
            "%s: skipped %d unusable feed item(s) from %s: %s",
            NAME, len(problems), fetched.url, "; ".join(problems[:3]),
        )  # fmt: skip
    if items and not out:
        raise UpstreamFormatError(
            f"{TITLE} sent {len(items)} feed item(s), none of them a usable paper.",
            detail=f"first problem in {fetched.url}: {problems[0]}",
        )
    return listed, out


# --- the listing ---------------------------------------------------------------------------


class ArxivListing:
    """What arXiv announced on a day, per archive, politely (see the module docstring)."""

    name = "arxiv-listing"

    def __init__(
        self,
        http: Http,
        *,
        base_url: str,
        rss_base_url: str,
        include_replacements: bool = False,
        page_size: int = 1000,
        archives_per_feed: int = 4,
        clock: WallClock = _utcnow,
    ) -> None:
        self.http = http
        self.api_url = base_url.rstrip("/") + "/api/query"
        self.rss_url = rss_base_url.rstrip("/") + "/rss/"
        self.include_replacements = include_replacements
        self.page_size = page_size
        self.archives_per_feed = archives_per_feed
        self.clock = clock
        self._warned_table = False  # the holiday table ran out: said once per process

    @property
    def kinds(self) -> tuple[str, ...]:
        """The announce types kept."""
        return (*FIRST, "replace", "replace-cross") if self.include_replacements else FIRST

    async def announced(self, day: date, archives: Sequence[str]) -> list[Paper]:
        """The papers arXiv announced on digest day `day` in `archives`, in listing order.

        Raises NoAnnouncement (no listing that day), UserInputError (an unknown archive) or
        SourceError (arXiv failed or sent garbage).
        """
        reason = cal.no_announcement(day)
        if reason is not None:
            raise NoAnnouncement(reason)
        if day > cal.known_through() and not self._warned_table:
            self._warned_table = True
            log.warning(
                "arXiv's holiday table (bot/data/arxiv_holidays.json) ends %s: a holiday after "
                "it would be read as an announcement day; add arXiv's published schedule",
                cal.known_through().isoformat(),
            )
        wanted = check_archives(archives)
        if not wanted:
            return []
        with boundary(NAME, f"sent a listing ({day}) that could not be read", title=TITLE):
            papers: dict[str, Paper] = {}
            for archive_group, found in await self._collect(day, wanted):
                for paper in found:
                    papers.setdefault(paper.arxiv_id, paper)
                log.info("%s: %s in %s: %d papers", NAME, day, archive_group, len(found))
            return list(papers.values())

    async def _collect(self, day: date, archives: list[str]) -> list[tuple[str, list[Paper]]]:
        out: list[tuple[str, list[Paper]]] = []
        todo = list(archives)
        if day == cal.feed_day(self.clock()):
            todo = []
            for i in range(0, len(archives), self.archives_per_feed):
                group = archives[i : i + self.archives_per_feed]
                found = await self._from_feed(day, group)
                if found is None:
                    todo.extend(group)
                else:
                    out.append(("+".join(group), found))
        for archive in todo:
            out.append((archive, await self._from_api(day, archive)))
        return out

    async def _from_feed(self, day: date, archives: list[str]) -> list[Paper] | None:
        """The feed's papers of `day`, or None when the feed shows another listing."""
        fetched = await self.http.get(self.rss_url + "+".join(archives))
        listed, items = parse_rss(fetched)
        if listed != day or not items:
            log.warning(
                "%s: the feed of %s shows %d item(s) of %s, not the listing of %s; asking the API",
                NAME, "+".join(archives), len(items), listed, day,
            )  # fmt: skip
            return None
        return [p for kind, p in items if kind in self.kinds]

    async def _from_api(self, day: date, archive: str) -> list[Paper]:
        start, end = cal.window(day)
        span = f"[{start:%Y%m%d%H%M} TO {end:%Y%m%d%H%M}]"
        cats = " OR ".join(f"cat:{c}" for c in archive_categories(archive))
        papers = await self._query(f"({cats}) AND submittedDate:{span}")
        if self.include_replacements:
            updated = await self._query(f"({cats}) AND lastUpdatedDate:{span}")
            papers.extend(p for p in updated if (p.version or 1) > 1)
        return papers

    async def _query(self, query: str) -> list[Paper]:
        papers: list[Paper] = []
        for page in range(MAX_PAGES):
            fetched = await self.http.get(
                self.api_url,
                params={
                    "search_query": query,
                    "start": page * self.page_size,
                    "max_results": self.page_size,
                    "sortBy": "submittedDate",
                    "sortOrder": "ascending",
                },
                accept=(200, 400),  # a 400 carries an Atom error feed worth reading
            )
            found = parse_feed(fetched)
            papers.extend(found)
            if not found and len(papers) < _total(fetched):
                # arXiv's API now and then answers an empty page mid-query (totalResults says
                # more): the day would be cut short, or empty, and a past day is not read again.
                raise SourceError(
                    f"{TITLE} sent an empty page where it counted {_total(fetched)} papers; "
                    "try again later.",
                    detail=f"empty page at start={page * self.page_size} of {query[:80]}",
                )
            if len(found) < self.page_size:
                break
        else:
            # Never a day cut short as if complete: a lying API, or a page_size too small.
            raise SourceError(
                f"{TITLE} listed more than {MAX_PAGES} pages of {self.page_size} papers for one "
                "archive and day; not taking part of it (raise [sources.arxiv] page_size).",
                detail=f"stopped after {MAX_PAGES} full pages of {query[:80]}",
            )
        return papers


def _total(fetched: Fetched) -> int:
    """The `opensearch:totalResults` of an API page already read by `parse_feed` (0 if none)."""
    from defusedxml.ElementTree import fromstring  # loaded by parse_feed already

    root = fromstring(fetched.content, forbid_dtd=True)
    text = (root.findtext(f"{OPENSEARCH_NS}totalResults") or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


def build_listing(
    context: Context, settings: ArxivSettings, *, clock: WallClock | None = None
) -> ArxivListing:
    """The listing over the process's one arXiv throttle (`context.throttle` is per name)."""
    throttle = context.throttle(NAME, settings.min_interval_seconds)
    return ArxivListing(
        context.http(NAME, throttle=throttle),
        base_url=settings.base_url,
        rss_base_url=settings.rss_base_url,
        include_replacements=settings.include_replacements,
        page_size=settings.page_size,
        archives_per_feed=settings.archives_per_feed,
        clock=clock or _utcnow,
    )
