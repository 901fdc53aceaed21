"""Outside attacks on the store contract: corrupt rows, wrong call orders, old databases.

Each test here is a finding (it failed before its fix) or a probe that held; the contract
suite in tests/store/ states the rules, these try to break them from outside.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.errors import StoreError
from tests.store import conftest as contract
from tests.store.backends import Backend, digest, post
from tests.store.test_subscriptions import sub

# The contract suite's fixture: every test here runs once per backend.
backend = contract.backend

DAY = date(2021, 3, 12)
T0 = datetime(2021, 3, 12, 9, 0, tzinfo=UTC)


async def test_one_corrupt_subscription_does_not_hide_the_others(backend: Backend) -> None:
    store = await backend.open()
    for ch in (10, 11, 12):
        await store.upsert_subscription(sub(ch))
    backend.update("subscriptions", {"categories": "{not json"}, where={"channel_id": 11})
    got = [s.channel_id for s in await store.list_subscriptions()]
    assert got == [10, 12]


async def test_one_corrupt_post_does_not_hide_the_others(backend: Backend) -> None:
    store = await backend.open()
    for ch in (10, 11, 12):
        await store.claim_post(post(ch, DAY, created_at=T0))
    backend.update("posts", {"message_ids": "[1, oops"}, where={"channel_id": 11})
    got = [p.channel_id for p in await store.list_posts()]
    assert got == [10, 12]


async def test_a_corrupt_row_asked_for_by_key_is_a_clear_store_error(backend: Backend) -> None:
    store = await backend.open()
    await store.upsert_subscription(sub(11))
    await store.claim_post(post(11, DAY, created_at=T0))
    backend.update("subscriptions", {"keywords": "nope"}, where={"channel_id": 11})
    backend.update("posts", {"arxiv_ids": "{"}, where={"channel_id": 11})
    with pytest.raises(StoreError, match="subscription 1 of channel 11 is unreadable"):
        await store.find_subscription(11, "daily")
    with pytest.raises(
        StoreError, match=r"post of subscription 11 \(channel 11\) on 2021-03-12 is unreadable"
    ):
        await store.get_post(11, DAY)


async def test_a_corrupt_post_does_not_break_the_search_by_paper(backend: Backend) -> None:
    # `list_posts(arxiv_id=...)` searches inside the stored JSON; a malformed list in one row
    # made the whole query fail (SQLite: "malformed JSON"), hiding every other post.
    store = await backend.open()
    for ch in (10, 11, 12):
        await store.claim_post(post(ch, DAY, arxiv_ids=["2103.00001"], created_at=T0))
    backend.update("posts", {"arxiv_ids": "[oops"}, where={"channel_id": 11})
    got = [p.channel_id for p in await store.list_posts(arxiv_id="2103.00001")]
    assert got == [10, 12]


async def test_one_corrupt_entry_does_not_hide_a_window_of_digests(backend: Backend) -> None:
    # A bad metrics object on one entry made `digests_between` (every /hot window holding that
    # day) and `get_digest` of its day raise; now that entry alone is left out.
    store = await backend.open()
    await store.save_digest(digest("2021-03-11", ["2103.00001"]))
    await store.save_digest(digest("2021-03-12", ["2103.00002", "2103.00003"]))
    backend.update("digest_entries", {"metrics": "{bad"}, where={"arxiv_id": "2103.00002"})
    window = await store.digests_between(None, date(2021, 3, 1), date(2021, 3, 31))
    assert [(d.day.day, [p.arxiv_id for p in d.papers]) for d in window] == [
        (12, ["2103.00003"]),
        (11, ["2103.00001"]),
    ]
    day = await store.get_digest("test", date(2021, 3, 12))
    assert day is not None and [p.arxiv_id for p in day.papers] == ["2103.00003"]
    _, entries = await store.window_entries("test", date(2021, 3, 1), date(2021, 3, 31))
    assert [e.arxiv_id for e in entries] == ["2103.00003", "2103.00001"]
    with pytest.raises(StoreError, match=r"paper 2103\.00002 is unreadable"):
        await store.get_paper("2103.00002")
