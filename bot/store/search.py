"""The search aggregate: every stored paper found by the words of its title, authors and abstract.

The index is derived from the papers table and kept in step by the store itself, never by a
caller: SQLite keeps an FTS5 table filled by triggers on `papers` (migration 0007), PostgreSQL
GIN indexes over `to_tsvector('simple', …)` of the same columns. Neither is copied by
`hotpapers migrate-store`: the target's triggers (SQLite) or indexes (PostgreSQL) rebuild it
from the papers copied.

What members type is hostile (FTS5's own syntax, quotes, `NEAR(`, column filters, NUL, 10 000
characters). It never reaches either engine's query language as written: `search_terms`
keeps only words (runs of letters and digits and the marks inside them, NFC-normalised, as
FTS5's tokenizer splits them), at most
`MAX_TERMS` of at most `MAX_TERM` characters, and each backend quotes every word as a literal
term (the last one a prefix, for autocomplete). A query of no words is refused by the service
before the store is asked.

Rules every backend keeps (tests/store/test_search.py states them):
- A hit has every term (AND), each in any of title, authors or abstract; the last term also
  matches as a prefix when `prefix` (the default).
- Order: relevance first, as three tiers, then the paper's best score (no score last), then its
  day (newest first), then the id. Tier 2: every term is in the title; tier 1: every term is
  in the authors; tier 0: the rest. Coarse on purpose: both engines rank alike, and within a
  tier a hot paper beats a quiet one (what this bot is for).
- `since`/`until` (inclusive) keep the papers listed in some digest on a day in that range;
  a hit's `day` and `score` are those of its best-scored listing in the range (ties: the
  newest day), or over all its listings without a range (a paper no digest lists has none).
- `categories` keeps papers with one of those categories; `archives` those with a category in
  one of those archives (`cs` holds `cs.CV`), or filed under the archive itself. Both given:
  either one.
- At most `limit` hits (1..100).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import orjson

from bot.store import rows

MAX_TERMS = 16
MAX_TERM = 64
MAX_LIMIT = 100
# ASCII letters only: beyond them each engine folds case its own way (FTS5's unicode61, the
# database's locale for PostgreSQL), and folds a quoted term as it folded the titles. Python's
# folding would not match either ("Straße" -> "strasse", "σοφός" -> "σοφόσ") and may add a
# combining mark ("İ" -> "i" + U+0307).
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _is_word(text: str) -> bool:
    """A letter or digit, then letters, digits and combining marks (what `_words` finds)."""
    return (
        bool(text)
        and text[0].isalnum()
        and all(ch.isalnum() or unicodedata.category(ch)[0] == "M" for ch in text)
    )


def _words(text: str) -> list[str]:
    """The words of `text`: runs of letters and digits with the marks inside them, as
    PostgreSQL's parser reads them (`Erdo\u030bs`, `हिन्दी` are one word each; FTS5 splits
    the latter at its spacing marks, but reads a quoted term as the phrase of its parts, which
    the title holds). Everything else (punctuation, `*`, quotes, `:`, NUL, emoji, underscores)
    separates words."""
    words: list[str] = []
    start = None
    for i, ch in enumerate(text):
        if ch.isalnum() or (start is not None and unicodedata.category(ch)[0] == "M"):
            if start is None:
                start = i
        elif start is not None:
            words.append(text[start:i])
            start = None
            if len(words) == MAX_TERMS:
                return words
    if start is not None:
        words.append(text[start:])
    return words


# What typing or pasting turns into other characters than a title's: a PDF's ligatures (`ﬁ`),
# an IME's full-width Latin. Only these are NFKC-folded: others NFKC would fold are a title's
# own text too (`CO₂`, `R²`), which the index holds as written.
_TYPED_FORMS = re.compile("[\ufb00-\ufb06\uff01-\uff5e]+")
# Invisible breaks pasted inside a word (a web page's soft hyphens, zero-width spaces, word
# joiners, a BOM): no title holds them, and as separators they would cut the word in two.
_INVISIBLE_BREAKS = re.compile("[\u00ad\u200b\u2060\ufeff]")


def search_terms(text: str) -> tuple[str, ...]:
    """The words of `text`, NFC-normalised (an accent typed apart), ligatures and full-width
    letters as plain ones, invisible breaks left out, ASCII letters lower-cased: at most
    `MAX_TERMS` of at most `MAX_TERM` characters.

    Operators typed as words (`AND`, `OR`, `NOT`, `NEAR`) are plain words here: each backend
    quotes every term, so none can act as an operator.
    """
    typed = _INVISIBLE_BREAKS.sub("", text[: MAX_TERMS * (MAX_TERM + 1) * 4])
    typed = unicodedata.normalize("NFC", typed)
    typed = _TYPED_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m[0]), typed)
    return tuple(w.translate(_ASCII_LOWER)[:MAX_TERM] for w in _words(typed)[:MAX_TERMS])


_ID_PREFIX = re.compile(r"(?:[a-z][a-z.\-]*/)?\d[\d.]*")


def id_prefix(text: str) -> str | None:
    """`text` as the start of a version-less arXiv id (`2103.06`, `hep-th/99`), else None."""
    given = text.strip().lower().removeprefix("arxiv:")
    return given if len(given) <= 32 and _ID_PREFIX.fullmatch(given) else None


def next_prefix(prefix: str) -> str:
    """The smallest text after every text starting with `prefix` (ASCII): an index range."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True)
