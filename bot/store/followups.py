"""The follow-up ledger: one row per (subscription, paper), what makes a late riser's
"climbing" follow-up (`bot.late_risers`) go out once.

The follow-up path (`bot.services.late_risers`) claims a row before it sends, with the exact
content it will send, and records the message at the end; after a crash the row says what
was begun. Every backend keeps these rules (tests/store/test_followups.py):

- **One winner.** `claim_followup` inserts the row only if (subscription, paper) has none,
  atomically: of any number of concurrent claims exactly one returns `won=True`; every
  caller gets the row as stored (the winner's). A paper has at most one follow-up per
  subscription, ever.
- **Durable before it returns**, as the post ledger's writes (`bot.store.ledger`).
- **Sent is terminal.** A `pending` or `failed` row accepts any status; a `sent` row accepts
  only `sent` again (its message id), so a stale writer cannot turn a delivered follow-up
  into a failed one. A refused write changes nothing and returns False; an unknown status
  is a `ValueError`.
- **Attempts and times.** An outcome (any status but `pending`) counts one attempt;
  `posted_at` is set by `sent` only. `None` for `message_id` leaves the stored value.
- `list_followups` is newest day first, then by subscription id, then by arXiv id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, get_args

from bot.models import FollowUp, FollowUpStatus

FOLLOWUP_STATUSES: frozenset[str] = frozenset(get_args(FollowUpStatus))
FOLLOWUP_OPEN: tuple[FollowUpStatus, ...] = ("pending", "failed")


def check_followup_status(status: str) -> None:
    """Refuse a status the follow-up ledger does not know (a bug in the caller)."""
    if status not in FOLLOWUP_STATUSES:
        raise ValueError(
            f"unknown follow-up status {status!r}; expected one of {sorted(FOLLOWUP_STATUSES)}"
        )


@dataclass(frozen=True)
class FollowUpClaim:
    """The outcome of `claim_followup`: the row as it stands, and whether this call made it."""

    record: FollowUp
    won: bool


class FollowUpLedger(Protocol):
    """The exactly-once ledger of late risers' follow-ups (rules in the module docstring)."""

    async def claim_followup(self, record: FollowUp) -> FollowUpClaim:
        """Insert `record` (normally `pending`) unless (subscription, paper) has a row;
        the stored row, and whether this call inserted it. Its message id, attempts and
        `posted_at` are ignored: a claim starts empty."""
        ...

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
        """Record progress or the outcome of an attempt. `posted_at`: when a sent one went
        out, by the caller's clock (default: now). False, changing nothing, when there is no
        row or the row is `sent` and `status` is not."""
        ...

    async def get_followup(self, subscription_id: int, arxiv_id: str) -> FollowUp | None:
        """The follow-up of (subscription, paper), or None."""
        ...

    async def list_followups(
        self,
        *,
        subscription_id: int | None = None,
        channel_id: int | None = None,
        since: date | None = None,
    ) -> list[FollowUp]:
        """Follow-ups matching every given filter (`since`: day >= since), newest day
        first, then by subscription id and arXiv id."""
        ...
