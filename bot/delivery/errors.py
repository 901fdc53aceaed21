"""What a sender may raise, drawn as a tree, and the bound on a rate limit's wait.

    PostError                    a message (or thread) could not be posted
    ├── ChannelForbidden         403: the bot may not see or post in the target
    │   ├── ThreadLocked         403 / 160005: a moderator locked the post's thread
    │   └── UserUnreachable      403 / 50007: the user of a DM does not accept the bot's DMs
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


class ThreadLocked(ChannelForbidden):
    """403 / 160005: the thread was locked by a moderator; nothing more can be posted in it.

    The channel is fine (the bot may still post there), so this is a broken post, made
    again (`bot.delivery.engine`), not a failing channel.
    """


# A personal digest's failing reason after 50007 (`/me list` shows it, `bot.services.texts`).
UNREACHABLE = "403 Forbidden: the user does not accept direct messages from the bot"


class UserUnreachable(ChannelForbidden):
    """403 / 50007 "Cannot send messages to this user": a personal digest's user closed their
    DMs, or shares no server with the bot and removed the app from their account.

    Only the user can change that, so the subscription is switched off (`bot.delivery.engine`)
    until they turn it on again (`/me resume`), instead of being retried on a backoff.
    """


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
