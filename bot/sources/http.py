"""Resilient GET for every upstream: timeouts, bounded retries, backoff with jitter, politeness.

Upstreams fail in ordinary ways (a 503 during a deploy, a 429 when we are too eager, a read
that never finishes). Each source asks `Http.get` for a body and gets either the bytes or one
`SourceError` that says what happened; the retry policy lives here once. Sleep, clock and
randomness are injected so tests count requests and delays without ever really waiting.

Retried: 429, every 5xx, timeouts and transport errors (refused, reset, disconnected). Not
retried: any other status (a 404 or a 400 will not get better). `Retry-After` (seconds or an
HTTP date) is honoured; one longer than `max_retry_after` is not waited for at all, because a
command should fail fast rather than hang for an hour.

Per-read timeouts alone do not bound a request: an upstream that sends one byte every few
seconds never trips them. So every `get` has a total `deadline` too, covering the wait for the
throttle, connecting, every read of every attempt and the waits between retries; a retry whose
wait would end past the deadline is not waited for. Past the deadline the caller gets one
`SourceError` ("Hugging Face did not answer within 30 s."), never a hang.

Messages are plain sentences naming the upstream by the name people know ("Hugging Face",
"arXiv"); URLs, body excerpts and exception text go to the log and to `SourceError.detail`.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from bot import __version__
from bot.errors import BusyError, SourceError
from bot.observe import NO_OBSERVER, Observer
from bot.sources import priority

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
Random = Callable[[], float]
WallClock = Callable[[], datetime]

USER_AGENT = f"hotpapers/{__version__} (Discord paper-digest bot)"
RETRY_STATUSES = frozenset({429})  # plus every 5xx
ORDER: tuple[priority.Priority, ...] = ("scheduled", "member")  # who goes first


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Fetched:
    """A completed response: status, headers and the whole (size-capped) body."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased ('' when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self) -> str:
        """The body as UTF-8 (every upstream we read declares or implies UTF-8)."""
        return self.content.decode("utf-8", errors="replace")


