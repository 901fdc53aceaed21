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
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
import discord
from discord.http import HTTPClient, Route

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


JITTER_HEADROOM = 2.0  # requests per second one pacing process may overshoot a window by


def shared_rate(rate: float, share: float) -> float:
    """The rate one of several processes paces at, given its share of the one global budget.

    `rate` (`discord.requests_per_second`, 48) is one process's pace, 2 below Discord's 50:
    Discord counts fixed windows, and a request held back by a busy event loop (or the
    network) lands in the next window beside that window's own, so a paced process can
    overshoot a window by about two. Every process overshoots on its own, so each keeps that
    headroom: a share `s` of the limit the pace stands for (`rate + 2`), less 2. Two processes
    at 0.5 pace at 23 each: 46, plus 2 × 2 of jitter, stays within 50. (Measured: at 24 each,
    bench/fanout.py --processes 2 met one 429 in 2,000 posts.) Never below half of `rate × s`.
    """
    if share >= 1:
        return rate
    return max(share * (rate + JITTER_HEADROOM) - JITTER_HEADROOM, rate * share / 2)


DISCORD_GLOBAL_LIMIT = 50  # requests per second per bot (rate-limits.mdx, "Global Rate Limit")
GLOBAL_WINDOW_SECONDS = 1.0
MIN_SLEEP = 0.001  # a wait for the window never rounds to nothing (no busy loop)


def window_limit(share: float) -> int:
    """Requests one process may have in Discord's global window (`Pacer.window`), given its
    share of the bot's one budget: its share of 50, at least 1."""
    return max(1, math.floor(DISCORD_GLOBAL_LIMIT * min(1.0, share) + 1e-9))


class Pacer:
    """Spaces requests evenly, at most `rate` per second, and (with `window` = (L, W)) never
    lets more than L requests reach any W-second window of Discord's, whatever the jitter:
    a fan-out stays under the global limit (50 requests/s per bot) instead of learning it
    from 429s.

    discord.py throttles per-route buckets from the `X-RateLimit-*` headers, but the global
    limit has no headers: it only waits after a global 429. Even spacing alone keeps every
    window at `rate` only while requests reach Discord as evenly as they leave; a busy event
    loop or network bunches them (bench/fanout.py on a loaded machine, 32 posts in flight:
    77 × 429 in 1,200 requests at 48/s). The window rule holds under any bunching: Discord
    counts a request at some instant between its sending and its answer, so a request sent
    at t can share a window of W seconds only with requests sent before it (or with it) that
    were not answered by t − W. `wait()` therefore lets a request go only while fewer than L
    requests are in flight or were answered in the last W seconds, and `done()` records the
    answer. The cost of that proof is the round trip: at most L / (W + round trip) per
    second (0.95 × 50 at 50 ms).
    Each caller reserves the next free slot without awaiting in between, so no lock is needed.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        window: tuple[int, float] | None = None,
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self.window = window
        self._next = 0.0
        self.in_flight = 0
        self._answered: deque[float] = deque()  # answer times within the last W seconds
        self._changed = asyncio.Event()

    async def wait(self) -> None:
        """Return when this caller may send its request (with a window: then call `done()`
        once it is answered, whatever the answer)."""
        now = self.clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self.sleep(slot - now)
        if self.window is None:
            return
        limit, seconds = self.window
        while True:
            now = self.clock()
            answered = self._answered
            while answered and answered[0] + seconds <= now:
                answered.popleft()
            if self.in_flight + len(answered) < limit:
                self.in_flight += 1
                return
            if answered:  # the oldest answer leaves the window then
                await self.sleep(max(answered[0] + seconds - now, MIN_SLEEP))
            else:  # all L in flight: wait for an answer
                self._changed.clear()
                await self._changed.wait()

    def done(self) -> None:
        """The request `wait()` let go was answered (or failed) now."""
        if self.window is None:
            return
        self.in_flight -= 1
        self._answered.append(self.clock())
        self._changed.set()


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

    Every request first waits for `pacer` (none: unpaced).
    """

    def __init__(
        self,
        http: HTTPClient,
        user_id: Callable[[], int | None],
        pacer: Pacer | None = None,
        watch: GlobalLimit | None = None,
    ) -> None:
        self.http = http
        self.user_id = user_id
        self.pacer = pacer
        self.watch = watch

    async def _paced(self, call: Callable[[], Awaitable[T]]) -> T:
        async def paced() -> T:
            if self.pacer is None:
                return await call()
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
