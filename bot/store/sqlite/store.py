"""`SqliteStore`: every SQLite aggregate on one pair of connections, i.e. the whole `Store`."""

from __future__ import annotations

from bot.store.base import COUNTED, Store
from bot.store.sqlite.digests import SqliteDigests
from bot.store.sqlite.followups import SqliteFollowUps
from bot.store.sqlite.health import SqliteSourceHealth
from bot.store.sqlite.leases import SqliteLeases
from bot.store.sqlite.ledger import SqlitePostLedger
from bot.store.sqlite.marks import SqliteMarks
from bot.store.sqlite.search import SqliteSearch
from bot.store.sqlite.subscriptions import SqliteSubscriptions
from bot.store.sqlite.tables import SqliteTables


class SqliteStore(
    SqliteDigests,
    SqliteSubscriptions,
    SqlitePostLedger,
    SqliteFollowUps,
    SqliteSourceHealth,
    SqliteLeases,
    SqliteSearch,
    SqliteTables,
    SqliteMarks,
):
    """`Store` on one SQLite file. Create with `connect` or `open_store`, which migrate."""

    async def counts(self) -> dict[str, int]:
        """Row counts per table of `bot.store.base.COUNTED`."""
        out: dict[str, int] = {}
        for table in COUNTED:
            row = await self._one(f"SELECT count(*) AS n FROM {table}")
            out[table] = int(row["n"]) if row else 0
        return out


def _is_a_store(store: SqliteStore) -> Store:
    return store  # mypy checks here that SqliteStore implements every method of `Store`
