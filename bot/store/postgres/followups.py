"""PostgreSQL's follow-up ledger (`bot.store.followups.FollowUpLedger`), atomic as its post
ledger is: a claim is one `INSERT … ON CONFLICT DO NOTHING`, and "sent is terminal" is part
of the UPDATE's WHERE clause (re-checked against a concurrent writer's commit)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from bot.models import FollowUp
from bot.store import followup_rows as frows
from bot.store import rows
from bot.store.followups import FollowUpClaim, check_followup_status
from bot.store.postgres.connection import PgBase, affected

log = logging.getLogger(__name__)

_CLAIM = (
    f"INSERT INTO followups ({', '.join(frows.CLAIM_COLUMNS)}, message_id, attempts)"
    f" VALUES ({', '.join(f'${i}' for i in range(1, len(frows.CLAIM_COLUMNS) + 1))}, NULL, 0)"
    " ON CONFLICT (subscription_id, arxiv_id) DO NOTHING"
)
_FINISH = (
    "UPDATE followups SET status = $1, attempts = attempts + $2, error = $3,"
    " message_id = coalesce($4, message_id), posted_at = coalesce($5, posted_at)"
    " WHERE subscription_id = $6 AND arxiv_id = $7"
    " AND (status IN ('pending', 'failed') OR status = $1)"
)


class PgFollowUps(PgBase):
    """The follow-up ledger on PostgreSQL."""

    async def claim_followup(self, record: FollowUp) -> FollowUpClaim:
        """Insert a claim for (subscription, paper), or find the existing one."""
        check_followup_status(record.status)
        row = frows.claim_row(record)
        async with self._write() as db:
            won = affected(await db.execute(_CLAIM, *(row[k] for k in frows.CLAIM_COLUMNS))) == 1
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
            result = await db.execute(
                _FINISH,
                status,
                int(status != "pending"),
                error,
                message_id,
                posted,
                subscription_id,
                arxiv_id,
            )
        done = affected(result) > 0
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
            "SELECT * FROM followups WHERE subscription_id = $1 AND arxiv_id = $2",
            subscription_id,
            arxiv_id,
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
        args: list[Any] = []
        for clause, value in (
            ("subscription_id = ?", subscription_id),
            ("channel_id = ?", channel_id),
            ("day >= ?", since.isoformat() if since is not None else None),
        ):
            if value is not None:
                args.append(value)
                where.append(clause.replace("?", f"${len(args)}"))
        text = f" WHERE {' AND '.join(where)}" if where else ""
        found = await self._all(f"SELECT * FROM followups{text} ORDER BY {frows.ORDER}", *args)
        return rows.all_readable(frows.followup_from, found, frows.followup_key)
