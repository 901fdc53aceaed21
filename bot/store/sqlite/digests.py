"""SQLite's digests-and-papers aggregate (`bot.store.digests.DigestStore`).

Reading is the hot path of `/hot` and `/paper` (a month is ~600 papers; bench/commands.py):
a paper row carries its four JSON columns joined into one JSON array in SQL, so a row costs
one `orjson.loads`, and papers are built without validating them again (`rows.trusted`).
An entry whose JSON cannot be read (a hand edit) is left out with a warning, so one bad row
does not take a whole day, or a whole `/hot` window, with it (`rows.all_readable`).

Writing: a save (of one day or of an import's batch) is one function on the writer's thread,
one transaction, and indexes the papers it inserts for search once, at its end (`_NewPapers`,
migration 0010): from the insert trigger, FTS5 wrote a segment a paper, most of the cost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

import aiosqlite
import orjson

from bot.models import Digest, DigestMeta, Entry, Paper
from bot.store import rows
from bot.store.sqlite.connection import SqliteBase

# A paper row: its own columns, the entry's score, and the five JSON columns joined into one
# JSON array in SQL (an entry-less paper gets score 0, {} and []; an entry's NULL score, a
# paper no crowd discussed, stays NULL).
_PAPER_COLUMNS = (
    "p.arxiv_id, p.version, p.title, p.abstract, p.abs_url, p.pdf_url,"
    " CASE WHEN e.rank IS NULL THEN 0.0 ELSE e.score END AS score,"
    " '[' || p.authors || ',' || p.categories || ',' || coalesce(e.metrics, '{}') || ','"
    " || coalesce(e.tweets, '[]') || ',' || coalesce(e.read_at, '{}') || ']' AS blob"
)
# The same without the discussion snippets, for ranked lists (which do not show them).
_PAPER_COLUMNS_NO_TWEETS = _PAPER_COLUMNS.replace("coalesce(e.tweets, '[]')", "'[]'")

# Never replace known metadata with an empty value (e.g. a day whose post had blank
# abstracts); a newer version of the paper wins; an unchanged paper is not written at all.
_UPSERT_PAPER = (
    "INSERT INTO papers (arxiv_id, version, title, authors, categories, abstract,"
    " abs_url, pdf_url) VALUES (:arxiv_id, :version, :title, :authors, :categories,"
    " :abstract, :abs_url, :pdf_url)"
    " ON CONFLICT (arxiv_id) DO UPDATE SET"
    " version = max(coalesce(excluded.version, 0), coalesce(papers.version, 0)),"
    " title = CASE WHEN excluded.title != '' THEN excluded.title ELSE papers.title END,"
    " authors = CASE WHEN excluded.authors != '[]' THEN excluded.authors"
    "   ELSE papers.authors END,"
    " categories = CASE WHEN excluded.categories != '[]' THEN excluded.categories"
    "   ELSE papers.categories END,"
    " abstract = CASE WHEN excluded.abstract != '' THEN excluded.abstract"
    "   ELSE papers.abstract END,"
    " abs_url = excluded.abs_url, pdf_url = excluded.pdf_url"
    " WHERE excluded.title != papers.title OR excluded.authors != papers.authors"
    "   OR excluded.categories != papers.categories"
    "   OR (excluded.abstract != '' AND excluded.abstract != papers.abstract)"
    "   OR coalesce(excluded.version, 0) > coalesce(papers.version, 0)"
    "   OR excluded.abs_url != papers.abs_url OR excluded.pdf_url != papers.pdf_url"
)


def _paper(row: aiosqlite.Row) -> Paper:
    """A stored paper from a row of `_PAPER_COLUMNS`."""
    authors, categories, metrics, tweets, read_at = orjson.loads(row["blob"])
    return rows.paper_from(row, authors, categories, metrics, tweets, read_at)


def _paper_key(row: aiosqlite.Row) -> str:
    return f"paper {row['arxiv_id']}"


def _papers(found: Sequence[aiosqlite.Row]) -> list[Paper]:
    """The papers of rows of `_PAPER_COLUMNS` that can be read, in order."""
    return rows.all_readable(_paper, found, _paper_key)


class _Day(NamedTuple):
    """A digest as the rows a save writes, built before the transaction."""

    source: str
    day: str
    stamp: str | None
    final: bool
    content_hash: str
    head: dict[str, Any]
    papers: list[dict[str, Any]]
    entries: list[dict[str, Any]]


def _prepared(digest: Digest, final: bool) -> _Day:
    papers = [rows.paper_row(p) for p in digest.papers]
    entries = rows.entry_rows(digest)
    digest_hash = rows.rows_hash(digest, papers, entries)
    return _Day(
        source=digest.source,
        day=digest.day.isoformat(),
        stamp=rows.to_text(digest.fetched_at) if digest.fetched_at else None,
        final=final,
        content_hash=digest_hash,
        head=rows.digest_row(digest, final=final, content=digest_hash),
        papers=papers,
        entries=entries,
    )


class _NewPapers:
    """The papers a transaction upserts, indexed for search once, at its end (migration 0010).

    The first upsert puts a row in `papers_fts_deferred` (inserting a paper then indexes
    nothing); `index` does for the new ones what the insert trigger would have done for each
    (their keys in the order the papers were first named, so with the same ids), then looks
    their best listing up from the entries, as migration 0007's backfill (the entries'
    triggers found no key to update), and deletes the row.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._ids: dict[str, None] = {}  # first named first
        self._last_key: int | None = None  # the largest key before the first upsert

    def upsert(self, papers: list[dict[str, Any]]) -> None:
        """Upsert one day's papers (`_UPSERT_PAPER`) with the index deferred."""
        db = self._db
        if self._last_key is None:
            db.execute("INSERT INTO papers_fts_deferred (writer) VALUES (1)")
            (self._last_key,) = db.execute(
                "SELECT coalesce(max(id), 0) FROM papers_fts_keys"
            ).fetchone()
        db.executemany(_UPSERT_PAPER, papers)
        self._ids.update(dict.fromkeys(p["arxiv_id"] for p in papers))

    def index(self) -> None:
        """Index the upserted papers that have no key yet; the trigger works again after."""
        if self._last_key is None:
            return
        db = self._db
        db.execute(
            "INSERT INTO papers_fts_keys (arxiv_id) SELECT j.value FROM json_each(?) j"
            " WHERE NOT EXISTS (SELECT 1 FROM papers_fts_keys k WHERE k.arxiv_id = j.value)"
            " ORDER BY j.key",
            (orjson.dumps(list(self._ids)).decode(),),
        )
        db.execute(
            "INSERT INTO papers_fts (rowid, title, authors, abstract)"
            " SELECT k.id, p.title, p.authors, p.abstract"
            " FROM papers_fts_keys k JOIN papers p ON p.arxiv_id = k.arxiv_id"
            " WHERE k.id > ? ORDER BY k.id",
            (self._last_key,),
        )
        db.execute(
            "UPDATE papers_fts_keys SET (best_score, best_day) = (SELECT e.score, e.day"
            " FROM digest_entries e WHERE e.arxiv_id = papers_fts_keys.arxiv_id"
            " ORDER BY e.score IS NULL, e.score DESC, e.day DESC LIMIT 1) WHERE id > ?",
            (self._last_key,),
        )
        db.execute("DELETE FROM papers_fts_deferred")


