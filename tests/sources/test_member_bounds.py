"""Bounded upstream work for members: a negative cache, a fetch horizon, arXiv's life span,
and member requests that wait behind the scheduled fetch or are refused at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.config import parse_config
from bot.errors import BusyError, NotKeptError, SourceError, UserInputError
from bot.filters import PaperFilter
from bot.models import Digest, Paper
from bot.services.digests import DigestService
from bot.sources import priority
from bot.sources.base import SourceFactory
from bot.sources.http import Throttle

from .conftest import FakeClock, Upstreams, assert_plain_sentence, hf_day

NOW = datetime(2025, 4, 2, 9, 0, tzinfo=UTC)
DAY = date(2025, 3, 31)
EMPTY_FEED = (
    b'<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>arXiv Query</title></feed>'
)


class Now:
    """The service's wall clock, moved by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def service(
    client: httpx.AsyncClient, store: Any, clock: FakeClock, now: Now, **sources: Any
) -> DigestService:
    config = parse_config(
        {
            "sources": {
                "default": "hf+arxiv",
                "hf": {"base_url": "http://hf.test"},
                "arxiv": {"base_url": "http://arxiv.test/"},
                "negative_cache_minutes": 30,
                "fetch_horizon_days": 14,
                **sources,
            }
        },
        env={},
    )
    factory = SourceFactory(config.sources, client, clock=clock, sleep=clock.sleep)
    return DigestService(store, config, factory, clock=now)


# --- the negative cache -----------------------------------------------------------------------


async def test_an_unknown_id_asks_arxiv_once_per_ttl(
    upstreams: Upstreams, client: httpx.AsyncClient, clock: FakeClock, store: Any
) -> None:
    upstreams.arxiv_override = lambda req: httpx.Response(200, content=EMPTY_FEED)
    now = Now()
    digests = service(client, store, clock, now)
    for _ in range(5):
        assert await digests.paper("2503.99999") is None
    assert upstreams.count("arxiv.test") == 1
    now.now += timedelta(minutes=31)
    assert await digests.paper("2503.99999") is None
    assert upstreams.count("arxiv.test") == 2


async def test_a_failed_lookup_is_repeated_from_memory_for_a_minute(
    upstreams: Upstreams, client: httpx.AsyncClient, clock: FakeClock, store: Any
) -> None:
    upstreams.arxiv_override = lambda req: httpx.Response(404, text="gone")
    now = Now()
    digests = service(client, store, clock, now)
    for _ in range(3):
        with pytest.raises(SourceError, match=r"^arXiv answered HTTP 404\.$"):
            await digests.paper("2503.99999")
    assert upstreams.count("arxiv.test") == 1
    now.now += timedelta(minutes=2)
    with pytest.raises(SourceError):
        await digests.paper("2503.99999")
    assert upstreams.count("arxiv.test") == 2


