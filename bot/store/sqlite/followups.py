"""SQLite's follow-up ledger (`bot.store.followups.FollowUpLedger`), atomic as the post
ledger is: a claim is one `INSERT … ON CONFLICT DO NOTHING` and its row count, and "sent is
terminal" is part of the UPDATE's WHERE clause."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from bot.models import FollowUp
from bot.store import followup_rows as frows
from bot.store import rows
from bot.store.followups import FollowUpClaim, check_followup_status
from bot.store.sqlite.connection import SqliteBase

log = logging.getLogger(__name__)

_CLAIM = (
    f"INSERT INTO followups ({', '.join(frows.CLAIM_COLUMNS)}, message_id, attempts)"
    f" VALUES ({', '.join(':' + c for c in frows.CLAIM_COLUMNS)}, NULL, 0)"
    " ON CONFLICT (subscription_id, arxiv_id) DO NOTHING"
)
_FINISH = (
    "UPDATE followups SET status = :status, attempts = attempts + :attempt, error = :error,"
    " message_id = coalesce(:message_id, message_id),"
    " posted_at = coalesce(:posted_at, posted_at)"
    " WHERE subscription_id = :subscription_id AND arxiv_id = :arxiv_id"
    " AND (status IN ('pending', 'failed') OR status = :status)"
)


class SqliteFollowUps(SqliteBase):
    """The follow-up ledger on SQLite."""

    async def claim_followup(self, record: FollowUp) -> FollowUpClaim:
        """Insert a claim for (subscription, paper), or find the existing one."""
        check_followup_status(record.status)
        async with self._write() as db:
            cur = await db.execute(_CLAIM, frows.claim_row(record))
            won = cur.rowcount == 1
        stored = await self.get_followup(record.subscription_id, record.arxiv_id)
        assert stored is not None
        return FollowUpClaim(stored, won)

    async def finish_followup(
        self,
        subscription_id: int,
        arxiv_id: str,
        *,
        status: str,
        message_id: int | None = None,
        error: str | None = None,
        posted_at: datetime | None = None,
    ) -> bool:
        """Record progress or an outcome; an outcome (not pending) counts as an attempt."""
        check_followup_status(status)
        posted = rows.to_text(posted_at or rows.now()) if status == "sent" else None
        async with self._write() as db:
            cur = await db.execute(
                _FINISH,
                {
                    "status": status,
                    "attempt": int(status != "pending"),
                    "error": error,
                    "message_id": message_id,
                    "posted_at": posted,
                    "subscription_id": subscription_id,
                    "arxiv_id": arxiv_id,
                },
            )
            done = cur.rowcount > 0
        if not done:
            log.warning(
                "not recording %s for the follow-up of %s in subscription %s: none, or sent",
                status,
                arxiv_id,
                subscription_id,
            )
        return done

    async def get_followup(self, subscription_id: int, arxiv_id: str) -> FollowUp | None:
        """The follow-up of (subscription, paper), or None."""
        row = await self._one(
            "SELECT * FROM followups WHERE subscription_id = ? AND arxiv_id = ?",
            (subscription_id, arxiv_id),
        )
        return rows.readable(frows.followup_from, row, frows.followup_key(row)) if row else None

    async def list_followups(
        self,
        *,
        subscription_id: int | None = None,
        channel_id: int | None = None,
        since: date | None = None,
    ) -> list[FollowUp]:
        """Follow-ups matching every given filter, newest day first."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("subscription_id", subscription_id),
            ("channel_id", channel_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append("day >= ?")
            params.append(since.isoformat())
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        found = await self._all(f"SELECT * FROM followups{clause} ORDER BY {frows.ORDER}", params)
        return rows.all_readable(frows.followup_from, found, frows.followup_key)
