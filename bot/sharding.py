"""Which guilds this process serves: Discord's shard formula, and the lease name per shard.

Discord routes a guild's events to shard `(guild_id >> 22) % shard_count` (developers/events/
gateway.mdx, "Sharding Formula"); a process running some shards answers only their guilds'
commands. The scheduler follows the same formula, so the process that answers a guild is the
one that posts to its channels, and two processes with disjoint shards never both post to one.

Personal digests (guild id 0: a DM belongs to no guild) go with shard 0, as Discord sends DM
events there (gateway.mdx:633 "Gateway events that do not contain a `guild_id` will only be
sent to the first shard (`shard_id: 0`). This includes Direct Message (DM) ... events"): the
formula gives `(0 >> 22) % n == 0`, so the process running shard 0 posts them, and exactly one
process does.

Each shard has its own poster lease (`lease_name`): a process holds one lease per shard it
runs, so two processes with disjoint shards both post, and the shards of a process that died
are taken over by the next process configured for them once their leases expire. The
unsharded default keeps the one lease it always had, `poster`. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

POSTER = "poster"


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that owns a guild: `(guild_id >> 22) % shard_count`."""
    return (guild_id >> 22) % shard_count


def lease_name(shard_id: int, shard_count: int) -> str:
    """The poster lease of one shard, e.g. `poster:shard-1-of-2`.

    The count is part of the name: processes started with another `shard_count` hold other
    leases, and the README says every process on a store must give the same one.
    """
    return f"{POSTER}:shard-{shard_id}-of-{shard_count}"


@dataclass(frozen=True)
class Shards:
    """The shards one process runs: `ids` of `count` (None: unsharded, every guild)."""

    count: int | None = None
    ids: tuple[int, ...] = ()

    @classmethod
    def of(cls, count: int | None, ids: Iterable[int] | None) -> Shards:
        """From the config (`discord.shard_count`, `discord.shard_ids`; ids default to all)."""
        if count is None:
            return cls()
        chosen = tuple(sorted(ids)) if ids is not None else tuple(range(count))
        return cls(count, chosen)

    @property
    def sharded(self) -> bool:
        """Whether this process runs a part of the guilds rather than all of them."""
        return self.count is not None

    def owns(self, guild_id: int) -> bool:
        """Whether this process serves `guild_id` (always, when unsharded; guild 0, the
        personal digests' DMs, with shard 0)."""
        if self.count is None:
            return True
        return shard_of(guild_id, self.count) in self.ids

    def lease_names(self) -> tuple[str, ...]:
        """The poster leases this process holds: one per shard, or `poster` when unsharded."""
        if self.count is None:
            return (POSTER,)
        return tuple(lease_name(i, self.count) for i in self.ids)

    def describe(self) -> str:
        """`shards 0, 1 of 4`, or `unsharded`, for log lines and status."""
        if self.count is None:
            return "unsharded"
        return f"shards {', '.join(map(str, self.ids))} of {self.count}"
