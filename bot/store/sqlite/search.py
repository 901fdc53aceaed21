"""SQLite's search aggregate (`bot.store.search.PaperSearch`) over the FTS5 table `papers_fts`.

Migration 0007 made the table and the triggers that keep it in step with `papers`. A query
reaches FTS5 only as quoted terms under a column filter naming the three text columns
(`{title authors abstract} : ("diffusion" "model"*)`), built here from words alone
(`bot.store.search.search_terms`): nothing a member types can be an FTS5 operator, a column
filter or SQL. The tiers are two more FTS5 queries (title only, authors only) read once as
sets; a hit's best listing is one lookup by the `digest_entries_by_paper` index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

from bot.errors import StoreError
from bot.store.search import (
    SearchHit,
    SearchQuery,
    category_patterns,
    completion_terms,
    hits_from,
    id_prefix,
    next_prefix,
)
from bot.store.sqlite.connection import SqliteBase

TEXT_COLUMNS = "{title authors abstract}"


def fts_match(terms: Sequence[str], *, prefix: bool, columns: str = TEXT_COLUMNS) -> str:
    """An FTS5 query: every term quoted (`"` doubled), the last a prefix when `prefix`."""
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    if prefix and quoted:
        quoted[-1] += "*"
    return f"{columns} : ({' '.join(quoted)})"


async def check_fts5(db: aiosqlite.Connection) -> None:
    """Refuse an SQLite built without FTS5 (the search index needs it), saying so plainly."""
    try:
        await db.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
        await db.execute("DROP TABLE temp.fts5_probe")
    except sqlite3.OperationalError as exc:
        raise StoreError(
            f"this Python's SQLite {sqlite3.sqlite_version} lacks the FTS5 full-text search "
            f"extension that the store's search index needs ({exc}); use a Python whose "
            "sqlite3 has FTS5 (the python.org and distribution builds do), or PostgreSQL"
        ) from None


_IN_FTS = "SELECT arxiv_id FROM papers_fts WHERE papers_fts MATCH ?"


class SqliteSearch(SqliteBase):
    """Search over every stored paper on SQLite (see the module)."""

    async def search_papers(self, query: SearchQuery) -> list[SearchHit]:
        """The papers matching `query`, ordered by tier, best score, day, id."""
        if not query.terms:
            return []
        terms, prefix = query.terms, query.prefix
        params: list[Any] = [
            fts_match(terms, prefix=prefix, columns="title"),
            fts_match(terms, prefix=prefix, columns="authors"),
        ]
        in_range = ""
        if query.since is not None:
            in_range += " AND e.day >= ?"
            params.append(query.since.isoformat())
        if query.until is not None:
            in_range += " AND e.day <= ?"
            params.append(query.until.isoformat())
        params.append(fts_match(terms, prefix=prefix))
        where = []
        if in_range:
            where.append("b.rowid IS NOT NULL")
        patterns = category_patterns(query)
        if patterns:
            where.append(
                "(" + " OR ".join("p.categories LIKE ? ESCAPE '\\'" for _ in patterns) + ")"
            )
            params.extend(patterns)
        params.append(query.limit)
        sql = (
            "SELECT p.arxiv_id, p.title, '[' || p.authors || ',' || p.categories || ']' AS blob,"
            f" CASE WHEN p.arxiv_id IN ({_IN_FTS}) THEN 2"
            f" WHEN p.arxiv_id IN ({_IN_FTS}) THEN 1 ELSE 0 END AS tier,"
            " b.score, b.day"
            " FROM papers p"
            " LEFT JOIN digest_entries b ON b.rowid = (SELECT e.rowid FROM digest_entries e"
            f" WHERE e.arxiv_id = p.arxiv_id{in_range}"
            " ORDER BY e.score IS NULL, e.score DESC, e.day DESC LIMIT 1)"
            f" WHERE p.arxiv_id IN ({_IN_FTS})"
            + "".join(f" AND {w}" for w in where)
            + " ORDER BY tier DESC, b.score IS NULL, b.score DESC, b.day DESC, p.arxiv_id"
            " LIMIT ?"
        )
        return hits_from(await self._all(sql, params))

    async def complete_papers(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """Ids starting with `text`, then titles holding its words; newest id first."""
        out: dict[str, str] = {}
        start = id_prefix(text)
        if start:
            found = await self._all(
                "SELECT arxiv_id, title FROM papers WHERE arxiv_id >= ? AND arxiv_id < ?"
                " ORDER BY arxiv_id DESC LIMIT ?",
                (start, next_prefix(start), limit),
            )
            out.update((r[0], r[1]) for r in found)
        terms, prefix = completion_terms(text)
        if terms and len(out) < limit:
            found = await self._all(
                f"SELECT arxiv_id, title FROM papers WHERE arxiv_id IN ({_IN_FTS})"
                " ORDER BY arxiv_id DESC LIMIT ?",
                (fts_match(terms, prefix=prefix, columns="title"), limit),
            )
            for arxiv_id, title in found:
                out.setdefault(arxiv_id, title)
        return list(out.items())[:limit]
