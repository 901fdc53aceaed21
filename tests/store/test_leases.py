"""Contract: the poster lease and remembered starts (`bot.store.leases.LeaseStore`), for every
backend; two stores on one database stand for two processes (issue 11: one poster per store)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.store.base import Start, Store
from tests.store.backends import Backend

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.fixture
async def two(backend: Backend) -> tuple[Store, Store]:
    return await backend.open(), await backend.open()


async def test_a_held_lease_is_refused_until_it_expires(two: tuple[Store, Store]) -> None:
    a, b = two
    got = await a.acquire_lease("poster", "A", now=T0, ttl=TTL)
    assert (got.holder, got.acquired_at, got.expires_at) == ("A", T0, T0 + TTL)
    seen = await b.acquire_lease("poster", "B", now=T0 + timedelta(seconds=59), ttl=TTL)
    assert seen == got  # refused: A's lease runs until T0 + 60 s
    renewed = await a.acquire_lease("poster", "A", now=T0 + timedelta(seconds=20), ttl=TTL)
    assert renewed.holder == "A" and renewed.acquired_at == T0  # a renewal keeps acquired_at
    assert renewed.expires_at == T0 + timedelta(seconds=80)
    assert (
        await b.acquire_lease("poster", "B", now=T0 + timedelta(seconds=79), ttl=TTL)
    ).holder == "A"
    late = T0 + timedelta(seconds=80)  # expired exactly now
    taken = await b.acquire_lease("poster", "B", now=late, ttl=TTL)
    assert (taken.holder, taken.acquired_at, taken.expires_at) == ("B", late, late + TTL)
    # A, back from a long pause, does not get it back while B renews.
    assert (await a.acquire_lease("poster", "A", now=late, ttl=TTL)).holder == "B"
    assert await a.get_lease("poster") == taken


async def test_leases_are_independent_by_name(store: Store) -> None:
    await store.acquire_lease("poster", "A", now=T0, ttl=TTL)
    other = await store.acquire_lease("janitor", "B", now=T0, ttl=TTL)
    assert other.holder == "B"
    assert (await store.get_lease("poster")) is not None
    assert await store.get_lease("nobody") is None


async def test_release_lets_the_next_one_take_over_at_once(two: tuple[Store, Store]) -> None:
    a, b = two
    await a.acquire_lease("poster", "A", now=T0, ttl=TTL)
    assert await b.release_lease("poster", "B") is False  # not B's to release
    assert (await b.get_lease("poster")) is not None
    assert await a.release_lease("poster", "A") is True
    assert await a.get_lease("poster") is None
    assert await a.release_lease("poster", "A") is False
    assert (await b.acquire_lease("poster", "B", now=T0, ttl=TTL)).holder == "B"


async def test_a_holder_known_to_be_gone_is_taken_over_before_expiry(
    two: tuple[Store, Store],
) -> None:
    a, b = two
    await a.acquire_lease("poster", "A", now=T0, ttl=TTL)
    asked: list[str] = []

    def alive(holder: str) -> bool:
        asked.append(holder)
        return False

    assert (await b.acquire_lease("poster", "B", now=T0, ttl=TTL, dead=alive)).holder == "A"
    assert asked == ["A"]
    taken = await b.acquire_lease("poster", "B", now=T0, ttl=TTL, dead=lambda h: h == "A")
    assert (taken.holder, taken.acquired_at) == ("B", T0)


async def test_concurrent_acquires_from_two_stores_never_both_hold(
    two: tuple[Store, Store],
) -> None:
    a, b = two
    for round_ in range(20):
        now = T0 + timedelta(hours=round_)  # each round starts after the last lease expired
        got = await asyncio.gather(
            a.acquire_lease("poster", f"A{round_}", now=now, ttl=TTL),
            b.acquire_lease("poster", f"B{round_}", now=now, ttl=TTL),
        )
        assert got[0] == got[1]  # both are told the same single winner
        assert got[0].holder in (f"A{round_}", f"B{round_}")
        assert await a.get_lease("poster") == got[0]


async def test_concurrent_acquires_on_one_store_never_both_hold(store: Store) -> None:
    got = await asyncio.gather(
        *(store.acquire_lease("poster", f"H{i}", now=T0, ttl=TTL) for i in range(10))
    )
    assert len({lease.holder for lease in got}) == 1
    assert await store.get_lease("poster") == got[0]


async def test_an_unreadable_lease_counts_as_long_expired(backend: Backend) -> None:
    store = await backend.open()
    await store.acquire_lease("poster", "otherhost:1:aa", now=T0, ttl=TTL)
    backend.update("leases", {"acquired_at": "", "expires_at": "2026-12-01 noon"})
    stored = await store.get_lease("poster")
    assert stored is not None and (stored.acquired_at, stored.expires_at) == (EPOCH, EPOCH)
    taken = await store.acquire_lease("poster", "me", now=T0, ttl=TTL)
    assert (taken.holder, taken.expires_at) == ("me", T0 + TTL)


async def test_starts_are_recorded_listed_and_pruned(store: Store) -> None:
    for minutes in (3, 0, 2, 1):
        at = T0 + timedelta(minutes=minutes)
        await store.record_start(Start(at, timedelta(seconds=minutes)), forget_before=T0)
    assert await store.list_starts(T0 + timedelta(minutes=2)) == [
        Start(T0 + timedelta(minutes=2), timedelta(seconds=2)),
        Start(T0 + timedelta(minutes=3), timedelta(seconds=3)),
    ]
    later = Start(T0 + timedelta(days=1, minutes=2))
    await store.record_start(later, forget_before=T0 + timedelta(minutes=2))
    assert [s.at for s in await store.list_starts(T0 - timedelta(days=9))] == [
        T0 + timedelta(minutes=2),
        T0 + timedelta(minutes=3),
        later.at,
    ]


async def test_an_unreadable_start_is_left_out(backend: Backend) -> None:
    store = await backend.open()
    await store.record_start(Start(T0), forget_before=T0)
    backend.insert("starts", {"at": "garbage"})
    await store.record_start(Start(T0 + timedelta(minutes=1)), forget_before=T0)
    assert [s.at for s in await store.list_starts(T0 - timedelta(days=1))] == [
        T0,
        T0 + timedelta(minutes=1),
    ]
