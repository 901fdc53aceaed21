"""PostgreSQL's fetch locks (`bot.store.locks.FetchLockStore`): session advisory locks.

`acquire_fetch_lock` takes a connection of its own from the pool and tries
`pg_try_advisory_lock(LOCKS["source"], hashtext(key))` on it; taken, the connection is kept
(the lock lives as long as its session) until `release_fetch_lock` unlocks it and gives it
back. So a holder that dies frees its locks the moment its connections close, with no TTL to
wait out (`ttl` and `dead` are for backends that keep locks as rows). A second acquisition,
from this store or any other, runs on another session and is refused while the first holds:
the lock is not re-entrant across tokens, as the contract wants.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bot.errors import StoreError
from bot.store.postgres.connection import LOCKS, PgBase, fault_reason


class PgFetchLocks(PgBase):
    """Fetch locks on PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool)
        self._fetch_sessions: dict[tuple[str, str], Any] = {}  # (key, token) -> its session

    def _sessions(self) -> dict[tuple[str, str], Any]:
        return self._fetch_sessions

    async def close(self) -> None:
        """Give back the sessions of locks still held (resetting a session unlocks all its
        advisory locks), then close the pool, which waits for every lent connection."""
        held, self._fetch_sessions = self._fetch_sessions, {}
        for conn in held.values():
            await self._pool.release(conn)
        await super().close()

    async def acquire_fetch_lock(
        self,
        key: str,
        token: str,
        *,
        now: datetime,
        ttl: timedelta,
        dead: Callable[[str], bool] | None = None,
    ) -> bool:
        """Try the advisory lock on a session of its own; keep the session while held."""
        try:
            conn = await self._pool.acquire()
        except Exception as exc:
            reason = fault_reason(exc)
            if reason is None:
                raise
            raise StoreError(reason) from None
        try:
            got = bool(
                await conn.fetchval(
                    "SELECT pg_try_advisory_lock($1, hashtext($2))", LOCKS["source"], key
                )
            )
        except BaseException as exc:  # a cancel too: the server may have granted the lock
            await self._pool.release(conn)  # resetting the session unlocks it
            reason = fault_reason(exc) if isinstance(exc, Exception) else None
            if reason is None:
                raise
            raise StoreError(reason) from None
        if not got:
            await self._pool.release(conn)
            return False
        self._sessions()[(key, token)] = conn
        return True

    async def release_fetch_lock(self, key: str, token: str) -> bool:
        """Unlock on the holding session and give the session back to the pool."""
        conn = self._sessions().pop((key, token), None)
        if conn is None:
            return False
        try:
            await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", LOCKS["source"], key)
        except Exception as exc:
            reason = fault_reason(exc)
            if reason is None:
                raise
            raise StoreError(reason) from None
        finally:
            await self._pool.release(conn)
        return True
