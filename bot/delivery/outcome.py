"""What one `publish` did: the status, the messages, and whether a later attempt may help."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Status = Literal["sent", "empty", "already", "forbidden", "gone", "rejected", "failed"]


@dataclass
class Outcome:
    """What `publish` did. `retry` is True when a later attempt may succeed.

    `empty`: nothing of this day passed the channel's filters (or the source had nothing);
    `error` says which, and `message_ids` holds the notice if one was posted. `already`: the
    ledger had a terminal outcome; `was` is that outcome (`sent`, `empty`, `missed`).
    """

    status: Status
    channel_id: int
    day: date
    message_ids: list[int] = field(default_factory=list)
    thread_id: int | None = None
    recovered: int = 0  # messages found already posted instead of being sent again
    error: str | None = None
    was: str | None = None
    retry_after: float = 0.0  # for a rate-limited post: the earliest sensible retry, seconds
    restarted: bool = False  # the post was started afresh (its thread or header was deleted)
    subscription_id: int | None = None  # whose post (several may share a channel)

    @property
    def retry(self) -> bool:
        """Whether the scheduler should try this (subscription, day) again later."""
        return self.status == "failed"

    @property
    def done(self) -> bool:
        """Whether the (subscription, day) has its terminal outcome now."""
        return self.status in ("sent", "empty", "already")
