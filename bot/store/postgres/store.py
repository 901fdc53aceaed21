"""`PgStore`: every PostgreSQL aggregate on one pool, i.e. the whole `Store`."""

from __future__ import annotations

from bot.store.base import COUNTED, Store
from bot.store.postgres.digests import PgDigests
from bot.store.postgres.followups import PgFollowUps
from bot.store.postgres.health import PgSourceHealth
from bot.store.postgres.leases import PgLeases
from bot.store.postgres.ledger import PgPostLedger
from bot.store.postgres.locks import PgFetchLocks
from bot.store.postgres.marks import PgMarks
from bot.store.postgres.search import PgSearch
from bot.store.postgres.subscriptions import PgSubscriptions
from bot.store.postgres.tables import PgTables


class PgStore(
    PgDigests,
    PgSubscriptions,
    PgPostLedger,
    PgFollowUps,
    PgSourceHealth,
    PgLeases,
    PgTables,
    PgFetchLocks,
    PgMarks,
    PgSearch,
):
    """`Store` on one PostgreSQL database (schema). Create with `connect`, which migrates."""

    async def counts(self) -> dict[str, int]:
        """Row counts per table of `bot.store.base.COUNTED`."""
        out: dict[str, int] = {}
        for table in COUNTED:
            row = await self._one(f"SELECT count(*) AS n FROM {table}")
            out[table] = int(row["n"]) if row else 0
        return out


def _is_a_store(store: PgStore) -> Store:
    return store  # mypy checks here that PgStore implements every method of `Store`
