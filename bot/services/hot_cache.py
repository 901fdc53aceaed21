"""`/hot`'s rendered answers of final days, kept so a repeated question costs one lookup.

A day past the day lag whose stored digest is final never changes, so neither does a one-day
`/hot` over it with the same filter: reading the entries, ranking and rendering it again was
about as much CPU as discord.py's own work for the answer (bench/commands.py). An answer is
kept under the command's normalised options (source, day, window, filter) together with the
stored digest's content hash, fetch stamp and size (`DigestMeta`): saving a digest of that
day with other content changes its hash (a save of the same content changes no row), so the
kept answer is no longer found (invalidated) and ages out, even when another process (an
import) saved it. Only one-day windows are kept: a week
or a month also depends on the days before it, whose stamps the key does not hold. Bounded
(least recently used out first).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime
from typing import Any

from bot.filters import PaperFilter
from bot.models import DigestMeta, Window

Payload = dict[str, Any]
Key = tuple[str, date, Window, PaperFilter, datetime, int, str]

DEFAULT_SIZE = 512  # answers; each is a few kB of payload


def key_for(meta: DigestMeta, window: Window, flt: PaperFilter) -> Key:
    """The cache key of a `/hot` over the stored day `meta` describes."""
    return (
        meta.source,
        meta.day,
        window,
        flt,
        meta.fetched_at,
        meta.paper_count,
        meta.content_hash,
    )


class HotCache:
    """A bounded LRU of rendered `/hot` answers (lists of payloads, never changed in place)."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = max(0, size)
        self._kept: OrderedDict[Key, tuple[Payload, ...]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: Key) -> list[Payload] | None:
        """The kept answer (a fresh list of copies: callers may edit them), or None."""
        found = self._kept.get(key)
        if found is None:
            return None
        self._kept.move_to_end(key)
        return [dict(p) for p in found]

    def put(self, key: Key, payloads: list[Payload]) -> None:
        """Keep an answer; the least recently used goes when the cache is full."""
        if self.size == 0:
            return
        self._kept[key] = tuple(dict(p) for p in payloads)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
