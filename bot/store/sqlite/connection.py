"""The SQLite plumbing every aggregate shares: one write path, one read path, write health.

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
leave the store as `StoreError` with a plain reason and no path (it may reach a user). Write
faults are also kept as the store's `write_health()`, logged once when they start and once
when they stop. Other sqlite3 errors (a constraint, bad SQL) are bugs and propagate unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aiosqlite

from bot.errors import StoreError
from bot.store.rows import now, to_text
from bot.store.values import WriteHealth

# The package's name: operators (and tests) follow the store's health under it.
log = logging.getLogger("bot.store.sqlite")
T = TypeVar("T")

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


class SqliteBase:
    """The connections of one store and the two paths through them (see the module).

    Every SQLite aggregate derives from this, so `SqliteStore` (all of them at once) holds one
    pair of connections, one transaction lock and one write health.
    """

    def __init__(self, db: aiosqlite.Connection, reader: sqlite3.Connection | None = None) -> None:
        self._db = db
        self._reader = reader
        # One connection, one transaction at a time: coroutines that write queue here
        # (e.g. a moderator's /digest subscribe during the daily fan-out).
        self._tx = asyncio.Lock()
        self._health = WriteHealth()

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

    async def _write_in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """One write transaction as one function on aiosqlite's thread: one hand-off.

        `_write` hands every statement to the thread and waits for it (a day of an import was
        ~6 round trips, most of its cost on a busy machine: bench/imports.py); here BEGIN,
        `work(connection)`, and COMMIT or ROLLBACK run together there. A cancelled caller
        cannot cut the transaction in half: the function, once queued, runs to its end.
        Faults map as in `_write`.
        """
        db = self._db

        def transaction() -> T:
            conn = db._conn  # aiosqlite's own sqlite3 connection, used on its own thread
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(conn)
                conn.commit()
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.rollback()
                raise
            return result

        async with self._tx:
            try:
                # aiosqlite runs a queued function on its thread (`_execute`, the path of all
                # its own methods); it has no public name for that.
                result: T = await asyncio.shield(db._execute(transaction))  # type: ignore[no-untyped-call]
            except sqlite3.Error as exc:
                reason = fault_reason(exc)
                if reason is None:
                    raise
                self._write_failed(reason)
                raise StoreError(reason) from None
            self._write_worked()
            return result

    def _write_failed(self, reason: str) -> None:
        h = self._health
        if h.ok:
            log.error(
                "store writes are failing: %s (logged once; shown by /digest status until "
                "they work again)",
                reason,
            )
            self._health = WriteHealth(ok=False, since=now(), reason=reason, failures=1)
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
                to_text(h.since),
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

    async def _all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
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

    async def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def close(self) -> None:
        """Close the connections (checkpointing the WAL)."""
        if self._reader is not None:
            self._reader.close()
        await self._db.close()
