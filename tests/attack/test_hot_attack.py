"""Outside attacks on `/hot`'s CPU work (issue 16): one `digest_meta` per `/hot`, the meta
built without validation (`rows.trusted`), the kept filter and the ranking memo.

Each test is a finding (it failed before its fix) or a probe that held.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.filters import PaperFilter, apply, listed, matches, pick
from bot.models import DigestMeta, Entry, Paper
from bot.ranking import rank, rank_entries, score_label
from bot.scoring import NO_DISCUSSION
from bot.sources import metrics, registry
from bot.sources.metrics import Rankable
from bot.sources.registry import SOURCES, Registry
from bot.taxonomy import load
from tests.sources import tiny_source
from tests.store import conftest as contract
from tests.store.backends import Backend, digest

# The contract suite's fixture: the store tests here run once per backend.
backend = contract.backend

DAY = date(2021, 3, 12)
T1 = datetime(2021, 3, 12, 10, 0, tzinfo=UTC)
R = TypeVar("R", bound=Rankable)


async def test_a_resave_with_other_content_changes_the_metas_hash_on_every_backend(
    backend: Backend,
) -> None:
    """`/hot`'s answer cache is keyed on the meta's content hash: a day saved again with other
    papers of the same count and the same fetch stamp (an import of an edited file) must read
    back with another hash. PostgreSQL's `digest_meta` did not select the column: its hash
    was always "", and `/hot` kept serving the old answer."""
    store = await backend.open()
    first = digest("2021-03-12", ["2103.00001", "2103.00002"]).model_copy(update={"fetched_at": T1})
    assert await store.save_digest(first, final=True)
    before = await store.digest_meta("test", DAY)
    swapped = digest("2021-03-12", ["2103.00002", "2103.00001"]).model_copy(
        update={"fetched_at": T1}
    )
    assert await store.save_digest(swapped, final=True)
    after = await store.digest_meta("test", DAY)
    assert before is not None and after is not None
    assert (before.fetched_at, before.paper_count) == (after.fetched_at, after.paper_count)
    assert before.content_hash and after.content_hash
    assert before.content_hash != after.content_hash


# --- the ranking memo against the implementation it replaced (8bb89b3^, a1f83d6^) ---------


def _old_rank_key(paper: Rankable, tiebreak: Sequence[tuple[str, int]]) -> metrics.RankKey:
    counts = paper.metrics
    secondary = 0
    for name, weight in tiebreak:
        secondary += weight * counts.get(name, 0)
    score = paper.score
    return (score is None, -(score or 0.0), -secondary, paper.arxiv_id)


def _old_rank(papers: Iterable[R], tiebreak: Sequence[tuple[str, int]]) -> list[R]:
    best: dict[str, R] = {}
    keys: dict[str, metrics.RankKey] = {}
    for p in papers:
        key = _old_rank_key(p, tiebreak)
        cur = keys.get(p.arxiv_id)
        if cur is None or key < cur:
            best[p.arxiv_id] = p
            keys[p.arxiv_id] = key
    return sorted(best.values(), key=lambda p: keys[p.arxiv_id])


def _old_pick(entries: list[Entry], flt: PaperFilter) -> tuple[list[Entry], int]:
    tax = load()
    tiebreak = registry.REGISTRY.tiebreak

    def key(e: Entry) -> metrics.RankKey:
        return _old_rank_key(e, tiebreak)

    best: dict[str, Entry] = {}
    days: set[date] = set()
    for e in entries:
        days.add(e.day)
        cur = best.get(e.arxiv_id)
        if cur is None or key(e) < key(cur):
            best[e.arxiv_id] = e
    ordered = sorted(best.values(), key=(lambda e: e.rank) if len(days) == 1 else key)
    kept = list(islice((e for e in ordered if listed(e, flt, tax)), flt.limit))
    return kept, len(best)


def _old_score_label(paper: Paper) -> str:
    found = [m for m in registry.REGISTRY.metric_sets if m.matches(paper.metrics)]
    if found:
        return " · ".join(m.label(paper.metrics) for m in found)
    if paper.score is None:
        return NO_DISCUSSION
    score = int(paper.score) if paper.score == int(paper.score) else paper.score
    return f"score {score}"


def _old_apply(papers: list[Paper], flt: PaperFilter) -> list[Paper]:
    kept = [p for p in papers if matches(p, flt, tax=load())]
    return kept[: flt.limit] if flt.limit is not None else kept


_NAMES = sorted(
    {m.name for s in registry.REGISTRY.metric_sets for m in s.metrics} | {"stars", "forks", "zz"}
)
_COUNTS = st.dictionaries(st.sampled_from(_NAMES), st.integers(0, 5), max_size=4)
_SCORES = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.0, 2.5, -1.0]))
_IDS = st.sampled_from([f"2103.0000{i}" for i in range(6)])
_CATS = st.lists(st.sampled_from(["cs.CV", "cs.LG", "math.NA", "cs.NA", "astro-ph.GA"]))
_ENTRY = st.builds(
    Entry,
    arxiv_id=_IDS,
    day=st.sampled_from([date(2021, 3, d) for d in (10, 11, 12)]),
    rank=st.integers(1, 9),
    score=_SCORES,
    metrics=_COUNTS,
    categories=_CATS,
)
_FILTER = st.builds(
    PaperFilter,
    include=st.sampled_from([(), ("cs.CV",), ("cs",), ("math.NA",)]),
    exclude=st.sampled_from([(), ("cs.LG",)]),
    min_score=st.sampled_from([0.0, 1.0, 2.0]),
    limit=st.one_of(st.none(), st.integers(0, 7)),
)
_TIEBREAKS = st.one_of(
    st.just(registry.REGISTRY.tiebreak),
    st.lists(st.tuples(st.sampled_from(_NAMES), st.integers(-2, 3)), max_size=4).map(tuple),
)


def _paper(e: Entry) -> Paper:
    return Paper(
        arxiv_id=e.arxiv_id, title="T", score=e.score, metrics=e.metrics, categories=e.categories
    )


@pytest.mark.parametrize("crowds", ["registered", "with tiny"])
@settings(max_examples=150, deadline=None)
@given(
    entries=st.lists(_ENTRY, max_size=12),
    flt=_FILTER,
    tiebreaks=st.lists(_TIEBREAKS, min_size=1, max_size=3),
)
def test_ranking_labels_and_picks_are_those_of_before_the_memo(
    crowds: str, entries: list[Entry], flt: PaperFilter, tiebreaks: list[tuple[Any, ...]]
) -> None:
    before = registry.REGISTRY
    if crowds == "with tiny":
        registry.REGISTRY = Registry([*SOURCES, tiny_source.SOURCE])
    try:
        papers = [_paper(e) for e in entries]
        for tiebreak in tiebreaks:  # one after another: what is remembered must not leak
            assert metrics.rank(papers, tiebreak) == _old_rank(papers, tiebreak)
            assert metrics.rank(entries, tiebreak) == _old_rank(entries, tiebreak)
            for p in papers:
                assert metrics.rank_key(p, tiebreak) == _old_rank_key(p, tiebreak)
        assert rank(papers) == _old_rank(papers, registry.REGISTRY.tiebreak)
        assert rank_entries(entries) == _old_rank(entries, registry.REGISTRY.tiebreak)
        assert pick(entries, flt) == _old_pick(entries, flt)
        one_day = [e for e in entries if e.day == entries[0].day] if entries else []
        one_day = list({e.arxiv_id: e for e in one_day}.values())  # a day holds a paper once
        assert pick(one_day, flt) == _old_pick(one_day, flt)
        assert apply(papers, flt) == _old_apply(papers, flt)
        assert [score_label(p) for p in papers] == [_old_score_label(p) for p in papers]
    finally:
        registry.REGISTRY = before


def test_a_crowd_registered_after_the_labels_were_remembered_is_labelled() -> None:
    p = Paper(arxiv_id="2103.00001", title="T", score=4.0, metrics={"stars": 4, "forks": 2})
    assert score_label(p) == "score 4"  # stars: no registered crowd's, remembered so
    before = registry.REGISTRY
    registry.REGISTRY = Registry([*SOURCES, tiny_source.SOURCE])
    try:
        assert score_label(p) == "⭐ 4 · 2 forks"
    finally:
        registry.REGISTRY = before
    assert score_label(p) == "score 4"


def test_a_tiebreak_list_changed_in_place_is_read_as_it_is_now() -> None:
    """`metrics.rank` takes any sequence; its weights were remembered by identity, so a list
    given again after an append ranked by the names it held before (and `rank_key` said 0)."""
    a = Paper(arxiv_id="2101.00001", title="T", score=1.0, metrics={"x": 5})
    b = Paper(arxiv_id="2101.00002", title="T", score=1.0, metrics={"x": 9})
    tiebreak = [("y", 1)]
    assert [p.arxiv_id for p in metrics.rank([a, b], tiebreak)] == ["2101.00001", "2101.00002"]
    tiebreak.append(("x", 1))
    assert metrics.rank_key(a, tiebreak)[2] == -5
    assert [p.arxiv_id for p in metrics.rank([a, b], tiebreak)] == ["2101.00002", "2101.00001"]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("archives", '["cs", 5]'),
        ("signals_ok", "[null]"),
        ("signals_failed", '{"hn": 5}'),
        ("signals_failed", '{"hn": ["down"]}'),
    ],
)
async def test_a_coverage_column_with_a_wrong_element_reads_as_empty(
    backend: Backend, column: str, value: str
) -> None:
    """`/hot` reads the day's meta first: a blended row's coverage lists are lenient (a value
    that is not what it should be reads as empty: it only widens what is fetched). A list
    holding a non-text element raised pydantic's ValidationError from `digest_meta` and
    `get_digest`, so every `/hot` and post of that day failed as a bug."""
    store = await backend.open()
    d = digest("2021-03-12", ["2103.00001"]).model_copy(
        update={"fetched_at": T1, "archives": ["cs"], "signals_ok": ["hf"]}
    )
    assert await store.save_digest(d, final=True)
    backend.update("digests", {column: value})
    meta = await store.digest_meta("test", DAY)
    got = await store.get_digest("test", DAY)
    assert meta is not None and got is not None
    assert (
        getattr(meta, column) == getattr(got, column) == ({} if column == "signals_failed" else [])
    )
    assert [p.arxiv_id for p in got.papers] == ["2103.00001"]


async def test_a_plain_days_trusted_meta_is_the_validated_one(backend: Backend) -> None:
    """A plain day's meta is built without validation (`rows.trusted`): on every backend it
    must equal, field by field and type by type, the model pydantic would have built."""
    store = await backend.open()
    d = digest("2021-03-12", ["2103.00001", "2103.00002"]).model_copy(update={"fetched_at": T1})
    assert await store.save_digest(d, final=False)
    meta = await store.digest_meta("test", DAY)
    assert meta is not None
    checked = DigestMeta.model_validate(meta.model_dump())
    assert meta == checked and meta.model_dump() == checked.model_dump()
    assert {k: type(v) for k, v in vars(meta).items()} == {
        k: type(v) for k, v in vars(checked).items()
    }
    assert (meta.final, meta.paper_count, meta.fetched_at) == (False, 2, T1)
