"""Discord's rate limits: per-route buckets with real `X-RateLimit-*` headers and a global limit.

Discord keys a bucket by route plus "major parameters" (channel, guild, webhook id and token),
answers every request with the bucket's state in headers, and answers an exceeded bucket with 429,
a JSON body carrying `retry_after` in seconds, and a `Via` header (without it discord.py assumes a
Cloudflare ban and gives up). The global limit (50 requests per second by default) covers requests
made with the bot token; interaction and webhook routes are exempt, as on Discord.

Windows are fixed: a bucket's window starts with its first request and lasts `window` seconds.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from sandbox.settings import SandboxSettings

MAJOR_PARAMS = ("channel_id", "guild_id", "webhook_id", "webhook_token", "interaction_id")


@dataclass
class Window:
    """The current fixed window of one bucket (or of the global limit)."""

    limit: int
    length: float
    started: float = 0.0
    used: int = 0

    def roll(self, now: float) -> None:
        """Start a new window if the current one is over."""
        if now >= self.started + self.length:
            self.started = now
            self.used = 0

    def reset_after(self, now: float) -> float:
        """Seconds until the window ends."""
        return max(0.0, self.started + self.length - now)


@dataclass
class Verdict:
    """What the limiter decided for one request: allowed (with headers) or 429 (with body)."""

    headers: dict[str, str]
    retry_after: float | None = None  # set when the request is refused
    scope: str | None = None  # "user" (route bucket) or "global"

    @property
    def allowed(self) -> bool:
        """Whether the request may proceed."""
        return self.retry_after is None

    def body(self) -> dict[str, object]:
        """The 429 body Discord sends."""
        return {
            "message": "You are being rate limited.",
            "retry_after": round(self.retry_after or 0.0, 3),
            "global": self.scope == "global",
            "code": 0,
        }


class RateLimiter:
    """Counts requests per bucket and globally, following the live settings."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.buckets: dict[tuple[str, tuple[str, ...]], Window] = {}
        self.global_window = Window(settings.global_limit, settings.global_window)

    def reset(self) -> None:
        """Forget all counts."""
        self.buckets.clear()
        self.global_window = Window(self.settings.global_limit, self.settings.global_window)

    def limits_for(self, route: str) -> tuple[int, float]:
        """(limit, window) of a route such as "POST /channels/{channel_id}/messages"."""
        s = self.settings
        return s.route_limits.get(route, (s.route_limit, s.route_window))

    def check(self, route: str, params: dict[str, str], counts_globally: bool) -> Verdict:
        """Count one request and decide; refused requests do not use up the bucket."""
        now = time.time()
        if not self.settings.rate_limits:
            return Verdict(headers={})
        if counts_globally:
            g = self.global_window
            g.limit, g.length = self.settings.global_limit, self.settings.global_window
            g.roll(now)
            if g.used >= g.limit:
                return Verdict(
                    headers={"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"},
                    retry_after=max(g.reset_after(now), 0.001),
                    scope="global",
                )
        limit, length = self.limits_for(route)
        key = (route, tuple(params.get(p, "") for p in MAJOR_PARAMS))
        window = self.buckets.get(key)
        if window is None or (window.limit, window.length) != (limit, length):
            window = self.buckets[key] = Window(limit, length)
        window.roll(now)
        reset_after = window.reset_after(now)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Bucket": bucket_hash(route),
            "X-RateLimit-Reset": f"{window.started + window.length:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        }
        if window.used >= limit:
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Scope"] = "user"
            return Verdict(headers=headers, retry_after=max(reset_after, 0.001), scope="user")
        window.used += 1
        if counts_globally:
            self.global_window.used += 1
        headers["X-RateLimit-Remaining"] = str(limit - window.used)
        return Verdict(headers=headers)


def bucket_hash(route: str) -> str:
    """A stable opaque bucket id for a route, like the hashes Discord sends."""
    return hashlib.sha1(route.encode()).hexdigest()[:16]


def retry_after_header(seconds: float) -> str:
    """The `Retry-After` header value (whole seconds, rounded up)."""
    return str(max(1, math.ceil(seconds)))