class SearchQuery:
    """A checked search: its terms (from `search_terms`), the filters and how many hits."""

    terms: tuple[str, ...]
    prefix: bool = True
    categories: tuple[str, ...] = ()
    archives: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    limit: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_LIMIT}, not {self.limit}")
        if not all(_is_word(t) for t in self.terms):
            raise ValueError("terms must be words (use search_terms)")


@dataclass(frozen=True)
class SearchHit:
    """One paper found: what a result line shows, and its best listing (day, score)."""

    arxiv_id: str
    title: str
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    day: date | None = None
    score: float | None = None
    tier: int = 0


class PaperSearch(Protocol):
    """Full-text search over every stored paper."""

    async def search_papers(self, query: SearchQuery) -> list[SearchHit]:
        """The papers matching `query`, in the order the module states (no terms: none)."""
        ...

    async def complete_papers(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """(arxiv id, title) of stored papers for `/paper`'s autocomplete: ids starting with
        `text` (when it looks like one), newest id first, then papers whose title holds its
        words (the last a prefix unless one letter): the `limit` most recent of them (SQLite:
        the last stored, straight from the index's order, so a short prefix costs `limit`
        rows; PostgreSQL: the newest ids; the same where papers are stored as announced),
        best listing first (score, then day, then the newer id). Indexed lookups only; no
        text is an error."""
        ...


# --- shared by the backends ------------------------------------------------------------------
def hit_from(row: Any) -> SearchHit:
    """A hit from a backend's row: arxiv_id, title, blob (`[authors, categories]` as JSON
    text), tier, score, day (ISO text or NULL)."""
    authors, categories = orjson.loads(row["blob"])
    day = row["day"]
    return SearchHit(
        arxiv_id=row["arxiv_id"],
        title=row["title"],
        authors=[str(a) for a in authors],
        categories=[str(c) for c in categories],
        day=date.fromisoformat(day) if day else None,
        score=None if row["score"] is None else float(row["score"]),
        tier=int(row["tier"]),
    )


def hits_from(found: Sequence[Any]) -> list[SearchHit]:
    """The hits of rows that can be read, in order; an unreadable one is logged and left out."""
    return rows.all_readable(hit_from, found, lambda r: f"paper {r['arxiv_id']}")


def like_escaped(text: str) -> str:
    """`text` inside a LIKE pattern with `\\` as the escape character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def category_patterns(query: SearchQuery) -> list[str]:
    """LIKE patterns over the stored JSON list of categories: `%"cs.CV"%` for a category,
    `%"cs.%` and `%"cs"%` for an archive (its categories, or the archive itself, as arXiv
    filed `astro-ph` papers before the split; as `bot.filters` keeps them). Both backends
    store the list as the same JSON text."""
    exact = [f'%"{like_escaped(c)}"%' for c in (*query.categories, *query.archives)]
    return exact + [f'%"{like_escaped(a)}.%' for a in query.archives]


def completion_terms(text: str) -> tuple[tuple[str, ...], bool]:
    """The words of an autocomplete's text, and whether the last one is a prefix: not when
    it is a single character (a prefix of one letter matches most of the store)."""
    terms = search_terms(text)
    if terms and len(terms[-1]) < 2:
        return terms, False
    return terms, True
