"""The source-health aggregate: the last fetch outcome of every source, for `/digest status`.

Rules every backend keeps (tests/store/test_health.py): one row per source; a failure counts
up `consecutive_failures` until the next success resets it to 0; `last_ok_at` is the time of
the last success and survives failures; the list is ordered by source name. An unreadable
stored check time reads as long ago (1970), never as an error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.models import SourceHealth


class SourceHealthLog(Protocol):
    """The latest fetch outcome per source."""

    async def record_source_health(
        self, source: str, *, ok: bool, error: str | None = None, at: datetime | None = None
    ) -> None:
        """Record one fetch outcome of a source (at `at`, default now)."""
        ...

    async def source_health(self) -> list[SourceHealth]:
        """The latest health of every source that has been tried, by source name."""
        ...
