"""One attempt at a post: each step's result recorded as soon as it exists, found or sent.

`Progress.place` is the one path by which a message step gets its id, for a post being made
and for a given-up post being reconciled: if the attempt resumes an earlier one, the place
the message goes to is read back once and a message there that may stand for the step
(`bot.delivery.scan.adopt`) is adopted; otherwise (and only when sending is allowed) it is
sent with its nonce. Either way the ledger row is written before the next step.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.delivery.errors import ChannelForbidden
from bot.delivery.ledger import Ledger
from bot.delivery.outcome import Outcome, Status
from bot.delivery.plan import Message, Plan, Where
from bot.delivery.retry import RetryPolicy
from bot.delivery.scan import adopt
from bot.delivery.wire import BOT, SeenMessage, Sender
from bot.models import PostRecord

log = logging.getLogger(__name__)

SCAN_MARGIN = timedelta(minutes=5)  # read back from a little before the claim (clock skew)


class Progress:
    """The steps of one post attempt so far, saved to the ledger after each one."""

    def __init__(
        self,
        ledger: Ledger,
        sender: Sender,
        policy: RetryPolicy,
        record: PostRecord,
        plan: Plan,
        *,
        resuming: bool,
    ) -> None:
        self.ledger = ledger
        self.sender = sender
        self.policy = policy
        self.record = record
        self.plan = plan
        self.resuming = resuming
        self.ids: list[int] = list(record.message_ids)
        self.thread_id: int | None = record.thread_id
        self.recovered = 0
        self._scanned: dict[int, list[SeenMessage]] = {}
        self._settled: set[Where] = set()  # places where the resume scan found a gap
        self._foreign: set[int] | None = None
        self._last: dict[Where, int] = {}
        for step, mid in zip(plan.messages, self.ids, strict=False):
            self._last[step.into] = mid

    @property
    def channel_id(self) -> int:
        """The subscription's channel."""
        return self.record.channel_id

    def place_of(self, into: Where) -> int | None:
        """The channel or thread id a step posts into (None: the thread is not open yet)."""
        return self.channel_id if into == "channel" else self.thread_id

    def recorded(self, into: Where) -> list[int]:
        """The recorded message ids of the steps posting into `into`."""
        return [
            mid
            for step, mid in zip(self.plan.messages, self.ids, strict=False)
            if step.into == into
        ]

    async def save(self, status: str = "pending", error: str | None = None) -> None:
        """Write the steps done so far to the ledger row."""
        await self.ledger.finish_post(
            self.record.subscription_id,
            self.record.day,
            status=status,
            message_ids=self.ids,
            thread_id=self.thread_id,
            error=error,
        )

    async def fail(self, status: Status, reason: str) -> Outcome:
        """Record the attempt as failed with `reason`; the outcome says how."""
        await self.save("failed", reason)
        rec = self.record
        return Outcome(
            status,
            rec.channel_id,
            rec.day,
            self.ids,
            self.thread_id,
            error=reason,
            subscription_id=rec.subscription_id,
        )

    async def place(self, k: int, step: Message, nonce: str, *, send: bool) -> None:
        """Give message step `k` its id: recorded, adopted, or (if `send`) sent.

        Once the scan of a place finds a step missing, nothing later in that place is adopted
        (a later message cannot stand in for an earlier one), so with `send` off
        (reconciling) the steps after a gap stay unrecorded.
        """
        if k < len(self.ids):
            return
        target = self.place_of(step.into)
        assert target is not None, "a plan opens its thread before it posts into it"
        if self.resuming and step.into not in self._settled:
            if target not in self._scanned:
                self._scanned[target] = await self._look(target)
            found = adopt(
                self._scanned[target],
                step,
                nonce,
                used=await self._used(),
                after=self._last.get(step.into),
            )
            if found is not None:
                log.info("message %d of %s already posted to %s", k, self.record.day, target)
                self.recovered += 1
                await self._record(step, found)
                return
            self._settled.add(step.into)
        if not send:
            return

        async def look_first() -> int | None:
            seen = await self._look(target)
            found = adopt(
                seen, step, nonce, used=await self._used(), after=self._last.get(step.into)
            )
            if found is not None:
                log.info("a failed send to %s had gone through; adopted it", target)
                self.recovered += 1
            return found

        # A 5xx, a dropped connection or a timeout can come *after* Discord created the
        # message, and the nonce dedups a resend only within Discord's nonce window, so
        # every retry first reads the target back and adopts the message if it is there.
        mid = await self.policy.run(
            lambda: self.sender.send(target, step.payload, nonce=nonce), look_first
        )
        await self._record(step, mid)

    async def _record(self, step: Message, mid: int) -> None:
        self.ids.append(mid)
        self._last[step.into] = mid
        await self.save()

    async def _used(self) -> set[int]:
        """Message ids no scan may adopt: this post's, and every other post's of the channel
        (the channel's other subscriptions' posts of the same day included)."""
        if self._foreign is None:
            rows = await self.ledger.store.list_posts(channel_id=self.channel_id)
            mine = (self.record.subscription_id, self.record.day)
            self._foreign = {
                mid
                for row in rows
                if (row.subscription_id, row.day) != mine
                for mid in row.message_ids
            }
        return self._foreign | set(self.ids)

    async def _look(self, target: int) -> list[SeenMessage]:
        """The messages in `target` since a little before the claim.

        The margin covers a host clock ahead of Discord's (message ids are Discord's time).
        A 403 (no Read Message History) means the bot cannot look: nothing is adopted, and
        the deterministic nonce still dedups a resend within Discord's window.
        """
        created = self.record.created_at
        after = created - SCAN_MARGIN if created is not None else None
        try:
            return await self.policy.run(lambda: self.sender.recent(target, after=after))
        except ChannelForbidden as exc:
            log.info("cannot read back %s (%s); relying on the nonces", target, exc)
            return []


def own(seen: list[SeenMessage]) -> list[int]:
    """The ids of the bot's own plain messages among `seen`."""
    return [m.id for m in seen if m.author == BOT]
