"""The arXiv category taxonomy (names, archives, aliases) and category autocomplete. Pure.

The data lives in `bot/data/arxiv_taxonomy.json`, written out from
https://arxiv.org/category_taxonomy: every group, archive and category with its official name,
plus the aliases arXiv treats as one category (e.g. `cs.NA` and `math.NA`).

`search()` feeds Discord autocomplete: at most 25 choices whose labels read
`cs.CV — Computer Vision and Pattern Recognition` and fit Discord's 100-character limit.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

#: Discord's limits for autocomplete: choices per response and characters per name/value.
MAX_CHOICES = 25
MAX_CHOICE_CHARS = 100


@dataclass(frozen=True)
class Category:
    """One arXiv category (or single-category archive such as `quant-ph`)."""

    id: str
    name: str
    archive: str
    group: str

    @property
    def label(self) -> str:
        """`cs.CV — Computer Vision and Pattern Recognition`, cut to Discord's 100 characters."""
        return fit(f"{self.id} — {self.name}")


@dataclass(frozen=True)
class Taxonomy:
    """Every category by id, the archives by id, and the aliases."""

    categories: dict[str, Category]
    archives: dict[str, str]  # archive id -> name
    aliases: dict[str, str]  # alias -> canonical category id
    folded: dict[str, str] = field(default_factory=dict)  # casefolded id -> id

    def __post_init__(self) -> None:
        """Index every id by its casefolded spelling, for case-insensitive lookup."""
        self.folded.update({k.casefold(): k for k in self.archives})
        self.folded.update({k.casefold(): k for k in self.categories})

    def lookup(self, text: str) -> str | None:
        """The canonical spelling of a category or archive id (case-insensitive), or None."""
        return self.folded.get(text.strip().casefold())

    def name(self, category_id: str) -> str | None:
        """The official name of a category or archive id, or None when unknown."""
        cat = self.categories.get(category_id)
        if cat is not None:
            return cat.name
        return self.archives.get(category_id)

    def equivalents(self, category_id: str) -> frozenset[str]:
        """The id itself plus the ids arXiv treats as the same category (its aliases)."""
        out = {category_id}
        canonical = self.aliases.get(category_id, category_id)
        out.add(canonical)
        out.update(a for a, c in self.aliases.items() if c == canonical)
        return frozenset(out)

    def suggest(self, text: str, n: int = 3) -> list[str]:
        """The closest known ids to a misspelt one, for error messages."""
        ids = [*self.categories, *self.archives]
        by_fold = {i.casefold(): i for i in ids}
        close = difflib.get_close_matches(text.strip().casefold(), list(by_fold), n=n, cutoff=0.6)
        return [by_fold[c] for c in close]


def fit(text: str, limit: int = MAX_CHOICE_CHARS) -> str:
    """Cut `text` to `limit` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,—-") + "…"


@cache
def load() -> Taxonomy:
    """The bundled taxonomy (parsed once)."""
    raw = resources.files("bot").joinpath("data/arxiv_taxonomy.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    categories: dict[str, Category] = {}
    archives: dict[str, str] = {}
    for group in data["groups"]:
        for archive in group["archives"]:
            archives[archive["id"]] = archive["name"]
            for cat in archive["categories"]:
                categories[cat["id"]] = Category(
                    id=cat["id"], name=cat["name"], archive=archive["id"], group=group["name"]
                )
    return Taxonomy(categories=categories, archives=archives, aliases=dict(data["aliases"]))


def _score(cat: Category, query: str) -> int | None:
    """Lower is better; None means no match. The query is already casefolded."""
    cid = cat.id.casefold()
    name = cat.name.casefold()
    if not query:
        return 5
    if cid == query:
        return 0
    if cid.startswith(query):
        return 1
    words = name.replace("-", " ").replace(",", " ").split()
    if name.startswith(query) or any(w.startswith(query) for w in words):
        return 2
    if query in cid:
        return 3
    if query in name or query in f"{cid} — {name}":
        return 4
    return None


def search(query: str, *, limit: int = MAX_CHOICES, tax: Taxonomy | None = None) -> list[Category]:
    """Categories matching what the user typed, best first (id prefix, then name words).

    Popular areas come first among equals (cs, stat, eess, then the rest, alphabetically), so an
    empty query lists the categories a paper digest is most about.
    """
    tax = tax or load()
    q = query.strip().casefold()
    ranked: list[tuple[int, int, str, Category]] = []
    for cat in tax.categories.values():
        s = _score(cat, q)
        if s is not None:
            ranked.append((s, _GROUP_ORDER.get(cat.archive, 9), cat.id, cat))
    ranked.sort(key=lambda t: t[:3])
    return [t[3] for t in ranked[: max(0, min(limit, MAX_CHOICES))]]


_GROUP_ORDER = {"cs": 0, "stat": 1, "eess": 2}


def complete_list(text: str, *, tax: Taxonomy | None = None) -> list[tuple[str, str]]:
    """Autocomplete for a comma-separated category list such as `cs.CL, -cs.CV, cs.L`.

    Completes the last item; a leading `-` (exclude) is kept. Returns (label, value) pairs,
    each at most 100 characters, at most 25; the value is the whole list with the last item
    completed.
    """
    tax = tax or load()
    head, sep, last = text.rpartition(",")
    prefix = f"{head}{sep} " if sep else ""
    prefix = prefix.replace(",  ", ", ")
    last = last.strip()
    negate = last.startswith("-")
    query = last[1:] if negate else last
    out: list[tuple[str, str]] = []
    for cat in search(query, tax=tax):
        item = f"-{cat.id}" if negate else cat.id
        value = f"{prefix}{item}"
        if len(value) > MAX_CHOICE_CHARS:
            continue
        shown = f"{prefix}{item} — {'not ' if negate else ''}{cat.name}"
        out.append((fit(shown), value))
    return out
