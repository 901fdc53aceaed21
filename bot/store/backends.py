"""Which backend holds a store, chosen by its location: one line per backend in `BACKENDS`.

A location is a path (`hotpapers.sqlite3`, `:memory:`: SQLite, the default) or a URL whose
scheme names the backend (`sqlite:///var/lib/hotpapers.sqlite3`,
`postgresql://bot@db.example/hotpapers`: `bot/store/postgres/`). Each backend is one package
beside `bot/store/sqlite/` and one entry here; every caller (`hotpapers run`, `import`,
`fetch`, `preview`, `migrate-store`, the demo) opens stores through this module. A URL is never
shown back whole: messages name its scheme (and a backend's own, its host), never a password.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.errors import StoreError
from bot.store.base import Store
from bot.store.sqlite import connect as connect_sqlite

Opener = Callable[[str, bool], Awaitable[Store]]


async def _sqlite(target: str, writable: bool) -> Store:
    return await connect_sqlite(target, writable=writable)


async def _postgres(target: str, writable: bool) -> Store:
    # Imported here: a SQLite store never loads asyncpg.
    from bot.store.postgres import connect as connect_postgres

    return await connect_postgres(target, writable=writable)


BACKENDS: dict[str, Opener] = {
    "sqlite": _sqlite,
    "postgresql": _postgres,
    "postgres": _postgres,  # the short scheme libpq and many hosts' DATABASE_URL use
}


def split(location: str) -> tuple[str, str]:
    """(backend, what that backend opens): a bare path is SQLite's; `scheme://rest` names one.

    Only the scheme is ever shown back (a URL may carry a password).
    """
    scheme, sep, rest = location.partition("://")
    if not sep:
        return "sqlite", location
    scheme = scheme.lower()
    if scheme not in BACKENDS:
        known = ", ".join(f"{name}://" for name in BACKENDS)
        raise StoreError(f"no store backend for `{scheme}://` locations (known: {known} or a path)")
    if scheme == "sqlite":
        return scheme, rest  # sqlite:///abs/path → /abs/path; sqlite://rel.db → rel.db
    return scheme, location


async def connect(location: str | os.PathLike[str], *, writable: bool = True) -> Store:
    """Open (creating if needed) and migrate the store at `location`."""
    backend, target = split(os.fspath(location))
    return await BACKENDS[backend](target, writable)


@asynccontextmanager
async def open_store(
    location: str | os.PathLike[str], *, writable: bool = True
) -> AsyncIterator[Store]:
    """`async with open_store(location) as store:` — migrated on open, closed on exit."""
    store = await connect(location, writable=writable)
    try:
        yield store
    finally:
        await store.close()
