"""Contract: digests and papers (`bot.store.digests.DigestStore`), for every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.models import Digest, Paper
from bot.sources.hotpapers_md import load_path
from bot.store.base import Store
from tests.store.backends import Backend, digest

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "data" / "hot-papers-2021-03-12.md"
T1 = datetime(2021, 3, 12, 10, 0, tzinfo=UTC)
T2 = datetime(2021, 3, 12, 11, 0, tzinfo=UTC)


async def test_a_digest_reads_back_as_saved_and_a_second_save_is_a_no_op(store: Store) -> None:
    sample = load_path(SAMPLE)
    assert await store.save_digest(sample) is True
    before = await store.counts()
    assert await store.save_digest(sample) is False
    assert await store.save_digest(load_path(SAMPLE)) is False  # a re-import of the file
    assert await store.counts() == before
    assert before["digests"] == 1 and before["digest_entries"] == len(sample.papers) == 16
    got = await store.get_digest(sample.source, sample.day)
    assert got == sample
    assert got is not None and any(p.tweets for p in got.papers)  # snippets kept


async def test_only_the_bookkeeping_of_an_equal_digest_moves(store: Store) -> None:
    d = digest("2021-03-12", ["2103.00001", "2103.00002"]).model_copy(update={"fetched_at": T1})
    assert await store.save_digest(d, final=False) is True
    meta = await store.digest_meta("test", d.day)
    assert meta is not None and (meta.fetched_at, meta.final, meta.paper_count) == (T1, False, 2)
    assert await store.save_digest(d, final=False) is False
    refetched = d.model_copy(update={"fetched_at": T2})
    assert await store.save_digest(refetched, final=False) is True  # the refresh clock restarts
    meta = await store.digest_meta("test", d.day)
    assert meta is not None and (meta.fetched_at, meta.final) == (T2, False)
    assert await store.save_digest(refetched, final=True) is True  # the day became final
    assert await store.save_digest(refetched, final=False) is False  # and never goes back
    meta = await store.digest_meta("test", d.day)
    assert meta is not None and meta.final
    assert (await store.counts())["digest_entries"] == 2


async def test_a_changed_digest_replaces_entries_and_keeps_known_metadata(store: Store) -> None:
    day = date(2021, 1, 1)
    full = Paper(arxiv_id="2101.00001v2", title="T", abstract="An abstract.", score=5)
    await store.save_digest(Digest(day=day, source="a", papers=[full]))
    blank = Paper(arxiv_id="2101.00001v1", title="T", abstract="", score=7)
    other = Paper(arxiv_id="2101.00002", title="U", score=9)
    assert await store.save_digest(Digest(day=day, source="a", papers=[other, blank])) is True
    got = await store.get_digest("a", day)
    assert got is not None
    assert [(p.arxiv_id, p.score) for p in got.papers] == [("2101.00002", 9), ("2101.00001", 7)]
    assert got.papers[1].abstract == "An abstract."  # never replaced by an empty one
    assert got.papers[1].version == 2  # the highest version wins
    assert (await store.counts())["digest_entries"] == 2
    assert (await store.counts())["papers"] == 2


async def test_a_paper_shared_by_two_digests_is_stored_once(store: Store) -> None:
    await store.save_digest(digest("2021-03-01", ["2103.00001", "2103.00002"], source="a"))
    await store.save_digest(digest("2021-03-01", ["2103.00002"], source="b"))
    counts = await store.counts()
    assert (counts["papers"], counts["digests"], counts["digest_entries"]) == (2, 2, 3)


async def test_missing_digests_and_papers_are_none(store: Store) -> None:
    assert await store.get_digest("test", date(2021, 1, 1)) is None
    assert await store.digest_meta("test", date(2021, 1, 1)) is None
    assert await store.latest_day() is None
    assert await store.get_paper("2101.00001") is None
    assert await store.digests_between(None, date(2021, 1, 1), date(2021, 12, 31)) == []
    assert await store.window_entries("test", date(2021, 1, 1), date(2021, 1, 2)) == ({}, [])
    assert await store.entry_papers("test", []) == []


async def test_latest_day_of_one_source_or_of_any(store: Store) -> None:
    await store.save_digest(digest("2021-03-05", ["2103.00005"], source="a"))
    await store.save_digest(digest("2021-03-09", ["2103.00009"], source="b"))
    await store.save_digest(digest("2021-03-01", ["2103.00001"], source="a"))
    assert await store.latest_day() == date(2021, 3, 9)
    assert await store.latest_day("a") == date(2021, 3, 5)
    assert await store.latest_day("c") is None


async def test_digests_between_is_inclusive_newest_first_then_by_source(store: Store) -> None:
    for d in range(1, 10):
        await store.save_digest(digest(f"2021-03-{d:02d}", [f"2103.{d:05d}"], source="b"))
    await store.save_digest(digest("2021-03-04", ["2103.00004", "2103.00099"], source="a"))
    await store.save_digest(Digest(day=date(2021, 3, 5), source="a", title="Nothing today"))
    got = await store.digests_between(None, date(2021, 3, 3), date(2021, 3, 5))
    assert [(g.day.day, g.source, len(g.papers)) for g in got] == [
        (5, "a", 0),  # a digest without entries is listed, with no papers
        (5, "b", 1),
        (4, "a", 2),
        (4, "b", 1),
        (3, "b", 1),
    ]
    assert [p.arxiv_id for p in got[2].papers] == ["2103.00004", "2103.00099"]  # rank order
    only_b = await store.digests_between("b", date(2021, 3, 3), date(2021, 3, 5))
    assert [g.day.day for g in only_b] == [5, 4, 3]
    assert only_b[0] == await store.get_digest("b", date(2021, 3, 5))


async def test_window_entries_are_the_ranked_entries_without_paper_text(store: Store) -> None:
    sample = load_path(SAMPLE)
    await store.save_digest(sample)
    await store.save_digest(
        digest("2021-03-11", ["2103.00001", "2103.00002"], source=sample.source)
    )
    titles, entries = await store.window_entries(sample.source, date(2021, 3, 11), sample.day)
    assert titles == {sample.day: sample.title, date(2021, 3, 11): "Hot Papers 2021-03-11"}
    assert [(e.day, e.rank) for e in entries] == [
        *((sample.day, n) for n in range(1, 17)),
        (date(2021, 3, 11), 1),
        (date(2021, 3, 11), 2),
    ]
    first = entries[0]
    paper = sample.papers[0]
    assert (first.arxiv_id, first.score, first.metrics, first.categories) == (
        paper.arxiv_id,
        paper.score,
        paper.metrics,
        paper.categories,
    )
    _, bare = await store.window_entries(sample.source, sample.day, sample.day, categories=False)
    assert [e.categories for e in bare] == [[]] * 16
    assert [e.arxiv_id for e in bare] == [p.arxiv_id for p in sample.papers]


async def test_entry_papers_follow_the_given_order_without_snippets(store: Store) -> None:
    sample = load_path(SAMPLE)
    await store.save_digest(sample)
    _, entries = await store.window_entries(sample.source, sample.day, sample.day)
    chosen = [entries[3], entries[0], entries[7]]
    light = await store.entry_papers(sample.source, chosen)
    expected = [sample.papers[i].model_copy(update={"tweets": []}) for i in (3, 0, 7)]
    assert light == expected
    gone = chosen[0]._replace(day=date(2020, 1, 1))  # an entry no longer stored
    assert await store.entry_papers(sample.source, [gone, chosen[1]]) == [expected[1]]
    assert await store.entry_papers("elsewhere", chosen) == []


async def test_get_paper_has_its_most_recent_entrys_figures(store: Store) -> None:
    await store.save_digest(digest("2021-03-01", ["2103.00007", "2103.00001"]))
    await store.save_digest(digest("2021-03-02", ["2103.00001"]))
    paper = await store.get_paper("2103.00001")
    assert (
        paper is not None
        and paper.score == 10
        and paper.metrics == {"retweets": 10, "favorites": 0}
    )
    assert paper.tweets and paper.tweets[0].text == "on 2103.00001"
    assert paper.authors == ["Ada Lovelace", "Émile Borel"]
    assert paper.abs_url == "https://arxiv.org/abs/2103.00001"


async def test_two_stores_writing_at_once_lose_nothing(backend: Backend) -> None:
    a, b = await backend.open(), await backend.open()
    days = range(1, 21)
    await asyncio.gather(
        *(a.save_digest(digest(f"2021-02-{d:02d}", [f"2102.{d:05d}"], "a")) for d in days),
        *(
            b.save_digest(digest(f"2021-02-{d:02d}", [f"2102.{d:05d}", "2102.99999"], "b"))
            for d in days
        ),
    )
    counts = await b.counts()
    assert (counts["digests"], counts["papers"], counts["digest_entries"]) == (40, 21, 60)


async def test_an_unreadable_fetch_time_reads_as_long_ago(backend: Backend) -> None:
    store = await backend.open()
    await store.save_digest(
        digest("2021-03-01", ["2103.00001"]).model_copy(update={"fetched_at": T1})
    )
    backend.update("digests", {"fetched_at": "yesterday-ish"})
    meta = await store.digest_meta("test", date(2021, 3, 1))
    assert meta is not None and meta.fetched_at == datetime(1970, 1, 1, tzinfo=UTC)
    got = await store.get_digest("test", date(2021, 3, 1))
    assert got is not None and got.fetched_at is None and len(got.papers) == 1


async def test_a_blended_digest_keeps_its_coverage_no_score_read_times_and_quotes(
    store: Store,
) -> None:
    """Issue 13: archives covered, crowds that answered or failed, a NULL score (no crowd
    discussed the paper), when each count was read, and quoted posts with their kind."""
    from bot.models import Tweet

    read = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    quote = Tweet(
        author="Ada",
        handle="ada.bsky.social",
        url="https://bsky.app/p/1",
        text="Neat",
        source="bluesky",
        likes=12,
        kind="author",
    )
    hot = Paper(
        arxiv_id="2612.00001",
        title="Hot",
        categories=["math.AG"],
        metrics={"upvotes": 3},
        score=100.0,
        read_at={"hf": read},
        tweets=[quote],
    )
    quiet = Paper(arxiv_id="2612.00002", title="Quiet", categories=["math.AG"], score=None)
    d = Digest(
        day=date(2026, 12, 1),
        source="hot",
        papers=[hot, quiet],
        fetched_at=read,
        archives=["math", "quant-ph"],
        signals_ok=["hf"],
        signals_failed={"hn": "HN is down."},
    )
    assert await store.save_digest(d, final=True) is True
    assert await store.save_digest(d, final=True) is False
    assert await store.get_digest("hot", d.day) == d
    meta = await store.digest_meta("hot", d.day)
    assert meta is not None
    assert (meta.archives, meta.signals_ok, meta.signals_failed) == (
        ["math", "quant-ph"],
        ["hf"],
        {"hn": "HN is down."},
    )
    _, entries = await store.window_entries("hot", d.day, d.day)
    assert [e.score for e in entries] == [100.0, None]
    assert [p.score for p in await store.entry_papers("hot", entries)] == [100.0, None]
    stored = await store.get_paper("2612.00002")
    assert stored is not None and stored.score is None
    got = await store.get_paper("2612.00001")
    assert got is not None and got.read_at == {"hf": read} and got.tweets == [quote]


async def test_paper_days_are_the_digests_listing_a_paper_newest_first(store: Store) -> None:
    await store.save_digest(digest("2021-03-01", ["2103.00007", "2103.00001"], source="b"))
    await store.save_digest(digest("2021-03-02", ["2103.00001"], source="b"))
    await store.save_digest(digest("2021-03-02", ["2103.00001"], source="a"))
    await store.save_digest(digest("2021-03-03", ["2103.00009"], source="a"))
    assert await store.paper_days("2103.00001") == [
        ("a", date(2021, 3, 2)),
        ("b", date(2021, 3, 2)),
        ("b", date(2021, 3, 1)),
    ]
    assert await store.paper_days("2103.00001", "b") == [
        ("b", date(2021, 3, 2)),
        ("b", date(2021, 3, 1)),
    ]
    assert await store.paper_days("2103.00001", "c") == []
    assert await store.paper_days("2103.99999") == []
    # a refreshed day that dropped the paper no longer lists it
    await store.save_digest(digest("2021-03-02", ["2103.00009"], source="b"))
    assert await store.paper_days("2103.00001", "b") == [("b", date(2021, 3, 1))]


async def test_save_digests_is_save_digest_of_each_in_order(store: Store) -> None:
    """The import's batch: one result per digest, as the same saves one by one would give."""
    first, second = (
        digest(day, ids).model_copy(update={"fetched_at": T1})
        for day, ids in [
            ("2021-04-01", ["2104.00001", "2104.00002"]),
            ("2021-04-02", ["2104.00002", "2104.00003"]),
        ]
    )
    assert await store.save_digests([first, second]) == [True, True]
    assert await store.get_digest("test", first.day) == first
    assert await store.get_digest("test", second.day) == second
    counts = await store.counts()
    assert (counts["digests"], counts["papers"], counts["digest_entries"]) == (2, 3, 4)
    # Again: nothing moves; a refetch moves only the bookkeeping; a changed day is replaced.
    assert await store.save_digests([first, second]) == [False, False]
    refetched = first.model_copy(update={"fetched_at": T2})
    changed = digest("2021-04-02", ["2104.00004"])
    assert await store.save_digests([changed, refetched, second.model_copy()]) == [
        True,
        True,
        True,  # `second` after `changed` in the same batch: compared with `changed`
    ]
    meta = await store.digest_meta("test", first.day)
    assert meta is not None and meta.fetched_at == T2
    assert await store.get_digest("test", second.day) == second
    assert await store.save_digests([]) == []


