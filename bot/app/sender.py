"""`bot.delivery.Sender` over discord.py's HTTP client: exact payloads, nonces, and error mapping.

Messages are sent as the rendered JSON body itself (`POST /channels/{id}/messages` through
`HTTPClient.request`), so what `bot.render` produced and the tests validated is byte for byte
what Discord receives, and discord.py still applies its rate-limit buckets and 429 handling.
discord.py's exceptions become the publisher's: 403 `ChannelForbidden`, 404 `ChannelGone`,
400 `PayloadRejected`, and 5xx, 429 after discord.py's own retries, timeouts and connection
errors `TransientPostError`.

Reading a channel back (`recent`) returns every message, each attributed (`bot.delivery.wire`:
the bot's own plain message, a command reply, a webhook's message, someone else's), so the
recovery scan decides what a step may adopt and a webhook target's messages are visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
import discord
from discord.http import HTTPClient, Route

from bot.app.pacing import (
    SLOT,
    Pacer,
    Slot,
)
from bot.delivery.errors import (
    ChannelForbidden,
    ChannelGone,
    MessageGone,
    PayloadRejected,
    RateLimitedPost,
    ThreadLocked,
    TransientPostError,
    UserUnreachable,
    bounded_wait,
)
from bot.delivery.wire import BOT, OTHER, REPLY, SeenMessage, fingerprint, webhook_author

log = logging.getLogger(__name__)

T = TypeVar("T")
THREAD_ALREADY_EXISTS = 160004
THREAD_LOCKED = 160005
CANNOT_MESSAGE_USER = 50007
UNKNOWN_MESSAGE = 10008
THREAD_ARCHIVE_MINUTES = 1440
RECENT_LIMIT = 100


async def mapped(call: Callable[[], Awaitable[T]], watch: GlobalLimit | None = None) -> T:
    """Run one Discord request, turning discord.py's errors into the publisher's.

    `discord.RateLimited` (a wait longer than `max_ratelimit_timeout`) becomes
    `RateLimitedPost`, global when `watch` saw a global 429 just now.
    """
    try:
        return await call()
    except discord.Forbidden as exc:
        if exc.code == THREAD_LOCKED:
            raise ThreadLocked(_describe(exc)) from exc
        if exc.code == CANNOT_MESSAGE_USER:
            raise UserUnreachable(_describe(exc)) from exc
        raise ChannelForbidden(_describe(exc)) from exc
    except discord.NotFound as exc:
        if exc.code == UNKNOWN_MESSAGE:
            raise MessageGone(_describe(exc)) from exc
        raise ChannelGone(_describe(exc)) from exc
    except discord.DiscordServerError as exc:
        raise TransientPostError(_describe(exc)) from exc
    except discord.RateLimited as exc:
        is_global = watch is not None and watch.remaining() > 0
        raise RateLimitedPost(exc.retry_after, is_global=is_global) from exc
    except discord.HTTPException as exc:
        if exc.status == 400:
            raise PayloadRejected(_describe(exc)) from exc
        raise TransientPostError(_describe(exc)) from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise TransientPostError(f"{type(exc).__name__}: {exc}") from exc


def _describe(exc: discord.HTTPException) -> str:
    text = exc.text or exc.response.reason or ""
    return (
        f"{text} (status {exc.status}, code {exc.code})" if exc.code else f"{text} ({exc.status})"
    )


class GlobalLimit:
    """Notices Discord's global rate limit from the answers, so posting pauses visibly.

    discord.py raises `RateLimited` for a wait above `max_ratelimit_timeout` without saying
    whether it was global; this trace reads `X-RateLimit-Scope`/`X-RateLimit-Global` and
    `Retry-After` of every 429, and the scheduler starts no post while `remaining()` > 0.
    A global limit no longer than `threshold` (`discord.max_ratelimit_seconds`) is not a
    pause: discord.py waits it out itself, holding every request until it is over.
    Real (monotonic) time: Discord's wait is real whatever the scheduler's clock says.
    """

    def __init__(
        self, threshold: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.clock = clock
        self.until = 0.0
        self.hits = 0

    def remaining(self) -> float:
        """Seconds until the last global limit seen is over (0: not limited)."""
        return max(0.0, self.until - self.clock())

    def saw(self, status: int, headers: Any) -> None:
        """Note one answer's status and headers."""
        if status != 429:
            return
        scope = str(headers.get("X-RateLimit-Scope", "")).lower()
        flag = str(headers.get("X-RateLimit-Global", "")).lower() == "true"
        if scope != "global" and not flag:
            return
        try:
            wait = float(headers.get("Retry-After", "1"))
        except ValueError:
            wait = 1.0
        wait = 1.0 if math.isnan(wait) else bounded_wait(wait)
        self.hits += 1
        if wait <= self.threshold:
            return
        self.until = max(self.until, self.clock() + max(0.0, wait))
        log.warning("Discord's global rate limit: posting pauses for %.0f s", wait)

    def attach(self, trace: aiohttp.TraceConfig) -> aiohttp.TraceConfig:
        """Add this watch to discord.py's session trace (the `http_trace` option)."""

        async def end(_s: Any, _ctx: Any, p: aiohttp.TraceRequestEndParams) -> None:
            self.saw(p.response.status, p.response.headers)

        trace.on_request_end.append(end)
        return trace


