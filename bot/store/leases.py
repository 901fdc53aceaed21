"""The leases-and-starts aggregate: one poster per store, and a memory of recent starts.

A process posts only while it holds the lease named "poster" (`bot.app.lease`); it renews
it well before it expires. The rule that decides a take-over is data here (`after_request`),
so every backend applies the same one and only has to make it atomic. Rules every backend
keeps (tests/store/test_leases.py):
- **Never two holders.** Of concurrent `acquire_lease` calls, from one process or several,
  at most one holds the lease afterwards, and every caller is told the same holder.
- Taken when free, renewed by its holder (keeping `acquired_at`), taken over when expired by
  `now` or when `dead(holder)` says the holder is gone; otherwise nothing changes.
- An unreadable stored time reads as long expired (1970), so the next acquire takes it over;
  an unreadable start is left out of `list_starts`. Times are compared as datetimes, never
  as text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from bot.store.values import Lease, Start


def after_request(
    current: Lease | None,
    name: str,
    holder: str,
    *,
    now: datetime,
    ttl: timedelta,
    dead: Callable[[str], bool] | None = None,
) -> Lease | None:
    """The lease to store after `holder` asks for it at `now`, or None: refused, `current`
    stands."""
    if current is not None and current.holder != holder:
        expired = current.expires_at <= now
        if not expired and not (dead is not None and dead(current.holder)):
            return None
    acquired = current.acquired_at if current is not None and current.holder == holder else now
    return Lease(name, holder, acquired, now + ttl)


class LeaseStore(Protocol):
    """Named leases and remembered process starts."""

    async def acquire_lease(
        self,
        name: str,
        holder: str,
        *,
        now: datetime,
        ttl: timedelta,
        dead: Callable[[str], bool] | None = None,
    ) -> Lease:
        """Take or renew lease `name` for `holder` until `now + ttl`, atomically.

        It is taken when nobody holds it, when `holder` already does (a renewal), when the
        current holder's lease expired by `now`, or when `dead(current_holder)` says that
        process is known to be gone. Otherwise nothing changes. Returns the lease as it stands
        afterwards: `lease.holder == holder` says whether the caller holds it.
        """
        ...

    async def release_lease(self, name: str, holder: str) -> bool:
        """Give up lease `name` if `holder` holds it; True if it did."""
        ...

    async def get_lease(self, name: str) -> Lease | None:
        """Lease `name` as stored (possibly expired), or None."""
        ...

    async def record_start(self, start: Start, *, forget_before: datetime) -> None:
        """Remember a process start; forget starts before `forget_before`."""
        ...

    async def list_starts(self, since: datetime) -> list[Start]:
        """Remembered process starts at or after `since`, oldest first."""
        ...
