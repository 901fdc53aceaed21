"""A late riser's follow-up, delivered by the engine's own step: once, found again after a crash.

A follow-up (`bot.late_risers`) is a one-message plan: `Message(payload, into=thread or
channel)`. It runs through `bot.delivery.progress.Progress`, the path every post's message
takes, so it has the same guarantees and no second engine:

1. **Claimed before sending**: the caller has a `pending` row in the follow-up ledger
   (`Store.claim_followup`), with the exact content, before this runs.
2. **A deterministic nonce** (`bot.late_risers.followup_nonce`) with `enforce_nonce`.
3. **Read back before any resend**: a row found open (pending or failed: an earlier attempt
   stopped part-way, or its answer was lost) is resumed, and the place is read back since the
   claim; the bot's own message with that content or that nonce is adopted instead of sent.
   Every retry of a failed send looks first, as a post's does.
4. **Recorded as soon as it exists**: the message id is written to the row (still `pending`),
   then the row becomes `sent`.

The ledger Progress writes to is the follow-up row (`_FollowUpBook`); a failure is recorded
on that row only: a follow-up never marks the subscription failing or disabled (the daily
post is what speaks for the channel).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from bot.delivery.errors import PostError, short
from bot.delivery.ledger import Ledger
from bot.delivery.plan import Message, Plan, Where
from bot.delivery.progress import Progress
from bot.delivery.retry import RetryPolicy
from bot.delivery.wire import Sender
from bot.late_risers import followup_payload
from bot.models import FollowUp, PostRecord
from bot.schedule import Clock, utc_now
from bot.store.base import Store

log = logging.getLogger(__name__)


class _FollowUpBook(Ledger):
    """What `Progress` records, written to one follow-up's row instead of a post's."""

    def __init__(self, store: Store, followup: FollowUp) -> None:
        super().__init__(store)
        self.followup = followup

    async def finish_post(self, subscription_id: int, day: date, **fields: Any) -> None:
        """Record the message id found or sent so far (Progress saves after each step)."""
        ids: list[int] = fields.get("message_ids") or []
        fu = self.followup
        await self.store.finish_followup(
            fu.subscription_id,
            fu.arxiv_id,
            status=fields.get("status", "pending"),
            message_id=ids[0] if ids else None,
            error=fields.get("error"),
        )


def step_of(followup: FollowUp) -> Message:
    """The one step a follow-up takes: its message, into the post's thread or its channel."""
    into: Where = "channel" if followup.place_id == followup.channel_id else "thread"
    return Message(followup_payload(followup.content), into=into)


class FollowUpPoster:
    """Sends claimed follow-ups through `Progress` (see the module)."""

    def __init__(
        self, store: Store, sender: Sender, policy: RetryPolicy, *, clock: Clock = utc_now
    ) -> None:
        self.store = store
        self.sender = sender
        self.policy = policy
        self.clock = clock

    async def deliver(self, followup: FollowUp, *, resuming: bool) -> FollowUp:
        """Send (or find) a claimed follow-up and record the outcome; the row as stored.

        `resuming`: the row was found open, so the place is read back before sending.
        A sent row is returned as it is.
        """
        if followup.status == "sent":
            return followup
        fu = followup
        step = step_of(fu)
        record = PostRecord(
            subscription_id=fu.subscription_id,
            guild_id=0,
            channel_id=fu.channel_id,
            day=fu.day,
            source="",
            nonce=fu.nonce,
            message_ids=[fu.message_id] if fu.message_id is not None else [],
            thread_id=fu.place_id if step.into == "thread" else None,
            created_at=fu.created_at,
        )
        progress = Progress(
            _FollowUpBook(self.store, fu),
            self.sender,
            self.policy,
            record,
            Plan((step,)),
            resuming=resuming or fu.message_id is not None,
        )
        try:
            await progress.place(0, step, fu.nonce, send=True)
        except PostError as exc:
            reason = f"{type(exc).__name__}: {short(exc)}"
            log.warning("follow-up of %s in %s failed: %s", fu.arxiv_id, fu.place_id, reason)
            await self.store.finish_followup(
                fu.subscription_id, fu.arxiv_id, status="failed", error=reason
            )
        else:
            await self.store.finish_followup(
                fu.subscription_id,
                fu.arxiv_id,
                status="sent",
                message_id=progress.ids[0],
                posted_at=self.clock(),
            )
        stored = await self.store.get_followup(fu.subscription_id, fu.arxiv_id)
        assert stored is not None, "a claimed follow-up has its row"
        return stored
