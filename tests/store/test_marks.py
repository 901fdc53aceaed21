"""Contract: members' saved papers and servers' votes (`bot.store.marks.MarkStore`), for every
backend: once per key whoever asks and however often, only stored papers, newest first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.store.base import Store
from bot.store.marks import SavedPaper
from tests.store.backends import Backend, digest

T0 = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)
IDS = ["2103.00001", "2103.00002", "2103.00003"]


async def stored(store: Store) -> Store:
    assert await store.save_digest(digest("2021-03-12", IDS))
    return store


async def test_a_saved_paper_is_listed_newest_first_and_saved_once(store: Store) -> None:
    await stored(store)
    assert await store.save_paper(7, IDS[0], at=T0) == "added"
    assert await store.save_paper(7, IDS[1], at=T0 + timedelta(minutes=1)) == "added"
    assert await store.save_paper(7, IDS[0], at=T0 + timedelta(minutes=2)) == "already"
    assert await store.saved_papers(7) == [
        SavedPaper(IDS[1], f"Paper {IDS[1]}", T0 + timedelta(minutes=1)),
        SavedPaper(IDS[0], f"Paper {IDS[0]}", T0),  # the first save's time stays
    ]
    assert await store.count_saved(7) == 2
    assert await store.saved_papers(8) == [] and await store.count_saved(8) == 0
    assert [s.arxiv_id for s in await store.saved_papers(7, limit=1)] == [IDS[1]]


async def test_ties_in_time_are_listed_by_id(store: Store) -> None:
    await stored(store)
    for i in reversed(IDS):
        await store.save_paper(7, i, at=T0)
    assert [s.arxiv_id for s in await store.saved_papers(7)] == IDS


async def test_a_paper_the_store_does_not_know_is_neither_saved_nor_voted(store: Store) -> None:
    await stored(store)
    assert await store.save_paper(7, "9999.99999", at=T0) == "unknown"
    assert await store.add_vote(1, "9999.99999", 7, at=T0) == "unknown"
    assert await store.saved_papers(7) == []
    assert await store.vote_counts(1, ["9999.99999"]) == {}


async def test_unsaving_removes_only_that_members_paper(store: Store) -> None:
    await stored(store)
    await store.save_paper(7, IDS[0], at=T0)
    await store.save_paper(8, IDS[0], at=T0)
    assert await store.unsave_paper(7, IDS[0]) is True
    assert await store.unsave_paper(7, IDS[0]) is False
    assert await store.saved_papers(7) == []
    assert [s.arxiv_id for s in await store.saved_papers(8)] == [IDS[0]]


async def test_a_vote_counts_once_per_member_per_paper_per_server(store: Store) -> None:
    await stored(store)
    assert await store.add_vote(1, IDS[0], 7, at=T0) == "added"
    assert await store.add_vote(1, IDS[0], 7, at=T0) == "already"
    assert await store.add_vote(1, IDS[0], 8, at=T0) == "added"
    assert await store.add_vote(1, IDS[1], 7, at=T0) == "added"
    assert await store.add_vote(2, IDS[0], 7, at=T0) == "added"  # another server
    assert await store.vote_counts(1, IDS) == {IDS[0]: 2, IDS[1]: 1}
    assert await store.vote_counts(2, IDS) == {IDS[0]: 1}
    assert await store.vote_counts(1, [IDS[2]]) == {}
    assert await store.vote_counts(1, []) == {}


async def test_a_vote_is_taken_back_only_by_its_member(store: Store) -> None:
    await stored(store)
    await store.add_vote(1, IDS[0], 7, at=T0)
    await store.add_vote(1, IDS[0], 8, at=T0)
    assert await store.remove_vote(1, IDS[0], 9) is False
    assert await store.remove_vote(1, IDS[0], 7) is True
    assert await store.remove_vote(1, IDS[0], 7) is False
    assert await store.vote_counts(1, IDS) == {IDS[0]: 1}
    assert await store.add_vote(1, IDS[0], 7, at=T0) == "added"  # voting again after removing


async def test_concurrent_clicks_from_two_stores_add_one_vote_and_one_save(
    backend: Backend,
) -> None:
    a = await stored(await backend.open())
    b = await backend.open()
    votes = await asyncio.gather(*(s.add_vote(1, IDS[0], 7, at=T0) for s in (a, b) * 5))
    saves = await asyncio.gather(*(s.save_paper(7, IDS[0], at=T0) for s in (a, b) * 5))
    assert sorted(votes) == ["added"] + ["already"] * 9
    assert sorted(saves) == ["added"] + ["already"] * 9
    assert await b.vote_counts(1, IDS) == {IDS[0]: 1}
    assert await a.count_saved(7) == 1


async def test_an_unreadable_save_time_reads_as_long_ago(backend: Backend) -> None:
    store = await stored(await backend.open())
    await store.save_paper(7, IDS[0], at=T0)
    backend.update("saved", {"saved_at": "soon"})
    assert await store.saved_papers(7) == [
        SavedPaper(IDS[0], f"Paper {IDS[0]}", datetime(1970, 1, 1, tzinfo=UTC))
    ]


async def test_large_id_lists_and_big_snowflakes_are_counted(store: Store) -> None:
    await stored(store)
    big = 2**62
    await store.add_vote(big, IDS[2], big + 1, at=T0)
    ids = [f"2103.{n:05d}" for n in range(5000)]
    assert await store.vote_counts(big, ids) == {IDS[2]: 1}
    await store.save_paper(big, IDS[2], at=T0)
    assert await store.count_saved(big) == 1
