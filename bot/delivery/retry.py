"""Retrying a Discord operation on transient errors, with exponential backoff.

One policy for every step: opening a thread, reading back, and sending (where each retry
first looks whether the failed try went through, `before_retry`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.delivery.errors import RateLimitedPost, TransientPostError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class RetryPolicy:
    """`attempts` tries, waiting `backoff_seconds`, doubling up to `max_backoff_seconds`.

    `sleep` is injected (the engine's) so tests run the backoff instantly.
    """

    attempts: int
    backoff_seconds: float
    max_backoff_seconds: float
    sleep: Callable[[float], Awaitable[None]]

    async def run(
        self,
        op: Callable[[], Awaitable[T]],
        before_retry: Callable[[], Awaitable[T | None]] | None = None,
    ) -> T:
        """Run `op`, retrying transient errors; before each retry, `before_retry` may answer.

        A long rate limit (`RateLimitedPost`) is not retried here: waiting it out would hold
        this post's slot in the fan-out, so the scheduler reschedules it instead.
        """
        attempts = max(1, self.attempts)
        delay = self.backoff_seconds
        for attempt in itertools.count(1):
            if attempt > 1 and before_retry is not None:
                found = await before_retry()
                if found is not None:
                    return found
            try:
                return await op()
            except RateLimitedPost:
                raise
            except TransientPostError as exc:
                if attempt == attempts:
                    raise
                log.info("transient error (attempt %d/%d): %s", attempt, attempts, exc)
                await self.sleep(delay)
                delay = min(delay * 2, self.max_backoff_seconds)
        raise AssertionError("unreachable")  # pragma: no cover - count() never ends
