"""`/search` and `/paper`'s autocomplete: every stored paper, found by its words. Plain data in,
rendered payloads out.

Two steps, as `/hot`'s: `request` checks the arguments (pure: an empty query, a query of no
words, a bad category or day, a range that ends before it starts are answered at once, and
privately, by the one error handler), then `search` asks the store's index
(`bot.store.search`, which turns the words into quoted terms: nothing typed is query syntax)
and renders one message. Only the store is read, never upstream: an answer takes one indexed
query, well inside Discord's 3 seconds.

The answer is public, as `/hot`'s: a header naming the query and the filters (quoted inertly:
no markdown, no pings), then one embed listing the hits, each with its linked title, short
authors, categories, the day it was listed (its best listing) and that day's score.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

from bot import limits
from bot.errors import StoreError, UserInputError
from bot.filters import parse_categories
from bot.limits import dlen
from bot.models import Paper, parse_arxiv_id
from bot.ranking import score_label
from bot.render import COLOR, NO_MENTIONS, clean, safe, short_authors, truncate
from bot.schedule import Clock
from bot.services.texts import parse_day, quote
from bot.store.search import PaperSearch, SearchHit, SearchQuery, search_terms
from bot.taxonomy import MAX_CHOICE_CHARS, MAX_CHOICES, Taxonomy, fit, load

log = logging.getLogger(__name__)
Payload = dict[str, Any]
COMPLETE_WITHIN = 2.0  # seconds the store has to suggest papers (Discord waits 3 for the answer)
MAX_QUERY = 200  # characters of `/search query:` (the option's max_length)
RESULTS = 10
EXAMPLE = "e.g. `diffusion transformer` or an author's name"
_CATEGORY = re.compile(r"[A-Za-z0-9.\-]{1,20}")


@dataclass(frozen=True)
class SearchRequest:
    """A checked `/search`: what was typed (to show), the store's query, and the filters as
    the member gave them."""

    text: str
    query: SearchQuery
    category: str | None = None


def no_match_text(request: SearchRequest) -> str:
    """The plain answer when nothing matches."""
    return f"No stored paper matches {describe(request)}."


def describe(request: SearchRequest) -> str:
    """`` `diffusion` in cs.CV, listed from 2021-01-01 to 2021-01-31 ``: the query and filters."""
    q = request.query
    out = f"`{quote(request.text, 100)}`"
    if q.categories or q.archives:
        out += " in " + ", ".join((*q.categories, *q.archives)[:5])
    if q.since and q.until:
        out += f", listed from {q.since.isoformat()} to {q.until.isoformat()}"
    elif q.since:
        out += f", listed on or after {q.since.isoformat()}"
    elif q.until:
        out += f", listed on or before {q.until.isoformat()}"
    return out


def hit_line(rank: int, hit: SearchHit) -> str:
    """One result: linked title, then authors · categories · day · score."""
    paper = Paper(arxiv_id=hit.arxiv_id, title=hit.title or hit.arxiv_id, score=hit.score)
    details = [safe(short_authors(hit.authors), 100)]
    cats = " ".join(f"`{c}`" for c in hit.categories[:3] if _CATEGORY.fullmatch(c))
    if cats:
        details.append(cats)
    if hit.day is not None:
        details.append(hit.day.isoformat())
        details.append(score_label(paper))
    else:
        details.append("in no digest")
    return f"**{rank}.** [{safe(paper.title, 150)}]({paper.abs_url})\n" + " · ".join(details)


def render_hits(request: SearchRequest, hits: list[SearchHit]) -> list[Payload]:
    """The answer: "no stored paper matches …", or a header and one embed of the hits (as
    many whole lines as fit Discord's description limit; the rest counted)."""
    if not hits:
        return [{"content": no_match_text(request), "allowed_mentions": NO_MENTIONS}]
    lines = [hit_line(i, h) for i, h in enumerate(hits, start=1)]
    description = ""
    for shown in range(len(lines), 0, -1):
        body = lines[:shown]
        if shown < len(lines):
            body.append(f"…and {len(lines) - shown} more")
        description = "\n".join(body)
        if dlen(description) <= limits.EMBED_DESCRIPTION:
            break
    noun = "paper" if len(hits) == 1 else "papers"
    more = "" if len(hits) < request.query.limit else " (the best ones)"
    header = f"**🔎 {len(hits)} {noun}{more}** matching {describe(request)}"
    embed = {
        "type": "rich",
        "description": description,
        "color": COLOR,
        "footer": {
            "text": "Words in the title first, then the authors, then the abstract; "
            "then by score · /paper <id> for details"
        },
    }
    return [
        {
            "content": truncate(header, limits.CONTENT),
            "embeds": [embed],
            "allowed_mentions": NO_MENTIONS,
        }
    ]


class SearchService:
    """`/search` and `/paper`'s autocomplete over the store's search index."""

    def __init__(self, store: PaperSearch, *, clock: Clock, tax: Taxonomy | None = None) -> None:
        self.store = store
        self.clock = clock
        self.tax = tax or load()

    def request(
        self,
        text: str,
        category: str | None = None,
        since: str | None = None,
        until: str | None = None,
        *,
        limit: int = RESULTS,
    ) -> SearchRequest:
        """Check `/search`'s arguments (no I/O); UserInputError says what is wrong."""
        typed = clean(text or "").strip()
        if not typed:
            raise UserInputError(f"Type a few words to search for, {EXAMPLE}.")
        terms = search_terms(typed)
        if not terms:
            raise UserInputError(
                f"`{quote(typed, 40)}` has no words to search for (letters or digits), {EXAMPLE}."
            )
        today = self.clock().date()
        first, last = parse_day(since, today=today), parse_day(until, today=today)
        if first is not None and last is not None and first > last:
            raise UserInputError(
                f"since ({first.isoformat()}) is after until ({last.isoformat()}): "
                "give the earlier day as since."
            )
        categories, archives = self._categories(category)
        query = SearchQuery(
            terms, categories=categories, archives=archives, since=first, until=last, limit=limit
        )
        return SearchRequest(text=typed, query=query, category=category)

    def _categories(self, text: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The category ids (each with its aliases) and archives to keep."""
        include, exclude = parse_categories(text, tax=self.tax)
        if exclude:
            raise UserInputError(
                f"/search keeps papers of the categories named; it cannot leave one out "
                f"(-{exclude[0]}). Name categories such as cs.CV, or an archive such as cs."
            )
        categories: list[str] = []
        archives: list[str] = []
        for sel in include:
            if sel in self.tax.archives and sel not in self.tax.categories:
                archives.append(sel)
            else:
                categories.extend(sorted(self.tax.equivalents(sel) - set(categories)))
        return tuple(categories), tuple(archives)

    async def search(self, request: SearchRequest) -> list[Payload]:
        """The answer to a checked `/search` (one indexed query)."""
        return render_hits(request, await self.store.search_papers(request.query))

    async def paper_choices(self, current: str) -> list[tuple[str, str]]:
        """`/paper`'s autocomplete as (name, value): a complete id as typed first (stored or
        not, so `/paper` takes any id as before), then stored ids starting with the text and
        papers whose title holds its words; names `id · title` within Discord's 100
        characters, values the arXiv id; at most 25."""
        text = current.strip()[:MAX_QUERY]
        out: dict[str, str] = {}
        typed = _typed_id(text)
        if typed is not None:
            out[typed] = typed
        if text:
            # A whole id or link is looked up by the id itself (a version or URL is no prefix).
            try:
                found = await asyncio.wait_for(
                    self.store.complete_papers(typed or text, MAX_CHOICES), COMPLETE_WITHIN
                )
            except StoreError as exc:  # the store failing: still offer what was typed
                log.warning("no stored papers to suggest for /paper: %s", exc)
                found = []
            except TimeoutError:  # nor waiting past Discord's deadline for the answer
                log.warning("no stored papers to suggest for /paper within %ss", COMPLETE_WITHIN)
                found = []
            for arxiv_id, title in found:
                out[arxiv_id] = fit(clean(f"{arxiv_id} · {title}").strip() or arxiv_id)
        return [(name, value) for value, name in list(out.items())[:MAX_CHOICES]]


def _typed_id(text: str) -> str | None:
    """A whole arXiv id (or arXiv link) as typed, version-less, or None."""
    if not text or len(text) > MAX_CHOICE_CHARS:
        return None
    try:
        return parse_arxiv_id(text)[0]
    except ValueError:
        return None
