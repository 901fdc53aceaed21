"""Numbered, append-only SQL migrations; the schema version lives in `PRAGMA user_version`.

`NNNN_name.sql` files in `bot/store/migrations/` are applied in order, each in its own
transaction together with the version bump, so a crash leaves the database at a whole version.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from bot.errors import StoreError

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(?P<n>\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL script."""

    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """Every migration shipped with the package, in order; numbers must be 1, 2, 3, …"""
    folder = resources.files("bot.store").joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m["n"]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda mig: mig.version)
    for expected, mig in enumerate(found, start=1):
        if mig.version != expected:
            raise StoreError(f"migration numbers must be consecutive: {mig.name} is not {expected}")
    return found


async def migrate(db: aiosqlite.Connection) -> int:
    """Bring the schema up to date; returns the version. Refuses a database from the future."""
    migrations = available()
    latest = migrations[-1].version if migrations else 0
    async with db.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    current = int(row[0]) if row else 0
    if current > latest:
        raise StoreError(
            f"the database is at schema version {current}, newer than this code ({latest}); "
            "upgrade hotpapers instead of opening it with an older version"
        )
    for mig in migrations:
        if mig.version <= current:
            continue
        log.info("applying migration %s", mig.name)
        # executescript commits first; run the script and the version bump in one transaction.
        await db.executescript(
            f"BEGIN IMMEDIATE;\n{mig.sql}\nPRAGMA user_version = {mig.version};\nCOMMIT;"
        )
        current = mig.version
    return current
