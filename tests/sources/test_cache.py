"""The store as a cache: request counts, finality, refresh, failures, health (real SQLite)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.config import SourcesConfig
from bot.errors import SourceError
from bot.sources.base import Source, build_source
from bot.sources.cache import ensure_digest, get_digest, is_final, refresh_digest

from .conftest import FakeClock, Upstreams, hf_day, raises_source

PAST = date(2025, 3, 31)
NOW = datetime(2025, 4, 2, 9, 0, tzinfo=UTC)  # PAST is two days ago
TODAY = NOW.date()


def source(name: str, client: httpx.AsyncClient, config: SourcesConfig, clock: FakeClock) -> Source:
    return build_source(name, config, client, clock=clock, sleep=clock.sleep)


async def test_fifty_papers_cost_one_hf_and_one_arxiv_request_then_none(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
) -> None:
    upstreams.hf_pages[PAST.isoformat()] = hf_day(50)
    src = source("hf+arxiv", client, sources_config, clock)

    digest = await get_digest(store, src, PAST, now=NOW, config=sources_config)
    assert len(digest.papers) == 50
    assert (upstreams.count("hf.test"), upstreams.count("arxiv.test")) == (1, 1)
    assert digest.papers[0].categories == ["cs.CV", "cs.LG"]

    again = await get_digest(store, src, PAST, now=NOW + timedelta(days=30), config=sources_config)
    assert len(upstreams.requests) == 2  # the stored past day costs no request
    assert [p.arxiv_id for p in again.papers] == [p.arxiv_id for p in digest.papers]
    assert again.papers[0].categories == ["cs.CV", "cs.LG"]
    meta = await store.digest_meta("hf+arxiv", PAST)
    assert meta.final is True
    assert meta.paper_count == 50


async def test_a_new_source_object_also_answers_from_the_store(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
) -> None:
    upstreams.hf_pages[PAST.isoformat()] = hf_day(5)
    await get_digest(
        store, source("hf", client, sources_config, clock), PAST, now=NOW, config=sources_config
    )
    await get_digest(
        store, source("hf", client, sources_config, clock), PAST, now=NOW, config=sources_config
    )
    assert upstreams.count("hf.test") == 1


async def test_success_records_health(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
) -> None:
    await get_digest(
        store, source("hf", client, sources_config, clock), PAST, now=NOW, config=sources_config
    )
    (health,) = await store.source_health()
    assert (health.source, health.ok, health.error) == ("hf", True, None)
    assert health.checked_at == NOW


async def test_today_is_refreshed_only_after_the_configured_minutes(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
) -> None:
    src = source("hf", client, sources_config, clock)
    upstreams.hf_pages[TODAY.isoformat()] = hf_day(3)
    first = await get_digest(store, src, TODAY, now=NOW, config=sources_config)
    assert (await store.digest_meta("hf", TODAY)).final is False

    upstreams.hf_pages[TODAY.isoformat()] = hf_day(4)  # a paper was added meanwhile
    soon = NOW + timedelta(minutes=sources_config.today_refresh_minutes - 1)
    assert await get_digest(store, src, TODAY, now=soon, config=sources_config) == first
    assert upstreams.count("hf.test") == 1

    later = NOW + timedelta(minutes=sources_config.today_refresh_minutes)
    refreshed = await get_digest(store, src, TODAY, now=later, config=sources_config)
    assert upstreams.count("hf.test") == 2
    assert len(refreshed.papers) == 4
    assert len((await store.get_digest("hf", TODAY)).papers) == 4


async def test_unchanged_refresh_restarts_the_refresh_interval(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
) -> None:
    src = source("hf", client, sources_config, clock)
    upstreams.hf_pages[TODAY.isoformat()] = hf_day(3)
    await get_digest(store, src, TODAY, now=NOW, config=sources_config)
    later = NOW + timedelta(minutes=sources_config.today_refresh_minutes)
    await get_digest(store, src, TODAY, now=later, config=sources_config)
    assert upstreams.count("hf.test") == 2
    await get_digest(store, src, TODAY, now=later + timedelta(minutes=1), config=sources_config)
    assert upstreams.count("hf.test") == 2


async def test_a_day_fetched_as_today_becomes_final_when_fetched_after_midnight(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
) -> None:
    src = source("hf", client, sources_config, clock)
    upstreams.hf_pages[TODAY.isoformat()] = hf_day(3)
    await get_digest(store, src, TODAY, now=NOW, config=sources_config)
    upstreams.hf_pages[TODAY.isoformat()] = hf_day(6)
    tomorrow = NOW + timedelta(days=1)
    await get_digest(store, src, TODAY, now=tomorrow, config=sources_config)
    meta = await store.digest_meta("hf", TODAY)
    assert (meta.final, meta.paper_count) == (True, 6)
    await get_digest(store, src, TODAY, now=tomorrow + timedelta(days=3), config=sources_config)
    assert upstreams.count("hf.test") == 2


def test_finality_is_by_utc_date() -> None:
    assert is_final(date(2025, 4, 1), datetime(2025, 4, 2, 0, 30, tzinfo=UTC))
    assert not is_final(date(2025, 4, 2), datetime(2025, 4, 2, 23, 59, tzinfo=UTC))
    # 01:30 in Berlin (UTC+2 in April) on the 2nd is still the 1st in UTC
    berlin = datetime(2025, 4, 2, 1, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert not is_final(date(2025, 4, 1), berlin)
    assert is_final(date(2025, 4, 1), berlin + timedelta(hours=1))


async def test_failure_with_nothing_stored_raises_and_records_health(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
) -> None:
    upstreams.hf_override = lambda req: httpx.Response(200, text="<html>oops</html>")
    src = source("hf+arxiv", client, sources_config, clock)
    with raises_source(SourceError, "Hugging Face sent something that is not JSON"):
        await get_digest(store, src, PAST, now=NOW, config=sources_config)
    assert await store.get_digest("hf+arxiv", PAST) is None
    assert (await store.counts())["digests"] == 0
    (health,) = await store.source_health()
    assert (health.source, health.ok, health.consecutive_failures) == ("hf+arxiv", False, 1)
    assert health.error is not None
    assert health.error == "Hugging Face sent something that is not JSON."


async def test_arxiv_failure_stores_no_unenriched_papers(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
) -> None:
    upstreams.hf_pages[PAST.isoformat()] = hf_day(5)
    upstreams.arxiv_override = lambda req: httpx.Response(200, content=b"<feed")
    src = source("hf+arxiv", client, sources_config, clock)
    with raises_source(SourceError, "arXiv sent something that is not XML"):
        await get_digest(store, src, PAST, now=NOW, config=sources_config)
    assert (await store.counts())["digests"] == 0


async def test_garbage_on_refresh_keeps_the_last_good_today(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
) -> None:
    src = source("hf", client, sources_config, clock)
    upstreams.hf_pages[TODAY.isoformat()] = hf_day(3)
    good = await get_digest(store, src, TODAY, now=NOW, config=sources_config)

    upstreams.hf_override = lambda req: httpx.Response(200, text='[{"paper": {"id": "2503.1')
    later = NOW + timedelta(hours=2)
    served = await get_digest(store, src, TODAY, now=later, config=sources_config)
    assert [p.arxiv_id for p in served.papers] == [p.arxiv_id for p in good.papers]
    assert len((await store.get_digest("hf", TODAY)).papers) == 3
    (health,) = await store.source_health()
    assert health.ok is False
    assert health.last_ok_at == NOW

    with pytest.raises(SourceError):  # an explicit refresh does not hide the failure
        await refresh_digest(store, src, TODAY, now=later)


async def test_concurrent_requests_for_a_missing_day_share_one_fetch(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
) -> None:
    upstreams.hf_pages[PAST.isoformat()] = hf_day(10)
    src = source("hf+arxiv", client, sources_config, clock)
    results = await asyncio.gather(
        *(get_digest(store, src, PAST, now=NOW, config=sources_config) for _ in range(5))
    )
    assert {len(d.papers) for d in results} == {10}
    assert (upstreams.count("hf.test"), upstreams.count("arxiv.test")) == (1, 1)


async def test_ensure_fetches_a_missing_day_once_and_never_reads_a_fresh_one(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upstreams.hf_pages[PAST.isoformat()] = hf_day(5)
    src = source("hf", client, sources_config, clock)
    await ensure_digest(store, src, PAST, now=NOW, config=sources_config)
    assert upstreams.count("hf.test") == 1
    assert len((await store.get_digest("hf", PAST)).papers) == 5

    async def no_read(*args: Any) -> None:
        raise AssertionError("a fresh day is not read back")

    monkeypatch.setattr(store, "get_digest", no_read)
    await ensure_digest(store, src, PAST, now=NOW + timedelta(days=3), config=sources_config)
    assert upstreams.count("hf.test") == 1


async def test_ensure_keeps_a_stale_today_when_upstream_fails_and_raises_when_nothing_is_stored(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    store: Any,
) -> None:
    src = source("hf", client, sources_config, clock)
    upstreams.hf_pages[TODAY.isoformat()] = hf_day(3)
    await ensure_digest(store, src, TODAY, now=NOW, config=sources_config)
    upstreams.hf_override = lambda req: httpx.Response(503, text="down")
    later = NOW + timedelta(hours=2)  # stale: refetched, fails, the stored day stays
    await ensure_digest(store, src, TODAY, now=later, config=sources_config)
    assert len((await store.get_digest("hf", TODAY)).papers) == 3
    with pytest.raises(SourceError):
        await ensure_digest(store, src, PAST, now=later, config=sources_config)
