"""Every crowd together: the request budget per day, health lines, isolated outages, HF's part.

The budget is measured, not asserted from the code: a day's signals are asked for N
subscribed archives (each with its own ids, as a blend asks) and the requests each stand-in
saw are counted. `python -m pytest tests/sources/test_crowds.py -s` prints the table the
README quotes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from bot.config import parse_config
from bot.errors import ConfigError, SourceError
from bot.services.status import status_text
from bot.sources import registry
from bot.sources.base import SourceFactory
from bot.sources.signals import Signal
from bot.store.base import Store

from .conftest import hf_day
from .crowd_upstreams import Crowds, corpus_json

DAY = date(2025, 3, 5)
ENV = {"BSKY_HANDLE": "hot.test", "BSKY_APP_PASSWORD": "app-pass"}
SECTIONS = {
    "hf": {"base_url": "http://hf.test"},
    "hn": {"base_url": "http://hn.test"},
    "bluesky": {"base_url": "http://bsky.test"},
}


@pytest.fixture
def crowds() -> Crowds:
    hf_items = hf_day(30)
    hf_items[0]["paper"]["id"] = "2503.01234"
    return Crowds(
        hn_pages=[corpus_json("hn", "search_by_date_arxiv.json")],
        bsky_pages=[
            corpus_json("bluesky", "searchPosts_arxiv_page0.json"),
            corpus_json("bluesky", "searchPosts_arxiv_page1.json"),
        ],
        hf_days={"2025-03-05": hf_items[:20], "2025-03-06": hf_items[20:]},
    )


@pytest.fixture
async def client(crowds: Crowds) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(crowds.handler)) as c:
        yield c


def factory_for(client: httpx.AsyncClient, env: dict[str, str]) -> SourceFactory:
    config = parse_config({"sources": SECTIONS}, env=env).sources
    return SourceFactory(config, client, sleep=_no_sleep)


async def _no_sleep(_seconds: float) -> None:
    return None


def archives(n: int) -> list[list[str]]:
    """`n` archives' ids for the day: disjoint, each with one paper the crowds discussed."""
    discussed = ["2503.01234", "2503.04567", "2503.05555", "hep-th/9901001", "2503.10005"]
    return [[discussed[k % len(discussed)], f"2503.{20000 + k:05d}"] for k in range(n)]


async def ask(factory: SourceFactory, n: int) -> dict[str, dict[str, Signal]]:
    found: dict[str, dict[str, Signal]] = {}
    for ids in archives(n):
        for signal in factory.signals():
            found.setdefault(signal.name, {}).update(await signal.signals_for(DAY, ids))
    return found


@pytest.mark.parametrize("n", [1, 5, 20])
async def test_the_request_budget_per_day_does_not_grow_with_archives(
    client: httpx.AsyncClient, crowds: Crowds, n: int
) -> None:
    await ask(factory_for(client, ENV), n)
    measured = {
        "hf": crowds.count("hf.test"),
        "hn": crowds.count("hn.test"),
        "bluesky sign-in": crowds.count("bsky.test", "/xrpc/com.atproto.server"),
        "bluesky search": crowds.count("bsky.test", "/xrpc/app.bsky.feed.searchPosts"),
    }
    print(f"\nrequests for one day, {n} archive(s): {measured}")
    # HF: the day and the day after (one page each); HN: one search page; Bluesky: one sign-in
    # and the search's pages (two here; at most max_pages = 5).
    assert measured == {"hf": 2, "hn": 1, "bluesky sign-in": 1, "bluesky search": 2}


async def test_without_bluesky_credentials_the_other_crowds_answer_and_bluesky_costs_nothing(
    client: httpx.AsyncClient, crowds: Crowds
) -> None:
    found = await ask(factory_for(client, {}), 5)
    assert sorted(found) == ["hf", "hn"]
    assert crowds.count("bsky.test") == 0
    assert dict(found["hn"]["2503.01234"].counts) == {"hn_points": 357, "hn_comments": 153}