async def test_a_day_named_twice_in_one_batch_is_saved_twice_in_order(store: Store) -> None:
    old = digest("2021-04-05", ["2104.00001"]).model_copy(update={"fetched_at": T1})
    new = digest("2021-04-05", ["2104.00009", "2104.00001"]).model_copy(update={"fetched_at": T1})
    assert await store.save_digests([old, old, new, new], final=False) == [
        True,
        False,
        True,
        False,
    ]
    assert await store.get_digest("test", old.day) == new
    assert (await store.counts())["digest_entries"] == 2


async def test_a_paper_named_by_two_days_of_a_batch_ends_as_saved_in_day_order(
    store: Store,
) -> None:
    v2 = Paper(arxiv_id="2104.00001v2", title="Second title", abstract="An abstract.")
    v1 = Paper(arxiv_id="2104.00001v1", title="Third title", abstract="")
    early = Digest(day=date(2021, 4, 1), source="a", papers=[v2])
    late = Digest(day=date(2021, 4, 2), source="a", papers=[v1])
    assert await store.save_digests([early, late]) == [True, True]
    paper = await store.get_paper("2104.00001")
    assert paper is not None
    # The later day's title, the known abstract, the highest version: as two saves give.
    assert (paper.title, paper.abstract, paper.version) == ("Third title", "An abstract.", 2)


