"""The delivery targets, one module each, and the one table that names them.

A subscription's `format` picks its target. Adding a target is one module that implements
`bot.delivery.plan.Target` (a `name` and a pure `plan(sub, view, candidates=)`) plus one
line in `TARGETS`.
"""

from __future__ import annotations

from bot.delivery.plan import Target
from bot.delivery.targets.channel import ChannelTarget
from bot.delivery.targets.thread import ThreadTarget
from bot.models import Subscription

TARGETS: dict[str, Target] = {
    "compact": ChannelTarget(),
    "detailed": ThreadTarget(),
}


def target_for(sub: Subscription) -> Target:
    """The target a subscription posts through."""
    return TARGETS[sub.format]
