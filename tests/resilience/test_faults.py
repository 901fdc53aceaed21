"""Faults during the daily fan-out, through the sandbox, with the real in-process bot.

Each test posts the sample digest to a dozen or more channels while something goes wrong:
429 per route and global, 500 / 502 / 503 / 504, 403, 404, slow answers, a dropped gateway
connection, RECONNECT and INVALID_SESSION in the middle of the fan-out, an upstream outage
and its recovery. Each then checks the same four things: nothing lost, nothing duplicated
(exactly one digest per healthy channel), the bot still up (`/hot` answers), and the problem
named in `/digest status`, invoked as a member with Manage Server.

discord.py sleeps 1, 3, 5, ... s before retrying a 500 / 502 / 504, so those are injected once.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app.bot import HotPapersBot
from bot.models import Subscription
from bot.publish import nonce_for
from bot.sources.base import SourceFactory
from bot.store import open_store
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import MANAGE_GUILD, FakeClock, make_config, running_app
from tests.sources.conftest import Upstreams, hf_day

POST = "POST /channels/{channel_id}/messages"
DAY = date(2021, 3, 12)  # the sample's day, due at SAMPLE_NOW
CHANNELS = 12
WAIT = 10.0  # a generous bound for one awaited event, not a measurement


async def subscribed_guild(
    sandbox: Sandbox, store: Store, clock: FakeClock, n: int = CHANNELS
) -> list[int]:
    """A guild with `n` channels, each subscribed at 09:00 UTC (due at the clock's time)."""
    guild = await sandbox.control.add_guild("Faults", channels=[f"c{i:02d}" for i in range(n)])
    channels = [c.id for c in guild.channels.values()]
    for cid in channels:
        await store.upsert_subscription(
            Subscription(
                guild_id=guild.id,
                channel_id=cid,
                id=cid,  # one subscription per channel: its id is the channel's
                post_time="09:00",
                created_at=clock() - timedelta(days=1),
            )
        )
    return channels


def digests(sandbox: Sandbox, channel_id: int) -> list[dict[str, Any]]:
    """The bot's scheduled posts in a channel (they carry a nonce; command replies do not)."""
    return [m for m in sandbox.control.messages(channel_id) if m.get("nonce")]


def assert_exactly_once(sandbox: Sandbox, channels: list[int], day: date = DAY) -> None:
    """One digest of `day` per channel, with the deterministic nonce; duplicates and misses."""
    counts = {cid: len(digests(sandbox, cid)) for cid in channels}
    duplicates = {cid: n - 1 for cid, n in counts.items() if n > 1}
    misses = [cid for cid, n in counts.items() if n == 0]
    assert not duplicates and not misses, f"duplicates={duplicates} misses={misses}"
    for cid in channels:
        assert digests(sandbox, cid)[0]["nonce"] == nonce_for(cid, cid, day)


async def still_up(sandbox: Sandbox) -> None:
    """The bot answers a command after the fault."""
    r = await sandbox.control.invoke("hot")
    assert r.status == "answered" and (r.content or r.embeds), r


async def status(sandbox: Sandbox) -> str:
    """`/digest status` as a moderator sees it."""
    r = await sandbox.control.invoke("digest status", permissions=MANAGE_GUILD)
    assert r.status == "answered" and r.ephemeral, r
    return r.content


# --- REST faults ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "spec", "shown"),
    [
        (POST, {"times": 3}, "3× 429"),
        ("*", {"times": 2, "global": True}, "2× 429 global"),
    ],
    ids=["per-route", "global"],
)
async def test_429_is_waited_out_and_shown(
    sandbox: Sandbox, store: Store, clock: FakeClock, route: str, spec: dict[str, Any], shown: str
) -> None:
    channels = await subscribed_guild(sandbox, store, clock)
    async with running_app(sandbox, store, clock) as bot:
        sandbox.control.inject_fault(route, status=429, retry_after=0.05, **spec)
        report = await bot.scheduler.tick()
        assert report.sent == CHANNELS
        assert_exactly_once(sandbox, channels)
        limited = sandbox.control.requests(status=429)
        assert len(limited) == spec["times"]
        assert all(r.rate_limited == "injected" for r in limited)
        await still_up(sandbox)
        text = await status(sandbox)
        assert shown in text and "last: 429" in text, text
        assert "Failing channels: none" in text, text