def snippet(content: bytes | str, limit: int = 80) -> str:
    """A short, single-line excerpt of a body for error messages and logs."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    text = " ".join(text.split())
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


class Throttle:
    """At most one request in flight and at least `interval` seconds between requests.

    arXiv asks for this (one connection at a time, one request every three seconds). The gap
    is measured from the end of one request to the start of the next, the conservative reading.
    Used as `async with throttle:` around each attempt, so retries are spaced too.

    Waiters are served by priority (`bot.sources.priority`): scheduled requests first, member
    requests after them in arrival order. At most `member_waiting` member requests may wait at
    once; one more is refused at once with `BusyError`, so members can neither delay the
    scheduled fetch nor build an unbounded queue.
    """

    def __init__(
        self,
        interval: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        member_waiting: int = 4,
        name: str = "arxiv",
        title: str = "",
    ) -> None:
        self.interval = interval
        self.member_waiting = member_waiting
        self.name = name
        self.title = title or name  # as people know it, for the "busy" sentence
        self._clock = clock
        self._sleep = sleep
        self._busy = False
        self._waiters: dict[priority.Priority, deque[asyncio.Future[None]]] = {
            "scheduled": deque(),
            "member": deque(),
        }
        self._last_end: float | None = None

    def waiting(self, who: priority.Priority) -> int:
        """How many requests of one priority wait for their turn."""
        return len(self._waiters[who])

    async def _acquire(self) -> None:
        who = priority.current()
        queue = self._waiters[who]
        if not self._busy and not any(self._waiters.values()):
            self._busy = True
            return
        if who == "member" and len(queue) >= self.member_waiting:
            raise BusyError(
                f"{self.title} is busy with other requests right now; try again in a minute."
            )
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._release()  # handed the slot just as we were cancelled: pass it on
            else:
                queue.remove(turn)
            raise

    def _release(self) -> None:
        for who in ORDER:
            queue = self._waiters[who]
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)  # the slot passes on; _busy stays True
                    return
        self._busy = False

    async def __aenter__(self) -> None:
        await self._acquire()
        try:
            if self._last_end is not None:
                wait = self.interval - (self._clock() - self._last_end)
                if wait > 0:
                    log.debug("throttle: waiting %.2fs before the next request", wait)
                    await self._sleep(wait)
        except BaseException:
            self._release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._last_end = self._clock()
        self._release()


@dataclass(frozen=True)
class _Call:
    """One request as asked: GET with a query, or POST with a JSON body."""

    method: str
    url: str
    params: Mapping[str, str | int] | None
    headers: Mapping[str, str] | None
    json: object
    retries: int | None


@dataclass
class _Failure:
    """Why the last attempt failed: a sentence fragment for people, a detail for the log."""

    reason: str
    detail: str


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "could not be reached"
    return "dropped the connection"


@dataclass
class Http:
    """GET with retries and a total deadline over an injected `httpx.AsyncClient`.

    `name` is the upstream's short name ("hf", "arxiv"); messages use its `title` ("Hugging
    Face"; the name when not given), so a user or moderator can tell which upstream failed.
    `clock` measures the deadline for the waits between retries (injected with `sleep`, so
    tests do not wait).
    """

    client: httpx.AsyncClient
    name: str
    timeout: float = 20.0
    deadline: float = 30.0
    max_retries: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 120.0
    max_bytes: int = 20_000_000
    throttle: Throttle | None = None
    sleep: Sleep = field(default=asyncio.sleep)
    random: Random = field(default=_random.random)
    wall_clock: WallClock = field(default=_utcnow)
    clock: Clock = field(default=time.monotonic)
    title: str = ""
    observer: Observer = field(default=NO_OBSERVER)  # told each request's end (bot.observe)

    def __post_init__(self) -> None:
        if not self.title:
            self.title = self.name

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (0-based): exponential, capped, half jittered.

        Half of the delay is fixed and half random ("equal jitter"), so retries of many
        clients spread out yet never collapse to an immediate hammering retry.
        """
        cap = min(self.max_delay, self.base_delay * 2.0**attempt)
        return float(cap / 2 + self.random() * cap / 2)

    def retry_after(self, value: str | None) -> float | None:
        """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date), or None."""
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            log.debug("%s: ignoring unparseable Retry-After %r", self.name, value)
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - self.wall_clock()).total_seconds())

    def _error(self, sentence: str, detail: str) -> SourceError:
        log.warning("%s: %s (%s)", self.name, sentence, detail)
        self.observer.source_request(self.name, ok=False)  # every failed get ends here, once
        return SourceError(sentence, detail=detail)

    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        accept: Collection[int] = (200,),
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        """GET `url`; return the response when its status is in `accept`, else SourceError.

        Retries 429/5xx/timeouts/network errors up to `max_retries` times, all within
        `deadline` seconds; other statuses fail at once. A body larger than `max_bytes` is
        refused rather than buffered. Raises only SourceError (or BusyError from the throttle).
        `headers` are sent as given (an `Authorization` is never logged: only the URL is).
        """
        return await self._request(_Call("GET", url, params, headers, None, None), accept)

    async def post(
        self,
        url: str,
        *,
        json: object = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (200,),
        retries: int | None = None,
    ) -> Fetched:
        """POST a JSON body (an XRPC procedure: Bluesky's createSession), as `get` answers.

        `retries` overrides `max_retries` (0 for a call the upstream rate-limits per attempt).
        """
        return await self._request(_Call("POST", url, None, headers, json, retries), accept)

    async def _request(self, call: _Call, accept: Collection[int]) -> Fetched:
        url = call.url
        sent = [False]  # whether an attempt reached the network (for the deadline's sentence)
        deadline = asyncio.timeout(self.deadline)
        try:
            async with deadline:
                return await self._get(call, accept, sent)
        except TimeoutError as exc:
            if not deadline.expired():
                raise self._error(
                    f"{self.title} could not be asked (an unexpected error).",
                    f"{type(exc).__name__}: {exc} ({url})",
                ) from exc
            if not sent[0] and self.throttle is not None:
                if priority.current() == "member":
                    raise BusyError(
                        f"{self.title} is busy with other requests right now; "
                        "try again in a minute."
                    ) from exc
                raise self._error(
                    f"{self.title} could not be asked within {self.deadline:g} s: other "
                    "requests were ahead (one at a time).",
                    f"deadline while waiting for the throttle: {url}",
                ) from exc
            raise self._error(
                f"{self.title} did not answer within {self.deadline:g} s.",
                f"total deadline {self.deadline:g}s exceeded: {url}",
            ) from exc
        except (SourceError, BusyError):
            raise
        except Exception as exc:  # anything httpx or a transport may raise that we did not foresee
            raise self._error(
                f"{self.title} could not be asked (an unexpected error).",
                f"{type(exc).__name__}: {exc} ({url})",
            ) from exc

    async def _get(self, call: _Call, accept: Collection[int], sent: list[bool]) -> Fetched:
        url = call.url
        attempts = (self.max_retries if call.retries is None else call.retries) + 1
        ends = self.clock() + self.deadline
        last = _Failure("failed", "")
        for attempt in range(attempts):
            try:
                fetched = await self._attempt(call, sent)
            except httpx.UnsupportedProtocol as exc:
                raise self._error(
                    f"{self.title} cannot be asked: its address is not an http(s) URL.",
                    f"{exc} ({url})",
                ) from exc
            except httpx.TransportError as exc:  # timeouts, refused, reset, disconnected
                last = _Failure(_transport_reason(exc), f"{type(exc).__name__}: {exc} ({url})")
                delay = self.backoff(attempt)
            except httpx.RequestError as exc:  # e.g. a body that fails to decompress
                raise self._error(
                    f"{self.title} sent a response that could not be read.",
                    f"{type(exc).__name__}: {exc} ({url})",
                ) from exc
            else:
                if fetched.status in accept:
                    self.observer.source_request(self.name, ok=True)
                    return fetched
                detail = f"HTTP {fetched.status} from {fetched.url}: {snippet(fetched.content)}"
                if fetched.status not in RETRY_STATUSES and fetched.status < 500:
                    raise self._error(f"{self.title} answered HTTP {fetched.status}.", detail)
                last = _Failure(f"answered HTTP {fetched.status}", detail)
                hinted = self.retry_after(fetched.headers.get("retry-after"))
                if hinted is not None and hinted > self.max_retry_after:
                    raise self._error(
                        f"{self.title} answered HTTP {fetched.status} and asked to wait "
                        f"{hinted:.0f} s; not waiting that long.",
                        detail,
                    )
                delay = hinted if hinted is not None else self.backoff(attempt)
            if attempt + 1 < attempts:
                if self.clock() + delay > ends:
                    raise self._error(
                        f"{self.title} {last.reason} and there is no time left to retry "
                        f"within {self.deadline:g} s.",
                        f"{last.detail}; retry in {delay:.1f}s would pass the deadline",
                    )
                log.warning(
                    "%s: %s for %s; retry %d/%d in %.1fs",
                    self.name,
                    last.detail,
                    url,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                await self.sleep(delay)
        raise self._error(
            f"{self.title} {last.reason} ({attempts} attempt{'s' if attempts > 1 else ''}).",
            last.detail,
        )

    async def _attempt(self, call: _Call, sent: list[bool]) -> Fetched:
        if self.throttle is None:
            sent[0] = True
            return await self._send(call)
        async with self.throttle:
            sent[0] = True
            return await self._send(call)

    async def _send(self, call: _Call) -> Fetched:
        headers = dict(call.headers or {})
        if self.client.headers.get("user-agent", "").startswith("python-httpx"):
            headers["User-Agent"] = USER_AGENT
        request = self.client.build_request(
            call.method,
            call.url,
            params=dict(call.params or {}),
            headers=headers,
            timeout=self.timeout,
            json=call.json,
        )
        log.debug("%s: %s %s", self.name, call.method, request.url)
        response = await self.client.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise self._error(
                        f"{self.title} sent a response larger than {self.max_bytes:,} bytes; "
                        "refused.",
                        f"{request.url}",
                    )
                chunks.append(chunk)
        finally:
            await response.aclose()
        return Fetched(
            url=str(request.url),
            status=response.status_code,
            headers=response.headers,
            content=b"".join(chunks),
        )
