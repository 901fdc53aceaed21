"""PostgreSQL's search aggregate (`bot.store.search.PaperSearch`) over `to_tsvector('simple', …)`.

Migration 0007 made three GIN indexes over expressions of `papers`' columns; the queries here
name those exact expressions (`ALL`, `TITLE`, `AUTHORS`), so the planner reads the indexes.
A member's words reach `to_tsquery` only as quoted lexemes joined by `&` (`'diffusion' &
'model':*`), built from words alone (`bot.store.search.search_terms`: letters and digits, so no
quote, backslash, colon or operator can be in one): nothing typed can be tsquery syntax or SQL.
The tiers are two more index reads (title only, authors only) hashed once; a hit's best listing
is one lookup by the `digest_entries_by_paper` index (a LATERAL join).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

from bot.store.postgres.connection import PgBase
from bot.store.search import (
    SearchHit,
    SearchQuery,
    category_patterns,
    completion_terms,
    hits_from,
    id_prefix,
    next_prefix,
)

_SIMPLE = "'simple'::regconfig"
# ASCII punctuation as spaces before the parser sees the text: left to itself it keeps
# `-3.5`, `v1.2.3`, `github.com/x` and `a@b.org` as single tokens, where FTS5 (and
# `search_terms`) split at every mark, so "gpt 3.5" would find a paper on SQLite only.
# Migration 0007's indexes hold these exact expressions.
_PUNCT = "'" + string.punctuation.replace("'", "''") + "'"
_BLANKS = "'" + " " * len(string.punctuation) + "'"


def _vector(column: str) -> str:
    return f"to_tsvector({_SIMPLE}, translate({column}, {_PUNCT}, {_BLANKS}))"


TITLE = _vector("title")
AUTHORS = _vector("authors")
ALL = f"({TITLE} || {AUTHORS} || {_vector('abstract')})"


def ts_query(terms: Sequence[str], *, prefix: bool) -> str:
    """A tsquery's text: every term a quoted lexeme, all required, the last a prefix."""
    quoted = ["'" + t.replace("'", "''").replace("\\", "\\\\") + "'" for t in terms]
    if prefix and quoted:
        quoted[-1] += ":*"
    return " & ".join(quoted)


def _matches(vector: str, n: int) -> str:
    """Ids of papers whose `vector` matches the tsquery text in parameter `n` (an index read)."""
    return f"SELECT arxiv_id FROM papers WHERE {vector} @@ to_tsquery({_SIMPLE}, ${n})"


class PgSearch(PgBase):
    """Search over every stored paper on PostgreSQL (see the module)."""

    async def search_papers(self, query: SearchQuery) -> list[SearchHit]:
        """The papers matching `query`, ordered by tier, best score, day, id."""
        if not query.terms:
            return []
        params: list[Any] = [ts_query(query.terms, prefix=query.prefix)]
        in_range = ""
        if query.since is not None:
            params.append(query.since.isoformat())
            in_range += f" AND e.day >= ${len(params)}"
        if query.until is not None:
            params.append(query.until.isoformat())
            in_range += f" AND e.day <= ${len(params)}"
        where = [f"p.arxiv_id IN ({_matches(ALL, 1)})"]
        if in_range:
            where.append("b.day IS NOT NULL")
        likes = []
        for pattern in category_patterns(query):
            params.append(pattern)
            likes.append(f"p.categories LIKE ${len(params)} ESCAPE '\\'")
        if likes:
            where.append("(" + " OR ".join(likes) + ")")
        params.append(query.limit)
        sql = (
            "SELECT p.arxiv_id, p.title, '[' || p.authors || ',' || p.categories || ']' AS blob,"
            f" CASE WHEN p.arxiv_id IN ({_matches(TITLE, 1)}) THEN 2"
            f" WHEN p.arxiv_id IN ({_matches(AUTHORS, 1)}) THEN 1 ELSE 0 END AS tier,"
            " b.score, b.day"
            " FROM papers p"
            " LEFT JOIN LATERAL (SELECT e.score, e.day FROM digest_entries e"
            f" WHERE e.arxiv_id = p.arxiv_id{in_range}"
            " ORDER BY e.score DESC NULLS LAST, e.day DESC LIMIT 1) b ON true"
            f" WHERE {' AND '.join(where)}"
            " ORDER BY tier DESC, b.score DESC NULLS LAST, b.day DESC NULLS LAST, p.arxiv_id"
            f" LIMIT ${len(params)}"
        )
        return hits_from(await self._all(sql, *params))

    async def complete_papers(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """Ids starting with `text`, then titles holding its words; newest id first."""
        out: dict[str, str] = {}
        start = id_prefix(text)
        if start:
            found = await self._all(
                "SELECT arxiv_id, title FROM papers WHERE arxiv_id >= $1 AND arxiv_id < $2"
                " ORDER BY arxiv_id DESC LIMIT $3",
                start,
                next_prefix(start),
                limit,
            )
            out.update((r[0], r[1]) for r in found)
        terms, prefix = completion_terms(text)
        if terms and len(out) < limit:
            # OFFSET 0 keeps the match a GIN read: left to itself, the planner may walk the
            # primary key backwards and compute each title's vector until `limit` match.
            found = await self._all(
                "SELECT m.arxiv_id, m.title FROM (SELECT arxiv_id, title FROM ("
                " SELECT arxiv_id, title FROM papers"
                f" WHERE {TITLE} @@ to_tsquery({_SIMPLE}, $1) OFFSET 0) a"
                " ORDER BY arxiv_id DESC LIMIT $2) m"
                " LEFT JOIN LATERAL (SELECT e.score, e.day FROM digest_entries e"
                " WHERE e.arxiv_id = m.arxiv_id"
                " ORDER BY e.score DESC NULLS LAST, e.day DESC LIMIT 1) b ON true"
                " ORDER BY b.score DESC NULLS LAST, b.day DESC NULLS LAST, m.arxiv_id DESC",
                ts_query(terms, prefix=prefix),
                limit,
            )
            for arxiv_id, title in found:
                out.setdefault(arxiv_id, title)
        return list(out.items())[:limit]
