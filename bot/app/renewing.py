"""`Renewing`: the renewal task both poster leases share (one lease, or one per shard).

A lease is only worth holding while it is renewed: every TTL/3 the task calls
`acquire()` again. A failure there is a bug, logged, and the task keeps going: `holds()` turns
false on its own when the lease expires, so the scheduler stops posting without this task
deciding anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

log = logging.getLogger(__name__)


class Renewing:
    """The renewal task of a lease holder; subclasses set `ttl`, `sleep` and `acquire`."""

    ttl: timedelta
    sleep: Callable[[float], Awaitable[object]]
    renewal_name = "hotpapers-lease"  # the asyncio task's name
    renewal_what = "the poster lease"  # for the log line

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    async def acquire(self) -> bool:
        """Take or renew the lease; True when held."""
        raise NotImplementedError

    @property
    def interval(self) -> float:
        """Seconds between renewals, and each renewal's deadline: TTL/3."""
        return self.ttl.total_seconds() / 3

    @property
    def renewing(self) -> bool:
        """Whether the renewal task was started and not stopped."""
        return self._task is not None

    def start(self) -> None:
        """Renew every `interval` until `stop()` (the task is kept by reference)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._renew_forever(), name=self.renewal_name)

    async def _renew_forever(self) -> None:
        while True:
            await self.sleep(self.interval)
            try:
                await self.acquire()
            except Exception:  # a bug: log it, keep renewing (holds() turns false on expiry)
                log.exception("renewing %s failed", self.renewal_what)

    async def stop_renewing(self) -> None:
        """Cancel the renewal task and wait for it to end."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
