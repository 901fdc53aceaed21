"""The engine's writes to the store, one at a time.

Posts to many channels run concurrently on one store; SQLite takes one writer at a time,
and a store sharing one connection must not interleave two transactions on it.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

from bot.models import PostRecord
from bot.store.base import Store
from bot.store.values import Claim


class Ledger:
    """Serialised writes of the post ledger and of a subscription's failing/enabled state."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = asyncio.Lock()

    async def claim_post(self, record: PostRecord) -> Claim:
        """Claim (subscription, day) before anything is sent: the stored row, and whether this
        call made it (`won`)."""
        async with self.lock:
            return await self.store.claim_post(record)

    async def finish_post(self, subscription_id: int, day: date, **fields: Any) -> None:
        """Record progress (`pending`) or an outcome."""
        async with self.lock:
            await self.store.finish_post(subscription_id, day, **fields)

    async def mark_failing(
        self, subscription_id: int, reason: str | None, at: datetime | None = None
    ) -> None:
        """Mark a subscription failing with a reason, or clear it (None)."""
        async with self.lock:
            await self.store.mark_failing(subscription_id, reason, at=at)

    async def set_enabled(self, subscription_id: int, enabled: bool) -> None:
        """Disable (a deleted channel) or enable a subscription."""
        async with self.lock:
            await self.store.set_enabled(subscription_id, enabled)

    async def reopen_post(self, subscription_id: int, day: date, **fields: Any) -> None:
        """Reset a post to an empty `pending` one of a new generation (or a late one)."""
        async with self.lock:
            await self.store.reopen_post(subscription_id, day, **fields)
