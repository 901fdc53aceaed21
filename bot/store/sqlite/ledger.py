"""SQLite's post ledger (`bot.store.ledger.PostLedger`): the rules there, made atomic here.

Every write is one `BEGIN IMMEDIATE` transaction, so two stores on one file (two processes)
take turns: a claim's insert and its "did I insert it" are one statement (`ON CONFLICT DO
NOTHING` and its row count), and the status rules are part of each UPDATE's WHERE clause, so
no other writer can slip between reading a row's status and changing it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.models import PostRecord
from bot.store import rows
from bot.store.ledger import OPEN, REOPENABLE, check_status
from bot.store.sqlite.connection import SqliteBase
from bot.store.values import Claim

log = logging.getLogger(__name__)
_PAGE = 500  # ids per statement (SQLite's default limit of bound values is far above)


def _sql_list(statuses: tuple[str, ...]) -> str:
    return ", ".join(f"'{s}'" for s in statuses)


_CLAIM = (
    "INSERT INTO posts (subscription_id, channel_id, day, guild_id, source, nonce, status,"
    " message_ids, thread_id, arxiv_ids, attempts, error, created_at, late) VALUES"
    " (:subscription_id, :channel_id, :day, :guild_id, :source, :nonce, :status, '[]', NULL,"
    " :arxiv_ids, 0, :error, :created_at, :late) ON CONFLICT (subscription_id, day) DO NOTHING"
)
# `bot.store.ledger.may_finish`, in SQL: an open row takes any status, a closed one only its own.
_FINISH = (
    "UPDATE posts SET status = :status, attempts = attempts + :attempt, error = :error,"
    " message_ids = coalesce(:message_ids, message_ids),"
    " thread_id = coalesce(:thread_id, thread_id),"
    " posted_at = coalesce(:posted_at, posted_at), late = coalesce(:late, late)"
    " WHERE subscription_id = :subscription_id AND day = :day"
    f" AND (status IN ({_sql_list(OPEN)}) OR status = :status)"
)
# `bot.store.ledger.may_reopen`, in SQL.
_REOPEN = (
    "UPDATE posts SET status = 'pending', message_ids = '[]', thread_id = NULL,"
    " error = NULL, posted_at = NULL, generation = :generation, late = :late,"
    " created_at = :created_at WHERE subscription_id = :subscription_id AND day = :day"
    f" AND status IN ({_sql_list(REOPENABLE)})"
)


class SqlitePostLedger(SqliteBase):
    """The post ledger on SQLite."""

    async def claim_post(self, record: PostRecord) -> Claim:
        """Insert a claim for (subscription, day), or find the existing one (see `PostLedger`).

        The claim is durable before anything is sent, so a crash after sending is detectable
        on restart (a pending claim) and never looks like "not posted yet".
        """
        check_status(record.status)
        params = rows.claim_row(record)
        # One hand-off to the writer's thread (BEGIN, INSERT, COMMIT there), not three: a
        # fan-out claims once per channel, and on a busy machine each hand-off costs ms.
        won = await self._write_in_thread(lambda db: db.execute(_CLAIM, params).rowcount == 1)
        stored = await self.get_post(record.subscription_id, record.day)
        assert stored is not None
        return Claim(stored, won)

    async def claim_posts(self, records: Sequence[PostRecord]) -> list[Claim]:
        """Many claims in one transaction and one hand-off to the writer's thread (see
        `PostLedger`), each read back there as it stands after its insert."""
        for record in records:
            check_status(record.status)
        params = [rows.claim_row(r) for r in records]

        def claim_all(db: sqlite3.Connection) -> list[tuple[Any, bool]]:
            out = []
            for p in params:
                won = db.execute(_CLAIM, p).rowcount == 1
                row = db.execute(
                    "SELECT * FROM posts WHERE subscription_id = ? AND day = ?",
                    (p["subscription_id"], p["day"]),
                ).fetchone()
                out.append((row, won))
            return out

        if not records:
            return []
        found = await self._write_in_thread(claim_all)
        return [
            Claim(rows.readable(rows.post_from, row, rows.post_key(row)), won) for row, won in found
        ]

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
        params = {
            "status": status,
            "attempt": int(status != "pending"),
            "error": error,
            "message_ids": rows.ids_text(message_ids),
            "thread_id": thread_id,
            "posted_at": posted,
            "late": None if late is None else int(late),
            "subscription_id": subscription_id,
            "day": day.isoformat(),
        }
        # One hand-off (BEGIN, UPDATE, COMMIT on the writer's thread), not three: the engine
        # records every step of every post here, so this is the fan-out's most frequent write.
        done = await self._write_in_thread(lambda db: db.execute(_FINISH, params).rowcount > 0)
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
            cur = await db.execute(
                _REOPEN,
                {
                    "generation": generation,
                    "late": int(late),
                    "created_at": rows.to_text(created_at),
                    "subscription_id": subscription_id,
                    "day": day.isoformat(),
                },
            )
            done = cur.rowcount > 0
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
            "SELECT * FROM posts WHERE subscription_id = ? AND day = ?",
            (subscription_id, day.isoformat()),
        )
        return rows.readable(rows.post_from, row, rows.post_key(row)) if row else None

    async def posts_of(self, subscription_ids: Sequence[int], *, since: date) -> list[PostRecord]:
        """The entries of these subscriptions from `since` on, ordered as `list_posts`."""
        wanted = sorted(set(subscription_ids))
        found: list[Any] = []
        for i in range(0, len(wanted), _PAGE):
            chunk = wanted[i : i + _PAGE]
            found += await self._all(
                "SELECT * FROM posts WHERE day >= ? AND subscription_id IN"
                f" ({', '.join('?' * len(chunk))})",
                [since.isoformat(), *chunk],
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
        params: list[Any] = []
        if channel_id is not None:
            where.append("channel_id = ?")
            params.append(channel_id)
        if guild_id is not None:
            where.append("guild_id = ?")
            params.append(guild_id)
        if subscription_id is not None:
            where.append("subscription_id = ?")
            params.append(subscription_id)
        if since is not None:
            where.append("day >= ?")
            params.append(since.isoformat())
        if arxiv_id is not None:
            # A malformed list (a hand edit) must not fail the whole query: it searches as
            # empty, and `all_readable` leaves that row out anyway.
            where.append(
                "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(posts.arxiv_ids)"
                " THEN posts.arxiv_ids ELSE '[]' END) WHERE value = ?)"
            )
            params.append(arxiv_id)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        found = await self._all(
            f"SELECT * FROM posts{clause} ORDER BY day DESC, channel_id, subscription_id", params
        )
        return rows.all_readable(rows.post_from, found, rows.post_key)
