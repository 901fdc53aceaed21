"""Delivery: a post as a plan of steps, run exactly once against a target.

    compose ──► target.plan ──► engine (claim, record each step, nonces, scan, restart)
    (filters)   (pure steps)    ──► Sender (bot.app.sender over discord.py; scripted in tests)

Modules: `wire` (the Sender protocol, messages read back, nonces, fingerprints), `errors`
(what a sender may raise), `plan` (steps, Plan, the Target protocol), `targets` (one module
per target and the table naming them), `compose` (a subscription's view of a day), `scan`
(which message read back may stand for a step), `progress` (one attempt, recorded after each
step), `retry` (backoff), `ledger` (serialised store writes), `outcome`, `engine`.
"""

from bot.delivery.compose import as_claimed, compose, empty_reason, plan
from bot.delivery.engine import Publisher
from bot.delivery.errors import (
    MAX_RATE_LIMIT_WAIT,
    ChannelForbidden,
    ChannelGone,
    MessageGone,
    PayloadRejected,
    PostError,
    RateLimitedPost,
    TransientPostError,
    bounded_wait,
)
from bot.delivery.outcome import Outcome, Status
from bot.delivery.plan import Message, OpenThread, Plan, Step, Target
from bot.delivery.progress import SCAN_MARGIN
from bot.delivery.targets import TARGETS, target_for
from bot.delivery.wire import (
    BOT,
    NONCE_CHARS,
    OTHER,
    REPLY,
    Payload,
    SeenMessage,
    Sender,
    fingerprint,
    nonce_for,
    webhook_author,
)

__all__ = [
    "BOT",
    "MAX_RATE_LIMIT_WAIT",
    "NONCE_CHARS",
    "OTHER",
    "REPLY",
    "SCAN_MARGIN",
    "TARGETS",
    "ChannelForbidden",
    "ChannelGone",
    "Message",
    "MessageGone",
    "OpenThread",
    "Outcome",
    "Payload",
    "PayloadRejected",
    "Plan",
    "PostError",
    "Publisher",
    "RateLimitedPost",
    "SeenMessage",
    "Sender",
    "Status",
    "Step",
    "Target",
    "TransientPostError",
    "as_claimed",
    "bounded_wait",
    "compose",
    "empty_reason",
    "fingerprint",
    "nonce_for",
    "plan",
    "target_for",
    "webhook_author",
]
