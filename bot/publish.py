"""The names callers have always imported from `bot.publish`, now homed in `bot.delivery`.

Posting is `bot.delivery` (a plan of steps per target, one exactly-once engine); this module
only keeps `from bot.publish import Publisher, Outcome, nonce_for, ...` working.
"""

from bot.delivery import (
    MAX_RATE_LIMIT_WAIT,
    NONCE_CHARS,
    SCAN_MARGIN,
    ChannelForbidden,
    ChannelGone,
    MessageGone,
    Outcome,
    Payload,
    PayloadRejected,
    PostError,
    Publisher,
    RateLimitedPost,
    SeenMessage,
    Sender,
    Status,
    TransientPostError,
    bounded_wait,
    compose,
    empty_reason,
    fingerprint,
    nonce_for,
    plan,
)

__all__ = [
    "MAX_RATE_LIMIT_WAIT",
    "NONCE_CHARS",
    "SCAN_MARGIN",
    "ChannelForbidden",
    "ChannelGone",
    "MessageGone",
    "Outcome",
    "Payload",
    "PayloadRejected",
    "PostError",
    "Publisher",
    "RateLimitedPost",
    "SeenMessage",
    "Sender",
    "Status",
    "TransientPostError",
    "bounded_wait",
    "compose",
    "empty_reason",
    "fingerprint",
    "nonce_for",
    "plan",
]
