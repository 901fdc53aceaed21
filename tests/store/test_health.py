"""Contract: source health (`bot.store.health.SourceHealthLog`), for every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import SourceHealth
from bot.store.base import Store
from tests.store.backends import Backend

T0 = datetime(2021, 1, 1, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def test_failures_count_up_until_a_success(store: Store) -> None:
    assert await store.source_health() == []
    await store.record_source_health("hf", ok=True, at=at(0))
    await store.record_source_health("hf", ok=False, error="503", at=at(1))
    await store.record_source_health("hf", ok=False, error="timeout", at=at(2))
    assert await store.source_health() == [
        SourceHealth(
            source="hf",
            ok=False,
            checked_at=at(2),
            last_ok_at=at(0),  # the last success survives the failures
            error="timeout",
            consecutive_failures=2,
        )
    ]
    await store.record_source_health("hf", ok=True, at=at(3))
    assert await store.source_health() == [
        SourceHealth(source="hf", ok=True, checked_at=at(3), last_ok_at=at(3))
    ]


async def test_a_source_that_never_worked_has_no_last_success(store: Store) -> None:
    await store.record_source_health("arxiv", ok=False, error="DNS", at=at(0))
    (h,) = await store.source_health()
    assert (h.ok, h.last_ok_at, h.consecutive_failures, h.error) == (False, None, 1, "DNS")


async def test_every_source_has_one_row_listed_by_name(store: Store) -> None:
    for name in ("hotpapers-md", "arxiv", "hf", "arxiv"):
        await store.record_source_health(name, ok=True, at=at(0))
    assert [h.source for h in await store.source_health()] == ["arxiv", "hf", "hotpapers-md"]


async def test_the_time_defaults_to_now(store: Store) -> None:
    before = datetime.now(UTC)
    await store.record_source_health("hf", ok=True)
    (h,) = await store.source_health()
    assert before <= h.checked_at <= datetime.now(UTC)


async def test_an_unreadable_check_time_reads_as_long_ago(backend: Backend) -> None:
    store = await backend.open()
    await store.record_source_health("hf", ok=True, at=at(0))
    backend.update("source_health", {"checked_at": "soon", "last_ok_at": "later"})
    (h,) = await store.source_health()
    assert (h.checked_at, h.last_ok_at) == (datetime(1970, 1, 1, tzinfo=UTC), None)
