"""A total deadline on every upstream request, against real slow servers on 127.0.0.1.

Per-read timeouts never trip on an upstream that sends one byte every half second, nor bound
the whole of a request; these servers prove the deadline does. Each test is guarded by a
generous `asyncio.wait_for` so that, without the deadline, it fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date

import httpx
import pytest

from bot.config import SourcesConfig
from bot.errors import SourceError
from bot.sources.base import SourceFactory
from bot.sources.http import Http

from .conftest import FakeClock, assert_plain_sentence, raises_source

GUARD = 20.0  # seconds: far beyond the deadlines below; only reached if the deadline is broken
Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer 200 with a long body, one byte every 0.5 s (never a read timeout)."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    )
    await writer.drain()
    for _ in range(200):
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.5)


async def _stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept, read the request, never answer."""
    await reader.readuntil(b"\r\n\r\n")
    await asyncio.sleep(3600)


@contextlib.asynccontextmanager
async def serving(handler: Serve) -> AsyncIterator[str]:
    """A local server running `handler` per connection; yields its base URL."""
    tasks: set[asyncio.Task[None]] = set()

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(connected, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


@pytest.mark.parametrize("handler", [_drip, _stall], ids=["slow-drip", "stalled"])
async def test_a_slow_or_stalled_upstream_fails_at_the_deadline(handler: Serve) -> None:
    async with serving(handler) as base, httpx.AsyncClient() as client:
        # Per-read timeout far longer than the deadline: only the deadline can end this.
        http = Http(client, "hf", timeout=60.0, deadline=1.0, max_retries=2, title="Hugging Face")
        with raises_source(SourceError, r"^Hugging Face did not answer within 1 s\.") as info:
            await asyncio.wait_for(http.get(f"{base}/api/daily_papers"), GUARD)
        assert_plain_sentence(info.value, "Hugging Face")
        assert "127.0.0.1" in info.value.detail  # the log still knows where


async def test_the_configured_deadline_bounds_a_whole_source_fetch() -> None:
    async with serving(_drip) as base, httpx.AsyncClient() as client:
        config = SourcesConfig.model_validate(
            {"hf": {"base_url": base}, "request_deadline_seconds": 1.0, "timeout_seconds": 60.0}
        )
        source = SourceFactory(config, client).build("hf")
        with raises_source(SourceError, r"^Hugging Face did not answer within 1 s\."):
            await asyncio.wait_for(source.fetch_day(date(2025, 3, 31)), GUARD)


async def test_retry_waits_count_against_the_deadline(clock: FakeClock) -> None:
    """Four 503s asking for 20 s each: one wait fits in 30 s, the second would not."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503, headers={"Retry-After": "20"})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    http = Http(
        client, "arxiv", deadline=30.0, max_retries=4, sleep=clock.sleep, clock=clock, title="arXiv"
    )
    with raises_source(SourceError, r"^arXiv answered HTTP 503 and there is no time left"):
        await http.get("http://arxiv.test/api/query")
    assert clock.sleeps == [20.0]
    assert len(seen) == 2
