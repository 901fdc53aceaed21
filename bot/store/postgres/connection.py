"""The PostgreSQL plumbing every aggregate shares: a pool, one write path, one read path,
fault mapping and write health.

One asyncpg pool per store (several coroutines of one process read and write at once; several
processes each have their own pool on one database). Writes run in a transaction at READ
COMMITTED, the server's default: a statement waits for the row locks it needs, and each
statement sees every transaction committed before it began, which is what the ledger's
one-statement rules (`ON CONFLICT DO NOTHING`, a status test in the `WHERE`) rely on. Where a
rule needs a read and a write to be one step (a lease take-over), the aggregate takes a
transaction-scoped advisory lock (`xact_lock`, key space `LOCKS`).

Faults outside the code (the server down or restarting, the connection lost, the disk full, a
read-only standby, refused credentials) leave the store as `StoreError` with a plain reason,
never the URL or its password; write faults are also kept as `write_health()`, logged once
when they start and once when they stop. Other PostgreSQL errors (a constraint, bad SQL) are
bugs and propagate unchanged.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.errors import StoreError
from bot.store.rows import now, to_text
from bot.store.values import WriteHealth

# The package's name: operators (and tests) follow the store's health under it.
log = logging.getLogger("bot.store.postgres")

# A connection of its own (migrations, tests) or one lent by the pool (every store method).
Conn: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"

# What a connection that died (or a pool that was terminated) raises when used again.
_GONE = (asyncpg.InterfaceError, asyncpg.PostgresError, OSError)

# What a migration script or a whole-store copy may take (other statements: the pool's
# `command_timeout`, `open.STATEMENT_SECONDS`).
LONG_SECONDS = 3600.0

# Advisory lock key spaces (the first of `pg_advisory_xact_lock(int, int)`'s two keys); the
# second key is `hashtext(name)`. A collision only makes two names wait for each other.
LOCKS = {
    "migrate": 7_301,  # one migration run per schema at a time
    "lease": 7_302,  # one acquire of a lease name at a time
    "source": 7_303,  # one process fetches a source at a time (sharding; locks.py)
    "subscription": 7_304,  # one new subscription id at a time (subscriptions.py)
}

# SQLSTATE classes and codes of faults outside the code, with what to tell a human.
_FAULT_CLASSES = {
    "08": "the connection to the database was lost or refused",
    "53": "the database server is out of resources",
    "57": "the database server is shutting down or restarting",
    "58": "the database server had an I/O error",
    "XX": "the database reported internal damage",
}
_FAULT_CODES = {
    "53100": "the database's disk is full",
    "53300": "the database has too many connections",
    "25006": "the database is read-only (a standby, or in recovery)",
    "42501": "permission denied in the database",
    "28000": "the database refused the login",
    "28P01": "the database refused the password",
    "3D000": "the database does not exist",
    "57014": "a query was cancelled by the database (statement timeout)",
    "40P01": "a deadlock between writers (try again)",
    "55P03": "the database is locked by another process",
}


def fault_reason(exc: BaseException) -> str | None:
    """A plain reason for an error caused by the server, the network or the disk, else None."""
    if isinstance(exc, asyncpg.PostgresError):
        code = str(getattr(exc, "sqlstate", "") or "")
        return _FAULT_CODES.get(code) or _FAULT_CLASSES.get(code[:2])
    if isinstance(exc, asyncpg.InterfaceError) and "connection" in str(exc).lower():
        return "the connection to the database was lost"
    if isinstance(exc, TimeoutError):  # before OSError, of which it is a kind
        return "the database server did not answer in time"
    if isinstance(exc, ConnectionError | OSError):
        return "the database server cannot be reached"
    return None


def _text_in(value: str) -> bytes:
    # PostgreSQL's `text` cannot hold U+0000 (SQLite's can): an upstream title or error with
    # a NUL would fail its whole write with a non-fault error, so it is stored as U+FFFD.
    # Binary format (text's is its UTF-8 bytes), so `COPY` (migrate-store) uses it too.
    return value.replace("\x00", "\ufffd").encode()


def _text_out(value: bytes) -> str:
    return value.decode()


async def setup_connection(conn: asyncpg.Connection[Any]) -> None:
    """Every pooled connection's codecs (the pool's `init`): text without NUL (`_text_in`)."""
    await conn.set_type_codec(
        "text", schema="pg_catalog", encoder=_text_in, decoder=_text_out, format="binary"
    )


class PgBase:
    """The pool of one store and the two paths through it (see the module).

    Every PostgreSQL aggregate derives from this, so `PgStore` (all of them at once) holds one
    pool and one write health.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._health = WriteHealth()

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Conn]:
        """One write transaction; a fault of the server or the network is `StoreError`."""
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                yield conn
        except Exception as exc:
            reason = fault_reason(exc)
            if reason is None:
                raise
            self._write_failed(reason)
            raise StoreError(reason) from None
        self._write_worked()

    async def _all(self, sql: str, *args: Any) -> list[Any]:
        """Read (one statement, its own snapshot)."""
        try:
            return list(await self._pool.fetch(sql, *args))
        except Exception as exc:
            reason = fault_reason(exc)
            if reason is None:
                raise
            raise StoreError(reason) from None

    async def _one(self, sql: str, *args: Any) -> Any | None:
        found = await self._all(sql, *args)
        return found[0] if found else None

    @asynccontextmanager
    async def _held_lock(self, space: str, name: str) -> AsyncIterator[bool]:
        """Try to take session advisory lock (`LOCKS[space]`, `name`) without waiting: yields
        whether this store got it, and holds it (on a connection kept out of the pool) until
        the block ends. The server frees it if this process dies, so no lock outlives its
        holder. A building block for "one process at a time" (e.g. fetching a source)."""
        try:
            conn = await self._pool.acquire()
        except Exception as exc:
            reason = fault_reason(exc)
            if reason is None:
                raise
            raise StoreError(reason) from None
        try:
            got = bool(
                await conn.fetchval(
                    "SELECT pg_try_advisory_lock($1, hashtext($2))", LOCKS[space], name
                )
            )
            try:
                yield got
            finally:
                if got:  # a connection that is gone took its lock with it
                    with contextlib.suppress(*_GONE):
                        await conn.execute(
                            "SELECT pg_advisory_unlock($1, hashtext($2))", LOCKS[space], name
                        )
        finally:
            # Releasing also runs asyncpg's reset (`pg_advisory_unlock_all()`): no lock stays
            # with a pooled connection.
            with contextlib.suppress(*_GONE):
                await self._pool.release(conn)

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

    async def close(self) -> None:
        """Close the pool's connections (waiting for the ones in use to be released)."""
        await self._pool.close()


async def xact_lock(conn: Conn, space: str, name: str) -> None:
    """Hold advisory lock (`LOCKS[space]`, `name`) until the current transaction ends.

    Scoped to the database: two schemas of one database share the key space (they wait for
    each other, harmlessly).
    """
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", LOCKS[space], name)


def affected(status: str) -> int:
    """The row count of a command status as asyncpg returns it ("UPDATE 1", "INSERT 0 1")."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0
