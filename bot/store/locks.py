"""The fetch-lock aggregate: one process at a time fetches each source, across processes.

Several bot processes on one store (sharding, docs/scaling.md) would each fetch the same
source's day, and arXiv's etiquette (one request every few seconds, `sources.arxiv`) is per
client, not per process. So a process fetches a source only while it holds that source's
fetch lock; the others wait and read the digest it stored (`bot.services.fetching`).

Rules every backend keeps (tests/store/test_locks.py):
- **One holder at a time.** Of concurrent `acquire_fetch_lock` calls for one key, from one
  store or several, at most one returns True until it is released or expires. The lock is not
  re-entrant: `token` names one acquisition (callers use a fresh token each time), and a
  second acquisition with any other token is refused while the first holds.
- A live holder keeps the lock until it releases it. A holder whose process is gone (killed
  without releasing) holds at most until `now + ttl` by the next caller's clock, and no longer
  once `dead(token)` says its process is gone. A backend whose locks end with their holder's
  connection (PostgreSQL's session advisory locks) frees them as soon as the process dies;
  one that keeps them as rows (SQLite) relies on `ttl` and `dead`, and also lets a holder
  that outlived its `ttl` be taken over (callers choose a `ttl` beyond their own deadline).
- `release_fetch_lock` frees only the lock its own token holds.
- Keys are independent: holding `hf` says nothing about `arxiv`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

FETCH_PREFIX = "fetch:"  # a backend that keeps fetch locks as lease rows names them so


class FetchLockStore(Protocol):
    """Per-source fetch locks shared by every process on the store."""

    async def acquire_fetch_lock(
        self,
        key: str,
        token: str,
        *,
        now: datetime,
        ttl: timedelta,
        dead: Callable[[str], bool] | None = None,
    ) -> bool:
        """Take the fetch lock `key` for this acquisition (`token`) if nobody holds it; True
        if taken. Expires at `now + ttl` if never released."""
        ...

    async def release_fetch_lock(self, key: str, token: str) -> bool:
        """Free the fetch lock `key` if `token` holds it; True if it did."""
        ...
