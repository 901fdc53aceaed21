"""The subscriptions aggregate: which channel gets which digest when, and whether it is failing.

A channel may hold several subscriptions, told apart by name (unique per channel); each has
an integer id the store gives it, which the post ledger is keyed by. Rules every backend
keeps (tests/store/test_subscriptions.py):
- `upsert_subscription` of a subscription without an id creates the (channel, name) one or
  replaces the stored one's settings; with an id it replaces that subscription's settings
  (name and channel included: a rename), and a (channel, name) another subscription holds is
  a `StoreError`. Every setting, `paused` and the failure reason are replaced; the first
  `created_at` (the stored one wins over the given one) and the time of the last failure are
  kept. It returns the subscription as stored, with its id.
- **Ids are never reused.** A new subscription's id is 1 + the largest id in the
  subscriptions *or* the post ledger (`next_id` over `LARGEST_IDS`), so the history of a
  deleted subscription stays its own (it is kept: `list_posts(channel_id=…)` still finds it)
  and a new one starts with an empty ledger. No sequence holds this: a copy between
  backends (`migrate-store`) keeps every id and the rule with it.
- Lists are ordered by channel id, then name. `enabled_only` leaves out disabled *and*
  paused subscriptions (what the scheduler posts).
- Changes to an unknown id change nothing. An unreadable stored time (`created_at`,
  `failing_at`) reads as None, not an error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.errors import StoreError
from bot.models import Subscription


def next_id(largest_subscription: int, largest_post: int) -> int:
    """1 + the largest id in use anywhere (see the module docstring)."""
    return 1 + max(largest_subscription, largest_post, 0)


def taken(sub: Subscription) -> StoreError:
    """The error of a (channel, name) another subscription holds."""
    return StoreError(f"channel {sub.channel_id} already has a subscription named {sub.name!r}")


LARGEST_IDS = (
    "SELECT coalesce((SELECT max(id) FROM subscriptions), 0),"
    " coalesce((SELECT max(subscription_id) FROM posts), 0)"
)


class SubscriptionStore(Protocol):
    """Channels' subscriptions."""

    async def upsert_subscription(self, sub: Subscription) -> Subscription:
        """Create or replace a subscription (by `sub.id`, else by (channel, name))."""
        ...

    async def get_subscription(self, subscription_id: int) -> Subscription | None:
        """One subscription by id, or None."""
        ...

    async def find_subscription(self, channel_id: int, name: str) -> Subscription | None:
        """The subscription named `name` in a channel, or None."""
        ...

    async def delete_subscription(self, subscription_id: int) -> bool:
        """Remove a subscription (its post history stays); True if there was one."""
        ...

    async def list_subscriptions(
        self,
        guild_id: int | None = None,
        channel_id: int | None = None,
        *,
        enabled_only: bool = False,
    ) -> list[Subscription]:
        """Subscriptions of one guild and/or channel (or all), by channel id then name;
        `enabled_only`: only those the scheduler posts (enabled and not paused)."""
        ...

    async def mark_failing(
        self, subscription_id: int, reason: str | None, *, at: datetime | None = None
    ) -> None:
        """Mark a subscription failing (e.g. 403) with a reason to show and when (`at`,
        default now), or clear it (and its time) with None."""
        ...

    async def set_enabled(self, subscription_id: int, enabled: bool) -> None:
        """Disable a subscription (e.g. its channel was deleted: 404) or enable it again."""
        ...

    async def set_paused(
        self, subscription_id: int, paused: bool, *, at: datetime | None = None
    ) -> None:
        """Pause a subscription (`/digest pause`), or resume it from `at` (default now: its
        `resumed_at`; slots due before it are never posted)."""
        ...
