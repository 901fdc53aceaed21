"""The post ledger: one row per (subscription, period), the record that makes posting exactly-once.

A row is keyed by (`subscription_id`, `day`), `day` being the period's key day (`bot.cadence`:
the digest day of a daily subscription, the last day of a weekly one's week, …); it also
says the channel and guild it went to, so the history of a deleted subscription stays
readable by channel and guild.

The posting path (`bot.publish`) claims a row before it sends anything, records each message
as it goes, and records an outcome at the end; after a crash the row says what was already
sent. That only works if every backend keeps these rules (tests/store/test_ledger.py):

- **One winner.** `claim_post` inserts the row only if (subscription, day) has none, atomically:
  of any number of concurrent claims, in one process or in several sharing the store, exactly
  one returns `won=True`; every caller gets the row as stored (the winner's).
- **Durable before it returns.** A claim or a `finish_post` that returned is seen by every
  other connection, and by the next process after a crash (no buffering, no lost update).
- **Outcomes are terminal.** A row that is `pending` or `failed` (a post still being made)
  accepts any status; a row that is `sent`, `empty` or `missed` accepts only a write of its
  own status (its ids, its late flag), so a stale writer cannot turn a delivered post into a
  failed one. `reopen_post` starts an open or missed row afresh and refuses a delivered one.
  A refused write changes nothing and returns False; an unknown status is a `ValueError`.
- **Attempts and times.** An outcome (any status but `pending`) counts one attempt;
  `posted_at` is set by `sent` and `empty` only. `None` for `message_ids` or `thread_id`
  leaves the stored value. `reopen_post` clears messages, thread, error and `posted_at` and
  sets the generation it is given (part of every nonce).
- `list_posts` is newest day first, then by channel id, then by subscription id.

The rules on statuses are data here (`may_finish`, `may_reopen`), so every backend applies
the same ones; a backend may express them in its SQL, as SQLite's does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol, get_args

from bot.models import PostRecord, PostStatus
from bot.store.values import Claim

STATUSES: frozenset[str] = frozenset(get_args(PostStatus))
# A post still being made: any status may follow.
OPEN: tuple[PostStatus, ...] = ("pending", "failed")
# `reopen_post` may also restart a day recorded as missed (posted late on request).
REOPENABLE: tuple[PostStatus, ...] = (*OPEN, "missed")


def check_status(status: str) -> None:
    """Refuse a status the ledger does not know (a bug in the caller), before any I/O."""
    if status not in STATUSES:
        raise ValueError(f"unknown post status {status!r}; expected one of {sorted(STATUSES)}")


def may_finish(current: str, new: str) -> bool:
    """Whether `finish_post(status=new)` may change a row whose status is `current`."""
    return current in OPEN or current == new


def may_reopen(current: str) -> bool:
    """Whether `reopen_post` may start a row whose status is `current` afresh."""
    return current in REOPENABLE


class PostLedger(Protocol):
    """The exactly-once ledger of posts (see the module docstring for its rules)."""

    async def claim_post(self, record: PostRecord) -> Claim:
        """Insert `record` for (subscription, day) (normally `pending`; `missed` or `failed` for a
        day settled without posting) unless a row exists; returns the stored row and whether
        this call inserted it. Messages, thread, attempts and `posted_at` of `record` are
        ignored: a claim starts empty."""
        ...

    async def claim_posts(self, records: Sequence[PostRecord]) -> list[Claim]:
        """`claim_post` for each of `records`, in order, in one transaction: settling a
        month of missed days over many channels is one write, not one each. (PostgreSQL:
        the same `INSERT ... ON CONFLICT DO NOTHING` per record in one transaction.)"""
        ...

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
        """Record progress or the outcome of a post attempt (status, ids, error).

        `posted_at` is when a sent post went out, by the caller's clock (default: now).
        Returns False, changing nothing, when there is no row or `may_finish` refuses.
        """
        ...

    async def reopen_post(
        self, subscription_id: int, day: date, *, generation: int, late: bool, created_at: datetime
    ) -> bool:
        """Reset (subscription, day) to an empty `pending` post of `generation`: no messages, no
        thread, no error. For a post that starts afresh (its thread or header was deleted)
        or a missed day a moderator asked to post late. False (nothing changed) when there is
        no row or `may_reopen` refuses."""
        ...

    async def get_post(self, subscription_id: int, day: date) -> PostRecord | None:
        """The ledger entry of (subscription, day), or None."""
        ...

    async def list_posts(
        self,
        *,
        channel_id: int | None = None,
        guild_id: int | None = None,
        subscription_id: int | None = None,
        since: date | None = None,
        arxiv_id: str | None = None,
    ) -> list[PostRecord]:
        """Ledger entries matching every given filter (`since`: day >= since; `arxiv_id`:
        the post names that paper), newest day first, then by channel id and subscription id."""
        ...

    async def posts_of(self, subscription_ids: Sequence[int], *, since: date) -> list[PostRecord]:
        """The entries of these subscriptions from `since` on (the scheduler's page of them:
        it never reads every subscription's), ordered as `list_posts`."""
        ...
