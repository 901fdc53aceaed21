"""arXiv metadata for a set of ids: categories (primary first), full authors, abstracts.

Hugging Face lists a day's papers but not their arXiv categories, so `/hot category:cs.CV`
needs arXiv. One request per 100 ids (`id_list`), one request at a time and at least three
seconds apart (arXiv's API terms), enforced by a shared `Throttle` (a lock plus a clock).

The Atom body is parsed with defusedxml and DTDs forbidden: arXiv never sends one, so a body
with one (e.g. an entity-expansion "billion laughs" bomb) is refused, not expanded. The API
reports a bad request as HTTP 400 with an ordinary-looking feed whose one entry is titled
`Error`; that is turned into a `SourceError`, never into a paper. Both the 2016 Atom layout
(namespaces declared per element) and the current one (namespaces on the root) parse alike,
because ElementTree resolves namespaces either way. Whatever else goes wrong while reading a
feed leaves `fetch_many` as a `SourceError` (`bot.sources.boundary`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from bot.checks import http_url
from bot.errors import SourceError, UpstreamFormatError, UserInputError
from bot.models import Paper, parse_arxiv_id
from bot.sources.boundary import boundary
from bot.sources.http import Fetched, Http, snippet
from bot.sources.spec import Context, SourceSettings, SourceSpec

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

log = logging.getLogger(__name__)

NAME = "arxiv"
TITLE = "arXiv"
BATCH_SIZE = 100
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"


def _text(entry: Element, tag: str) -> str:
    el = entry.find(tag)
    return (el.text or "") if el is not None else ""


def _entry_id(entry: Element) -> str:
    return _text(entry, f"{ATOM}id").strip()


def _is_error_entry(entry: Element) -> bool:
    """The API's error entries have an `…/api/errors#…` id (and the title `Error`)."""
    return "/api/errors" in _entry_id(entry)


def parse_entry(entry: Element) -> Paper:
    """One Atom `<entry>` → Paper (no metrics: arXiv has no popularity signal)."""
    raw_id = _entry_id(entry)
    try:
        arxiv_id, version = parse_arxiv_id(raw_id)
    except ValueError as exc:
        raise UpstreamFormatError(
            f"{TITLE} sent a paper without a valid arXiv id.",
            detail=f"entry id {raw_id[:100]!r} is not an arXiv abs URL",
        ) from exc
    primary = entry.find(f"{ARXIV}primary_category")
    categories: list[str] = []
    if primary is not None and primary.get("term"):
        categories.append(primary.get("term", ""))
    for cat in entry.findall(f"{ATOM}category"):
        term = cat.get("term", "")
        if term and term not in categories:
            categories.append(term)
    authors = [_text(a, f"{ATOM}name") for a in entry.findall(f"{ATOM}author")]
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=_text(entry, f"{ATOM}title"),
        authors=authors,
        categories=categories,
        abstract=_text(entry, f"{ATOM}summary"),
    )


