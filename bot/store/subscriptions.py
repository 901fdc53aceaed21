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
- **The scheduler's reads are bounded.** `schedule_page` reads the subscriptions it posts
  (enabled, not paused) a page at a time, by id after a given id (keyset paging: a write by
  another process between two pages neither repeats nor hides a subscription it did not
  touch), as `Timing` rows: the few columns that say when it posts, not the whole model. A
  row whose timing columns cannot be read is left out with a warning, like a list's.
  `get_subscriptions` reads the whole models of a few ids at once (those due and posting).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol, get_args

from bot.errors import StoreError
from bot.models import MAX_LATE_RISERS, Cadence, Subscription
from bot.store.rows import Row, read_time

_CADENCES = frozenset(get_args(Cadence))
PAGE = 500  # subscriptions per `schedule_page` (the scheduler's bound on what it holds)


def next_id(largest_subscription: int, largest_post: int) -> int:
    """1 + the largest id in use anywhere (see the module docstring)."""
    return 1 + max(largest_subscription, largest_post, 0)


def taken(sub: Subscription) -> StoreError:
    """The error of a (channel, name) another subscription holds."""
    return StoreError(f"channel {sub.channel_id} already has a subscription named {sub.name!r}")


class Timing(NamedTuple):
    """What the scheduler needs to know of a subscription to tell whether it is due: a light
    row (a tuple, no model) of the columns `TIMING_COLUMNS` names, in that order."""

    id: int
    guild_id: int
    channel_id: int
    cadence: Cadence
    weekday: int
    post_time: str
    timezone: str
    source: str
    enabled: bool
    paused: bool
    resumed_at: datetime | None
    created_at: datetime | None
    failing_reason: str | None
    failing_at: datetime | None
    late_risers: int

    @property
    def active(self) -> bool:
        """Whether the scheduler posts it (as `Subscription.active`)."""
        return self.enabled and not self.paused


class SchedulePage(NamedTuple):
    """One page of `schedule_page`: its readable rows, and the id to read the next page
    after (None: this was the last page). Rows left out as unreadable still move `after`
    on, so one bad row ends no scan early."""

    rows: list[Timing]
    after: int | None


TIMING_COLUMNS = (
    "id, guild_id, channel_id, cadence, weekday, post_time, timezone, source, enabled, paused,"
    " resumed_at, created_at, failing_reason, failing_at, late_risers"
)


def _int(value: Any, low: int | None = None, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"not an integer: {type(value).__name__}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{value} is out of range")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"not text: {type(value).__name__}")
    return value


def timing_from(row: Row) -> Timing:
    """A `Timing` row from the columns `TIMING_COLUMNS` names, checked as the model checks
    those fields (a ValueError or TypeError otherwise: `rows.all_readable` leaves it out)."""
    cadence = row["cadence"]
    if cadence not in _CADENCES:
        raise ValueError(f"unknown cadence {str(cadence)[:20]!r}")
    reason = row["failing_reason"]
    return Timing(
        _int(row["id"]),
        _int(row["guild_id"]),
        _int(row["channel_id"]),
        cadence,
        _int(row["weekday"], 0, 6),
        _text(row["post_time"]),
        _text(row["timezone"]),
        _text(row["source"]),
        bool(row["enabled"]),
        bool(row["paused"]),
        read_time(row["resumed_at"]),
        read_time(row["created_at"]),
        None if reason is None else _text(reason),
        read_time(row["failing_at"]),
        _int(row["late_risers"], 0, MAX_LATE_RISERS),
    )


def timing_key(row: Row) -> str:
    """How a timing row is named in an error: its id and channel."""
    return f"subscription {row['id']} of channel {row['channel_id']}"


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

    async def schedule_page(self, after: int = 0, limit: int = PAGE) -> SchedulePage:
        """The `Timing` rows of the subscriptions the scheduler posts (enabled and not
        paused) with an id above `after`, by id, at most `limit`, and where the next page
        starts (`SchedulePage.after`; None after the last)."""
        ...

    async def get_subscriptions(self, ids: Sequence[int]) -> list[Subscription]:
        """The subscriptions of `ids` that exist and can be read, by id (an unreadable one
        is left out with a warning, as in a list)."""
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
