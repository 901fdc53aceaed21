"""PostgreSQL's leases-and-starts aggregate (`bot.store.leases.LeaseStore`).

An acquire takes a transaction-scoped advisory lock on the lease's name first, then reads
the row and writes the outcome of `bot.store.leases.after_request` in the same transaction.
Every acquirer of one name, in any process, queues on that lock, so none reads the lease
while another is between its read and its write (a row lock alone could not cover a lease
that has no row yet). Another lease of the same kind (e.g. one per shard) is just another
name: `acquire_lease(f"poster-shard-{n}", …)` needs no new SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.store import rows
from bot.store.leases import after_request
from bot.store.postgres.connection import PgBase, affected, xact_lock
from bot.store.values import Lease, Start


class PgLeases(PgBase):
    """Leases and starts on PostgreSQL."""

    async def acquire_lease(
        self,
        name: str,
        holder: str,
        *,
        now: datetime,
        ttl: timedelta,
        dead: Callable[[str], bool] | None = None,
    ) -> Lease:
        """Take or renew a lease in one transaction (see `LeaseStore`)."""
        async with self._write() as db:
            await xact_lock(db, "lease", name)
            row = await db.fetchrow("SELECT * FROM leases WHERE name = $1", name)
            current = rows.lease_from(row) if row is not None else None
            lease = after_request(current, name, holder, now=now, ttl=ttl, dead=dead)
            if lease is None:
                assert current is not None
                return current
            stored = rows.lease_row(lease)
            await db.execute(
                "INSERT INTO leases (name, holder, acquired_at, expires_at)"
                " VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " acquired_at = excluded.acquired_at, expires_at = excluded.expires_at",
                stored["name"],
                stored["holder"],
                stored["acquired_at"],
                stored["expires_at"],
            )
        return lease

    async def release_lease(self, name: str, holder: str) -> bool:
        """Delete the lease row if `holder` holds it."""
        async with self._write() as db:
            status = await db.execute(
                "DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder
            )
        return affected(status) > 0

    async def get_lease(self, name: str) -> Lease | None:
        """The stored lease row, or None."""
        row = await self._one("SELECT * FROM leases WHERE name = $1", name)
        return rows.lease_from(row) if row is not None else None

    async def record_start(self, start: Start, *, forget_before: datetime) -> None:
        """Insert one start and prune the old ones, in one transaction."""
        row = rows.start_row(start)
        async with self._write() as db:
            await db.execute(
                "INSERT INTO starts (at, waited_seconds) VALUES ($1, $2)",
                row["at"],
                row["waited_seconds"],
            )
            await db.execute("DELETE FROM starts WHERE at < $1", rows.to_text(forget_before))

    async def list_starts(self, since: datetime) -> list[Start]:
        """Starts at or after `since`, oldest first (compared as datetimes, as leases are)."""
        found = await self._all("SELECT at, waited_seconds FROM starts")
        starts = [s for r in found if (s := rows.start_from(r)) is not None and s.at >= since]
        return sorted(starts, key=lambda s: s.at)
