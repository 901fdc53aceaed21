"""The smallest shared pieces of the sandbox: the JSON alias, Discord's timestamps and ids.

Nothing here knows guilds or HTTP; every other sandbox module may import it.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000


def iso(ts: float) -> str:
    """An epoch timestamp as Discord's ISO-8601 string."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


class Snowflakes:
    """Discord-style ids: milliseconds since 2015 shifted left 22 bits, plus a counter."""

    def __init__(self) -> None:
        self._counter = itertools.count()
        self._last_ms = 0

    def next(self, *, shard: tuple[int, int] | None = None) -> int:
        """A new, strictly increasing id; with `shard` = (shard_id, num_shards), one whose
        guild would belong to that shard (`(id >> 22) % num_shards`: a later millisecond)."""
        ms = max(int(time.time() * 1000) - DISCORD_EPOCH_MS, self._last_ms)
        if shard is not None:
            shard_id, count = shard
            ms += (shard_id - ms) % count
        self._last_ms = ms
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)
