"""The subscriptions aggregate: which channel gets which digest when, and whether it is failing.

One subscription per channel (the channel id is the key). Rules every backend keeps
(tests/store/test_subscriptions.py):
- `upsert_subscription` replaces every setting and the failure reason, keeps the first
  `created_at` (the stored one wins over the given one) and the time of the last failure,
  and returns the subscription as stored.
- Lists are ordered by channel id. Deleting a subscription keeps its post history.
- An unreadable stored time (`created_at`, `failing_at`) reads as None, not an error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.models import Subscription


class SubscriptionStore(Protocol):
    """Channels' subscriptions."""

    async def upsert_subscription(self, sub: Subscription) -> Subscription:
        """Create or replace the subscription of `sub.channel_id`."""
        ...

    async def get_subscription(self, channel_id: int) -> Subscription | None:
        """The subscription of one channel, or None."""
        ...

    async def delete_subscription(self, channel_id: int) -> bool:
        """Remove a channel's subscription; True if there was one."""
        ...

    async def list_subscriptions(
        self, guild_id: int | None = None, *, enabled_only: bool = False
    ) -> list[Subscription]:
        """Subscriptions of one guild (or all), ordered by channel id."""
        ...

    async def mark_failing(
        self, channel_id: int, reason: str | None, *, at: datetime | None = None
    ) -> None:
        """Mark a channel failing (e.g. 403) with a reason to show and when (`at`, default
        now), or clear it (and its time) with None."""
        ...

    async def set_enabled(self, channel_id: int, enabled: bool) -> None:
        """Disable a subscription (e.g. its channel was deleted: 404) or enable it again."""
        ...
