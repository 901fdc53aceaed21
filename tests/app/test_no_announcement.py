"""A channel subscribed to a non-ML category, end to end through the sandbox: Friday's listing is
posted, and the weekend is a stated "no arXiv announcement" outcome, never "the source had none".

The day source is the announcement alone (`bot.sources.announcement`, registered here the way
one registry line would), over the real listing and a local stand-in arXiv (MockTransport).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.config import parse_config
from bot.services.archives import wanted_archives
from bot.sources import registry
from bot.sources.announcement import AnnouncementSource
from bot.sources.arxiv import ArxivSettings
from bot.sources.base import SourceFactory
from bot.sources.registry import SOURCES, Registry
from bot.sources.spec import Context, SourceSettings, SourceSpec
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import MANAGE_GUILD, FakeClock, running_app
from tests.posts import channel_post
from tests.sources.conftest import FakeClock as MonoClock
from tests.sources.test_arxiv_listing import atom

FRIDAY = date(2026, 5, 15)
SATURDAY = date(2026, 5, 16)
SUNDAY = date(2026, 5, 17)


class NoSettings(SourceSettings):
    """The test source has no section of its own."""


def announcement_spec(store: Store, wall: FakeClock) -> SourceSpec[NoSettings]:
    def build(context: Context, _: NoSettings) -> AnnouncementSource:
        assert isinstance(context, SourceFactory)
        return AnnouncementSource(
            context.arxiv_listing(clock=wall), lambda: wanted_archives(store), name="arxiv-new"
        )

    return SourceSpec(name="arxiv-new", title="arXiv", settings=NoSettings, fetcher=build)


@pytest.fixture
def arxiv_requests() -> list[httpx.Request]:
    return []


def stand_in(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        query = parse_qs(urlsplit(str(request.url)).query)
        if request.url.path == "/api/query" and "search_query" in query:
            start = int(query["start"][0])
            entries = [
                ("2605.30001", ["math.AG", "math.NT"]),
                ("2605.30002", ["hep-th", "math.AG"]),
            ]
            return httpx.Response(200, content=atom(entries if start == 0 else []))
        return httpx.Response(404)

    return httpx.MockTransport(handler)


async def test_a_math_channel_gets_fridays_listing_and_a_stated_weekend(
    sandbox: Sandbox,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    arxiv_requests: list[httpx.Request],
) -> None:
    clock = FakeClock(datetime(2026, 5, 15, 20, 0, tzinfo=UTC))  # Friday evening
    monkeypatch.setattr(registry, "REGISTRY", Registry([*SOURCES, announcement_spec(store, clock)]))
    config = parse_config(
        {
            "sources": {
                "default": "arxiv-new",
                "arxiv": {"base_url": "http://arxiv.test", "rss_base_url": "http://rss.test"},
            }
        },
        env={},
    )
    assert isinstance(config.sources.sections["arxiv"], ArxivSettings)
    mono = MonoClock()
    guild = await sandbox.control.add_guild("Maths", channels=["ag"])
    channel = next(c.id for c in guild.channels.values() if c.name == "ag")
    async with httpx.AsyncClient(transport=stand_in(arxiv_requests)) as client:
        factory = SourceFactory(config.sources, client, clock=mono, sleep=mono.sleep)
        async with running_app(sandbox, store, clock, config=config, factory=factory) as bot:
            r = await sandbox.control.invoke(
                "digest subscribe",
                {"channel": channel, "time": "09:00", "categories": "math.AG"},
                permissions=MANAGE_GUILD,
            )
            assert "Subscribed" in r.content, r.content

            # Saturday 09:00 UTC posts Friday's listing, read from the API (the feeds are
            # empty on Saturdays): one request for the one archive somebody wants.
            clock.set(datetime(2026, 5, 16, 9, 1, tzinfo=UTC))
            report = await bot.scheduler.tick()
            assert [o.status for o in report.outcomes] == ["sent"]
            assert len(arxiv_requests) == 1
            query = parse_qs(urlsplit(str(arxiv_requests[0].url)).query)["search_query"][0]
            assert "cat:math.AG" in query and "cat:cs.CV" not in query
            friday = sandbox.control.messages(channel)[-1]
            assert f"New on arXiv {FRIDAY}" in friday["content"]

            # Sunday and Monday post Saturday's and Sunday's: no announcement, said so, and
            # not one more request to arXiv.
            for now, day, name in (
                (datetime(2026, 5, 17, 9, 1, tzinfo=UTC), SATURDAY, "Saturdays"),
                (datetime(2026, 5, 18, 9, 1, tzinfo=UTC), SUNDAY, "Sundays"),
            ):
                clock.set(now)
                report = await bot.scheduler.tick()
                assert [(o.status, o.day) for o in report.outcomes] == [("empty", day)]
                notice = sandbox.control.messages(channel)[-1]["content"]
                assert f"no papers for {day}: no arXiv announcement on {name}" in notice
                assert "source had none" not in notice
                row = await channel_post(store, channel, day)
                assert row is not None and row.status == "empty"
                assert row.error == f"no arXiv announcement on {name}"
            assert len(arxiv_requests) == 1

            history = await sandbox.control.invoke("history", channel_id=channel)
            assert f"{SATURDAY} · ∅ empty — no arXiv announcement on Saturdays" in history.content
            assert f"{SUNDAY} · ∅ empty — no arXiv announcement on Sundays" in history.content
            status = await sandbox.control.invoke("digest status", permissions=MANAGE_GUILD)
            assert "no arXiv announcement on Saturdays" in status.content, status.content

            hot = await sandbox.control.invoke("hot", {"date": str(SATURDAY)})
            assert hot.content.startswith(
                f"There are no papers for {SATURDAY}: no arXiv announcement on Saturdays."
            ), hot.content
            posted = await sandbox.control.invoke(
                "digest post-now", {"channel": channel, "date": str(SUNDAY)},
                permissions=MANAGE_GUILD,
            )  # fmt: skip
            assert "no arXiv announcement on Sundays" in posted.content, posted.content
            assert len(arxiv_requests) == 1
