"""SQLite's subscriptions aggregate (`bot.store.subscriptions.SubscriptionStore`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.models import Subscription
from bot.store import rows
from bot.store.sqlite.connection import SqliteBase

_COLUMNS = (
    "channel_id, guild_id, post_time, timezone, categories, max_papers, format, min_score,"
    " keywords, post_empty, source, enabled, failing_reason, created_at"
)
# Every setting and the failure reason are replaced; `created_at` and `failing_at` are kept.
_UPSERT = (
    f"INSERT INTO subscriptions ({_COLUMNS}) VALUES"
    f" ({', '.join(':' + c.strip() for c in _COLUMNS.split(','))})"
    " ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id,"
    " post_time = excluded.post_time, timezone = excluded.timezone,"
    " categories = excluded.categories, max_papers = excluded.max_papers,"
    " format = excluded.format, min_score = excluded.min_score,"
    " keywords = excluded.keywords, post_empty = excluded.post_empty,"
    " source = excluded.source, enabled = excluded.enabled,"
    " failing_reason = excluded.failing_reason"
)


class SqliteSubscriptions(SqliteBase):
    """Subscriptions on SQLite."""

    async def upsert_subscription(self, sub: Subscription) -> Subscription:
        """Create or replace a channel's subscription (re-subscribing clears a failure)."""
        async with self._write() as db:
            await db.execute(_UPSERT, rows.subscription_row(sub))
        stored = await self.get_subscription(sub.channel_id)
        assert stored is not None
        return stored

    async def get_subscription(self, channel_id: int) -> Subscription | None:
        """The subscription of one channel, or None."""
        row = await self._one("SELECT * FROM subscriptions WHERE channel_id = ?", (channel_id,))
        return rows.subscription_from(row) if row else None

    async def delete_subscription(self, channel_id: int) -> bool:
        """Remove a subscription (its post history stays); True if there was one."""
        async with self._write() as db:
            cur = await db.execute("DELETE FROM subscriptions WHERE channel_id = ?", (channel_id,))
            return cur.rowcount > 0

    async def list_subscriptions(
        self, guild_id: int | None = None, *, enabled_only: bool = False
    ) -> list[Subscription]:
        """Subscriptions of one guild (or all), ordered by channel id."""
        where: list[str] = []
        params: list[Any] = []
        if guild_id is not None:
            where.append("guild_id = ?")
            params.append(guild_id)
        if enabled_only:
            where.append("enabled = 1")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        found = await self._all(f"SELECT * FROM subscriptions{clause} ORDER BY channel_id", params)
        return [rows.subscription_from(r) for r in found]

    async def mark_failing(
        self, channel_id: int, reason: str | None, *, at: datetime | None = None
    ) -> None:
        """Set (with when) or clear (None) a channel's failure reason."""
        when = None if reason is None else rows.to_text(at or rows.now())
        async with self._write() as db:
            await db.execute(
                "UPDATE subscriptions SET failing_reason = ?, failing_at = ? WHERE channel_id = ?",
                (reason, when, channel_id),
            )

    async def set_enabled(self, channel_id: int, enabled: bool) -> None:
        """Enable or disable a subscription."""
        async with self._write() as db:
            await db.execute(
                "UPDATE subscriptions SET enabled = ? WHERE channel_id = ?",
                (int(enabled), channel_id),
            )
