"""SQLite's search aggregate (`bot.store.search.PaperSearch`) over the FTS5 table `papers_fts`.

Migration 0007 made the table, its keys (`papers_fts_keys`: FTS rowid -> arXiv id) and the
triggers that keep both in step with `papers`. A query
reaches FTS5 only as quoted terms under a column filter naming the three text columns
(`{title authors abstract} : ("diffusion" "model"*)`), built here from words alone
(`bot.store.search.search_terms`): nothing a member types can be an FTS5 operator, a column
filter or SQL. The tiers are two more FTS5 queries (title only, authors only) read once as
sets of rowids; a hit's best listing is one lookup by the `digest_entries_by_paper` index.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import PurePath
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
from bot.store.sqlite.connection import SqliteBase, fault_reason

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


# Rowids only: reading a column of an FTS5 row would cost a lookup of the whole row.
_IN_FTS = "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?"


def _read(uri: str, sql: str, params: Sequence[Any]) -> list[Any]:
    """One read on a connection of its own (in a worker thread: see `SqliteSearch`)."""
    conn = sqlite3.connect(uri, uri=True, timeout=2.0)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


class SqliteSearch(SqliteBase):
    """Search over every stored paper on SQLite (see the module).

    Unlike the store's other reads (small indexed lookups, run on the event loop's thread),
    a broad word is ranked over every paper it matches (tens of milliseconds at 100 000
    papers: bench/search.py), so searches read in a worker thread, on a read-only connection
    of their own opened for the query (WAL: it sees every committed write), and the bot
    answers other interactions meanwhile. An in-memory store reads through aiosqlite's thread.
    """

    _search_uri: str | None = None

    async def _search_all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """`_all`, off the event loop's thread; faults map as there."""
        if self._reader is None:
            return await self._all(sql, params)
        if self._search_uri is None:
            path = self._reader.execute("PRAGMA database_list").fetchone()[2]
            self._search_uri = PurePath(path).as_uri() + "?mode=ro"
        try:
            return await asyncio.to_thread(_read, self._search_uri, sql, params)
        except sqlite3.Error as exc:
            reason = fault_reason(exc)
            if reason is None:
                raise
            raise StoreError(reason) from None

    async def search_papers(self, query: SearchQuery) -> list[SearchHit]:
        """The papers matching `query`, ordered by tier, best score, day, id.

        FTS5 drives (its rowids joined to the keys), every hit is ranked on its key alone
        (the best listing the triggers keep there; in a date range, the best entry in the
        range, one indexed lookup), the list is cut to the limit, and only then are the
        papers' texts read: a broad word sorts small rows and reads ten papers.
        """
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
        if in_range:
            best = "b.score AS score, b.day AS day"
            joins = (
                " JOIN digest_entries b ON b.rowid = (SELECT e.rowid FROM digest_entries e"
                f" WHERE e.arxiv_id = k.arxiv_id{in_range}"
                " ORDER BY e.score IS NULL, e.score DESC, e.day DESC LIMIT 1)"
            )
        else:
            best, joins = "k.best_score AS score, k.best_day AS day", ""
        patterns = category_patterns(query)
        where = ""
        if patterns:
            joins += " JOIN papers c ON c.arxiv_id = k.arxiv_id"
            likes = " OR ".join("c.categories LIKE ? ESCAPE '\\'" for _ in patterns)
            where = f" AND ({likes})"
        params.append(fts_match(terms, prefix=prefix))
        params.extend(patterns)
        params.append(query.limit)
        order = "r.tier DESC, r.score IS NULL, r.score DESC, r.day DESC, r.arxiv_id"
        sql = (
            "SELECT r.arxiv_id, p.title, '[' || p.authors || ',' || p.categories || ']' AS blob,"
            " r.tier, r.score, r.day FROM ("
            f" SELECT k.arxiv_id AS arxiv_id, CASE WHEN k.id IN ({_IN_FTS}) THEN 2"
            f" WHEN k.id IN ({_IN_FTS}) THEN 1 ELSE 0 END AS tier, {best}"
            " FROM papers_fts JOIN papers_fts_keys k ON k.id = papers_fts.rowid"
            f"{joins}"
            f" WHERE papers_fts MATCH ?{where}"
            f" ORDER BY {order.replace('r.', '')} LIMIT ?) r"
            " JOIN papers p ON p.arxiv_id = r.arxiv_id"
            f" ORDER BY {order}"
        )
        return hits_from(await self._search_all(sql, params))

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
            # The last stored matches, straight from FTS5's rowid order: it stops at `limit`
            # (sorting by id would rank every match of a short prefix first); then by their
            # best listing, as the keys hold it.
            found = await self._search_all(
                "SELECT p.arxiv_id, p.title FROM (SELECT rowid FROM papers_fts"
                " WHERE papers_fts MATCH ? ORDER BY rowid DESC LIMIT ?) f"
                " JOIN papers_fts_keys k ON k.id = f.rowid JOIN papers p ON p.arxiv_id = k.arxiv_id"
                " ORDER BY k.best_score IS NULL, k.best_score DESC, k.best_day DESC,"
                " k.arxiv_id DESC",
                (fts_match(terms, prefix=prefix, columns="title"), limit),
            )
            for arxiv_id, title in found:
                out.setdefault(arxiv_id, title)
        return list(out.items())[:limit]