@pytest.mark.parametrize(("code", "times"), [(500, 1), (502, 1), (504, 1), (503, 2)])
async def test_server_errors_are_retried_and_shown(
    sandbox: Sandbox, store: Store, clock: FakeClock, code: int, times: int
) -> None:
    """discord.py retries 500 / 502 / 504 itself; 503 falls to the publisher's backoff."""
    channels = await subscribed_guild(sandbox, store, clock)
    async with running_app(sandbox, store, clock, post_backoff_seconds=0.01) as bot:
        sandbox.control.inject_fault(POST, status=code, times=times)
        report = await bot.scheduler.tick()
        assert report.sent == CHANNELS and all(o.status == "sent" for o in report.outcomes)
        assert len(sandbox.control.requests(POST, code)) == times
        assert_exactly_once(sandbox, channels)
        await still_up(sandbox)
        text = await status(sandbox)
        assert f"{times}× {code}" in text and "Failing channels: none" in text, text


async def test_a_503_outlasting_the_retries_shows_the_day_failed_then_it_is_posted_once(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    channels = await subscribed_guild(sandbox, store, clock)
    victim = channels[3]
    async with running_app(sandbox, store, clock, post_backoff_seconds=0.01) as bot:
        sandbox.control.inject_fault(f"POST /channels/{victim}/messages", status=503, times=3)
        report = await bot.scheduler.tick()  # the publisher tries 3 times
        assert {o.channel_id: o.status for o in report.outcomes if o.status != "sent"} == {
            victim: "failed"
        }
        text = await status(sandbox)
        assert f"<#{victim}> · ok · the digest of {DAY} is **failed**: temporary error" in text
        assert "3× 503" in text, text
        clock.advance(minutes=2)  # past the scheduler's backoff for that (channel, day)
        assert (await bot.scheduler.tick()).sent == 1
        assert_exactly_once(sandbox, channels)
        await still_up(sandbox)
        assert f"<#{victim}> · ok · last post: the digest of {DAY}" in await status(sandbox)


async def test_403_marks_the_channel_failing_and_404_disables_it_others_get_theirs(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    channels = await subscribed_guild(sandbox, store, clock)
    locked, doomed, healthy = channels[0], channels[1], channels[2:]
    async with running_app(sandbox, store, clock) as bot:
        sandbox.control.forbid_channel(locked)
        await sandbox.control.delete_channel(doomed)
        report = await bot.scheduler.tick()
        outcomes = {o.channel_id: o.status for o in report.outcomes}
        assert outcomes[locked] == "forbidden" and outcomes[doomed] == "gone"
        assert_exactly_once(sandbox, healthy)
        assert digests(sandbox, locked) == []
        clock.advance(minutes=29)
        assert (await bot.scheduler.tick()).due == 0  # neither is retried every tick
        assert len(sandbox.control.requests(POST, 403)) == 1
        clock.advance(minutes=1)  # the 403 is retried on a long backoff; the 404 never
        report = await bot.scheduler.tick()
        assert [(o.channel_id, o.status) for o in report.outcomes] == [(locked, "forbidden")]
        assert len(sandbox.control.requests(POST, 403)) == 2
        await still_up(sandbox)
        text = await status(sandbox)
        assert f"<#{locked}> · **failing**: 403 Forbidden: Missing Permissions" in text, text
        assert f"<#{doomed}> · **disabled**: 404 Not Found: channel deleted" in text, text
        assert f"Failing channels: <#{locked}>, <#{doomed}>" in text, text


async def test_latency_spikes_slow_the_fan_out_but_lose_nothing(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    channels = await subscribed_guild(sandbox, store, clock)
    async with running_app(sandbox, store, clock) as bot:
        sandbox.control.inject_fault(POST, latency_ms=1200, times=3)
        report = await bot.scheduler.tick()
        assert report.sent == CHANNELS
        assert_exactly_once(sandbox, channels)
        await still_up(sandbox)
        text = await status(sandbox)
        # The three injected spikes are counted; on a loaded machine an ordinary request may
        # also pass 1 s, so "at least 3" and "up to at least 1.2 s", not exact figures.
        seen = re.search(r"(\d+)× slow \(>1 s, up to (\d+(?:\.\d+)?) s\)", text)
        assert seen, text
        assert int(seen[1]) >= 3 and float(seen[2]) >= 1.2, text


# --- the gateway in the middle of a fan-out ---------------------------------------------------


@pytest.mark.parametrize(
    ("action", "resumed", "new_session"),
    [("drop", 1, 0), ("reconnect", 1, 0), ("invalid_session", 0, 1)],
)
async def test_gateway_trouble_in_the_middle_of_a_fan_out(
    sandbox: Sandbox,
    store: Store,
    clock: FakeClock,
    action: str,
    resumed: int,
    new_session: int,
) -> None:
    channels = await subscribed_guild(sandbox, store, clock, n=30)
    async with running_app(sandbox, store, clock) as bot:
        tick = asyncio.create_task(bot.scheduler.tick())

        def arrived() -> int:
            return sum(len(digests(sandbox, c)) for c in channels)

        await sandbox.state.wait_for(lambda: arrived() >= 8, WAIT)
        assert not tick.done() and arrived() < len(channels)  # genuinely mid fan-out
        assert await sandbox.control.gateway(action) == 1
        report = await tick
        assert report.sent == len(channels)
        await sandbox.state.wait_for(
            lambda: bot.health.resumes >= resumed and bot.health.connects >= 1 + new_session,
            WAIT,
        )
        await sandbox.control.wait_for_gateway(
            identifies=1 + new_session, resumes=resumed, timeout=WAIT
        )
        assert_exactly_once(sandbox, channels)
        await still_up(sandbox)
        text = await status(sandbox)
        assert (
            f"Gateway: 1× disconnected since start ({resumed}× resumed, "
            f"{new_session}× new session)" in text
        ), text


# --- upstream ---------------------------------------------------------------------------------


async def test_an_upstream_outage_is_shown_and_the_day_is_posted_once_it_recovers(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """HF's daily papers answer 503: nothing can be posted, the source shows failing; HF
    comes back: every channel gets the day exactly once and the source shows ok."""
    day = date(2025, 3, 31)
    clock = FakeClock(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    upstreams = Upstreams(hf_pages={day.isoformat(): hf_day(15)})
    upstreams.hf_override = lambda request: httpx.Response(503, text="upstream down")
    sections: dict[str, Any] = {
        "hf": {"base_url": "http://hf.test"},
        "arxiv": {"base_url": "http://arxiv.test/", "min_interval_seconds": 0.0},
    }
    config = make_config(sources={"default": "hf+arxiv", "max_retries": 0, **sections})
    async with (
        open_store(tmp_path / "outage.sqlite3") as store,
        httpx.AsyncClient(transport=httpx.MockTransport(upstreams.handler)) as client,
    ):
        factory = SourceFactory(config.sources, client)
        channels = await subscribed_guild(sandbox, store, clock)
        bot: HotPapersBot
        async with running_app(sandbox, store, clock, config=config, factory=factory) as bot:
            report = await bot.scheduler.tick()
            assert report.waiting == [f"hf+arxiv {day}"] and report.outcomes == []
            assert upstreams.count("hf.test") >= 1
            await still_up(sandbox)  # /hot explains that the day is unavailable
            text = await status(sandbox)
            assert "Source hf+arxiv: **failing** (" in text and "503" in text, text
            assert f"Waiting for digests (not available yet): hf+arxiv {day}" in text, text
            assert all(digests(sandbox, c) == [] for c in channels)

            upstreams.hf_override = None  # HF is back
            clock.advance(minutes=2)  # past the scheduler's backoff for that source day
            report = await bot.scheduler.tick()
            assert report.sent == CHANNELS
            assert_exactly_once(sandbox, channels, day)
            assert (await bot.scheduler.tick()).due == 0
            await still_up(sandbox)
            text = await status(sandbox)
            assert "Source hf+arxiv: ok" in text and "Waiting for digests" not in text, text
