"""What a sender may raise, drawn as a tree, and the bound on a rate limit's wait.

    PostError                    a message (or thread) could not be posted
    ├── ChannelForbidden         403: the bot may not see or post in the target
    ├── ChannelGone              404: the channel (or thread) no longer exists
    ├── MessageGone              404 Unknown Message: the message to open a thread on is gone
    ├── PayloadRejected          400: Discord refused the payload (a bug, not retried)
    └── TransientPostError       5xx, a dropped connection, a timeout: retry later
        └── RateLimitedPost      429 longer than a post may be held: reschedule, do not wait

The engine (`bot.delivery.engine`) turns each into an outcome; the adapter
(`bot.app.sender.mapped`) turns discord.py's exceptions into these.
"""

from __future__ import annotations

import math

MAX_RATE_LIMIT_WAIT = 3600.0  # an absurd or malformed retry_after is taken as an hour


def bounded_wait(seconds: float) -> float:
    """A rate limit's wait, kept within [0, MAX_RATE_LIMIT_WAIT] (inf, NaN: the maximum)."""
    if not math.isfinite(seconds):
        return MAX_RATE_LIMIT_WAIT
    return min(max(0.0, seconds), MAX_RATE_LIMIT_WAIT)


class PostError(Exception):
    """A message could not be posted; subclasses say why."""


class ChannelForbidden(PostError):
    """403: the bot may not see or post in the channel (or open threads in it)."""


class ChannelGone(PostError):
    """404: the channel (or thread) no longer exists."""


class TransientPostError(PostError):
    """5xx, a dropped connection or a timeout: worth retrying later."""


class PayloadRejected(PostError):
    """400: Discord refused the payload; retrying the same payload cannot help."""


class MessageGone(PostError):
    """404 Unknown Message: the message a thread was to be opened on was deleted."""


class RateLimitedPost(TransientPostError):
    """429 whose wait is longer than a post may be held (`discord.max_ratelimit_seconds`).

    Not retried in place: the post is rescheduled for after `retry_after`, so one long
    limit on one channel (or a global one) never holds the fan-out.
    """

    def __init__(self, retry_after: float, *, is_global: bool = False) -> None:
        retry_after = bounded_wait(retry_after)
        scope = "global rate limit" if is_global else "rate limited"
        super().__init__(f"{scope} for {retry_after:.0f} s")
        self.retry_after = retry_after
        self.is_global = is_global


def short(exc: BaseException, limit: int = 160) -> str:
    """An exception's text on one line, at most `limit` characters (for a stored reason)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
