"""`/hot`'s windows ranked on entries (ids, scores, categories) equal `select` over whole digests.

`DigestService.ranked` decides what to show before reading any paper (`Store.window_entries`,
`bot.filters.pick`, `Store.entry_papers`); `bot.filters.select` merges, filters and ranks the
full digests. Seeded stores with papers repeated across days, tied scores broken by secondary
metrics, alias categories (cs.NA = math.NA), empty and missing days: both must agree on every
paper, its order, score and metrics, the title and the number of candidates.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import parse_config
from bot.filters import PaperFilter, build_filter, merge, pick, select, window_range
from bot.models import Digest, Entry, Paper, Tweet, Window
from bot.services.digests import DigestService
from bot.store import open_store
from bot.store.base import Store

SOURCE = "hotpapers-md"
FIRST = date(2024, 1, 1)
DAYS = 70
CATEGORIES = ["cs.CV", "cs.LG", "cs.NA", "math.NA", "stat.ML", "astro-ph.CO", "cs.RO", "q-bio.NC"]
FILTERS = [
    None,
    "cs.CV",
    "cs",
    "math.NA",
    "-cs.RO",
    "cs, -cs.CV",
    "astro-ph",
    "stat.ML, q-bio.NC",
]


def random_digest(rng: random.Random, day: date) -> Digest:
    ids = rng.sample(range(60), rng.randint(0, 18))  # a small pool: papers recur across days
    papers = []
    for n in ids:
        metrics: dict[str, int] = {"upvotes": rng.choice([5, 10, 10, 20])}
        if rng.random() < 0.5:
            metrics["github_stars"] = rng.randint(0, 3)
        if rng.random() < 0.3:
            metrics["comments"] = rng.randint(0, 2)
        papers.append(
            Paper(
                arxiv_id=f"2401.{n:05d}v{rng.randint(1, 3)}",
                title=f"Paper {n}",
                authors=[f"Author {n}"],
                categories=rng.sample(CATEGORIES, rng.randint(1, 3)),
                abstract=f"About {n}.",
                metrics=metrics,
                score=float(metrics["upvotes"]),  # ties are common
                tweets=[Tweet(author="A", handle="a", url="https://x/1", text="t")],
            )
        )
    rng.shuffle(papers)  # a source's own order need not be by score
    return Digest(day=day, source=SOURCE, title=f"Day {day}", papers=papers)


@pytest.fixture(params=[1, 2, 3])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    rng = random.Random(request.param)
    async with open_store(tmp_path / "w.sqlite3") as store:
        for d in range(DAYS):
            if rng.random() < 0.15:
                continue  # a day never fetched
            await store.save_digest(random_digest(rng, FIRST + timedelta(days=d)))
        config = parse_config({"sources": {"default": SOURCE}}, env={})
        yield rng, store, DigestService(store, config)


def shown(papers: list[Paper]) -> list[tuple[Any, ...]]:
    """What a ranked list is made of (tweets aside: a ranked list does not show them)."""
    return [
        (p.arxiv_id, p.version, p.title, p.authors, p.categories, p.score, p.metrics, p.abs_url)
        for p in papers
    ]


async def test_ranked_windows_equal_select_over_the_digests(world: Any) -> None:
    rng, store, service = world
    store_: Store = store
    for _ in range(60):
        end = FIRST + timedelta(days=rng.randrange(DAYS + 5))  # some ends past the last day
        window: Window = rng.choice(["day", "week", "month"])
        flt = build_filter(categories=rng.choice(FILTERS), limit=rng.choice([None, 1, 5, 25]))
        if rng.random() < 0.3:
            flt = PaperFilter(
                include=flt.include, exclude=flt.exclude, min_score=10, limit=flt.limit
            )
        start, _ = window_range(end, window)
        digests = await store_.digests_between(SOURCE, start, end)
        expected = select(digests, flt, end=end, window=window, source=SOURCE)

        got = await service.ranked(SOURCE, end, window, flt)

        context = (end, window, flt)
        assert shown(got.view.papers) == shown(expected.papers), context
        assert got.view.title == expected.title, context
        assert got.candidates == len({p.arxiv_id for d in digests for p in d.papers}), context
        assert got.digests == len(digests), context
        assert all(p.tweets == [] for p in got.view.papers)


async def test_hot_falls_back_to_the_latest_stored_day(world: Any) -> None:
    _, store, service = world
    latest = await store.latest_day(SOURCE)
    hot = await service.hot("default", None, "week", PaperFilter(limit=3))
    assert hot.end == latest
    assert len(hot.view.papers) <= 3
    missing = await service.hot("default", date(2020, 1, 1), "day", PaperFilter())
    assert not missing
    assert missing.view.papers == []


def entry(pid: str, day: int, rank: int, score: float, cats: list[str]) -> Entry:
    return Entry(pid, FIRST + timedelta(days=day), rank, score, {}, cats)


def test_pick_keeps_a_single_day_in_its_own_order_and_ranks_several() -> None:
    one_day = [entry("a", 0, 1, 5, ["cs.CV"]), entry("b", 0, 2, 9, ["cs.LG"])]
    assert [e.arxiv_id for e in pick(one_day, PaperFilter())[0]] == ["a", "b"]
    two_days = [*one_day, entry("a", 1, 1, 7, ["cs.CV"])]
    chosen, candidates = pick(two_days, PaperFilter())
    assert [(e.arxiv_id, e.score) for e in chosen] == [("b", 9), ("a", 7)]
    assert candidates == 2
    chosen, candidates = pick(two_days, build_filter(categories="cs.CV", limit=1))
    assert [(e.arxiv_id, e.score) for e in chosen] == [("a", 7)]
    assert candidates == 2
    with pytest.raises(ValueError, match="keywords"):
        pick(two_days, build_filter(keywords="diffusion"))


def test_merge_keeps_the_order_of_the_one_digest_with_papers() -> None:
    a = Paper(arxiv_id="2401.00001", title="A", score=1)
    b = Paper(arxiv_id="2401.00002", title="B", score=2)
    full = Digest(day=FIRST, source=SOURCE, papers=[a, b])
    empty = Digest(day=FIRST + timedelta(days=1), source=SOURCE)
    assert merge([full, empty]) == [a, b]


async def test_entry_papers_are_read_in_the_given_order_skipping_what_is_gone(
    tmp_path: Path,
) -> None:
    async with open_store(tmp_path / "e.sqlite3") as store:
        rng = random.Random(7)
        digest = random_digest(rng, FIRST)
        while len(digest.papers) < 3:
            digest = random_digest(rng, FIRST)
        await store.save_digest(digest)
        titles, entries = await store.window_entries(SOURCE, FIRST, FIRST)
        assert titles == {FIRST: digest.title}
        assert [e.arxiv_id for e in entries] == [p.arxiv_id for p in digest.papers]
        _, bare = await store.window_entries(SOURCE, FIRST, FIRST, categories=False)
        assert [e._replace(categories=[]) for e in entries] == bare
        assert any(e.categories for e in entries)
        wanted = [entries[2], entries[0], entry("2401.99999", 0, 99, 1, [])]
        papers = await store.entry_papers(SOURCE, wanted)
        assert [p.arxiv_id for p in papers] == [entries[2].arxiv_id, entries[0].arxiv_id]
        by_id = {p.arxiv_id: p for p in digest.papers}
        assert [(p.score, p.metrics, p.abstract) for p in papers] == [
            (by_id[p.arxiv_id].score, by_id[p.arxiv_id].metrics, by_id[p.arxiv_id].abstract)
            for p in papers
        ]
        assert await store.entry_papers(SOURCE, []) == []
