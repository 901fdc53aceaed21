"""When a failing unit of the posting loop may be tried again (`bot.app.scheduler`).

Each failing key (a (subscription, day) post, a (source, period) fetch, a failing channel)
waits one step longer after each consecutive failure; a success forgets it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

K = TypeVar("K")


class Backoff(Generic[K]):
    """When each failing key may be tried again: exponential steps per consecutive failure."""

    def __init__(self, step: Callable[[int], timedelta]) -> None:
        self.step = step
        self.entries: dict[K, tuple[int, datetime]] = {}

    def may_try(self, key: K, now: datetime) -> bool:
        """Whether `key` is not waiting for its next attempt."""
        entry = self.entries.get(key)
        return entry is None or now >= entry[1]

    def failed(self, key: K, now: datetime, *, at_least: timedelta = timedelta(0)) -> None:
        """Note a failure: the next attempt waits one step longer than the last (and at
        least `at_least`, e.g. a rate limit's retry_after)."""
        attempts = self.entries.get(key, (0, now))[0] + 1
        self.entries[key] = (attempts, now + max(self.step(attempts), at_least))

    def clear(self, key: K) -> None:
        """Forget `key` (it succeeded)."""
        self.entries.pop(key, None)
