"""Retries, backoff, Retry-After, size caps and the arXiv throttle, on a fake clock."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from bot.errors import SourceError
from bot.sources.http import Http, Throttle

from .conftest import FakeClock, raises_source

Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler that plays `responses` in order (an exception is raised instead)."""
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def make_http(handler: Handler, clock: FakeClock, **kw: object) -> Http:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return Http(client, "test", sleep=clock.sleep, clock=clock, random=lambda: 0.5, **kw)  # type: ignore[arg-type]


async def test_503_then_200_retries_with_exponential_backoff(clock: FakeClock) -> None:
    handler, seen = scripted(
        httpx.Response(503), httpx.Response(502), httpx.Response(200, text="ok")
    )
    http = make_http(handler, clock, base_delay=2.0)
    fetched = await http.get("http://up.test/x")
    assert fetched.status == 200
    assert fetched.text() == "ok"
    assert len(seen) == 3
    # equal jitter with random()=0.5: cap*0.75, cap = 2, then 4
    assert clock.sleeps == [1.5, 3.0]


def test_backoff_is_capped_and_jittered_within_bounds() -> None:
    client = httpx.AsyncClient()
    lo = Http(client, "t", base_delay=1.0, max_delay=10.0, random=lambda: 0.0)
    hi = Http(client, "t", base_delay=1.0, max_delay=10.0, random=lambda: 0.999999)
    assert [lo.backoff(a) for a in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert all(4.99 < hi.backoff(a) <= 10.0 for a in range(4, 8))
    assert hi.backoff(0) == pytest.approx(1.0, abs=1e-5)


async def test_429_honours_retry_after_seconds(clock: FakeClock) -> None:
    handler, seen = scripted(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, text="[]")
    )
    http = make_http(handler, clock)
    await http.get("http://up.test/x")
    assert clock.sleeps == [7.0]
    assert len(seen) == 2


async def test_retry_after_http_date_is_relative_to_the_wall_clock(clock: FakeClock) -> None:
    handler, _ = scripted(
        httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}),
        httpx.Response(200),
    )
    http = make_http(
        handler, clock, wall_clock=lambda: datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    )
    await http.get("http://up.test/x")
    assert clock.sleeps == [30.0]


async def test_too_long_retry_after_gives_up_at_once(clock: FakeClock) -> None:
    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": "3600"}))
    http = make_http(handler, clock)
    with raises_source(
        SourceError, r"test answered HTTP 429 and asked to wait 3600 s; not waiting that long"
    ):
        await http.get("http://up.test/x")
    assert clock.sleeps == []
    assert len(seen) == 1


async def test_timeouts_are_retried_then_reported(clock: FakeClock) -> None:
    timeout = httpx.ReadTimeout("slow")
    handler, seen = scripted(timeout, timeout, timeout)
    http = make_http(handler, clock, max_retries=2, timeout=5.0)
    with raises_source(SourceError, r"^test timed out \(3 attempts\)\.\nReadTimeout"):
        await http.get("http://up.test/x")
    assert len(seen) == 3
    assert len(clock.sleeps) == 2


async def test_connection_errors_are_retried(clock: FakeClock) -> None:
    handler, seen = scripted(httpx.ConnectError("refused"), httpx.Response(200, text="fine"))
    fetched = await make_http(handler, clock).get("http://up.test/x")
    assert fetched.text() == "fine"
    assert len(seen) == 2


async def test_404_is_not_retried_and_names_the_upstream(clock: FakeClock) -> None:
    handler, seen = scripted(httpx.Response(404, text="<html>Not Found</html>"))
    with raises_source(
        SourceError, r"^test answered HTTP 404\.\nHTTP 404 from http://up.test/x: '<html>Not"
    ):
        await make_http(handler, clock).get("http://up.test/x")
    assert len(seen) == 1
    assert clock.sleeps == []


async def test_persistent_5xx_gives_up_after_max_retries(clock: FakeClock) -> None:
    handler, seen = scripted(*[httpx.Response(500) for _ in range(5)])
    with raises_source(SourceError, r"answered HTTP 500 \(5 attempts\)"):
        await make_http(handler, clock, max_retries=4).get("http://up.test/x")
    assert len(seen) == 5
    assert len(clock.sleeps) == 4


async def test_accepted_non_200_status_is_returned(clock: FakeClock) -> None:
    handler, _ = scripted(httpx.Response(400, text="<feed/>"))
    fetched = await make_http(handler, clock).get("http://up.test/x", accept=(200, 400))
    assert fetched.status == 400


async def test_oversized_body_is_refused(clock: FakeClock) -> None:
    handler, _ = scripted(httpx.Response(200, content=b"x" * 5000))
    with raises_source(SourceError, "larger than 1,000 bytes"):
        await make_http(handler, clock, max_bytes=1000).get("http://up.test/x")


async def test_default_user_agent_names_the_bot(clock: FakeClock) -> None:
    handler, seen = scripted(httpx.Response(200))
    await make_http(handler, clock).get("http://up.test/x", params={"a": 1})
    assert seen[0].headers["user-agent"].startswith("hotpapers/")
    assert seen[0].url.params["a"] == "1"


async def test_throttle_spaces_requests_and_runs_one_at_a_time(clock: FakeClock) -> None:
    throttle = Throttle(3.0, clock=clock, sleep=clock.sleep)
    starts: list[float] = []
    active = 0
    peak = 0

    async def request() -> None:
        nonlocal active, peak
        async with throttle:
            active += 1
            peak = max(peak, active)
            starts.append(clock.now)
            await asyncio.sleep(0)  # let the others try to get in
            clock.now += 0.5  # the request takes half a second
            active -= 1

    await asyncio.gather(*(request() for _ in range(4)))
    assert peak == 1
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps == [3.5, 3.5, 3.5]  # 0.5 s of request + 3 s after its end
    assert clock.sleeps == [3.0, 3.0, 3.0]
