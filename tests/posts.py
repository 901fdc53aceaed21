"""The ledger as tests of a channel with one digest ask it: by channel and name, not by id."""

from __future__ import annotations

from datetime import date

from bot.models import PostRecord
from bot.store.base import Store


async def channel_post(
    store: Store, channel_id: int, day: date, name: str = "daily"
) -> PostRecord | None:
    """The ledger row of (the channel's digest `name`, day), or None (no such digest or row)."""
    sub = await store.find_subscription(channel_id, name)
    if sub is None or sub.id is None:
        return None
    return await store.get_post(sub.id, day)
