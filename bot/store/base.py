"""The one narrow async interface every caller uses to reach stored data.

Only implementations of `Store` write SQL. A PostgreSQL implementation would implement this
Protocol and be chosen in `open_store`; no caller changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.models import Digest, DigestMeta, Entry, Paper, PostRecord, SourceHealth, Subscription


@dataclass(frozen=True)
class WriteHealth:
    """Whether the store accepts writes: ok, or failing since when and why (a plain reason).

    A store that cannot be written cannot record a claim before a post is sent, so a poster
    must not post while this is failing (`bot.app.lease.PosterLease.holds` checks it).
    """

    ok: bool = True
    since: datetime | None = None  # the first failed write of the current run of failures
    reason: str | None = None  # e.g. "the disk is full"
    failures: int = 0  # failed writes since `since`

    def line(self, ts: Callable[[datetime], str] = datetime.isoformat) -> str:
        """One status line; `ts` formats a datetime (e.g. `bot.app.views.ts` for Discord)."""
        if self.ok:
            return "Store: writable"
        since = f" since {ts(self.since)}" if self.since else ""
        return f"Store: **cannot be written**{since} ({self.reason}; {self.failures}× failed)"


@dataclass(frozen=True)
class Start:
    """A process start: when it began and how long it waited before connecting to Discord."""

    at: datetime
    waited: timedelta = timedelta(0)

    @property
    def connected_at(self) -> datetime:
        """When it went on to connect."""
        return self.at + self.waited


@dataclass(frozen=True)
class Lease:
    """A named lease row: who holds it, since when, until when (all UTC)."""

    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


class Store(Protocol):
    """Async access to papers, digests, subscriptions, posts and source health."""

    # --- digests and papers -------------------------------------------------------------
    async def save_digest(self, digest: Digest, *, final: bool = True) -> bool:
        """Store a digest (papers upserted; the day's ranked entries replaced).

        Returns True when anything changed, so an import run twice reports no change.
        """
        ...

    async def get_digest(self, source: str, day: date) -> Digest | None:
        """The stored digest of `source` for `day`, papers in rank order, or None."""
        ...

    async def digest_meta(self, source: str, day: date) -> DigestMeta | None:
        """When `source`'s `day` was fetched and whether it is final, or None if never."""
        ...

    async def latest_day(self, source: str | None = None) -> date | None:
        """The most recent stored day (of one source, or of any)."""
        ...

    async def list_days(self, source: str | None = None) -> list[date]:
        """Every stored day, newest first."""
        ...

    async def digests_between(self, source: str | None, start: date, end: date) -> list[Digest]:
        """Stored digests with start <= day <= end (inclusive), newest first."""
        ...

    async def window_entries(
        self, source: str, start: date, end: date, *, categories: bool = True
    ) -> tuple[dict[date, str], list[Entry]]:
        """The digests of `source` with start <= day <= end as ({day: title}, their entries),
        entries newest day first and in rank order within a day.

        No paper text is read: enough to merge, filter and rank a window (`bot.filters.pick`).
        `categories=False`: entries with empty categories, for a filter that names none.
        """
        ...

    async def entry_papers(self, source: str, entries: Sequence[Entry]) -> list[Paper]:
        """The papers of `entries` as they stood in those entries (score, metrics), in the
        given order, without discussion snippets; entries no longer stored are left out."""
        ...

    async def get_paper(self, arxiv_id: str) -> Paper | None:
        """The latest stored record of a paper by version-less id, or None."""
        ...

    # --- subscriptions ------------------------------------------------------------------
    async def upsert_subscription(self, sub: Subscription) -> Subscription:
        """Create or replace the subscription of `sub.channel_id`."""
        ...

    async def get_subscription(self, channel_id: int) -> Subscription | None:
        """The subscription of one channel, or None."""
        ...

    async def delete_subscription(self, channel_id: int) -> bool:
        """Remove a channel's subscription; True if there was one."""
        ...

    async def list_subscriptions(
        self, guild_id: int | None = None, *, enabled_only: bool = False
    ) -> list[Subscription]:
        """Subscriptions of one guild (or all), ordered by channel id."""
        ...

    async def mark_failing(
        self, channel_id: int, reason: str | None, *, at: datetime | None = None
    ) -> None:
        """Mark a channel failing (e.g. 403) with a reason to show and when (`at`, default
        now), or clear it with None."""
        ...

    async def set_enabled(self, channel_id: int, enabled: bool) -> None:
        """Disable a subscription (e.g. its channel was deleted: 404) or enable it again."""
        ...

    # --- posts (the exactly-once ledger) -----------------------------------------------
    async def claim_post(self, record: PostRecord) -> PostRecord:
        """Insert `record` for (channel, day) (normally `pending`; `missed` for a day the bot
        was down for) or return the existing one unchanged."""
        ...

    async def finish_post(
        self,
        channel_id: int,
        day: date,
        *,
        status: str,
        message_ids: list[int] | None = None,
        thread_id: int | None = None,
        error: str | None = None,
        posted_at: datetime | None = None,
        late: bool | None = None,
    ) -> None:
        """Record the outcome of a post attempt (status sent/failed/pending, ids, error).

        `posted_at` is when a sent post went out, by the caller's clock (default: now).
        """
        ...

    async def reopen_post(
        self, channel_id: int, day: date, *, generation: int, late: bool, created_at: datetime
    ) -> None:
        """Reset (channel, day) to an empty `pending` post of `generation`: no messages, no
        thread, no error. For a post that starts afresh (its thread or header was deleted)
        or a missed day a moderator asked to post late."""
        ...

    async def get_post(self, channel_id: int, day: date) -> PostRecord | None:
        """The ledger entry of (channel, day), or None."""
        ...

    async def list_posts(
        self,
        *,
        channel_id: int | None = None,
        guild_id: int | None = None,
        since: date | None = None,
        arxiv_id: str | None = None,
    ) -> list[PostRecord]:
        """Ledger entries matching every given filter, newest day first."""
        ...

    # --- source health ------------------------------------------------------------------
    async def record_source_health(
        self, source: str, *, ok: bool, error: str | None = None, at: datetime | None = None
    ) -> None:
        """Record one fetch outcome of a source."""
        ...

    async def source_health(self) -> list[SourceHealth]:
        """The latest health of every source that has been tried."""
        ...

    # --- the poster lease and process starts -------------------------------------------
    async def acquire_lease(
        self,
        name: str,
        holder: str,
        *,
        now: datetime,
        ttl: timedelta,
        dead: Callable[[str], bool] | None = None,
    ) -> Lease:
        """Take or renew lease `name` for `holder` until `now + ttl`, atomically.

        It is taken when nobody holds it, when `holder` already does (a renewal), when the
        current holder's lease expired by `now`, or when `dead(current_holder)` says that
        process is known to be gone. Otherwise nothing changes. Returns the lease as it stands
        afterwards: `lease.holder == holder` says whether the caller holds it.
        """
        ...

    async def release_lease(self, name: str, holder: str) -> bool:
        """Give up lease `name` if `holder` holds it; True if it did."""
        ...

    async def get_lease(self, name: str) -> Lease | None:
        """Lease `name` as stored (possibly expired), or None."""
        ...

    async def record_start(self, start: Start, *, forget_before: datetime) -> None:
        """Remember a process start; forget starts before `forget_before`."""
        ...

    async def list_starts(self, since: datetime) -> list[Start]:
        """Remembered process starts at or after `since`, oldest first."""
        ...

    def write_health(self) -> WriteHealth:
        """Whether writes currently succeed (no I/O: the outcome of the last writes)."""
        ...

    # --- housekeeping -------------------------------------------------------------------
    async def counts(self) -> dict[str, int]:
        """Row counts per table (for idempotency checks and `/digest status`)."""
        ...

    async def close(self) -> None:
        """Release the connection."""
        ...
