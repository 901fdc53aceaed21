"""The delivery targets, one module each, and the one table that names them.

A subscription's `format` is a key of `TARGETS`. Adding a target is one module that implements
`bot.delivery.plan.Target` (a `name`, the `permissions` it needs beyond posting, a `summary`,
and a pure `plan(sub, view, candidates=)`) plus one line in `TARGETS`: `/digest subscribe`
offers it, the permission pre-check asks for its permissions, the store keeps its name, and
the engine runs its plan exactly once.
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


def known(fmt: str) -> bool:
    """Whether a target of this name exists (read at call time: tests may add one)."""
    return fmt in TARGETS


def unknown_format(fmt: str) -> str:
    """The sentence for a format no target has (a stored one from another version, say)."""
    return f"this bot has no `{fmt}` format (it posts {' or '.join(TARGETS)})"


def target_for(sub: Subscription) -> Target:
    """The target a subscription posts through (`KeyError` if none: check `known` first)."""
    return TARGETS[sub.format]
