"""Opening a PostgreSQL store: connect, migrate under a lock, check it can be written.

A location is a libpq-style URL, `postgresql://user@host:port/dbname` (`postgres://` too).
Whatever asyncpg reads is honoured: `?sslmode=…`, other query parameters as server settings
(`?search_path=hotpapers` puts the tables in that schema, which must exist), and a password
from `PGPASSWORD` or `~/.pgpass` when the URL has none, which keeps it out of the config file.
Every message names the store by scheme and host only (`bot.store.urls.shown`): a URL may
carry a password.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bot.errors import StoreError
from bot.store.migrations import Migration, migrate
from bot.store.postgres.connection import (
    LOCKS,
    LONG_SECONDS,
    Conn,
    fault_reason,
    setup_connection,
)
from bot.store.postgres.store import PgStore
from bot.store.urls import shown

# Connections one process keeps (a fan-out posts up to `max_concurrent_posts` at once; each
# post's ledger writes are short transactions) and how long connecting may take.
POOL_SIZE = 10
CONNECT_SECONDS = 10.0
# The longest one statement may take before it fails as a fault (a hung server or network):
# the store's statements are indexed lookups and short writes.
STATEMENT_SECONDS = 30.0

_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"


class PgSchema:
    """PostgreSQL's side of the migration runner: the version is a one-row table,
    `schema_version`, in the store's schema."""

    dialect = "postgresql"

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def version(self) -> int:
        """The schema version (0 for an empty schema: no version table yet)."""
        await self.conn.execute(_VERSION_TABLE)
        value = await self.conn.fetchval("SELECT max(version) FROM schema_version")
        return int(value or 0)

    async def apply(self, migration: Migration) -> None:
        """The script and the version bump in one transaction (DDL is transactional here)."""
        async with self.conn.transaction():
            at = await self.conn.fetchval("SELECT max(version) FROM schema_version")
            if int(at or 0) >= migration.version:
                return  # applied by another process meanwhile
            await self.conn.execute(migration.sql, timeout=LONG_SECONDS)
            await self.conn.execute("DELETE FROM schema_version")
            await self.conn.execute(
                "INSERT INTO schema_version (version) VALUES ($1)", migration.version
            )


async def migrate_locked(conn: Conn, *, target: int | None = None) -> int:
    """Run the migrations holding a session lock on this schema's migrations, so processes
    that open a new database at once apply each script once."""
    schema = await conn.fetchval("SELECT current_schema()")
    if schema is None:
        raise StoreError("the schema named by the URL's search_path does not exist")
    await conn.execute("SELECT pg_advisory_lock($1, hashtext($2))", LOCKS["migrate"], schema)
    try:
        return await migrate(PgSchema(conn), target=target)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", LOCKS["migrate"], schema)


async def _check_encoding(conn: Conn) -> None:
    """Refuse a database that cannot hold every character: a LATIN1 (or other one-byte)
    database takes the schema, then fails the first emoji or CJK title with a non-fault
    error deep in a fetch."""
    encoding = await conn.fetchval("SELECT current_setting('server_encoding')")
    if encoding != "UTF8":
        raise StoreError(
            f"the database's encoding is {encoding}, which cannot hold every character: "
            "create it with ENCODING 'UTF8'"
        )


async def _probe_write(conn: Conn) -> None:
    """Try one write (the schema version, unchanged) and roll it back: a read-only standby or
    a role without write rights is refused now, not at the first claim."""
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute("UPDATE schema_version SET version = version")
    finally:
        await tx.rollback()


def _open_error(url: str, exc: BaseException) -> StoreError | None:
    if isinstance(exc, StoreError):
        return StoreError(f"store {shown(url)}: {exc}")
    reason = fault_reason(exc)
    if reason is None and isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError):
        reason = type(exc).__name__
    if reason is None and isinstance(exc, ValueError | OverflowError):
        # asyncpg's URL parsing quotes the part it could not read, which is the password
        # when that holds an unescaped / # ? (`int('S3cret')`): never shown.
        reason = (
            "the URL cannot be read (percent-encode / # ? @ : in its password, or leave "
            "the password to PGPASSWORD or ~/.pgpass)"
        )
    return StoreError(f"store {shown(url)}: {reason}") if reason else None


async def connect(url: str, *, writable: bool = True) -> PgStore:
    """Connect to the database at `url`, migrate it, and check it can be written (unless
    `writable=False`); a failure is one line naming the store by scheme and host."""
    pool: asyncpg.Pool | None = None
    try:
        pool = await asyncpg.create_pool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            timeout=CONNECT_SECONDS,
            command_timeout=STATEMENT_SECONDS,
            init=setup_connection,
        )
        async with pool.acquire() as conn:
            await _check_encoding(conn)
            await migrate_locked(conn)
            if writable:
                await _probe_write(conn)
    except BaseException as exc:
        if pool is not None:
            with contextlib.suppress(Exception):
                await pool.close()
        error = _open_error(url, exc)
        if error is None:
            raise
        raise error from None
    return PgStore(pool)


@asynccontextmanager
async def open_store(url: str, *, writable: bool = True) -> AsyncIterator[PgStore]:
    """`async with open_store(url) as store:` — migrated on open, closed on exit."""
    store = await connect(url, writable=writable)
    try:
        yield store
    finally:
        await store.close()
