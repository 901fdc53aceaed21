"""The `compact` target: every message of the post in the subscription's channel."""

from __future__ import annotations

from bot.delivery.plan import Message, Plan
from bot.delivery.targets.buttons import with_buttons
from bot.models import Digest, Subscription
from bot.render import render_digest


class ChannelTarget:
    """Posts the rendered messages one after another in the channel."""

    name = "channel"
    permissions: tuple[str, ...] = ()
    summary = "one message"

    def plan(self, sub: Subscription, view: Digest, *, candidates: int) -> Plan:
        """One `Message` step per rendered message (with its buttons); none on a quiet
        empty day."""
        if not view.papers and not sub.post_empty:
            return Plan()
        payloads = with_buttons(sub, view, render_digest(view, "compact", filtered_from=candidates))
        return Plan(tuple(Message(p) for p in payloads))
