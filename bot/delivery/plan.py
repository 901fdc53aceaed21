"""A post as a plan: the steps a target takes, in order, each recorded by the ledger.

A plan is data (no I/O): a target (`bot.delivery.targets`) turns a composed digest into one,
and the engine (`bot.delivery.engine`) executes it exactly once. Two kinds of step exist:

- `Message`: one message, posted `into` the subscription's channel or into the thread the
  plan opened. Message *k* of the plan (counting messages only) is `message_ids[k]` in the
  ledger row and carries nonce *k*; the scan adopts for it only a message by `author`.
- `OpenThread`: a thread opened on message `on`; its id is the row's `thread_id`.

So the existing ledger row (the message-id list plus one thread id) records every step and no
column is needed. A forum post is a thread with its first message (`OpenThread` with `on=None`
would say "a new post", `into="thread"` its messages), a webhook message a `Message` with a
webhook's `author`, a crosspost a step on a recorded message; each is a new step kind the
engine learns once, not a new exactly-once path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from bot.delivery.wire import BOT, Payload
from bot.models import Digest, Subscription

Where = Literal["channel", "thread"]


@dataclass(frozen=True)
class Message:
    """Post one message into the channel or into the plan's thread."""

    payload: Payload
    into: Where = "channel"
    author: str = BOT  # who the recovery scan may adopt for this step


@dataclass(frozen=True)
class OpenThread:
    """Open a thread named `name` on message `on` of the plan (counting messages only)."""

    name: str
    on: int = 0


Step = Message | OpenThread


@dataclass(frozen=True)
class Plan:
    """The steps of one post, in the order they are taken."""

    steps: tuple[Step, ...] = ()

    @property
    def messages(self) -> list[Message]:
        """The message steps, in order: message k is the ledger's `message_ids[k]`."""
        return [s for s in self.steps if isinstance(s, Message)]

    def payloads(self, into: Where) -> list[Payload]:
        """The payloads posted into the channel or into the thread."""
        return [m.payload for m in self.messages if m.into == into]


class Target(Protocol):
    """A kind of delivery: what a post of a composed digest looks like as steps.

    `plan` is pure; an empty plan means nothing is posted (a quiet empty day).
    `candidates` is the day's paper count before the subscription's filters (an empty-day
    notice says whether the source had none or the filters removed them).
    """

    name: str
    # Discord permissions this target needs in the channel beyond posting embeds and reading
    # history (the subscribe pre-check asks for them), e.g. a thread's.
    permissions: tuple[str, ...]
    summary: str  # what a moderator choosing this format gets, in a few words

    def plan(self, sub: Subscription, view: Digest, *, candidates: int) -> Plan:
        """The steps that post `view` (already composed for `sub`)."""
        ...
