"""The values the store hands back besides the models: a claim, a lease, a start, write health.

They are the store's own vocabulary (no row, no SQL), shared by every aggregate and every
backend; `bot.models` holds the data the rest of the bot passes around.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import PostRecord


@dataclass(frozen=True)
class Claim:
    """The outcome of `claim_post`: the ledger row as it stands, and whether this call made it.

    `won` is True for exactly one of any number of concurrent claims of one (subscription, day),
    in one process or many: only that caller may start sending. A caller that lost gets the
    winner's row (or an older one) and must treat the post as someone else's work in progress
    or outcome.
    """

    record: PostRecord
    won: bool


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
        """One status line; `ts` formats a datetime (e.g. `bot.services.texts.ts` for Discord)."""
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
