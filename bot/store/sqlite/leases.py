"""SQLite's leases-and-starts aggregate (`bot.store.leases.LeaseStore`), and its fetch locks
(`bot.store.locks.FetchLockStore`).

An acquire reads the row and writes the outcome of `bot.store.leases.after_request` inside
one `BEGIN IMMEDIATE` transaction: another store on the file waits for the write lock, so
two processes never both see the lease free. A fetch lock is a lease row named
`fetch:<key>` whose holder is the acquisition's token: the same atomic take, expiry and
take-over from a dead holder, and a token never equals another's, so it is not re-entrant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.store import rows
from bot.store.leases import after_request
from bot.store.locks import FETCH_PREFIX
from bot.store.sqlite.connection import SqliteBase
from bot.store.values import Lease, Start


class SqliteLeases(SqliteBase):
    """Leases and starts on SQLite."""

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
            async with db.execute("SELECT * FROM leases WHERE name = ?", (name,)) as cur:
                row = await cur.fetchone()
            current = rows.lease_from(row) if row is not None else None
            lease = after_request(current, name, holder, now=now, ttl=ttl, dead=dead)
            if lease is None:
                assert current is not None
                return current
            await db.execute(
                "INSERT INTO leases (name, holder, acquired_at, expires_at)"
                " VALUES (:name, :holder, :acquired_at, :expires_at)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " acquired_at = excluded.acquired_at, expires_at = excluded.expires_at",
                rows.lease_row(lease),
            )
        return lease

    async def release_lease(self, name: str, holder: str) -> bool:
        """Delete the lease row if `holder` holds it."""
        async with self._write() as db:
            cur = await db.execute(
                "DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)
            )
            return cur.rowcount > 0

    async def get_lease(self, name: str) -> Lease | None:
        """The stored lease row, or None."""
        row = await self._one("SELECT * FROM leases WHERE name = ?", (name,))
        return rows.lease_from(row) if row is not None else None

    async def record_start(self, start: Start, *, forget_before: datetime) -> None:
        """Insert one start and prune the old ones, in one transaction."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO starts (at, waited_seconds) VALUES (:at, :waited_seconds)",
                rows.start_row(start),
            )
            await db.execute("DELETE FROM starts WHERE at < ?", (rows.to_text(forget_before),))

    async def list_starts(self, since: datetime) -> list[Start]:
        """Starts at or after `since`, oldest first (compared as datetimes, as leases are)."""
        found = await self._all("SELECT at, waited_seconds FROM starts")
        starts = [s for r in found if (s := rows.start_from(r)) is not None and s.at >= since]
        return sorted(starts, key=lambda s: s.at)

    async def acquire_fetch_lock(
        self,
        key: str,
        token: str,
        *,
        now: datetime,
        ttl: timedelta,
        dead: Callable[[str], bool] | None = None,
    ) -> bool:
        """The lease row `fetch:<key>`, taken for `token` (see `FetchLockStore`)."""
        lease = await self.acquire_lease(FETCH_PREFIX + key, token, now=now, ttl=ttl, dead=dead)
        return lease.holder == token

    async def release_fetch_lock(self, key: str, token: str) -> bool:
        """Delete the lock's row if `token` holds it."""
        return await self.release_lease(FETCH_PREFIX + key, token)