class SentMaybe(aiohttp.ClientError):
    """A message POST answered 500/502/504/524: the message may exist already."""


NOT_IDEMPOTENT = re.compile(r"/channels/\d+/messages(/\d+/threads)?$")
BLIND_RETRY_STATUSES = frozenset({500, 502, 504, 524})


def stop_blind_resends(trace: aiohttp.TraceConfig) -> aiohttp.TraceConfig:
    """Keep discord.py from resending a message POST after a 500/502/504/524.

    discord.py retries those statuses itself, up to five times, with the same body. A server
    error can come after Discord created the message, and the nonce dedups a resend only
    within Discord's nonce window, so a blind resend can post a digest twice. This trace
    raises `SentMaybe` out of the request instead; the engine then reads the channel back and
    adopts the message if it is there before sending again (`bot.delivery.progress`).
    """

    async def end(_s: Any, _ctx: Any, p: aiohttp.TraceRequestEndParams) -> None:
        if (
            p.method == "POST"
            and p.response.status in BLIND_RETRY_STATUSES
            and NOT_IDEMPOTENT.search(p.url.path)
        ):
            p.response.release()
            raise SentMaybe(f"{p.response.status} {p.response.reason or ''}".strip())

    trace.on_request_end.append(end)
    return trace


SWEEP_FLOOR = 256  # discord.py sweeps its buckets from this many on


def amortize_bucket_sweeps(http: HTTPClient) -> None:
    """Make discord.py's sweep of idle rate-limit buckets cost O(1) per request, not O(buckets).

    discord.py keeps one bucket per route and channel, and from 256 buckets on walks all of
    them for idle ones (300 s unused) every time it creates one: a fan-out meets a new channel
    at every post, none is idle yet, so 10,000 channels (30,000 buckets in detailed format:
    the channel's messages, its thread opening, the thread's messages) cost ~N²/2 checks
    (bench/fanout.py, BENCH_PROFILE: `is_inactive` among the bot's top functions at 200
    channels already). Here the walk runs only once the count has doubled since the last
    walk (from 256 on), so its total cost is linear and at most twice the live buckets are
    kept; which buckets are dropped, and when they count as idle, is discord.py's own rule.
    """
    sweep = getattr(http, "_try_clear_expired_ratelimits", None)
    buckets = getattr(http, "_buckets", None)
    if sweep is None or not isinstance(buckets, dict):  # another discord.py: leave it be
        return
    after_last = [0]

    def amortized() -> None:
        if len(buckets) < max(SWEEP_FLOOR, 2 * after_last[0]):
            return
        sweep()
        after_last[0] = len(buckets)

    http._try_clear_expired_ratelimits = amortized  # type: ignore[method-assign]


