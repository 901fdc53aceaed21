"""Discord's guild sharding, as the gateway routes it: which session gets which event.

The rules (discord-api-docs, developers/events/gateway.mdx, "Sharding"; close codes from
developers/topics/opcodes-and-status-codes.mdx):

- IDENTIFY may carry `shard: [shard_id, num_shards]`; a guild belongs to shard
  `(guild_id >> 22) % num_shards` ("Sharding Formula"), and its events (GUILD_CREATE,
  INTERACTION_CREATE, MESSAGE_CREATE, ...) go only to the sessions of that shard;
- "Gateway events that do not contain a `guild_id` will only be sent to the first shard
  (`shard_id: 0`)": a DM's interaction, for one;
- a session without `shard` is `[0, 1]`: it gets everything;
- `num_shards` only routes traffic: several sessions may identify with the same pair, or with
  different counts, and each gets what its own pair owns;
- a `shard` that is not two integers with `0 <= shard_id < num_shards` closes with 4010
  (Invalid shard), as does a count that is not a multiple of the one assigned to a large bot
  (`shard_multiple`, "Sharding for Large Bots");
- a session that would handle more than `guilds_per_shard` guilds (2,500 on Discord) closes
  with 4011 (Sharding required);
- `GET /gateway/bot` recommends `shards`: one per `guilds_per_recommended_shard` guilds
  (Discord does not document its formula; about 1,000 guilds a shard is what it returns).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from sandbox.primitives import JSON

INVALID_SHARD = 4010
SHARDING_REQUIRED = 4011

# Events whose own `id` is the guild's (the others name it in `guild_id`).
GUILD_IS_ID = {"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"}

Shard = tuple[int, int]  # (shard_id, num_shards)
UNSHARDED: Shard = (0, 1)


def shard_of(guild_id: int, num_shards: int) -> int:
    """The shard that owns a guild: `(guild_id >> 22) % num_shards`."""
    return (guild_id >> 22) % num_shards


def parse_shard(value: Any, *, multiple: int = 1) -> Shard | str:
    """IDENTIFY's `shard` field as (shard_id, num_shards), or why it is invalid (→ 4010).

    Absent (None) is `[0, 1]`. Booleans are not integers here, as in JSON.
    """
    if value is None:
        return UNSHARDED
    if not isinstance(value, list) or len(value) != 2:
        return "shard must be an array of two integers [shard_id, num_shards]"
    shard_id, count = value
    if any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        return "shard must be an array of two integers [shard_id, num_shards]"
    if count < 1 or not 0 <= shard_id < count:
        return f"shard {value}: shard_id must be at least 0 and below num_shards"
    if count % multiple:
        return f"num_shards {count} is not a multiple of {multiple} (large bot sharding)"
    return (shard_id, count)


def event_guild(event: str, data: JSON) -> int | None:
    """The guild an event belongs to (routing key), or None when it names no guild."""
    raw = data.get("id") if event in GUILD_IS_ID else data.get("guild_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def owns(shard: Shard, guild_id: int | None) -> bool:
    """Whether a session identified as `shard` receives events of `guild_id` (None: no guild,
    which goes to shard 0 only)."""
    shard_id, count = shard
    if guild_id is None:
        return shard_id == 0
    return shard_of(guild_id, count) == shard_id


def guilds_of(shard: Shard, guild_ids: Iterable[int]) -> list[int]:
    """The guilds a session identified as `shard` handles (READY's list, its GUILD_CREATEs)."""
    return [g for g in guild_ids if owns(shard, g)]


def recommended_shards(guilds: int, per_shard: int) -> int:
    """`GET /gateway/bot`'s `shards`: at least 1, one more per `per_shard` guilds."""
    return max(1, math.ceil(guilds / max(1, per_shard)))
