"""Numbered, append-only SQL migrations, one folder per dialect, and the runner that applies them.

    bot/store/migrations/
      sqlite/0001_initial.sql, 0002_….sql, …     SQLite's schema history
      postgresql/0001_….sql, …                  a PostgreSQL backend adds its own folder

Each dialect's files are numbered 1, 2, 3, … on their own (a new backend may start with one
script holding today's whole schema). The runner here knows what is common: finding a
dialect's scripts, checking their numbers, refusing a database from the future, applying the
missing ones in order. What differs per dialect is behind `Schema`: where the version is kept
(SQLite: `PRAGMA user_version`) and how one script and its version bump are applied as one
transaction, so a crash leaves the database at a whole version. Never edit a released script;
add the next number instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from typing import Protocol

from bot.errors import StoreError

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(?P<n>\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL script of one dialect."""

    dialect: str
    version: int
    name: str
    sql: str


class Schema(Protocol):
    """A dialect's hold on one database's schema version (implemented by each backend)."""

    @property
    def dialect(self) -> str:
        """The folder of this dialect's scripts, e.g. "sqlite"."""
        ...

    async def version(self) -> int:
        """The version the database is at (0: empty)."""
        ...

    async def apply(self, migration: Migration) -> None:
        """Run `migration` and record its version, in one transaction."""
        ...


def dialects() -> list[str]:
    """Every dialect that ships migrations."""
    folder = resources.files(__name__)
    return sorted(e.name for e in folder.iterdir() if e.is_dir() and not e.name.startswith("_"))


def available(dialect: str = "sqlite") -> list[Migration]:
    """Every migration of `dialect` shipped with the package, in order; numbers must be
    1, 2, 3, …"""
    folder = resources.files(__name__).joinpath(dialect)
    if not folder.is_dir():
        raise StoreError(f"no migrations for the {dialect!r} dialect")
    found: list[Migration] = []
    for entry in folder.iterdir():
        m = _NAME.match(entry.name)
        if m:
            sql = entry.read_text(encoding="utf-8")
            found.append(Migration(dialect, int(m["n"]), entry.name, sql))
    found.sort(key=lambda mig: mig.version)
    for expected, mig in enumerate(found, start=1):
        if mig.version != expected:
            raise StoreError(f"migration numbers must be consecutive: {mig.name} is not {expected}")
    return found


async def migrate(schema: Schema, *, target: int | None = None) -> int:
    """Bring the schema up to `target` (default: the newest); returns the version reached.

    Refuses a database from the future (newer than this code knows), and never goes down.
    """
    migrations = available(schema.dialect)
    latest = migrations[-1].version if migrations else 0
    goal = latest if target is None else target
    if not 0 <= goal <= latest:
        raise StoreError(f"no {schema.dialect} schema version {goal} (this code knows 0..{latest})")
    current = await schema.version()
    if current > latest:
        raise StoreError(
            f"the database is at schema version {current}, newer than this code ({latest}); "
            "upgrade hotpapers instead of opening it with an older version"
        )
    for mig in migrations:
        if mig.version <= current or mig.version > goal:
            continue
        log.info("applying migration %s/%s", mig.dialect, mig.name)
        await schema.apply(mig)
        current = mig.version
    return current
