"""Opening a SQLite store: refuse a bad file in seconds, migrate, then hand out `SqliteStore`.

At open the path is named in every error, and a file that cannot be read, is damaged or
cannot be written is refused here, before anything else starts (tests/store/sqlite/).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path, PurePath
from typing import Any

import aiosqlite

from bot.errors import StoreError
from bot.store.migrations import Migration, migrate
from bot.store.sqlite.connection import fault_reason
from bot.store.sqlite.search import check_fts5
from bot.store.sqlite.store import SqliteStore

CHECK_CACHE_KIB = -64  # the page cache while `quick_check` reads the file (negative: KiB)


class SqliteSchema:
    """SQLite's side of the migration runner: the version is `PRAGMA user_version`."""

    dialect = "sqlite"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def version(self) -> int:
        """The schema version stored in the file (0 for a new file)."""
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def apply(self, migration: Migration) -> None:
        """The script and the version bump in one transaction (executescript commits first)."""
        await self.db.executescript(
            f"BEGIN IMMEDIATE;\n{migration.sql}\n"
            f"PRAGMA user_version = {int(migration.version)};\nCOMMIT;"
        )


def _open_reader(path: str | Path) -> sqlite3.Connection:
    """The read-only connection used on the event loop's thread (see `connection`).

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


async def open_connection(path: str | Path) -> aiosqlite.Connection:
    """The writer connection with the store's settings (WAL, busy timeout, foreign keys),
    not yet checked or migrated (`connect` does both; tests build old versions with it)."""
    db = await aiosqlite.connect(str(path), isolation_level=None)
    db.row_factory = aiosqlite.Row
    try:
        await db.execute("PRAGMA busy_timeout = 10000")
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        with contextlib.suppress(Exception):
            await db.close()
        raise
    return db


async def connect(path: str | Path, *, writable: bool = True) -> SqliteStore:
    """Open (creating if needed) and migrate the database at `path`; ':memory:' works too.

    Refused here, in a few seconds at most, with one line naming the path (StoreError): an
    empty path or a directory, a file that cannot be opened or read, a file that is not a
    SQLite database or is damaged (`PRAGMA quick_check`: it reads every page once, so a
    truncated file is found now and not at the first `/hot` that reaches its end), a Python
    whose SQLite lacks FTS5 (the search index, `sqlite/search.py`), and a store that cannot be
    written (a write is tried and rolled back: SQLite opens a read-only file without complaint
    and only refuses the first write, hours later). `writable=False` skips that last check,
    for a caller that only reads (`hotpapers preview`).
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
        db = await open_connection(text)
        row = await _quick_check(db)
        if row is None or row[0] != "ok":
            raise StoreError(
                f"store {path}: the database file is damaged ({row[0] if row else '?'})"
            )
        await check_fts5(db)
        version = await migrate(SqliteSchema(db))
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


async def _quick_check(db: aiosqlite.Connection) -> Any:
    """`PRAGMA quick_check(1)`'s row, read through a small page cache.

    The check reads every page once; at SQLite's default cache (2 MB) the writer would keep
    the last 2 MB of them resident for nothing (the bot's own reads and writes fill the cache
    with the pages they use). The cache size is put back as it was after the check.
    """
    async with db.execute("PRAGMA cache_size") as cur:
        size = await cur.fetchone()
    await db.execute(f"PRAGMA cache_size = {CHECK_CACHE_KIB}")
    try:
        async with db.execute("PRAGMA quick_check(1)") as cur:
            return await cur.fetchone()
    finally:
        if size is not None:
            await db.execute(f"PRAGMA cache_size = {int(size[0])}")


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
