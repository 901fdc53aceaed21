"""The buttons a target's messages carry (`bot.components`): one place for every target.

Each message of a post gets the 🔖/👍 rows for the papers it shows; the post's first message
also carries `extra_buttons(sub)` (another feature's buttons, e.g. the topic role's). In a
personal digest (a DM: `guild_id` 0) there is no server to vote in: Save only.
"""

from __future__ import annotations

from bot.components import Payload, with_components
from bot.delivery.roles import role_button
from bot.models import Digest, Subscription


def extra_buttons(sub: Subscription) -> list[Payload]:
    """Buttons another feature puts on a subscription's posts (type 2 dicts, at most 5 rows'
    worth; `bot.components.post_components` keeps the papers' rows within what is left):
    the topic role's 🔔 toggle (`bot.delivery.roles`)."""
    toggle = role_button(sub)
    return [] if toggle is None else [toggle]


def with_buttons(sub: Subscription, view: Digest, payloads: list[Payload]) -> list[Payload]:
    """`payloads` (a post's messages, in order) with their components."""
    votes = sub.guild_id != 0
    extra = extra_buttons(sub)
    return [
        with_components(p, view.papers, votes=votes, extra=extra if i == 0 else ())
        for i, p in enumerate(payloads)
    ]
