"""A test-only delivery target, written as a new target module would be: one class.

`headline` posts only the digest's header line, as one message. Registered by one line
(`TARGETS["headline"] = HeadlineTarget()`) in tests/delivery/test_new_target.py, which shows
that nothing else in the bot needs to change for a new target.
"""

from __future__ import annotations

from bot.delivery.plan import Message, Plan
from bot.models import Digest, Subscription
from bot.render import NO_MENTIONS, header_text


class HeadlineTarget:
    """One message: the header line of the day, nothing else."""

    name = "headline"
    permissions: tuple[str, ...] = ("mention_everyone",)  # any extra one, to see it asked for
    summary = "the day's header line only"

    def plan(self, sub: Subscription, view: Digest, *, candidates: int) -> Plan:
        """One message with the header, or nothing on an empty day."""
        if not view.papers:
            return Plan()
        return Plan((Message({"content": header_text(view), "allowed_mentions": NO_MENTIONS}),))
