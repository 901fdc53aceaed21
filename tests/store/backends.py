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

    def update(self, table: str, values: dict[str, Any], db: str = "main") -> None:
        """Set columns of every row of `table` to raw values."""
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

    def update(self, table: str, values: dict[str, Any], db: str = "main") -> None:
        sets = ", ".join(f"{c} = ?" for c in values)
        self._raw(db, f"UPDATE {table} SET {sets}", list(values.values()))

    def force_version(self, version: int, db: str = "main") -> None:
        self._raw(db, f"PRAGMA user_version = {int(version)}", ())

    async def close(self) -> None:
        for store in self.stores:
            await store.close()


# One line per backend: the contract suite runs once for each.
HARNESSES: dict[str, Callable[[Path], Backend]] = {"sqlite": SqliteBackend}


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
    channel_id: int, day: date, *, guild_id: int = 1, nonce: str = "n", **kw: Any
) -> PostRecord:
    """A claim for (channel, day)."""
    return PostRecord(
        guild_id=guild_id, channel_id=channel_id, day=day, source="test", nonce=nonce, **kw
    )
