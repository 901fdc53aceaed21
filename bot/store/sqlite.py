"""The SQLite implementation of `Store` (aiosqlite, WAL mode, raw parameterized SQL).

Two connections per store:
- writes go through aiosqlite (one worker thread, so they never block the event loop), with
  `BEGIN IMMEDIATE` so two writers queue instead of deadlocking on a lock upgrade, and an
  asyncio lock so one connection runs one transaction at a time;
- reads go through a second, read-only connection called directly on the event loop's
  thread. They are small indexed lookups (a day is one join over ~20 rows, a month ~600):
  running one takes less time than handing it to aiosqlite's thread and waking the loop when
  it is done, which was a third of `/hot`'s cost (bench/commands.py). WAL lets this reader read
  while the writer writes, and it always sees every committed write.
Several processes (or stores) may share the file thanks to WAL and a busy timeout. An
in-memory database (':memory:') cannot be shared, so there reads go through aiosqlite too.

Faults of the file or the disk (read-only, full, I/O errors, corruption, locked too long)
leave this module as `StoreError` with a plain reason and no path (it may reach a user); at
open the path is named, and a file that cannot be read, is damaged or cannot be written is
refused there, before anything else starts. Write faults while running are also kept as the
store's `write_health()`, logged once when they start and once when they stop. Other sqlite3
errors (a constraint, bad SQL) are bugs and propagate unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any, TypeVar

import aiosqlite
import orjson
from pydantic import BaseModel

from bot.errors import StoreError
from bot.models import (
    Digest,
    DigestMeta,
    Entry,
    Paper,
    PostRecord,
    SourceHealth,
    Subscription,
    Tweet,
)
from bot.store.base import Lease, Start, WriteHealth
from bot.store.migrations import migrate

log = logging.getLogger(__name__)

# Primary SQLite result codes of faults outside the code (the file, the disk, other
# processes), with what to tell a human. Anything else (constraints, misuse) is a bug.
_FAULTS = {
    3: "permission denied",  # SQLITE_PERM
    5: "the database is locked by another process",  # SQLITE_BUSY
    6: "the database is locked",  # SQLITE_LOCKED
    7: "out of memory",  # SQLITE_NOMEM
    8: "the store is read-only (the file or its folder cannot be written)",  # SQLITE_READONLY
    10: "disk I/O error",  # SQLITE_IOERR
    11: "the database file is damaged",  # SQLITE_CORRUPT
    13: "the disk is full",  # SQLITE_FULL
    14: "the database file cannot be opened (missing or not readable)",  # SQLITE_CANTOPEN
    15: "the database's lock protocol failed",  # SQLITE_PROTOCOL
    26: "the file is not a SQLite database",  # SQLITE_NOTADB
}


def fault_reason(exc: BaseException) -> str | None:
    """A plain reason for a sqlite3 error caused by the file or the disk, else None (a bug)."""
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _FAULTS.get(code & 0xFF)
    # No code (raised by Python's sqlite3 module itself): only the I/O-ish classes count.
    if isinstance(exc, sqlite3.OperationalError):
        return str(exc)
    return None


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _dt(text: str | None) -> datetime | None:
    """A stored time, aware (UTC when stored naive); an unreadable one is None, not a crash
    (a row edited by hand or by another tool must not stop every start)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        log.warning("ignoring an unreadable stored time %r", text[:40])
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# A paper row: its own columns, the entry's score, and the four JSON columns joined into one
# JSON array in SQL, so a row costs one `json.loads` (an entry-less paper gets {} and []).
_PAPER_COLUMNS = (
    "p.arxiv_id, p.version, p.title, p.abstract, p.abs_url, p.pdf_url, e.score,"
    " '[' || p.authors || ',' || p.categories || ',' || coalesce(e.metrics, '{}') || ','"
    " || coalesce(e.tweets, '[]') || ']' AS blob"
)
# The same without the discussion snippets, for ranked lists (which do not show them).
_PAPER_COLUMNS_NO_TWEETS = _PAPER_COLUMNS.replace("coalesce(e.tweets, '[]')", "'[]'")

M = TypeVar("M", bound=BaseModel)


