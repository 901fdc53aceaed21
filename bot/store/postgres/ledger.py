"""PostgreSQL's post ledger (`bot.store.ledger.PostLedger`): the rules there, made atomic here.

A claim is one `INSERT … ON CONFLICT DO NOTHING`: of concurrent inserts of one key, the server
lets one through and makes the others wait for it, then skip (its row count says which). The
status rules are part of each UPDATE's WHERE clause; at READ COMMITTED a row changed by a
concurrent writer is re-checked against that clause once the writer commits, so no stale
writer slips between reading a row's status and changing it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.models import PostRecord
from bot.store import rows
from bot.store.ledger import OPEN, REOPENABLE, check_status
from bot.store.postgres.connection import PgBase, affected
from bot.store.values import Claim

log = logging.getLogger(__name__)
_PAGE = 500  # ids per statement


def _sql_list(statuses: tuple[str, ...]) -> str:
    return ", ".join(f"'{s}'" for s in statuses)


_CLAIM = (
    "INSERT INTO posts (subscription_id, channel_id, day, guild_id, source, nonce, status,"
    " message_ids, thread_id, arxiv_ids, attempts, error, created_at, late) VALUES ($1, $2, $3,"
    " $4, $5, $6, $7, '[]', NULL, $8, 0, $9, $10, $11) ON CONFLICT (subscription_id, day)"
    " DO NOTHING"
)
_CLAIM_FIELDS = (
    *("subscription_id", "channel_id", "day", "guild_id", "source", "nonce", "status", "arxiv_ids"),
    *("error", "created_at", "late"),
)
# `bot.store.ledger.may_finish`, in SQL: an open row takes any status, a closed one only its own.
_FINISH = (
    "UPDATE posts SET status = $1, attempts = attempts + $2, error = $3,"
    " message_ids = coalesce($4, message_ids), thread_id = coalesce($5, thread_id),"
    " posted_at = coalesce($6, posted_at), late = coalesce($7, late)"
    " WHERE subscription_id = $8 AND day = $9"
    f" AND (status IN ({_sql_list(OPEN)}) OR status = $1)"
)
# `bot.store.ledger.may_reopen`, in SQL.
_REOPEN = (
    "UPDATE posts SET status = 'pending', message_ids = '[]', thread_id = NULL,"
    " error = NULL, posted_at = NULL, generation = $1, late = $2,"
    " created_at = $3 WHERE subscription_id = $4 AND day = $5"
    f" AND status IN ({_sql_list(REOPENABLE)})"
)


def _like(text: str) -> str:
    """`text` as a LIKE pattern that matches it literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PgPostLedger(PgBase):
    """The post ledger on PostgreSQL."""

    async def claim_post(self, record: PostRecord) -> Claim:
        """Insert a claim for (subscription, day), or find the existing one (see `PostLedger`)."""
        check_status(record.status)
        row = rows.claim_row(record)
        async with self._write() as db:
            won = affected(await db.execute(_CLAIM, *(row[k] for k in _CLAIM_FIELDS))) == 1
        stored = await self.get_post(record.subscription_id, record.day)
        assert stored is not None
        return Claim(stored, won)

    async def claim_posts(self, records: Sequence[PostRecord]) -> list[Claim]:
        """`claim_post` for each record, in order, in one transaction (see `PostLedger`)."""
        for record in records:
            check_status(record.status)
        if not records:
            return []
        found: list[tuple[Any, bool]] = []
        async with self._write() as db:
            for record in records:
                row = rows.claim_row(record)
                won = affected(await db.execute(_CLAIM, *(row[k] for k in _CLAIM_FIELDS))) == 1
                stored = await db.fetchrow(
                    "SELECT * FROM posts WHERE subscription_id = $1 AND day = $2",
                    record.subscription_id,
                    row["day"],
                )
                found.append((stored, won))
        return [Claim(rows.readable(rows.post_from, r, rows.post_key(r)), won) for r, won in found]

    async def finish_post(
        self,
        subscription_id: int,
        day: date,
        *,
        status: str,
        message_ids: list[int] | None = None,
        thread_id: int | None = None,
        error: str | None = None,
        posted_at: datetime | None = None,
        late: bool | None = None,
    ) -> bool:
        """Record progress or an outcome; an outcome (not pending) counts as an attempt."""
        check_status(status)
        posted = rows.to_text(posted_at or rows.now()) if status in ("sent", "empty") else None
        async with self._write() as db:
            done = (
                affected(
                    await db.execute(
                        _FINISH,
                        status,
                        int(status != "pending"),
                        error,
                        rows.ids_text(message_ids),
                        thread_id,
                        posted,
                        None if late is None else int(late),
                        subscription_id,
                        day.isoformat(),
                    )
                )
                > 0
            )
        if not done:
            log.warning(
                "not recording %s for subscription %s day %s: no such post, or it has an outcome",
                status,
                subscription_id,
                day,
            )
        return done

    async def reopen_post(
        self, subscription_id: int, day: date, *, generation: int, late: bool, created_at: datetime
    ) -> bool:
        """Reset a post row to an empty pending attempt of `generation` (see `PostLedger`)."""
        async with self._write() as db:
            status = await db.execute(
                _REOPEN,
                generation,
                int(late),
                rows.to_text(created_at),
                subscription_id,
                day.isoformat(),
            )
        done = affected(status) > 0
        if not done:
            log.warning(
                "not reopening subscription %s day %s: no such post, or it was delivered",
                subscription_id,
                day,
            )
        return done

    async def get_post(self, subscription_id: int, day: date) -> PostRecord | None:
        """The ledger entry of (subscription, day), or None."""
        row = await self._one(
            "SELECT * FROM posts WHERE subscription_id = $1 AND day = $2",
            subscription_id,
            day.isoformat(),
        )
        return rows.readable(rows.post_from, row, rows.post_key(row)) if row else None

    async def posts_of(self, subscription_ids: Sequence[int], *, since: date) -> list[PostRecord]:
        """The entries of these subscriptions from `since` on, ordered as `list_posts`."""
        wanted = sorted(set(subscription_ids))
        found: list[Any] = []
        for i in range(0, len(wanted), _PAGE):
            found += await self._all(
                "SELECT * FROM posts WHERE day >= $1 AND subscription_id = ANY($2::bigint[])",
                since.isoformat(),
                wanted[i : i + _PAGE],
            )
        posts = rows.all_readable(rows.post_from, found, rows.post_key)
        posts.sort(key=lambda p: (-p.day.toordinal(), p.channel_id, p.subscription_id))
        return posts

    async def list_posts(
        self,
        *,
        channel_id: int | None = None,
        guild_id: int | None = None,
        subscription_id: int | None = None,
        since: date | None = None,
        arxiv_id: str | None = None,
    ) -> list[PostRecord]:
        """Ledger entries matching every given filter, newest day first."""
        where: list[str] = []
        args: list[Any] = []

        def match(clause: str, value: Any) -> None:
            args.append(value)
            where.append(clause.replace("?", f"${len(args)}"))

        if channel_id is not None:
            match("channel_id = ?", channel_id)
        if guild_id is not None:
            match("guild_id = ?", guild_id)
        if subscription_id is not None:
            match("subscription_id = ?", subscription_id)
        if since is not None:
            match("day >= ?", since.isoformat())
        if arxiv_id is not None:
            # A text match narrows the rows without parsing JSON in SQL (a malformed list, a
            # hand edit, must not fail the whole query); the decoded list decides below.
            match("arxiv_ids LIKE ?", f"%{_like(json.dumps(arxiv_id))}%")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        found = await self._all(
            f"SELECT * FROM posts{clause} ORDER BY day DESC, channel_id, subscription_id",
            *args,
        )
        posts = rows.all_readable(rows.post_from, found, rows.post_key)
        return posts if arxiv_id is None else [p for p in posts if arxiv_id in p.arxiv_ids]
