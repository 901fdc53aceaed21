"""/metrics of the real bot against the sandbox, after real posts, commands, 429s and fetches.

The values are exact: the clock is fake (so a post's lag is what the test set it to), the
sandbox's faults are counted (one per-route 429, one global 429, one 403), and every command
is invoked by the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from bot.sources.base import SourceFactory
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import MANAGE_GUILD, FakeClock, make_config, running_app
from tests.app.conftest import clock as clock
from tests.app.conftest import sandbox as sandbox
from tests.app.conftest import store as store
from tests.ops.endpoint import scrape_metrics, value

POST = "POST /channels/{}/messages"


def upstream(request: httpx.Request) -> httpx.Response:
    """The blog's posts: no post on 03-11 (404), unreachable for 03-10."""
    if "2021-03-10" in request.url.path:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
    return httpx.Response(404, text="not found")


@pytest.fixture
async def factory_config() -> AsyncIterator[dict[str, object]]:
    config = make_config(
        ops={"listen": "127.0.0.1:0"},
        sources={
            "hotpapers-md": {"url_template": "https://posts.example/{date}.md"},
            "max_retries": 0,
        },
        discord={"max_concurrent_posts": 1},
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(upstream)) as client:
        yield {"config": config, "factory": SourceFactory(config.sources, client)}


async def test_metrics_count_posts_lag_429s_commands_and_source_requests(
    sandbox: Sandbox, store: Store, clock: FakeClock, factory_config: dict[str, object]
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["a", "b", "c"])
    a, b, c = (ch.id for ch in guild.channels.values())
    async with running_app(sandbox, store, clock, **factory_config) as bot:  # type: ignore[arg-type]
        before, types, _ = await scrape_metrics(bot)
        assert value(before, "hotpapers_posts_total", outcome="sent") == 0
        assert value(before, "hotpapers_discord_rate_limits_total", scope="global") == 0
        for channel in (a, b, c):
            r = await sandbox.control.invoke(
                "digest subscribe", {"channel": channel, "time": "09:00"}, permissions=MANAGE_GUILD
            )
            assert r.status == "answered" and r.content.startswith("Subscribed"), r.content
        sandbox.control.inject_fault(POST.format(a), status=429, retry_after=0.05, times=1)
        sandbox.control.inject_fault(
            POST.format(b), status=429, retry_after=0.05, times=1, **{"global": True}
        )
        sandbox.control.inject_fault(POST.format(c), status=403, times=None)
        clock.advance(minutes=5)  # the day was due at 09:00; the tick runs at 09:05
        report = await bot.scheduler.tick()
        assert sorted(o.status for o in report.outcomes) == ["forbidden", "sent", "sent"]
        for options in ({}, {"date": "2021-03-11"}, {"date": "2021-03-10"}):
            await sandbox.control.invoke("hot", options)
        r = await sandbox.control.invoke("paper", {"id": "not-an-id"})
        assert r.ephemeral
        samples, types, text = await scrape_metrics(bot)

    posts = {o: value(samples, "hotpapers_posts_total", outcome=o) for o in ("sent", "forbidden")}
    assert posts == {"sent": 2, "forbidden": 1}
    assert value(samples, "hotpapers_posts_total", outcome="failed") == 0
    lag = timedelta(minutes=5).total_seconds()
    assert value(samples, "hotpapers_post_lag_seconds_count") == 2
    assert value(samples, "hotpapers_post_lag_seconds_sum") == 2 * lag
    assert value(samples, "hotpapers_post_lag_seconds_bucket", le="120.0") == 0
    assert value(samples, "hotpapers_post_lag_seconds_bucket", le="300.0") == 2
    assert value(samples, "hotpapers_fanout_queue_depth") == 0  # the fan-out is over
    scopes = {
        s: value(samples, "hotpapers_discord_rate_limits_total", scope=s)
        for s in ("global", "per-route", "shared", "cloudflare")
    }
    assert scopes == {"global": 1, "per-route": 1, "shared": 0, "cloudflare": 0}
    counts = {
        (dict(labels)["command"], dict(labels)["outcome"]): v
        for (name, labels), v in samples.items()
        if name == "hotpapers_command_seconds_count"
    }
    assert counts == {
        ("digest subscribe", "ok"): 3,
        ("hot", "ok"): 1,
        ("hot", "error"): 2,  # no post that day; the source unreachable
        ("paper", "error"): 1,
    }
    assert value(samples, "hotpapers_source_requests_total", source="hotpapers-md") == 2
    assert value(samples, "hotpapers_source_failures_total", source="hotpapers-md") == 1
    assert types["hotpapers_command_seconds"] == "histogram"
    assert "_created" not in text
