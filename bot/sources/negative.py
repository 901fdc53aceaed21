"""A small negative cache: what upstream said it does not have (or failed on), for a while.

Without it, `/paper <unknown id>` asks arXiv on every call and `/hot date:` on a day with no
post asks again each time: members could make the bot do unbounded upstream work. Entries are
kept until they expire, at most `max_entries` of them (the oldest go first). Pure: the caller
passes its clock's `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bot.errors import SourceError

K = TypeVar("K")


@dataclass(frozen=True)
class Miss:
    """One remembered answer: until when, and the error to repeat (None: "not there")."""

    until: datetime
    error: SourceError | None = None


class Remembered(Generic[K]):
    """Keys upstream answered "no such thing" (or failed) for, each until its time is up."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: dict[K, Miss] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K, now: datetime) -> Miss | None:
        """The remembered miss of `key`, if it has not expired."""
        miss = self._entries.get(key)
        if miss is None:
            return None
        if now >= miss.until:
            del self._entries[key]
            return None
        return miss

    def remember(
        self, key: K, now: datetime, ttl: timedelta, error: SourceError | None = None
    ) -> None:
        """Remember `key` for `ttl` from `now` (with the error to repeat, if any)."""
        self._entries.pop(key, None)
        self._entries[key] = Miss(now + ttl, error)
        if len(self._entries) > self.max_entries:
            for stale in [k for k, m in self._entries.items() if now >= m.until]:
                del self._entries[stale]
            while len(self._entries) > self.max_entries:
                del self._entries[next(iter(self._entries))]

    def forget(self, key: K) -> None:
        """Drop `key` (upstream has it after all)."""
        self._entries.pop(key, None)
