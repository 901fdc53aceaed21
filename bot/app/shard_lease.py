"""The poster lease per shard: a sharded process holds one lease for each shard it runs.

Several `hotpapers run` processes share one store when each runs other shards
(`[discord] shard_count`, `shard_ids`; `bot.sharding`). Each shard's lease is a `PosterLease`
of its own name (`poster:shard-1-of-2`), so two processes with disjoint shards both hold
theirs and both post, each for its own guilds, while two processes configured for one shard
never both post to it.

All or nothing: a process posts only while it holds the lease of every shard it runs (its
gateway sessions answer those shards' guilds; posting for some of them only would leave the
others to nobody). `acquire()` takes them all or gives back the ones it just took, so two
processes configured for overlapping shards cannot each hold half and wait on the other.

Take-over: a process that dies leaves its leases to expire (or, on the same host, to be seen
gone at once, `bot.app.lease.holder_is_gone`); the next process configured for those shards,
started by a supervisor or waiting as a standby (`hotpapers run` waits for its shards'
leases before it connects), takes them and posts what is due. The ledger's claims make every
(channel, day) posted once across the hand-over: a post the dead process had claimed is
resumed from its recorded progress, never sent again blind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.app.lease import TTL, PosterLease, Sleep, new_holder
from bot.app.renewing import Renewing
from bot.errors import StoreError
from bot.schedule import Clock, utc_now
from bot.sharding import Shards
from bot.store.base import Store

log = logging.getLogger(__name__)


class ShardLeases(Renewing):
    """The poster leases of a sharded process's shards, held together (module docstring)."""

    def __init__(
        self,
        store: Store,
        shards: Shards,
        *,
        holder: str | None = None,
        ttl: timedelta = TTL,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.store = store
        self.shards = shards
        self.holder = holder or new_holder()
        self.ttl = ttl
        self.clock = clock
        self.sleep = sleep
        self.leases = [
            PosterLease(store, holder=self.holder, ttl=ttl, clock=clock, sleep=sleep, name=name)
            for name in shards.lease_names()
        ]
        super().__init__()
        self._holding = False  # the last acquire took them all

    def _ours(self) -> list[bool]:
        now = self.clock()
        return [
            lease.lease is not None
            and lease.lease.holder == self.holder
            and now < lease.lease.expires_at
            for lease in self.leases
        ]

    async def acquire(self) -> bool:
        """Take or renew every shard's lease; True if this process holds them all now.

        When one is held by another live process, the leases this call newly took are given
        back (renewals of leases held before are kept), so nobody holds half and waits.
        """
        before = self._ours()
        got = [await lease.acquire() for lease in self.leases]
        if all(got):
            if not self._holding:
                log.info("this process holds the poster leases of %s", self.shards.describe())
            self._holding = True
            return True
        for lease, had, now_ours in zip(self.leases, before, got, strict=True):
            if now_ours and not had:
                with contextlib.suppress(StoreError, TimeoutError):
                    async with asyncio.timeout(self.interval):
                        await self.store.release_lease(lease.name, self.holder)
                lease.lease = None
        if self._holding and self.renewing:
            log.warning("%s", self.status_line())
        self._holding = False
        return False

    async def holds(self) -> bool:
        """Whether this process may post now: every shard's lease ours, the store writable."""
        held = [await lease.holds() for lease in self.leases]
        if all(held):
            return True
        if self._holding:  # one lapsed (a store fault, a pause past the TTL): all again
            return await self.acquire()
        return False

    async def wait_for_all(self) -> None:
        """Until this process holds every shard's lease (a standby waiting for a take-over);
        one log line when it has to wait."""
        if await self.acquire():
            return
        log.warning("%s; waiting to take over", self.status_line())
        while not await self.acquire():
            await self.sleep(self.interval)
        log.warning("took over %s", self.shards.describe())

    def status_line(self) -> str:
        """One line: which shards' leases this process holds, or who holds the others."""
        ours = self._ours()
        if all(ours):
            until = min(lease.lease.expires_at for lease in self.leases if lease.lease)
            return (
                f"this process (holder {self.holder}) is the poster of {self.shards.describe()}, "
                f"leases renewed until {until.isoformat(timespec='seconds')}"
            )
        for lease, mine in zip(self.leases, ours, strict=True):
            if not mine:
                return f"{lease.name}: {lease.status_line()}"
        return "this process does not hold its shards' poster leases; not posting"

    renewal_name = "hotpapers-leases"
    renewal_what = "the shards' poster leases"

    async def stop(self, *, release: bool = True) -> None:
        """Stop renewing and (by default) give every lease up, so a successor need not wait."""
        await self.stop_renewing()
        for lease in self.leases:
            await lease.stop(release=release)


AnyLease = PosterLease | ShardLeases  # what the bot renews and the scheduler asks