def _trusted(cls: type[M], **values: Any) -> M:
    """Build a model from values this store itself validated when they were written.

    Like `model_construct` without its per-field default handling (every field is given),
    which made it the largest single cost of reading a digest.
    """
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def _content_hash(digest: Digest) -> str:
    body = digest.model_dump(mode="json", exclude={"fetched_at"})
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class SqliteStore:
    """`Store` on one SQLite file. Create with `open_store`, which migrates the schema."""

    def __init__(self, db: aiosqlite.Connection, reader: sqlite3.Connection | None = None) -> None:
        self._db = db
        self._reader = reader
        # One connection, one transaction at a time: coroutines that write queue here
        # (e.g. a moderator's /digest subscribe during the daily fan-out).
        self._tx = asyncio.Lock()
        self._health = WriteHealth()

    # --- plumbing -------------------------------------------------------------------------
    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; a fault of the file or disk is `StoreError` (see module)."""
        async with self._tx:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                await asyncio.shield(self._db.commit())
            except BaseException as exc:
                # Even when cancelled, every statement already handed to aiosqlite still runs
                # (its thread works through a queue in order), the BEGIN included; so always
                # queue a ROLLBACK behind them, and let the cancellation wait for it.
                await asyncio.shield(self._rollback())
                reason = fault_reason(exc)
                if reason is None:
                    raise
                self._write_failed(reason)
                raise StoreError(reason) from None
            self._write_worked()

    def _write_failed(self, reason: str) -> None:
        h = self._health
        if h.ok:
            log.error(
                "store writes are failing: %s (logged once; shown by /digest status until "
                "they work again)",
                reason,
            )
            self._health = WriteHealth(ok=False, since=_now(), reason=reason, failures=1)
        else:
            self._health = WriteHealth(
                ok=False, since=h.since, reason=reason, failures=h.failures + 1
            )

    def _write_worked(self) -> None:
        h = self._health
        if not h.ok:
            log.warning(
                "store writes work again (%d failed since %s: %s)",
                h.failures,
                _iso(h.since),
                h.reason,
            )
            self._health = WriteHealth()

    def write_health(self) -> WriteHealth:
        """Whether writes currently succeed, from the outcome of the last ones (no I/O)."""
        return self._health

    async def _rollback(self) -> None:
        # The BEGIN itself failed (no transaction to undo), or the file is failing too.
        with contextlib.suppress(sqlite3.Error):
            await self._db.execute("ROLLBACK")

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """Read: on the loop's thread through the reader (see the module docstring), else in
        one trip to aiosqlite's thread (execute, fetch and close together)."""
        try:
            if self._reader is not None:
                return self._reader.execute(sql, params).fetchall()
            return list(await self._db.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            reason = fault_reason(exc)
            if reason is None:
                raise
            raise StoreError(reason) from None

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        if self._reader is not None:
            self._reader.close()
        await self._db.close()

    # --- digests and papers ---------------------------------------------------------------
    async def save_digest(self, digest: Digest, *, final: bool = True) -> bool:
        """Store a digest; a digest with the same content as the stored one changes no row."""
        digest_hash = _content_hash(digest)
        existing = await self._one(
            "SELECT content_hash, final, fetched_at FROM digests WHERE source = ? AND day = ?",
            (digest.source, digest.day.isoformat()),
        )
        if existing is not None and existing["content_hash"] == digest_hash:
            # Same papers: only the bookkeeping may move on (a refetch of today restarts the
            # refresh interval; a day becomes final). Re-importing a file changes nothing,
            # because the file carries the same stamp.
            stamp = _iso(digest.fetched_at) if digest.fetched_at else existing["fetched_at"]
            now_final = bool(existing["final"]) or final
            if stamp == existing["fetched_at"] and now_final == bool(existing["final"]):
                return False
            async with self._write() as db:
                await db.execute(
                    "UPDATE digests SET fetched_at = ?, final = ? WHERE source = ? AND day = ?",
                    (stamp, int(now_final), digest.source, digest.day.isoformat()),
                )
            return True
        fetched = _iso(digest.fetched_at or _now())
        day = digest.day.isoformat()
        async with self._write() as db:
            for paper in digest.papers:
                await self._upsert_paper(db, paper)
            await db.execute(
                "INSERT INTO digests (source, day, title, fetched_at, final, content_hash)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (source, day) DO UPDATE SET title = excluded.title,"
                " fetched_at = excluded.fetched_at, final = excluded.final,"
                " content_hash = excluded.content_hash",
                (digest.source, day, digest.title, fetched, int(final), digest_hash),
            )
            await db.execute(
                "DELETE FROM digest_entries WHERE source = ? AND day = ?", (digest.source, day)
            )
            await db.executemany(
                "INSERT INTO digest_entries (source, day, rank, arxiv_id, score, metrics, tweets)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        digest.source,
                        day,
                        rank,
                        p.arxiv_id,
                        p.score,
                        json.dumps(p.metrics, sort_keys=True),
                        json.dumps([t.model_dump() for t in p.tweets], ensure_ascii=False),
                    )
                    for rank, p in enumerate(digest.papers, start=1)
                ],
            )
        return True

    @staticmethod
    async def _upsert_paper(db: aiosqlite.Connection, p: Paper) -> None:
        # Never replace known metadata with an empty value (e.g. a day whose post had blank
        # abstracts); a newer version of the paper wins.
        await db.execute(
            "INSERT INTO papers (arxiv_id, version, title, authors, categories, abstract,"
            " abs_url, pdf_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
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
            "   OR excluded.abs_url != papers.abs_url OR excluded.pdf_url != papers.pdf_url",
            (
                p.arxiv_id,
                p.version,
                p.title,
                json.dumps(p.authors, ensure_ascii=False),
                json.dumps(p.categories),
                p.abstract,
                p.abs_url,
                p.pdf_url,
            ),
        )

    @staticmethod
    def _paper(row: aiosqlite.Row) -> Paper:
        """A stored paper from a row of `_PAPER_COLUMNS`, built without validating it again.

        Only `save_digest` writes these rows, from `Paper`s validated (ids split, text
        normalised, links filled) on the way in. Reading is the hot path of `/hot` (a month
        is 600 papers; bench/commands.py): validating again, or decoding four JSON columns
        separately, was most of a command's CPU time.
        """
        authors, categories, metrics, tweets = orjson.loads(row["blob"])
        return _trusted(
            Paper,
            arxiv_id=row["arxiv_id"],
            version=row["version"] or None,
            title=row["title"],
            authors=authors,
            categories=categories,
            abstract=row["abstract"],
            abs_url=row["abs_url"],
            pdf_url=row["pdf_url"],
            metrics=metrics,
            score=row["score"] if row["score"] is not None else 0.0,
            tweets=[_trusted(Tweet, **t) for t in tweets],
        )

    async def _entries(self, source: str, day: str) -> list[Paper]:
        rows = await self._all(
            f"SELECT {_PAPER_COLUMNS} FROM digest_entries e"
            " JOIN papers p ON p.arxiv_id = e.arxiv_id"
            " WHERE e.source = ? AND e.day = ? ORDER BY e.rank",
            (source, day),
        )
        return [self._paper(r) for r in rows]

    async def get_digest(self, source: str, day: date) -> Digest | None:
        """The stored digest of `source` for `day`, papers in rank order, or None."""
        row = await self._one(
            "SELECT * FROM digests WHERE source = ? AND day = ?", (source, day.isoformat())
        )
        if row is None:
            return None
        return Digest(
            day=day,
            source=source,
            title=row["title"],
            papers=await self._entries(source, row["day"]),
            fetched_at=_dt(row["fetched_at"]),
        )

    async def digest_meta(self, source: str, day: date) -> DigestMeta | None:
        """Fetch time, finality and size of a stored digest, without loading its papers."""
        row = await self._one(
            "SELECT d.fetched_at, d.final, (SELECT count(*) FROM digest_entries e"
            " WHERE e.source = d.source AND e.day = d.day) AS n"
            " FROM digests d WHERE d.source = ? AND d.day = ?",
            (source, day.isoformat()),
        )
        if row is None:
            return None
        fetched = _dt(row["fetched_at"])
        assert fetched is not None
        return DigestMeta(
            source=source,
            day=day,
            fetched_at=fetched,
            final=bool(row["final"]),
            paper_count=row["n"],
        )

    async def latest_day(self, source: str | None = None) -> date | None:
        """The most recent stored day, of one source or of any."""
        if source is None:
            row = await self._one("SELECT max(day) AS d FROM digests")
        else:
            row = await self._one("SELECT max(day) AS d FROM digests WHERE source = ?", (source,))
        return date.fromisoformat(row["d"]) if row and row["d"] else None

    async def list_days(self, source: str | None = None) -> list[date]:
        """Every stored day, newest first."""
        if source is None:
            rows = await self._all("SELECT DISTINCT day FROM digests ORDER BY day DESC")
        else:
            rows = await self._all(
                "SELECT day FROM digests WHERE source = ? ORDER BY day DESC", (source,)
            )
        return [date.fromisoformat(r["day"]) for r in rows]

    async def digests_between(self, source: str | None, start: date, end: date) -> list[Digest]:
        """Stored digests with start <= day <= end, newest first: one query for the window."""
        params: list[Any] = [start.isoformat(), end.isoformat()]
        where = "d.day BETWEEN ? AND ?"
        if source is not None:
            where += " AND d.source = ?"
            params.append(source)
        rows = await self._all(
            "SELECT d.source AS d_source, d.day AS d_day, d.title AS d_title,"
            " d.fetched_at AS d_fetched_at,"
            f" {_PAPER_COLUMNS}"
            " FROM digests d"
            " LEFT JOIN digest_entries e ON e.source = d.source AND e.day = d.day"
            " LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id"
            f" WHERE {where} ORDER BY d.day DESC, d.source, e.rank",
            params,
        )
        groups: dict[tuple[str, str], tuple[aiosqlite.Row, list[Paper]]] = {}
        for r in rows:
            _, papers = groups.setdefault((r["d_source"], r["d_day"]), (r, []))
            if r["arxiv_id"] is not None:
                papers.append(self._paper(r))
        return [
            Digest(
                day=date.fromisoformat(first["d_day"]),
                source=first["d_source"],
                title=first["d_title"],
                papers=papers,
                fetched_at=_dt(first["d_fetched_at"]),
            )
            for first, papers in groups.values()
        ]

    async def window_entries(
        self, source: str, start: date, end: date, *, categories: bool = True
    ) -> tuple[dict[date, str], list[Entry]]:
        """The window's digests and entries, without paper text (see `Store`).

        Newest day first, each in rank order, as `digests_between` (so ties between two
        entries of one paper resolve as they do there). A month is ~600 rows of a few short
        columns; metrics and categories come joined into one JSON array: one decode a row.
        Categories are the one column of `papers` needed here: without them (a filter that
        names none), the papers table is not touched, which halves the query.
        """
        cats = "p.categories" if categories else "'[]'"
        join = " LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id" if categories else ""
        rows = await self._all(
            "SELECT d.day, d.title, e.arxiv_id, e.rank, e.score,"
            f" '[' || e.metrics || ',' || {cats} || ']'"
            " FROM digests d"
            " LEFT JOIN digest_entries e ON e.source = d.source AND e.day = d.day"
            f"{join}"
            " WHERE d.source = ? AND d.day BETWEEN ? AND ? ORDER BY d.day DESC, e.rank",
            (source, start.isoformat(), end.isoformat()),
        )
        titles: dict[date, str] = {}
        days: dict[str, date] = {}
        entries: list[Entry] = []
        for text_day, title, arxiv_id, rank, score, blob in rows:
            day = days.get(text_day)
            if day is None:
                day = days[text_day] = date.fromisoformat(text_day)
                titles[day] = title
            if arxiv_id is not None:
                metrics, cats_ = orjson.loads(blob)
                entries.append(Entry(arxiv_id, day, rank, score, metrics, cats_))
        return titles, entries

    async def entry_papers(self, source: str, entries: Sequence[Entry]) -> list[Paper]:
        """The papers of chosen entries, in order (see `Store`): one indexed lookup each."""
        if not entries:
            return []
        pairs = ", ".join("(?, ?)" for _ in entries)
        # The CROSS JOIN keeps the VALUES list as the outer loop: a lookup by the unique
        # (source, day, arxiv_id) index per entry, in the given order. Left to itself the
        # planner scanned every entry of the source (12 ms instead of 30 µs).
        rows = await self._all(
            f"SELECT {_PAPER_COLUMNS_NO_TWEETS} FROM (VALUES {pairs}) v"
            " CROSS JOIN digest_entries e"
            " ON e.source = ? AND e.day = v.column1 AND e.arxiv_id = v.column2"
            " JOIN papers p ON p.arxiv_id = e.arxiv_id",
            [*(x for e in entries for x in (e.day.isoformat(), e.arxiv_id)), source],
        )
        return [self._paper(r) for r in rows]

    async def get_paper(self, arxiv_id: str) -> Paper | None:
        """A paper's metadata with its most recent entry's score, metrics and tweets."""
        row = await self._one(
            f"SELECT {_PAPER_COLUMNS} FROM papers p"
            " LEFT JOIN digest_entries e ON e.arxiv_id = p.arxiv_id"
            " WHERE p.arxiv_id = ? ORDER BY e.day DESC LIMIT 1",
            (arxiv_id,),
        )
        return self._paper(row) if row is not None else None

    # --- subscriptions --------------------------------------------------------------------
    @staticmethod
    def _sub(row: aiosqlite.Row) -> Subscription:
        return Subscription(
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            post_time=row["post_time"],
            timezone=row["timezone"],
            categories=json.loads(row["categories"]),
            limit=row["max_papers"],
            format=row["format"],
            min_score=row["min_score"],
            keywords=json.loads(row["keywords"]),
            post_empty=bool(row["post_empty"]),
            source=row["source"],
            enabled=bool(row["enabled"]),
            failing_reason=row["failing_reason"],
            failing_at=_dt(row["failing_at"]),
            created_at=_dt(row["created_at"]),
        )

    async def upsert_subscription(self, sub: Subscription) -> Subscription:
        """Create or replace a channel's subscription (re-subscribing clears a failure)."""
        created = sub.created_at or _now()
        async with self._write() as db:
            await db.execute(
                "INSERT INTO subscriptions (channel_id, guild_id, post_time, timezone, categories,"
                " max_papers, format, min_score, keywords, post_empty, source, enabled,"
                " failing_reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id,"
                " post_time = excluded.post_time, timezone = excluded.timezone,"
                " categories = excluded.categories, max_papers = excluded.max_papers,"
                " format = excluded.format, min_score = excluded.min_score,"
                " keywords = excluded.keywords, post_empty = excluded.post_empty,"
                " source = excluded.source, enabled = excluded.enabled,"
                " failing_reason = excluded.failing_reason",
                (
                    sub.channel_id,
                    sub.guild_id,
                    sub.post_time,
                    sub.timezone,
                    json.dumps(sub.categories),
                    sub.limit,
                    sub.format,
                    sub.min_score,
                    json.dumps(sub.keywords, ensure_ascii=False),
                    int(sub.post_empty),
                    sub.source,
                    int(sub.enabled),
                    sub.failing_reason,
                    _iso(created),
                ),
            )
        stored = await self.get_subscription(sub.channel_id)
        assert stored is not None
        return stored

    async def get_subscription(self, channel_id: int) -> Subscription | None:
        """The subscription of one channel, or None."""
        row = await self._one("SELECT * FROM subscriptions WHERE channel_id = ?", (channel_id,))
        return self._sub(row) if row else None

    async def delete_subscription(self, channel_id: int) -> bool:
        """Remove a subscription (its post history stays); True if there was one."""
        async with self._write() as db:
            cur = await db.execute("DELETE FROM subscriptions WHERE channel_id = ?", (channel_id,))
            return cur.rowcount > 0

    async def list_subscriptions(
        self, guild_id: int | None = None, *, enabled_only: bool = False
    ) -> list[Subscription]:
        """Subscriptions of one guild (or all), ordered by channel id."""
        where, params = [], []
        if guild_id is not None:
            where.append("guild_id = ?")
            params.append(guild_id)
        if enabled_only:
            where.append("enabled = 1")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = await self._all(f"SELECT * FROM subscriptions{clause} ORDER BY channel_id", params)
        return [self._sub(r) for r in rows]

    async def mark_failing(
        self, channel_id: int, reason: str | None, *, at: datetime | None = None
    ) -> None:
        """Set (with when) or clear (None) a channel's failure reason."""
        when = None if reason is None else _iso(at or _now())
        async with self._write() as db:
            await db.execute(
                "UPDATE subscriptions SET failing_reason = ?, failing_at = ? WHERE channel_id = ?",
                (reason, when, channel_id),
            )

    async def set_enabled(self, channel_id: int, enabled: bool) -> None:
        """Enable or disable a subscription."""
        async with self._write() as db:
            await db.execute(
                "UPDATE subscriptions SET enabled = ? WHERE channel_id = ?",
                (int(enabled), channel_id),
            )

    # --- posts ----------------------------------------------------------------------------
    @staticmethod
    def _post(row: aiosqlite.Row) -> PostRecord:
        return PostRecord(
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            day=date.fromisoformat(row["day"]),
            source=row["source"],
            nonce=row["nonce"],
            status=row["status"],
            message_ids=json.loads(row["message_ids"]),
            thread_id=row["thread_id"],
            arxiv_ids=json.loads(row["arxiv_ids"]),
            attempts=row["attempts"],
            error=row["error"],
            created_at=_dt(row["created_at"]),
            posted_at=_dt(row["posted_at"]),
            late=bool(row["late"]),
            generation=row["generation"],
        )

    async def claim_post(self, record: PostRecord) -> PostRecord:
        """Insert a pending post for (channel, day), or return the existing one unchanged.

        The claim is durable before anything is sent, so a crash after sending is detectable
        on restart (a pending claim) and never looks like "not posted yet".
        """
        async with self._write() as db:
            await db.execute(
                "INSERT INTO posts (channel_id, day, guild_id, source, nonce, status,"
                " message_ids, thread_id, arxiv_ids, attempts, error, created_at, late)"
                " VALUES (?, ?, ?, ?, ?, ?, '[]', NULL, ?, 0, ?, ?, ?)"
                " ON CONFLICT (channel_id, day) DO NOTHING",
                (
                    record.channel_id,
                    record.day.isoformat(),
                    record.guild_id,
                    record.source,
                    record.nonce,
                    record.status,
                    json.dumps(record.arxiv_ids),
                    record.error,
                    _iso(record.created_at or _now()),
                    int(record.late),
                ),
            )
        stored = await self.get_post(record.channel_id, record.day)
        assert stored is not None
        return stored

    async def finish_post(
        self,
        channel_id: int,
        day: date,
        *,
        status: str,
        message_ids: list[int] | None = None,
        thread_id: int | None = None,
        error: str | None = None,
        posted_at: datetime | None = None,
        late: bool | None = None,
    ) -> None:
        """Record progress or an outcome; an outcome (sent/failed) counts as an attempt."""
        posted = _iso(posted_at or _now()) if status in ("sent", "empty") else None
        async with self._write() as db:
            await db.execute(
                "UPDATE posts SET status = ?, attempts = attempts + ?, error = ?,"
                " message_ids = coalesce(?, message_ids), thread_id = coalesce(?, thread_id),"
                " posted_at = coalesce(?, posted_at), late = coalesce(?, late)"
                " WHERE channel_id = ? AND day = ?",
                (
                    status,
                    int(status != "pending"),
                    error,
                    json.dumps(message_ids) if message_ids is not None else None,
                    thread_id,
                    posted,
                    None if late is None else int(late),
                    channel_id,
                    day.isoformat(),
                ),
            )

    async def reopen_post(
        self, channel_id: int, day: date, *, generation: int, late: bool, created_at: datetime
    ) -> None:
        """Reset a post row to an empty pending attempt of `generation` (see `Store`)."""
        async with self._write() as db:
            await db.execute(
                "UPDATE posts SET status = 'pending', message_ids = '[]', thread_id = NULL,"
                " error = NULL, posted_at = NULL, generation = ?, late = ?, created_at = ?"
                " WHERE channel_id = ? AND day = ?",
                (generation, int(late), _iso(created_at), channel_id, day.isoformat()),
            )

    async def get_post(self, channel_id: int, day: date) -> PostRecord | None:
        """The ledger entry of (channel, day), or None."""
        row = await self._one(
            "SELECT * FROM posts WHERE channel_id = ? AND day = ?", (channel_id, day.isoformat())
        )
        return self._post(row) if row else None

    async def list_posts(
        self,
        *,
        channel_id: int | None = None,
        guild_id: int | None = None,
        since: date | None = None,
        arxiv_id: str | None = None,
    ) -> list[PostRecord]:
        """Ledger entries matching every given filter, newest day first."""
        where: list[str] = []
        params: list[Any] = []
        if channel_id is not None:
            where.append("channel_id = ?")
            params.append(channel_id)
        if guild_id is not None:
            where.append("guild_id = ?")
            params.append(guild_id)
        if since is not None:
            where.append("day >= ?")
            params.append(since.isoformat())
        if arxiv_id is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(posts.arxiv_ids) WHERE value = ?)")
            params.append(arxiv_id)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = await self._all(f"SELECT * FROM posts{clause} ORDER BY day DESC, channel_id", params)
        return [self._post(r) for r in rows]

    # --- source health --------------------------------------------------------------------
    async def record_source_health(
        self, source: str, *, ok: bool, error: str | None = None, at: datetime | None = None
    ) -> None:
        """Record one fetch outcome; failures count up until the next success."""
        when = _iso(at or _now())
        async with self._write() as db:
            await db.execute(
                "INSERT INTO source_health (source, ok, checked_at, last_ok_at, error,"
                " consecutive_failures) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (source) DO UPDATE SET ok = excluded.ok,"
                " checked_at = excluded.checked_at,"
                " last_ok_at = coalesce(excluded.last_ok_at, source_health.last_ok_at),"
                " error = excluded.error,"
                " consecutive_failures = CASE WHEN excluded.ok THEN 0"
                "   ELSE source_health.consecutive_failures + 1 END",
                (source, int(ok), when, when if ok else None, error, 0 if ok else 1),
            )

    async def source_health(self) -> list[SourceHealth]:
        """The latest health of every source that has been tried, by name."""
        rows = await self._all("SELECT * FROM source_health ORDER BY source")
        out: list[SourceHealth] = []
        for r in rows:
            checked = _dt(r["checked_at"])
            assert checked is not None
            out.append(
                SourceHealth(
                    source=r["source"],
                    ok=bool(r["ok"]),
                    checked_at=checked,
                    last_ok_at=_dt(r["last_ok_at"]),
                    error=r["error"],
                    consecutive_failures=r["consecutive_failures"],
                )
            )
        return out

    # --- the poster lease and process starts ----------------------------------------------
    @staticmethod
    def _lease(row: Any) -> Lease:
        acquired, expires = _dt(row["acquired_at"]), _dt(row["expires_at"])
        # an unreadable row counts as long expired, so the next acquire overwrites it
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return Lease(row["name"], row["holder"], acquired or epoch, expires or epoch)

    async def acquire_lease(
        self,
        name: str,
        holder: str,
        *,
        now: datetime,
        ttl: timedelta,
        dead: Callable[[str], bool] | None = None,
    ) -> Lease:
        """Take or renew a lease in one `BEGIN IMMEDIATE` transaction (see `Store`).

        Expiry is compared here, as datetimes, not as text in SQL, so the rule does not
        depend on how the timestamps happen to be formatted.
        """
        async with self._write() as db:
            async with db.execute("SELECT * FROM leases WHERE name = ?", (name,)) as cur:
                row = await cur.fetchone()
            current = self._lease(row) if row is not None else None
            if current is not None and current.holder != holder:
                expired = current.expires_at <= now
                if not expired and not (dead is not None and dead(current.holder)):
                    return current
            acquired = current.acquired_at if current and current.holder == holder else now
            lease = Lease(name, holder, acquired, now + ttl)
            await db.execute(
                "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " acquired_at = excluded.acquired_at, expires_at = excluded.expires_at",
                (name, holder, _iso(lease.acquired_at), _iso(lease.expires_at)),
            )
        return lease

    async def release_lease(self, name: str, holder: str) -> bool:
        """Delete the lease row if `holder` holds it."""
        async with self._write() as db:
            cur = await db.execute(
                "DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)
            )
            return cur.rowcount > 0

    async def get_lease(self, name: str) -> Lease | None:
        """The stored lease row, or None."""
        row = await self._one("SELECT * FROM leases WHERE name = ?", (name,))
        return self._lease(row) if row is not None else None

    async def record_start(self, start: Start, *, forget_before: datetime) -> None:
        """Insert one start and prune the old ones, in one transaction."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO starts (at, waited_seconds) VALUES (?, ?)",
                (_iso(start.at), start.waited.total_seconds()),
            )
            await db.execute("DELETE FROM starts WHERE at < ?", (_iso(forget_before),))

    async def list_starts(self, since: datetime) -> list[Start]:
        """Starts at or after `since`, oldest first (compared as datetimes, as leases are)."""
        rows = await self._all("SELECT at, waited_seconds FROM starts")
        found = [
            Start(at, timedelta(seconds=r["waited_seconds"]))
            for r in rows
            if (at := _dt(r["at"])) is not None and at >= since
        ]
        return sorted(found, key=lambda s: s.at)

    async def counts(self) -> dict[str, int]:
        """Row counts per table."""
        out: dict[str, int] = {}
        for table in (
            "papers",
            "digests",
            "digest_entries",
            "subscriptions",
            "posts",
            "source_health",
        ):
            row = await self._one(f"SELECT count(*) AS n FROM {table}")
            out[table] = int(row["n"]) if row else 0
        return out


def _open_reader(path: str | Path) -> sqlite3.Connection:
    """The read-only connection used on the event loop's thread (see the module docstring).

    A short busy timeout, because it runs on the event loop: WAL readers wait only in rare
    cases, such as recovering the WAL index after a crash.
    """
    uri = PurePath(os.path.abspath(path)).as_uri() + "?mode=ro"
    reader = sqlite3.connect(uri, uri=True, timeout=2.0)
    reader.row_factory = sqlite3.Row
    return reader


def _open_error(path: str | Path, exc: BaseException) -> StoreError | None:
    reason = fault_reason(exc)
    if reason is None and isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
    return StoreError(f"store {path}: {reason}") if reason else None


async def connect(path: str | Path, *, writable: bool = True) -> SqliteStore:
    """Open (creating if needed) and migrate the database at `path`; ':memory:' works too.

    Refused here, in a few seconds at most, with one line naming the path (StoreError): an
    empty path or a directory, a file that cannot be opened or read, a file that is not a
    SQLite database or is damaged (`PRAGMA quick_check`: it reads every page once, so a
    truncated file is found now and not at the first `/hot` that reaches its end), and a store
    that cannot be written (a write is tried and rolled back: SQLite opens a read-only file
    without complaint and only refuses the first write, hours later). `writable=False`
    skips that last check, for a caller that only reads (`hotpapers preview`).
    """
    text = str(path)
    memory = text == ":memory:"
    db: aiosqlite.Connection | None = None
    reader: sqlite3.Connection | None = None
    try:
        if not memory:
            _prepare_path(text)
            # Opened once in a worker thread first: when aiosqlite's own connect fails, its
            # thread reports back to an event loop that `asyncio.run` may have closed already,
            # which printed a traceback after the one-line error.
            await asyncio.to_thread(_try_open, text)
        db = await aiosqlite.connect(text, isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA busy_timeout = 10000")
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA foreign_keys = ON")
        async with db.execute("PRAGMA quick_check(1)") as cur:
            row = await cur.fetchone()
        if row is None or row[0] != "ok":
            raise StoreError(
                f"store {path}: the database file is damaged ({row[0] if row else '?'})"
            )
        version = await migrate(db)
        if writable:
            await _probe_write(db, version)
        reader = None if memory else _open_reader(path)
    except BaseException as exc:
        # Close what was opened: aiosqlite's worker thread would otherwise keep the process
        # alive after the error (an empty path used to hang the CLI here).
        if reader is not None:
            reader.close()
        if db is not None:
            with contextlib.suppress(Exception):
                await db.close()
        error = _open_error(path, exc)
        if error is None:
            raise
        raise error from None
    return SqliteStore(db, reader)


def _prepare_path(path: str) -> None:
    """Refuse an empty path or a directory; create the file's folder if needed."""
    if not path.strip():
        raise StoreError("store path is empty: give the SQLite file, e.g. hotpapers.sqlite3")
    if os.path.isdir(path):
        raise StoreError(f"store {path}: is a directory, not a database file")
    Path(path).parent.mkdir(parents=True, exist_ok=True)


def _try_open(path: str) -> None:
    sqlite3.connect(path).close()


async def _probe_write(db: aiosqlite.Connection, version: int) -> None:
    """Try one write (the schema version, unchanged) and roll it back."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        await db.execute(f"PRAGMA user_version = {int(version)}")
    finally:
        with contextlib.suppress(sqlite3.Error):
            await db.execute("ROLLBACK")


@asynccontextmanager
async def open_store(path: str | Path, *, writable: bool = True) -> AsyncIterator[SqliteStore]:
    """`async with open_store(path) as store:` — migrated on open, closed on exit."""
    store = await connect(path, writable=writable)
    try:
        yield store
    finally:
        await store.close()
