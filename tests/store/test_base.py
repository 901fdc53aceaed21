"""Contract: `Store` is exactly its aggregates plus housekeeping, and a backend has all of it."""

from __future__ import annotations

import inspect

from bot.store.base import COUNTED, Store
from bot.store.digests import DigestStore
from bot.store.followups import FollowUpLedger
from bot.store.health import SourceHealthLog
from bot.store.leases import LeaseStore
from bot.store.ledger import PostLedger
from bot.store.locks import FetchLockStore
from bot.store.marks import MarkStore
from bot.store.search import PaperSearch
from bot.store.subscriptions import SubscriptionStore

AGGREGATES = (
    DigestStore,
    SubscriptionStore,
    PostLedger,
    FollowUpLedger,
    SourceHealthLog,
    LeaseStore,
    FetchLockStore,
    MarkStore,
    PaperSearch,
)
HOUSEKEEPING = {"write_health", "counts", "close"}


def _methods(protocol: type) -> set[str]:
    return {n for n, v in vars(protocol).items() if callable(v) and not n.startswith("_")}


def test_store_is_the_composition_of_disjoint_aggregates() -> None:
    seen: set[str] = set()
    for aggregate in AGGREGATES:
        own = _methods(aggregate)
        assert own, aggregate
        assert not own & seen, f"{aggregate.__name__} repeats {own & seen}"
        seen |= own
    assert _methods(Store) == HOUSEKEEPING
    every = {n for n in dir(Store) if not n.startswith("_")}
    assert every == seen | HOUSEKEEPING
    assert "list_days" not in every  # removed: nothing called it


async def test_a_backend_implements_every_method_with_its_signature(store: Store) -> None:
    for name in {n for n in dir(Store) if not n.startswith("_")}:
        wanted = inspect.signature(getattr(Store, name))
        have = inspect.signature(getattr(type(store), name))
        assert list(have.parameters) == list(wanted.parameters), name
        assert inspect.iscoroutinefunction(getattr(type(store), name)) == (
            inspect.iscoroutinefunction(getattr(Store, name))
        ), name


async def test_counts_name_every_counted_table_and_write_health_starts_ok(store: Store) -> None:
    assert list(await store.counts()) == list(COUNTED)
    assert store.write_health().ok and store.write_health().line() == "Store: writable"