async def test_a_day_with_no_post_is_remembered_for_members_not_for_the_scheduler(
    clock: FakeClock, store: Any
) -> None:
    asked: list[str] = []

    def blog(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(404, text="no such post")

    now = Now()
    async with httpx.AsyncClient(transport=httpx.MockTransport(blog)) as client:
        digests = service(
            client,
            store,
            clock,
            now,
            default="hotpapers-md",
            **{"hotpapers-md": {"url_template": "http://blog.test/{date}.md"}},
        )
        for _ in range(4):
            with pytest.raises(SourceError) as info:
                await digests.hot("default", DAY, "day", PaperFilter())
            assert str(info.value) == "The Hot Papers posts have no post for 2025-03-31."
        assert len(asked) == 1
        with pytest.raises(SourceError):  # the scheduler always asks (it has its own backoff)
            await digests.get("default", DAY)
        assert len(asked) == 2
        now.now += timedelta(minutes=31)
        with pytest.raises(SourceError):
            await digests.hot("default", DAY, "day", PaperFilter())
        assert len(asked) == 3


# --- the horizon and arXiv's life ---------------------------------------------------------------


async def test_days_beyond_the_horizon_are_never_fetched_for_members(
    upstreams: Upstreams, client: httpx.AsyncClient, clock: FakeClock, store: Any
) -> None:
    old = NOW.date() - timedelta(days=20)
    upstreams.hf_pages[old.isoformat()] = hf_day(3)
    digests = service(client, store, clock, Now())
    with pytest.raises(NotKeptError, match=r"older than 14 days and is not kept"):
        await digests.hot("default", old, "day", PaperFilter())
    assert upstreams.requests == []

    kept = Paper(arxiv_id="2503.00001", title="Imported", score=5)
    await store.save_digest(Digest(day=old, source="hf+arxiv", papers=[kept]), final=True)
    view = await digests.hot("default", old, "month", PaperFilter())
    assert [p.title for p in view.view.papers] == ["Imported"]
    assert upstreams.requests == []


@pytest.mark.parametrize(
    ("day", "says"),
    [
        (date(1, 1, 1), "before arXiv's first day"),
        (date(1991, 8, 13), "before arXiv's first day"),
        (date(9999, 12, 31), "in the future"),
        (NOW.date() + timedelta(days=2), "in the future"),
    ],
)
async def test_dates_outside_arxivs_life_are_user_errors_before_any_request(
    day: date,
    says: str,
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    clock: FakeClock,
    store: Any,
) -> None:
    digests = service(client, store, clock, Now())
    with pytest.raises(UserInputError, match=says):
        digests.check_date(day)
    for window in ("day", "week", "month"):
        with pytest.raises(UserInputError, match=says):
            await digests.hot("default", day, window, PaperFilter())
    assert upstreams.requests == []


# --- members after the scheduled fetch, and never too many ------------------------------------


async def test_the_throttle_serves_scheduled_requests_before_waiting_members() -> None:
    clock = FakeClock()
    throttle = Throttle(3.0, clock=clock, sleep=clock.sleep, member_waiting=2, title="arXiv")
    order: list[str] = []
    release = asyncio.Event()

    async def request(label: str, who: priority.Priority) -> None:
        token = priority._current.set(who)
        try:
            async with throttle:
                order.append(label)
                if label == "first":
                    await release.wait()
        finally:
            priority._current.reset(token)

    first = asyncio.create_task(request("first", "member"))
    await asyncio.sleep(0)
    members = [asyncio.create_task(request(f"m{i}", "member")) for i in (1, 2)]
    await asyncio.sleep(0)
    with pytest.raises(BusyError) as info:  # a third waiting member is refused at once
        await request("m3", "member")
    assert_plain_sentence(info.value, "arXiv")
    scheduled = asyncio.create_task(request("scheduled", "scheduled"))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *members, scheduled)
    assert order == ["first", "scheduled", "m1", "m2"]
    assert clock.sleeps == [3.0, 3.0, 3.0]  # still one at a time, 3 s apart


async def test_too_many_member_fetches_at_once_are_refused_quickly(
    clock: FakeClock, store: Any
) -> None:
    gate = asyncio.Event()
    asked: list[str] = []

    async def slow_hf(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        await gate.wait()
        return httpx.Response(200, json=[])

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow_hf)) as client:
        digests = service(client, store, clock, Now(), default="hf", member_requests_waiting=2)
        days = [DAY - timedelta(days=i) for i in range(3)]
        running = [
            asyncio.create_task(digests.hot("default", d, "day", PaperFilter())) for d in days[:2]
        ]
        while len(asked) < 2:
            await asyncio.sleep(0)
        with pytest.raises(BusyError, match=r"^Hugging Face is busy .* try again in a minute\.$"):
            await digests.hot("default", days[2], "day", PaperFilter())
        scheduled = asyncio.create_task(digests.get("default", days[2]))  # never refused
        while len(asked) < 3:
            await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(*running, scheduled)
    assert len(asked) == 3
