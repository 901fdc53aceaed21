"""The recovery scan's rule: which message read back may stand for a step of the plan.

A post that stopped part-way (a crash, a lost answer, a 5xx after the effect) is resumed by
reading its target back and *adopting* a message already there instead of sending it again.
Adopting the wrong message is a silently missing post, so a message is adopted for a step
only if all of these hold:

- it was posted by whoever the step posts as (`Message.author`: the bot's own plain message,
  or one webhook's): never a user's, another bot's, a command reply or a system message;
- it is not already recorded, for this post (each message stands for one step at most) or for
  another post of the channel (another day's identical notice is that day's, not this one's);
- it is newer than the message recorded for the step before it in the same place;
- it is what the step sends: the same fingerprint (content and embed text), or the step's
  nonce on a message that was never edited (an edit means the nonce no longer vouches for it).
"""

from __future__ import annotations

from collections.abc import Iterable, Set

from bot.delivery.plan import Message
from bot.delivery.wire import SeenMessage, fingerprint


def adopt(
    seen: Iterable[SeenMessage],
    step: Message,
    nonce: str,
    *,
    used: Set[int],
    after: int | None,
) -> int | None:
    """The id of the message in `seen` that may stand for `step`, or None."""
    fp = fingerprint(step.payload)
    for m in seen:
        if m.author != step.author or m.id in used:
            continue
        if after is not None and m.id <= after:
            continue
        if m.fingerprint == fp or (m.nonce == nonce and not m.edited):
            return m.id
    return None
