"""What went wrong between the bot and Discord since start, for `/digest status`.

discord.py absorbs rate limits (429) and some server errors (500, 502, 504) by waiting and
retrying, and the gateway reconnects by itself, so a digest that was posted fine may still have
met trouble that a moderator should be able to see. `DiscordHealth` counts every error answer
and every slow answer of Discord's REST API (an aiohttp trace on discord.py's own session, see
`trace_config`) and the gateway's disconnects, resumes and new sessions (the bot's events).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.schedule import Clock, utc_now

SLOW_SECONDS = 1.0  # a Discord answer slower than this counts as slow
_ID = re.compile(r"/(\d{5,}|[\w-]{30,})(?=/|$)")


def route_of(method: str, path: str) -> str:
    """`POST /api/v10/channels/123/messages` -> `POST /channels/{id}/messages` (no tokens)."""
    path = path.split("/api/v10", 1)[-1]
    return f"{method} {_ID.sub('/{id}', path)}"


@dataclass
class DiscordHealth:
    """Error and slow answers from Discord's REST API and gateway reconnects, since start."""

    clock: Clock = utc_now
    slow_seconds: float = SLOW_SECONDS
    errors: Counter[str] = field(default_factory=Counter)  # "429", "429 global", "503", ...
    last_error: str | None = None
    last_error_at: datetime | None = None
    slow: int = 0
    slowest: float = 0.0
    connects: int = 0
    disconnects: int = 0
    resumes: int = 0

    def answered(self, method: str, path: str, status: int, scope: str, seconds: float) -> None:
        """Note one REST answer (called for every request by the trace)."""
        if seconds >= self.slow_seconds:
            self.slow += 1
            self.slowest = max(self.slowest, seconds)
        if status == 429 or status >= 500:
            kind = f"{status} global" if status == 429 and scope == "global" else str(status)
            self.errors[kind] += 1
            self.last_error = f"{kind} on {route_of(method, path)}"
            self.last_error_at = self.clock()

    def trace_config(self) -> aiohttp.TraceConfig:
        """An aiohttp trace for discord.py's session (the `http_trace` client option)."""
        trace = aiohttp.TraceConfig()

        async def start(_s: Any, ctx: SimpleNamespace, _p: aiohttp.TraceRequestStartParams) -> None:
            ctx.started = _loop_time()

        async def end(_s: Any, ctx: SimpleNamespace, p: aiohttp.TraceRequestEndParams) -> None:
            elapsed = _loop_time() - getattr(ctx, "started", _loop_time())
            scope = p.response.headers.get("X-RateLimit-Scope", "")
            self.answered(p.method, p.url.path, p.response.status, scope, elapsed)

        trace.on_request_start.append(start)
        trace.on_request_end.append(end)
        return trace

    def lines(self, ts: Callable[[datetime], str]) -> list[str]:
        """Status lines; `ts` formats a datetime for Discord (`views.ts`)."""
        out: list[str] = []
        if self.errors or self.slow:
            parts = [f"{n}× {kind}" for kind, n in sorted(self.errors.items())]
            if self.slow:
                slowest = f"up to {self.slowest:.1f} s"
                parts.append(f"{self.slow}× slow (>{self.slow_seconds:g} s, {slowest})")
            last = ""
            if self.last_error and self.last_error_at:
                last = f"; last: {self.last_error} {ts(self.last_error_at)}"
            out.append(f"Discord API trouble since start (retried): {', '.join(parts)}{last}")
        else:
            out.append("Discord API: no errors since start")
        if self.disconnects:
            new = max(0, self.connects - 1)
            out.append(
                f"Gateway: {self.disconnects}× disconnected since start "
                f"({self.resumes}× resumed, {new}× new session)"
            )
        return out

    async def on_connect(self) -> None:
        """A new gateway session (the first, or after INVALID_SESSION)."""
        self.connects += 1

    async def on_disconnect(self) -> None:
        """The gateway connection was lost or closed (RECONNECT, a drop, a zombie)."""
        self.disconnects += 1

    async def on_resumed(self) -> None:
        """A lost gateway connection was resumed (missed events replayed)."""
        self.resumes += 1


def _loop_time() -> float:
    return asyncio.get_running_loop().time()
