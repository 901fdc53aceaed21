"""Resilient GET for every upstream: timeouts, bounded retries, backoff with jitter, politeness.

Upstreams fail in ordinary ways (a 503 during a deploy, a 429 when we are too eager, a read
that never finishes). Each source asks `Http.get` for a body and gets either the bytes or one
`SourceError` that says what happened; the retry policy lives here once. Sleep, clock and
randomness are injected so tests count requests and delays without ever really waiting.

Retried: 429, every 5xx, timeouts and transport errors (refused, reset, disconnected). Not
retried: any other status (a 404 or a 400 will not get better). `Retry-After` (seconds or an
HTTP date) is honoured; one longer than `max_retry_after` is not waited for at all, because a
command should fail fast rather than hang for an hour.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from bot import __version__
from bot.errors import SourceError

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
Random = Callable[[], float]
WallClock = Callable[[], datetime]

USER_AGENT = f"hotpapers/{__version__} (Discord paper-digest bot)"
RETRY_STATUSES = frozenset({429})  # plus every 5xx


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
    """

    def __init__(
        self, interval: float, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._last_end: float | None = None

    async def __aenter__(self) -> None:
        await self._lock.acquire()
        try:
            if self._last_end is not None:
                wait = self.interval - (self._clock() - self._last_end)
                if wait > 0:
                    log.debug("throttle: waiting %.2fs before the next request", wait)
                    await self._sleep(wait)
        except BaseException:
            self._lock.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._last_end = self._clock()
        self._lock.release()


@dataclass
class Http:
    """GET with retries over an injected `httpx.AsyncClient` (owned by the caller).

    `name` prefixes every error message ("hf: HTTP 503 …") so a user or moderator can tell
    which upstream failed.
    """

    client: httpx.AsyncClient
    name: str
    timeout: float = 20.0
    max_retries: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 120.0
    max_bytes: int = 20_000_000
    throttle: Throttle | None = None
    sleep: Sleep = field(default=asyncio.sleep)
    random: Random = field(default=_random.random)
    wall_clock: WallClock = field(default=_utcnow)

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
        except (TypeError, ValueError, IndexError):
            log.debug("%s: ignoring unparseable Retry-After %r", self.name, value)
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - self.wall_clock()).total_seconds())

    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        accept: Collection[int] = (200,),
    ) -> Fetched:
        """GET `url`; return the response when its status is in `accept`, else SourceError.

        Retries 429/5xx/timeouts/network errors up to `max_retries` times; other statuses
        fail at once. A body larger than `max_bytes` is refused rather than buffered.
        """
        attempts = self.max_retries + 1
        last_problem = ""
        for attempt in range(attempts):
            try:
                fetched = await self._attempt(url, params)
            except httpx.TimeoutException as exc:
                last_problem = f"timed out after {self.timeout:g}s ({type(exc).__name__})"
                delay = self.backoff(attempt)
            except httpx.UnsupportedProtocol as exc:
                raise SourceError(f"{self.name}: cannot fetch {url}: {exc}") from None
            except httpx.TransportError as exc:  # refused, reset, disconnected mid-response
                last_problem = f"{type(exc).__name__}: {exc}".rstrip(": ")
                delay = self.backoff(attempt)
            except httpx.RequestError as exc:  # e.g. a body that fails to decompress
                raise SourceError(f"{self.name}: bad response from {url}: {exc}") from None
            else:
                if fetched.status in accept:
                    return fetched
                if fetched.status not in RETRY_STATUSES and fetched.status < 500:
                    raise SourceError(
                        f"{self.name}: HTTP {fetched.status} from {fetched.url}: "
                        f"{snippet(fetched.content)}"
                    )
                last_problem = f"HTTP {fetched.status}"
                hinted = self.retry_after(fetched.headers.get("retry-after"))
                if hinted is not None and hinted > self.max_retry_after:
                    raise SourceError(
                        f"{self.name}: {last_problem}, asked to retry after {hinted:.0f}s "
                        f"(longer than {self.max_retry_after:.0f}s); giving up for now"
                    )
                delay = hinted if hinted is not None else self.backoff(attempt)
            if attempt + 1 < attempts:
                log.warning(
                    "%s: %s for %s; retry %d/%d in %.1fs",
                    self.name,
                    last_problem,
                    url,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                await self.sleep(delay)
        raise SourceError(f"{self.name}: {last_problem} from {url} after {attempts} attempt(s)")

    async def _attempt(self, url: str, params: Mapping[str, str | int] | None) -> Fetched:
        if self.throttle is None:
            return await self._send(url, params)
        async with self.throttle:
            return await self._send(url, params)

    async def _send(self, url: str, params: Mapping[str, str | int] | None) -> Fetched:
        headers = {}
        if self.client.headers.get("user-agent", "").startswith("python-httpx"):
            headers["User-Agent"] = USER_AGENT
        request = self.client.build_request(
            "GET", url, params=dict(params or {}), headers=headers, timeout=self.timeout
        )
        log.debug("%s: GET %s", self.name, request.url)
        response = await self.client.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise SourceError(
                        f"{self.name}: response from {request.url} is larger than "
                        f"{self.max_bytes:,} bytes; refused"
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
