"""PostgreSQL's subscriptions aggregate (`bot.store.subscriptions.SubscriptionStore`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.models import Subscription
from bot.store import rows
from bot.store.postgres.connection import PgBase, affected

_COLUMNS = (
    "channel_id",
    "guild_id",
    "post_time",
    "timezone",
    "categories",
    "max_papers",
    "format",
    "min_score",
    "keywords",
    "post_empty",
    "source",
    "enabled",
    "failing_reason",
    "created_at",
)
# Every setting and the failure reason are replaced; `created_at` and `failing_at` are kept.
_KEPT = {"channel_id", "created_at"}
_UPSERT = (
    f"INSERT INTO subscriptions ({', '.join(_COLUMNS)}) VALUES"
    f" ({', '.join(f'${n}' for n in range(1, len(_COLUMNS) + 1))})"
    " ON CONFLICT (channel_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c not in _KEPT)
)


class PgSubscriptions(PgBase):
    """Subscriptions on PostgreSQL."""

    async def upsert_subscription(self, sub: Subscription) -> Subscription:
        """Create or replace a channel's subscription (re-subscribing clears a failure)."""
        row = rows.subscription_row(sub)
        async with self._write() as db:
            await db.execute(_UPSERT, *(row[c] for c in _COLUMNS))
        stored = await self.get_subscription(sub.channel_id)
        assert stored is not None
        return stored

    async def get_subscription(self, channel_id: int) -> Subscription | None:
        """The subscription of one channel, or None."""
        row = await self._one("SELECT * FROM subscriptions WHERE channel_id = $1", channel_id)
        if not row:
            return None
        return rows.readable(rows.subscription_from, row, rows.subscription_key(row))

    async def delete_subscription(self, channel_id: int) -> bool:
        """Remove a subscription (its post history stays); True if there was one."""
        async with self._write() as db:
            status = await db.execute("DELETE FROM subscriptions WHERE channel_id = $1", channel_id)
        return affected(status) > 0

    async def list_subscriptions(
        self, guild_id: int | None = None, *, enabled_only: bool = False
    ) -> list[Subscription]:
        """Subscriptions of one guild (or all), ordered by channel id."""
        where: list[str] = []
        args: list[Any] = []
        if guild_id is not None:
            args.append(guild_id)
            where.append("guild_id = $1")
        if enabled_only:
            where.append("enabled = 1")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        found = await self._all(f"SELECT * FROM subscriptions{clause} ORDER BY channel_id", *args)
        return rows.all_readable(rows.subscription_from, found, rows.subscription_key)

    async def mark_failing(
        self, channel_id: int, reason: str | None, *, at: datetime | None = None
    ) -> None:
        """Set (with when) or clear (None) a channel's failure reason."""
        when = None if reason is None else rows.to_text(at or rows.now())
        async with self._write() as db:
            await db.execute(
                "UPDATE subscriptions SET failing_reason = $1, failing_at = $2"
                " WHERE channel_id = $3",
                reason,
                when,
                channel_id,
            )

    async def set_enabled(self, channel_id: int, enabled: bool) -> None:
        """Enable or disable a subscription."""
        async with self._write() as db:
            await db.execute(
                "UPDATE subscriptions SET enabled = $1 WHERE channel_id = $2",
                int(enabled),
                channel_id,
            )
