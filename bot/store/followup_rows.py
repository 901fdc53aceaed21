"""Follow-up ledger rows ↔ `FollowUp`, shared by every backend (as `bot.store.rows` is)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.models import FollowUp
from bot.store.rows import Row, now, read_time, to_text

# The columns a claim writes, in the order the backends' INSERTs name them.
CLAIM_COLUMNS = (
    *("subscription_id", "arxiv_id", "day", "channel_id", "place_id", "rank", "content"),
    *("nonce", "status", "error", "created_at"),
)
ORDER = "day DESC, subscription_id, arxiv_id"


def claim_row(record: FollowUp) -> dict[str, Any]:
    """The columns of a new claim: the follow-up's identity, place, content; no progress."""
    return {
        "subscription_id": record.subscription_id,
        "arxiv_id": record.arxiv_id,
        "day": record.day.isoformat(),
        "channel_id": record.channel_id,
        "place_id": record.place_id,
        "rank": record.rank,
        "content": record.content,
        "nonce": record.nonce,
        "status": record.status,
        "error": record.error,
        "created_at": to_text(record.created_at or now()),
    }


def followup_from(row: Row) -> FollowUp:
    """A follow-up ledger row."""
    return FollowUp(
        subscription_id=row["subscription_id"],
        arxiv_id=row["arxiv_id"],
        day=date.fromisoformat(row["day"]),
        channel_id=row["channel_id"],
        place_id=row["place_id"],
        rank=row["rank"],
        content=row["content"],
        nonce=row["nonce"],
        status=row["status"],
        message_id=row["message_id"],
        attempts=row["attempts"],
        error=row["error"],
        created_at=read_time(row["created_at"]),
        posted_at=read_time(row["posted_at"]),
    )


def followup_key(row: Row) -> str:
    """How a follow-up row is named in an error."""
    return f"follow-up of subscription {row['subscription_id']} for {row['arxiv_id']}"