def parse_feed(fetched: Fetched) -> list[Paper]:
    """An API response → its papers; an error feed or a hostile/broken body → SourceError."""
    if not fetched.content.strip():
        raise UpstreamFormatError(
            f"{TITLE} sent an empty answer.",
            detail=f"empty body (HTTP {fetched.status}) from {fetched.url}",
        )
    head = fetched.content.lstrip()[:100].lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise UpstreamFormatError(
            f"{TITLE} sent a web page instead of a feed.",
            detail=f"got an HTML page (HTTP {fetched.status}) instead of Atom from "
            f"{fetched.url}: {snippet(fetched.content)}",
        )
    # The XML parser is imported on the first feed, not with the source (a bot served from
    # its store never reads one): about 1 MB resident.
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(fetched.content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UpstreamFormatError(
            f"{TITLE} sent a feed with a DTD or entity declarations; refused.",
            detail=f"refused a body with a DTD or entity declarations from {fetched.url} "
            f"(possible entity-expansion attack; {type(exc).__name__})",
        ) from exc
    except ParseError as exc:
        raise UpstreamFormatError(
            f"{TITLE} sent something that is not XML.",
            detail=f"not XML (HTTP {fetched.status}, {fetched.content_type or 'no type'}) from "
            f"{fetched.url}: {exc}: {snippet(fetched.content)}",
        ) from exc
    if root.tag != f"{ATOM}feed":
        raise UpstreamFormatError(
            f"{TITLE} sent something that is not an Atom feed.",
            detail=f"expected an Atom <feed> from {fetched.url}, got <{str(root.tag)[:80]}>",
        )
    entries = root.findall(f"{ATOM}entry")
    errors = [e for e in entries if _is_error_entry(e)]
    if errors or fetched.status != 200:
        reason = "; ".join(" ".join(_text(e, f"{ATOM}summary").split()) for e in errors)
        raise SourceError(
            f"{TITLE} refused the request (HTTP {fetched.status}): "
            f"{(reason or 'no reason given')[:200]}.",
            detail=f"the API answered HTTP {fetched.status} with an error ({fetched.url})",
        )
    return [parse_entry(e) for e in entries]


def batches(ids: Sequence[str], size: int = BATCH_SIZE) -> list[list[str]]:
    """Split ids into lists of at most `size`, in order."""
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


class ArxivClient:
    """Batched, polite arXiv metadata lookups (the `arxiv` enrichment).

    Share one instance (or at least one `Throttle`) per process: the etiquette is per client,
    not per call.
    """

    name = NAME

    def __init__(self, http: Http, base_url: str, *, batch_size: int = BATCH_SIZE) -> None:
        if not 1 <= batch_size <= BATCH_SIZE:
            raise ValueError(f"batch_size must be 1..{BATCH_SIZE}")
        if http.throttle is None:
            log.warning("%s: no throttle configured; arXiv asks for 3 s between requests", NAME)
        self.http = http
        self.url = base_url.rstrip("/") + "/api/query"
        self.batch_size = batch_size

    async def fetch_many(self, ids: Iterable[str]) -> dict[str, Paper]:
        """Metadata of `ids` (any form parse_arxiv_id accepts), keyed by version-less id.

        Always asks for the latest version. Ids arXiv does not know are absent from the result
        (logged); an invalid id is a UserInputError before any request is made.
        """
        wanted: list[str] = []
        for raw in ids:
            try:
                base, _ = parse_arxiv_id(raw)
            except ValueError as exc:
                raise UserInputError(str(exc)) from None
            if base not in wanted:
                wanted.append(base)
        with boundary(NAME, "sent metadata that could not be read", title=TITLE):
            found = await self._fetch(wanted)
        missing = [i for i in wanted if i not in found]
        if missing:
            log.warning("%s: no metadata for %d id(s): %s", NAME, len(missing), missing[:10])
        return found

    async def complete(self, papers: Sequence[Paper]) -> list[Paper]:
        """`papers` with arXiv's metadata merged in (`enrich`); one request per 100 ids."""
        meta = await self.fetch_many(p.arxiv_id for p in papers)
        return [enrich(p, meta.get(p.arxiv_id)) for p in papers]

    async def _fetch(self, wanted: list[str]) -> dict[str, Paper]:
        found: dict[str, Paper] = {}
        for batch in batches(wanted, self.batch_size):
            fetched = await self.http.get(
                self.url,
                params={"id_list": ",".join(batch), "start": 0, "max_results": len(batch)},
                accept=(200, 400),  # a 400 carries an Atom error feed worth reading
            )
            for paper in parse_feed(fetched):
                found[paper.arxiv_id] = paper
        return found


def enrich(paper: Paper, meta: Paper | None) -> Paper:
    """`paper` with arXiv's categories, full author list and abstract; its score kept.

    The title stays the day source's (it is what readers saw there) unless it has none.
    """
    if meta is None:
        return paper
    return paper.model_copy(
        update={
            "categories": meta.categories or paper.categories,
            "authors": meta.authors or paper.authors,
            "abstract": meta.abstract or paper.abstract,
            "title": paper.title or meta.title,
            "version": meta.version if meta.version is not None else paper.version,
        }
    )


class ArxivSettings(SourceSettings):
    """`[sources.arxiv]`: where arXiv's API lives and how politely it is asked."""

    base_url: str = "https://export.arxiv.org"
    min_interval_seconds: float = Field(default=3.0, ge=0)  # arXiv asks for 3 s
    # The day's announcement (`bot.sources.arxiv_listing`): the RSS feeds and what they keep.
    rss_base_url: str = "https://rss.arxiv.org"
    include_replacements: bool = False  # new submissions and cross-lists only, by default
    page_size: int = Field(default=1000, ge=1, le=2000)  # API entries per request
    archives_per_feed: int = Field(default=4, ge=1, le=20)  # archives per RSS request

    @field_validator("base_url", "rss_base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return http_url(value)


def _build(context: Context, settings: ArxivSettings) -> ArxivClient:
    throttle = context.throttle(NAME, settings.min_interval_seconds)
    return ArxivClient(context.http(NAME, throttle=throttle), settings.base_url)


SOURCE = SourceSpec(
    name=NAME,
    title=TITLE,
    settings=ArxivSettings,
    enricher=_build,
    moved={"arxiv_base_url": "base_url", "arxiv_min_interval_seconds": "min_interval_seconds"},
)
