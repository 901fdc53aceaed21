"""The `detailed` target: a header in the channel, a thread on it, the papers in the thread.

An empty day (a notice) has no thread: the notice alone goes to the channel.
"""

from __future__ import annotations

from bot.delivery.plan import Message, OpenThread, Plan, Step
from bot.delivery.targets.buttons import with_buttons
from bot.models import Digest, Subscription
from bot.render import render_digest, thread_name


class ThreadTarget:
    """Header message, then a thread opened on it, then the per-paper messages inside."""

    name = "thread"
    permissions: tuple[str, ...] = ("create_public_threads", "send_messages_in_threads")
    summary = "a header and a thread with one embed per paper"

    def plan(self, sub: Subscription, view: Digest, *, candidates: int) -> Plan:
        """Header, `OpenThread` on it, one `Message` into the thread per part (each with the
        buttons for its papers)."""
        if not view.papers and not sub.post_empty:
            return Plan()
        payloads = with_buttons(
            sub, view, render_digest(view, "detailed", filtered_from=candidates)
        )
        if not view.papers:
            return Plan(tuple(Message(p) for p in payloads))
        steps: list[Step] = [Message(payloads[0]), OpenThread(thread_name(view), on=0)]
        steps.extend(Message(p, into="thread") for p in payloads[1:])
        return Plan(tuple(steps))
