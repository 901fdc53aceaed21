"""SQLite's subscriptions aggregate (`bot.store.subscriptions.SubscriptionStore`).

A new subscription's id is found and written in one `BEGIN IMMEDIATE` transaction, so two
writers (two processes on one file) cannot both take it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.models import Subscription
from bot.store import rows
from bot.store.sqlite.connection import SqliteBase
from bot.store.subscriptions import (
    LARGEST_IDS,
    PAGE,
    TIMING_COLUMNS,
    SchedulePage,
    Timing,
    next_id,
    taken,
    timing_from,
    timing_key,
)

_COLUMNS = (
    "id",
    "channel_id",
    "guild_id",
    "name",
    "cadence",
    "weekday",
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
    "paused",
    "resumed_at",
    "role_id",
    "ping",
    "ping_min_score",
    "self_roles",
    "late_risers",
    "user_id",
    "server_votes",
    "failing_reason",
    "created_at",
)
# Every setting and the failure reason are replaced; `created_at` and `failing_at` are kept.
_KEPT = {"id", "created_at"}
_UPSERT = (
    f"INSERT INTO subscriptions ({', '.join(_COLUMNS)}) VALUES"
    f" ({', '.join(':' + c for c in _COLUMNS)})"
    " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c not in _KEPT)
)


class SqliteSubscriptions(SqliteBase):
    """Subscriptions on SQLite."""

    async def upsert_subscription(self, sub: Subscription) -> Subscription:
        """Create or replace a subscription (re-subscribing clears a failure)."""
        row = rows.subscription_row(sub)
        try:
            async with self._write() as db:
                if sub.id is None:
                    cur = await db.execute(
                        "SELECT id FROM subscriptions WHERE channel_id = ? AND name = ?",
                        (sub.channel_id, sub.name),
                    )
                    found = await cur.fetchone()
                    if found is None:
                        cur = await db.execute(LARGEST_IDS)
                        largest = await cur.fetchone()
                        assert largest is not None
                        row["id"] = next_id(largest[0], largest[1])
                    else:
                        row["id"] = found[0]
                await db.execute(_UPSERT, row)
        except sqlite3.IntegrityError:
            raise taken(sub) from None
        stored = await self.get_subscription(row["id"])
        assert stored is not None
        return stored

    async def get_subscription(self, subscription_id: int) -> Subscription | None:
        """One subscription by id, or None."""
        row = await self._one("SELECT * FROM subscriptions WHERE id = ?", (subscription_id,))
        if not row:
            return None
        return rows.readable(rows.subscription_from, row, rows.subscription_key(row))

    async def find_subscription(self, channel_id: int, name: str) -> Subscription | None:
        """The subscription named `name` in a channel, or None."""
        row = await self._one(
            "SELECT * FROM subscriptions WHERE channel_id = ? AND name = ?", (channel_id, name)
        )
        if not row:
            return None
        return rows.readable(rows.subscription_from, row, rows.subscription_key(row))

    async def delete_subscription(self, subscription_id: int) -> bool:
        """Remove a subscription (its post history stays); True if there was one."""
        async with self._write() as db:
            cur = await db.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))
            return cur.rowcount > 0

    async def list_subscriptions(
        self,
        guild_id: int | None = None,
        channel_id: int | None = None,
        *,
        enabled_only: bool = False,
    ) -> list[Subscription]:
        """Subscriptions of one guild and/or channel (or all), by channel id then name."""
        where: list[str] = []
        params: list[Any] = []
        if guild_id is not None:
            where.append("guild_id = ?")
            params.append(guild_id)
        if channel_id is not None:
            where.append("channel_id = ?")
            params.append(channel_id)
        if enabled_only:
            where.append("enabled = 1 AND paused = 0")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        found = await self._all(
            f"SELECT * FROM subscriptions{clause} ORDER BY channel_id, name", params
        )
        return rows.all_readable(rows.subscription_from, found, rows.subscription_key)

    async def schedule_page(self, after: int = 0, limit: int = PAGE) -> SchedulePage:
        """The next page of the scheduler's subscriptions, as `Timing` rows, by id."""
        found = await self._all(
            f"SELECT {TIMING_COLUMNS} FROM subscriptions"
            " WHERE id > ? AND enabled = 1 AND paused = 0 ORDER BY id LIMIT ?",
            (after, limit),
        )
        timings: list[Timing] = rows.all_readable(timing_from, found, timing_key)
        return SchedulePage(timings, found[-1]["id"] if len(found) >= limit else None)

    async def get_subscriptions(self, ids: Sequence[int]) -> list[Subscription]:
        """The subscriptions of `ids` that exist and can be read, by id."""
        wanted = sorted(set(ids))
        out: list[Subscription] = []
        for i in range(0, len(wanted), PAGE):
            chunk = wanted[i : i + PAGE]
            found = await self._all(
                f"SELECT * FROM subscriptions WHERE id IN ({', '.join('?' * len(chunk))})"
                " ORDER BY id",
                chunk,
            )
            out.extend(rows.all_readable(rows.subscription_from, found, rows.subscription_key))
        return out

    async def mark_failing(
        self, subscription_id: int, reason: str | None, *, at: datetime | None = None
    ) -> None:
        """Set (with when) or clear (None) a subscription's failure reason."""
        when = None if reason is None else rows.to_text(at or rows.now())
        async with self._write() as db:
            await db.execute(
                "UPDATE subscriptions SET failing_reason = ?, failing_at = ? WHERE id = ?",
                (reason, when, subscription_id),
            )

    async def set_enabled(self, subscription_id: int, enabled: bool) -> None:
        """Enable or disable a subscription."""
        await self._set("enabled", subscription_id, enabled)

    async def set_paused(
        self, subscription_id: int, paused: bool, *, at: datetime | None = None
    ) -> None:
        """Pause, or resume (from `at`, default now) a subscription."""
        if paused:
            await self._set("paused", subscription_id, True)
            return
        async with self._write() as db:
            await db.execute(
                "UPDATE subscriptions SET paused = 0, resumed_at = ? WHERE id = ?",
                (rows.to_text(at or rows.now()), subscription_id),
            )

    async def _set(self, column: str, subscription_id: int, value: bool) -> None:
        assert column in ("enabled", "paused"), column
        async with self._write() as db:
            await db.execute(
                f"UPDATE subscriptions SET {column} = ? WHERE id = ?",
                (int(value), subscription_id),
            )