def _write_days(db: sqlite3.Connection, days: Sequence[_Day]) -> list[bool]:
    """Every day's statements, in order, inside the caller's transaction; one result each."""
    new = _NewPapers(db)
    done = [_write_day(db, d, new) for d in days]
    new.index()
    return done


def _write_day(db: sqlite3.Connection, d: _Day, new: _NewPapers) -> bool:
    """One day's statements inside the caller's transaction; True when anything changed."""
    existing = db.execute(
        "SELECT content_hash, final, fetched_at FROM digests WHERE source = ? AND day = ?",
        (d.source, d.day),
    ).fetchone()
    if existing is not None and existing["content_hash"] == d.content_hash:
        # Same papers: only the bookkeeping may move on (a refetch of today restarts the
        # refresh interval; a day becomes final). Re-importing a file changes nothing,
        # because the file carries the same stamp.
        new_stamp = d.stamp or existing["fetched_at"]
        now_final = bool(existing["final"]) or d.final
        if new_stamp == existing["fetched_at"] and now_final == bool(existing["final"]):
            return False
        db.execute(
            "UPDATE digests SET fetched_at = ?, final = ? WHERE source = ? AND day = ?",
            (new_stamp, int(now_final), d.source, d.day),
        )
        return True
    new.upsert(d.papers)
    db.execute(
        "INSERT INTO digests (source, day, title, fetched_at, final, content_hash,"
        " archives, signals_ok, signals_failed)"
        " VALUES (:source, :day, :title, :fetched_at, :final, :content_hash,"
        " :archives, :signals_ok, :signals_failed)"
        " ON CONFLICT (source, day) DO UPDATE SET title = excluded.title,"
        " fetched_at = excluded.fetched_at, final = excluded.final,"
        " content_hash = excluded.content_hash, archives = excluded.archives,"
        " signals_ok = excluded.signals_ok, signals_failed = excluded.signals_failed",
        d.head,
    )
    db.execute("DELETE FROM digest_entries WHERE source = ? AND day = ?", (d.source, d.day))
    db.executemany(
        "INSERT INTO digest_entries"
        " (source, day, rank, arxiv_id, score, metrics, tweets, read_at)"
        " VALUES (:source, :day, :rank, :arxiv_id, :score, :metrics, :tweets, :read_at)",
        d.entries,
    )
    return True