async def test_a_batch_that_fails_leaves_none_of_its_days(store: Store) -> None:
    good = digest("2021-04-01", ["2104.00001"])
    twice = digest("2021-04-02", ["2104.00002", "2104.00002"])  # one entry per paper and day
    with pytest.raises(Exception, match=r"(?i)unique"):
        await store.save_digests([good, twice])
    counts = await store.counts()
    assert (counts["digests"], counts["papers"], counts["digest_entries"]) == (0, 0, 0)
    assert await store.save_digests([good]) == [True]  # and the store still writes


async def test_a_day_stored_in_the_old_json_spelling_is_written_again_once(
    backend: Backend,
) -> None:
    """Rows were spelled by `json.dumps` (", " and ": ") before the store moved to compact
    orjson: such a day's next save of the same content rewrites it once, then is a no-op."""
    store = await backend.open()
    d = digest("2021-04-01", ["2104.00001"]).model_copy(update={"fetched_at": T1})
    assert await store.save_digests([d]) == [True]
    backend.update("papers", {"authors": '["Ada Lovelace", "\u00c9mile Borel"]'})
    backend.update("digest_entries", {"metrics": '{"favorites": 0, "retweets": 10}'})
    backend.update("digests", {"content_hash": "a hash of the old spelling"})
    assert await store.get_digest("test", d.day) == d  # readers parse either spelling
    assert await store.save_digests([d]) == [True]
    assert await store.get_digest("test", d.day) == d
    assert await store.save_digests([d]) == [False]
    assert await store.save_digest(d) is False
