"""One process at a time fetches each source: the store's fetch lock around an upstream fetch.

Several bot processes on one store (sharding) all need the same days of the same sources.
Each would otherwise fetch them, and arXiv's etiquette (one request every few seconds) holds
per client: two processes would ask twice as often. So, when several processes may share the
store (`FetchLocking` given, which `bot.app.compose` does for a sharded bot), a fetch of a
source runs only while this process holds that source's fetch lock (`bot.store.locks`):

- taken: fetch as ever (`bot.sources.cache` reads the store first, so a day another process
  stored meanwhile is not fetched again), then release;
- held by another process: wait, reading the store every `poll_seconds`, until the day is
  stored fresh (then it is read from the store, with no upstream request) or the lock is free
  (then take it); the caller's deadline bounds the wait, as it bounds a fetch;
- a holder that died holds at most `ttl` (or less: `dead` names holders known to be gone);
- the store cannot be written (the lock cannot be taken): fetch anyway, as one process would;
  nothing fetched could be stored either, and the source health says why.

Within one process the fetches of one source take turns (an asyncio lock per source), since
the store's lock is not re-entrant. One process alone (the default) takes no lock at all.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from bot.config import SourcesConfig
from bot.errors import StoreError
from bot.schedule import Clock
from bot.sources.cache import is_fresh
from bot.store.base import Store

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class FetchLocking:
    """How this process takes the fetch locks: its holder id (a token is `holder#random`),
    which holders are known to be gone, how long a lock may outlive a killed holder."""

    holder: str
    ttl: timedelta
    dead: Callable[[str], bool] | None = None
    poll_seconds: float = 0.5


class OneFetcher:
    """Runs an upstream fetch of a source only while holding its fetch lock (module docstring)."""

    def __init__(
        self, store: Store, config: SourcesConfig, clock: Clock, locking: FetchLocking | None
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.locking = locking
        self._turns: dict[str, asyncio.Lock] = {}
        self.waited = 0  # fetches that found another process fetching (for tests and logs)

    def _dead(self, token: str) -> bool:
        assert self.locking is not None
        dead = self.locking.dead
        return dead is not None and dead(token.split("#", 1)[0])

    async def run(self, source: str, day: date, fetch: Callable[[], Awaitable[T]]) -> T:
        """`fetch()` (which reads the store first and fetches on a miss), one process at a
        time per source."""
        locking = self.locking
        if locking is None:
            return await fetch()
        if is_fresh(await self.store.digest_meta(source, day), self.clock(), self.config):
            return await fetch()  # stored: read it, never behind another day's fetch
        async with self._turns.setdefault(source, asyncio.Lock()):
            noted = False
            while True:
                if is_fresh(await self.store.digest_meta(source, day), self.clock(), self.config):
                    return await fetch()  # stored (by another process, perhaps): no upstream
                token = f"{locking.holder}#{secrets.token_hex(4)}"
                try:
                    held = await self.store.acquire_fetch_lock(
                        source, token, now=self.clock(), ttl=locking.ttl, dead=self._dead
                    )
                except StoreError as exc:
                    log.warning("%s: no fetch lock (%s); fetching anyway", source, exc)
                    return await fetch()
                except asyncio.CancelledError:  # granted, perhaps, as the deadline came
                    await self._release(source, token)
                    raise
                if held:
                    try:
                        return await fetch()
                    finally:
                        await self._release(source, token)
                if not noted:
                    noted = True
                    self.waited += 1
                    log.info("%s: another process is fetching; waiting for %s", source, day)
                await asyncio.sleep(locking.poll_seconds)

    async def _release(self, source: str, token: str) -> None:
        try:
            await self.store.release_fetch_lock(source, token)
        except StoreError as exc:  # it expires by itself
            log.warning("%s: could not release the fetch lock (%s)", source, exc)
