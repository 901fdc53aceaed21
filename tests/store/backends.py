"""How the contract suite reaches each backend: a small harness per backend, plus test data.

A harness opens stores on a database of its own (several stores on one database stand for
several processes), creates a database at an older schema version, and writes raw rows (an
old schema's data, a corrupt value) with the backend's own SQL, which only tests may do.
To add a backend: one class here and one entry in `HARNESSES`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from bot.models import Digest, Paper, PostRecord, Tweet
from bot.store.base import Store
from bot.store.migrations import available, migrate
from bot.store.sqlite import SqliteSchema, connect
from bot.store.sqlite.open import open_connection
from tests import pgserver


class Backend(Protocol):
    """What the contract suite needs from a backend besides `Store` itself."""

    name: str

    def latest(self) -> int:
        """The newest schema version this backend's migrations reach."""
        ...

    async def open(self, db: str = "main") -> Store:
        """A new store (a new connection) on database `db`, migrated; closed at teardown."""
        ...

    async def create_at(self, version: int, db: str = "main") -> None:
        """Create database `db` empty at schema `version` (0 < version <= latest)."""
        ...

    def insert(self, table: str, row: dict[str, Any], db: str = "main") -> None:
        """Insert one raw row."""
        ...

    def update(
        self,
        table: str,
        values: dict[str, Any],
        db: str = "main",
        where: dict[str, Any] | None = None,
    ) -> None:
        """Set columns of every row of `table` (or of those matching `where`) to raw values."""
        ...

    def force_version(self, version: int, db: str = "main") -> None:
        """Mark database `db` as being at `version` (to fake a database from the future)."""
        ...

    async def close(self) -> None:
        """Close every store this harness opened."""
        ...


class SqliteBackend:
    """Files in a temporary folder, one per database name."""

    name = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.stores: list[Store] = []

    def path(self, db: str) -> Path:
        return self.folder / f"{db}.sqlite3"

    def latest(self) -> int:
        return available("sqlite")[-1].version

    async def open(self, db: str = "main") -> Store:
        store = await connect(self.path(db))
        self.stores.append(store)
        return store

    async def create_at(self, version: int, db: str = "main") -> None:
        conn = await open_connection(self.path(db))
        try:
            assert await migrate(SqliteSchema(conn), target=version) == version
        finally:
            await conn.close()

    def _raw(self, db: str, sql: str, params: Any) -> None:
        con = sqlite3.connect(self.path(db), timeout=10)
        try:
            with con:
                con.execute(sql, params)
        finally:
            con.close()

    def insert(self, table: str, row: dict[str, Any], db: str = "main") -> None:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self._raw(db, f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))

    def update(
        self,
        table: str,
        values: dict[str, Any],
        db: str = "main",
        where: dict[str, Any] | None = None,
    ) -> None:
        sets = ", ".join(f"{c} = ?" for c in values)
        match = where or {}
        clause = " AND ".join(f"{c} = ?" for c in match) or "1"
        params = [*values.values(), *match.values()]
        self._raw(db, f"UPDATE {table} SET {sets} WHERE {clause}", params)

    def force_version(self, version: int, db: str = "main") -> None:
        self._raw(db, f"PRAGMA user_version = {int(version)}", ())

    async def close(self) -> None:
        for store in self.stores:
            await store.close()


class PostgresBackend:
    """Schemas of one real server (tests/pgserver.py), one per database name of this test."""

    name = "postgresql"

    def __init__(self, folder: Path) -> None:
        self.server = pgserver.server()
        self.prefix = f"t{id(self) % 10**6}_{folder.name[-12:].replace('-', '_').lower()}"
        self.schemas: dict[str, str] = {}
        self.stores: list[Store] = []

    def schema(self, db: str) -> str:
        if db not in self.schemas:
            self.schemas[db] = self.server.schema(f"{self.prefix}_{db}")
        return self.schemas[db]

    def latest(self) -> int:
        return available("postgresql")[-1].version

    async def open(self, db: str = "main") -> Store:
        from bot.store.postgres import connect as connect_pg

        store = await connect_pg(self.server.url(self.schema(db)))
        self.stores.append(store)
        return store

    async def create_at(self, version: int, db: str = "main") -> None:
        import asyncpg

        from bot.store.postgres.open import migrate_locked

        conn = await asyncpg.connect(self.server.url(self.schema(db)))
        try:
            assert await migrate_locked(conn, target=version) == version
        finally:
            await conn.close()

    def _raw(self, db: str, sql: str, params: list[Any]) -> None:
        pgserver.run_sql(self.server.url(self.schema(db)), sql, *params)

    def insert(self, table: str, row: dict[str, Any], db: str = "main") -> None:
        columns = ", ".join(row)
        marks = ", ".join(f"${n}" for n in range(1, len(row) + 1))
        self._raw(db, f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))

    def update(
        self,
        table: str,
        values: dict[str, Any],
        db: str = "main",
        where: dict[str, Any] | None = None,
    ) -> None:
        params = [*values.values(), *(where or {}).values()]
        sets = ", ".join(f"{c} = ${n}" for n, c in enumerate(values, start=1))
        clause = " AND ".join(
            f"{c} = ${n}" for n, c in enumerate(where or {}, start=len(values) + 1)
        )
        self._raw(db, f"UPDATE {table} SET {sets} WHERE {clause or 'true'}", params)

    def force_version(self, version: int, db: str = "main") -> None:
        self._raw(db, "UPDATE schema_version SET version = $1", [version])

    async def close(self) -> None:
        for store in self.stores:
            await store.close()
        for schema in self.schemas.values():
            pgserver.run_sql(self.server.dsn(), f'DROP SCHEMA "{schema}" CASCADE')


# One line per backend: the contract suite runs once for each.
HARNESSES: dict[str, Callable[[Path], Backend]] = {
    "sqlite": SqliteBackend,
    "postgresql": PostgresBackend,
}
# Backends whose harness starts a server (a process): their runs are in the slow tier.
STARTS_A_SERVER = frozenset({"postgresql"})


# --- test data ------------------------------------------------------------------------------
def digest(day: str, ids: list[str], source: str = "test", title: str = "") -> Digest:
    """A digest of `ids` in rank order (scores 10, 9, …)."""
    return Digest(
        day=date.fromisoformat(day),
        source=source,
        title=title or f"Hot Papers {day}",
        papers=[
            Paper(
                arxiv_id=i,
                title=f"Paper {i}",
                authors=["Ada Lovelace", "Émile Borel"],
                categories=["cs.LG", "stat.ML"],
                abstract=f"About {i}.",
                score=10 - n,
                metrics={"retweets": 10 - n, "favorites": n},
                tweets=[Tweet(author="A", handle="a", url="https://x.com/a/1", text=f"on {i}")],
            )
            for n, i in enumerate(ids)
        ],
    )


def post(
    channel_id: int,
    day: date,
    *,
    guild_id: int = 1,
    nonce: str = "n",
    subscription_id: int | None = None,
    **kw: Any,
) -> PostRecord:
    """A claim for (subscription, day) in a channel; the subscription id is the channel's
    unless given (one subscription per channel, as most ledger tests need)."""
    return PostRecord(
        subscription_id=channel_id if subscription_id is None else subscription_id,
        guild_id=guild_id,
        channel_id=channel_id,
        day=day,
        source="test",
        nonce=nonce,
        **kw,
    )