async def test_hugging_face_as_a_crowd_reads_the_day_and_the_next(
    client: httpx.AsyncClient, crowds: Crowds
) -> None:
    hf = next(s for s in factory_for(client, {}).signals() if s.name == "hf")
    found = await hf.signals_for(DAY, ["2503.01234", "2503.10025", "2503.99999"])
    assert sorted(found) == ["2503.01234", "2503.10025"]  # 2503.10025 was listed on the 6th
    first = found["2503.01234"]
    assert dict(first.counts) == {"upvotes": 500, "github_stars": 0, "comments": 0}
    assert first.links == ("http://hf.test/papers/2503.01234",)
    assert first.quotes == ()
    assert first.read_at.tzinfo is not None
    asked = [r.url.params["date"] for r in crowds.requests]
    assert asked == ["2025-03-05", "2025-03-06"]


async def test_one_crowd_down_is_its_own_health_line_and_the_others_still_answer(
    client: httpx.AsyncClient, crowds: Crowds, store: Store
) -> None:
    crowds.overrides["hn.test"] = lambda _r: httpx.Response(
        200, text="<html>Service Unavailable</html>", headers={"content-type": "text/html"}
    )
    factory = factory_for(client, ENV)
    factory.report_health(store.record_source_health)
    answered: dict[str, Any] = {}
    for signal in factory.signals():
        try:
            answered[signal.name] = await signal.signals_for(DAY, ["2503.01234"])
        except SourceError as exc:
            answered[signal.name] = str(exc)

    assert answered["hn"] == "Hacker News sent something that is not JSON."
    assert "2503.01234" in answered["hf"]
    assert "2503.01234" in answered["bluesky"]
    health = {h.source: h for h in await store.source_health()}
    assert sorted(health) == ["bluesky", "hf", "hn"]
    assert health["hn"].ok is False and health["hn"].error == answered["hn"]
    assert health["hf"].ok and health["bluesky"].ok

    text = status_text(
        [],
        list(health.values()),
        {"hot"},  # a blend subscription; its crowds report under their own names
        posts=[],
        days={},
        next_slots={},
        scheduler_running=True,
        last_tick=datetime(2025, 3, 6, tzinfo=UTC),
    )
    assert "Source hn: **failing** (1×" in text
    assert "Source hf: ok" in text
    assert "Source bluesky: ok" in text


async def test_a_signal_source_raising_anything_is_a_source_error_naming_it(
    client: httpx.AsyncClient, crowds: Crowds
) -> None:
    def broken(_request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug in the transport")

    crowds.overrides["hn.test"] = broken
    hn = next(s for s in factory_for(client, {}).signals() if s.name == "hn")
    with pytest.raises(SourceError, match=r"^Hacker News could not be asked"):
        await hn.signals_for(DAY, ["2503.01234"])


def test_crowds_are_signals_of_the_registry_and_no_subscription_source() -> None:
    reg = registry.REGISTRY
    assert [s.name for s in reg.signals] == ["hf", "hn", "bluesky"]
    assert "hn" not in reg.names and "bluesky" not in reg.names
    assert "hf" in reg.names  # Hugging Face stays a day source for ML channels
    with pytest.raises(ConfigError, match=r"invalid config: sources\.default: unknown source 'hn'"):
        parse_config({"sources": {"default": "hn"}}, env={})
    factory = SourceFactory(parse_config({}, env={}).sources, httpx.AsyncClient())
    with pytest.raises(ConfigError, match="hn is a crowd's signal on a day's papers"):
        factory.build("hn")
    metrics = {m.name for s in reg.signals for m in s.metrics.metrics}
    assert metrics == {
        "upvotes",
        "github_stars",
        "comments",
        "hn_points",
        "hn_comments",
        "bsky_likes",
        "bsky_reposts",
        "bsky_quotes",
    }


async def test_an_outage_costs_one_attempt_per_day_not_one_per_archive(
    client: httpx.AsyncClient, crowds: Crowds
) -> None:
    crowds.overrides["hn.test"] = lambda _r: httpx.Response(200, json=[1, 2])
    hn = next(s for s in factory_for(client, {}).signals() if s.name == "hn")
    for ids in archives(5):
        with pytest.raises(SourceError, match=r"^Hacker News sent something that is not a JSON"):
            await hn.signals_for(DAY, ids)
    assert crowds.count("hn.test") == 1