class SqliteDigests(SqliteBase):
    """Digests and papers on SQLite."""

    async def save_digest(self, digest: Digest, *, final: bool = True) -> bool:
        """Store a digest; a digest with the same content as the stored one changes no row.

        The whole day is one function on the writer's thread (`_write_in_thread`): one
        hand-off instead of one per statement, the import's main cost (bench/imports.py).
        """
        day = _prepared(digest, final)
        return (await self._write_in_thread(lambda db: _write_days(db, [day])))[0]

    async def save_digests(self, digests: Sequence[Digest], *, final: bool = True) -> list[bool]:
        """Store many digests in one transaction: `save_digest` of each, in order, one commit.

        A commit a day was what was left of an import's cost (each rewrites the touched index
        pages to the WAL): many days in one transaction write each page once.
        """
        days = [_prepared(d, final) for d in digests]
        if not days:
            return []
        return await self._write_in_thread(lambda db: _write_days(db, days))

    async def _entries(self, source: str, day: str) -> list[Paper]:
        found = await self._all(
            f"SELECT {_PAPER_COLUMNS} FROM digest_entries e"
            " JOIN papers p ON p.arxiv_id = e.arxiv_id"
            " WHERE e.source = ? AND e.day = ? ORDER BY e.rank",
            (source, day),
        )
        return _papers(found)

    async def get_digest(self, source: str, day: date) -> Digest | None:
        """The stored digest of `source` for `day`, papers in rank order, or None."""
        row = await self._one(
            "SELECT * FROM digests WHERE source = ? AND day = ?", (source, day.isoformat())
        )
        if row is None:
            return None
        return rows.digest_from(row, await self._entries(source, row["day"]))

    async def digest_meta(self, source: str, day: date) -> DigestMeta | None:
        """Fetch time, finality and size of a stored digest, without loading its papers."""
        row = await self._one(
            "SELECT d.fetched_at, d.final, d.content_hash, d.archives, d.signals_ok,"
            " d.signals_failed, (SELECT count(*) FROM digest_entries e"
            " WHERE e.source = d.source AND e.day = d.day) AS n"
            " FROM digests d WHERE d.source = ? AND d.day = ?",
            (source, day.isoformat()),
        )
        return rows.meta_from(row, source, day) if row is not None else None

    async def latest_day(self, source: str | None = None) -> date | None:
        """The most recent stored day, of one source or of any."""
        if source is None:
            row = await self._one("SELECT max(day) AS d FROM digests")
        else:
            row = await self._one("SELECT max(day) AS d FROM digests WHERE source = ?", (source,))
        return date.fromisoformat(row["d"]) if row and row["d"] else None

    async def digests_between(self, source: str | None, start: date, end: date) -> list[Digest]:
        """Stored digests with start <= day <= end, newest first: one query for the window."""
        params: list[Any] = [start.isoformat(), end.isoformat()]
        where = "d.day BETWEEN ? AND ?"
        if source is not None:
            where += " AND d.source = ?"
            params.append(source)
        found = await self._all(
            "SELECT d.source AS d_source, d.day AS d_day, d.title AS d_title,"
            " d.fetched_at AS d_fetched_at, d.archives AS d_archives,"
            " d.signals_ok AS d_signals_ok, d.signals_failed AS d_signals_failed,"
            f" {_PAPER_COLUMNS}"
            " FROM digests d"
            " LEFT JOIN digest_entries e ON e.source = d.source AND e.day = d.day"
            " LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id"
            f" WHERE {where} ORDER BY d.day DESC, d.source, e.rank",
            params,
        )
        groups: dict[tuple[str, str], tuple[aiosqlite.Row, list[Paper]]] = {}
        for r in found:
            _, papers = groups.setdefault((r["d_source"], r["d_day"]), (r, []))
            if r["arxiv_id"] is not None:
                papers.extend(_papers([r]))
        return [rows.digest_from(first, papers, prefix="d_") for first, papers in groups.values()]

    async def window_entries(
        self, source: str, start: date, end: date, *, categories: bool = True
    ) -> tuple[dict[date, str], list[Entry]]:
        """The window's digests and entries, without paper text (see `DigestStore`).

        Newest day first, each in rank order, as `digests_between` (so ties between two
        entries of one paper resolve as they do there). A month is ~600 rows of a few short
        columns; metrics and categories come joined into one JSON array: one decode a row.
        Categories are the one column of `papers` needed here: without them (a filter that
        names none), the papers table is not touched, which halves the query.
        """
        cats = "p.categories" if categories else "'[]'"
        join = " LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id" if categories else ""
        found = await self._all(
            "SELECT d.day, d.title, e.arxiv_id, e.rank, e.score,"
            f" '[' || e.metrics || ',' || {cats} || ']'"
            " FROM digests d"
            " LEFT JOIN digest_entries e ON e.source = d.source AND e.day = d.day"
            f"{join}"
            " WHERE d.source = ? AND d.day BETWEEN ? AND ? ORDER BY d.day DESC, e.rank",
            (source, start.isoformat(), end.isoformat()),
        )
        titles: dict[date, str] = {}
        entries: list[Entry] = []
        append = entries.append
        loads = orjson.loads
        new = tuple.__new__  # `Entry(...)` without its Python-level __new__: a month is 600
        last = None
        day = date.min
        for text_day, title, arxiv_id, rank, score, blob in found:
            if text_day != last:  # rows come a day at a time (ORDER BY d.day)
                last, day = text_day, date.fromisoformat(text_day)
                titles[day] = title
            if arxiv_id is not None:
                try:
                    metrics, cats_ = loads(blob)
                except (ValueError, TypeError):
                    rows.log.warning("leaving out an unreadable entry of %s on %s", arxiv_id, day)
                    continue
                append(new(Entry, (arxiv_id, day, rank, score, metrics, cats_)))
        return titles, entries

    async def entry_papers(self, source: str, entries: Sequence[Entry]) -> list[Paper]:
        """The papers of chosen entries, in order (see `DigestStore`): one lookup each."""
        if not entries:
            return []
        pairs = ", ".join("(?, ?)" for _ in entries)
        # The CROSS JOIN keeps the VALUES list as the outer loop: a lookup by the unique
        # (source, day, arxiv_id) index per entry, in the given order. Left to itself the
        # planner scanned every entry of the source (12 ms instead of 30 µs).
        found = await self._all(
            f"SELECT {_PAPER_COLUMNS_NO_TWEETS} FROM (VALUES {pairs}) v"
            " CROSS JOIN digest_entries e"
            " ON e.source = ? AND e.day = v.column1 AND e.arxiv_id = v.column2"
            " JOIN papers p ON p.arxiv_id = e.arxiv_id",
            [*(x for e in entries for x in (e.day.isoformat(), e.arxiv_id)), source],
        )
        return _papers(found)

    async def get_paper(self, arxiv_id: str) -> Paper | None:
        """A paper's metadata with its most recent entry's score, metrics and tweets."""
        row = await self._one(
            f"SELECT {_PAPER_COLUMNS} FROM papers p"
            " LEFT JOIN digest_entries e ON e.arxiv_id = p.arxiv_id"
            " WHERE p.arxiv_id = ? ORDER BY e.day DESC LIMIT 1",
            (arxiv_id,),
        )
        return rows.readable(_paper, row, _paper_key(row)) if row is not None else None

    async def paper_days(self, arxiv_id: str, source: str | None = None) -> list[tuple[str, date]]:
        """The digests listing a paper, newest first (one lookup on the entries' paper index)."""
        sql = "SELECT source, day FROM digest_entries WHERE arxiv_id = ?"
        order = " ORDER BY day DESC, source"
        if source is None:
            found = await self._all(sql + order, (arxiv_id,))
        else:
            found = await self._all(sql + " AND source = ?" + order, (arxiv_id, source))
        return [(r[0], date.fromisoformat(r[1])) for r in found]