class DiscordSender:
    """Posts through a logged-in client's HTTP session; `user_id` is the bot's own id.

    Every request first waits for `pacer` (none: unpaced): with `each_request`, every HTTP
    request the call makes, discord.py's resends too (the session's trace has
    `pace_each_request`); without it, the call once.
    """

    def __init__(
        self,
        http: HTTPClient,
        user_id: Callable[[], int | None],
        pacer: Pacer | None = None,
        watch: GlobalLimit | None = None,
        *,
        each_request: bool = False,
    ) -> None:
        self.http = http
        self.user_id = user_id
        self.pacer = pacer
        self.watch = watch
        self.each_request = each_request

    async def _paced(self, call: Callable[[], Awaitable[T]]) -> T:
        async def paced() -> T:
            if self.pacer is None:
                return await call()
            if self.each_request:
                slot = Slot(self.pacer)
                token = SLOT.set(slot)
                try:
                    return await call()
                finally:
                    SLOT.reset(token)
                    if slot.held:  # a request the trace did not see end
                        slot.held = False
                        slot.pacer.done()
            await self.pacer.wait()
            try:
                return await call()
            finally:
                self.pacer.done()

        return await mapped(paced, self.watch)

    async def send(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        """Post the payload as is, plus `nonce` with `enforce_nonce` (Discord dedups it)."""
        body = {**payload, "nonce": nonce, "enforce_nonce": True}
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        data = await self._paced(lambda: self.http.request(route, json=body))
        return int(data["id"])

    async def open_dm(self, user_id: int) -> int:
        """The id of the bot's DM channel with a user (`POST /users/@me/channels`; Discord
        answers the existing one if there is one). Opening is not sending: whether the user
        accepts the bot's DMs shows on the first message (403 / 50007: `UserUnreachable`)."""
        route = Route("POST", "/users/@me/channels")
        body = {"recipient_id": str(user_id)}
        data = await self._paced(lambda: self.http.request(route, json=body))
        return int(data["id"])

    async def create_thread(self, channel_id: int, message_id: int, name: str) -> int:
        """Open a public thread on a message; if one exists already, it is that thread.

        Discord gives a thread started from a message the message's own id and answers a
        second attempt with 400 / 160004, so this is idempotent.
        """
        route = Route(
            "POST",
            "/channels/{channel_id}/messages/{message_id}/threads",
            channel_id=channel_id,
            message_id=message_id,
        )
        body = {"name": name, "auto_archive_duration": THREAD_ARCHIVE_MINUTES}
        try:
            data = await self._paced(lambda: self.http.request(route, json=body))
        except PayloadRejected as exc:
            cause = exc.__cause__
            if isinstance(cause, discord.HTTPException) and cause.code == THREAD_ALREADY_EXISTS:
                return message_id
            raise
        return int(data["id"])

    async def recent(self, channel_id: int, *, after: datetime | None) -> list[SeenMessage]:
        """Every message since `after`, oldest first, each attributed (`attribute`).

        With `after`, Discord answers the oldest `RECENT_LIMIT` messages after it, so a page
        that is full is followed by the next one: in a busy channel the bot's own message can
        come after a hundred members' (one page only would hide it, and the step would be sent
        again). Without `after`, the newest page.
        """
        since = discord.utils.time_snowflake(after) if after else None
        data: list[Any] = []
        while True:
            page = await self._page(channel_id, since)
            data.extend(page)
            if since is None or len(page) < RECENT_LIMIT:
                break
            since = max(int(msg["id"]) for msg in page)
        me = self.user_id()
        out = [
            SeenMessage(
                int(msg["id"]),
                None if msg.get("nonce") is None else str(msg["nonce"]),
                fingerprint(dict(msg)),
                attribute(dict(msg), me),
                edited=msg.get("edited_timestamp") is not None,
            )
            for msg in data
        ]
        out.sort(key=lambda m: m.id)
        return out

    async def _page(self, channel_id: int, after: int | None) -> list[Any]:
        return list(
            await self._paced(lambda: self.http.logs_from(channel_id, RECENT_LIMIT, after=after))
        )

    async def exists(self, channel_id: int, message_id: int) -> bool:
        """Whether one message is still there (a deleted message or channel: False)."""
        try:
            await self._paced(lambda: self.http.get_message(channel_id, message_id))
        except (ChannelGone, MessageGone):
            return False
        return True

    async def delete(self, channel_id: int, message_id: int) -> None:
        """Delete one of the bot's messages (a broken post's leftover); gone already is fine."""
        with contextlib.suppress(ChannelGone, MessageGone):
            await self._paced(lambda: self.http.delete_message(channel_id, message_id))


def attribute(msg: dict[str, Any], me: int | None) -> str:
    """Who posted a message read back, as the recovery scan needs to know it.

    A command reply (an interaction's answer or follow-up: Discord posts those through the
    application's webhook, whose id is the bot's) and any non-default message type are
    `REPLY`; another webhook's message is `webhook_author(id)`; the bot's own plain message is
    `BOT`; anything else, or any message while the bot's id is unknown, is `OTHER`.
    """
    author = msg.get("author") or {}
    webhook = msg.get("webhook_id")
    if msg.get("interaction") or msg.get("interaction_metadata") or msg.get("type", 0) != 0:
        return REPLY if me is not None and str(author.get("id")) == str(me) else OTHER
    if webhook is not None:
        return REPLY if me is not None and str(webhook) == str(me) else webhook_author(int(webhook))
    if me is not None and str(author.get("id")) == str(me):
        return BOT
    return OTHER


async def gather_limited(limit: int, jobs: list[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run `jobs` with at most `limit` at a time, results in order (exceptions propagate).

    A fixed pool of `limit` workers takes jobs from one iterator, so a fan-out to 10,000
    channels holds `limit` tasks and coroutines at a time, not 10,000 created up front
    (bench/fanout.py: memory grew with the channels). The first exception cancels the other
    workers and propagates, as `asyncio.gather` would let it.
    """
    results: list[T | None] = [None] * len(jobs)
    todo = iter(enumerate(jobs))

    async def worker() -> None:
        for i, job in todo:
            results[i] = await job()

    workers = [asyncio.ensure_future(worker()) for _ in range(min(max(1, limit), len(jobs)))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for w in workers:
            w.cancel()
        raise
    return results  # type: ignore[return-value]  # every slot was filled by its job
