"""PostgreSQL's source-health aggregate (`bot.store.health.SourceHealthLog`)."""

from __future__ import annotations

from datetime import datetime

from bot.models import SourceHealth
from bot.store import rows
from bot.store.postgres.connection import PgBase


class PgSourceHealth(PgBase):
    """Source health on PostgreSQL: one upsert counts failures atomically."""

    async def record_source_health(
        self, source: str, *, ok: bool, error: str | None = None, at: datetime | None = None
    ) -> None:
        """Record one fetch outcome; failures count up until the next success."""
        when = rows.to_text(at or rows.now())
        async with self._write() as db:
            await db.execute(
                "INSERT INTO source_health AS h (source, ok, checked_at, last_ok_at, error,"
                " consecutive_failures) VALUES ($1, $2, $3, $4, $5, $6)"
                " ON CONFLICT (source) DO UPDATE SET ok = excluded.ok,"
                " checked_at = excluded.checked_at,"
                " last_ok_at = coalesce(excluded.last_ok_at, h.last_ok_at),"
                " error = excluded.error,"
                " consecutive_failures = CASE WHEN excluded.ok <> 0 THEN 0"
                "   ELSE h.consecutive_failures + 1 END",
                source,
                int(ok),
                when,
                when if ok else None,
                error,
                0 if ok else 1,
            )

    async def source_health(self) -> list[SourceHealth]:
        """The latest health of every source that has been tried, by name."""
        found = await self._all("SELECT * FROM source_health ORDER BY source")
        return [rows.health_from(r) for r in found]
