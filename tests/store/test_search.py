"""Contract: full-text search over papers (`bot.store.search.PaperSearch`), for every backend.

One seeded set pins the whole order (tiers, then best score, then day, then id), the
category and archive filters, the date range (the digest days a paper was listed) and the
limit; the index follows every write of `papers` (a digest's upsert, a raw update, a copy, a
migration's backfill); and no typed text, however hostile, is an error or reaches the engine's
query syntax.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.models import Digest, Paper
from bot.store import connect
from bot.store.base import Store
from bot.store.copy import copy_store
from bot.store.search import SearchHit, SearchQuery, search_terms
from tests.store.backends import Backend

D4, D5, D6 = date(2021, 1, 4), date(2021, 1, 5), date(2021, 1, 6)


def paper(n: int, title: str, *, score: float | None, **kw: object) -> Paper:
    return Paper(arxiv_id=f"2101.0000{n}", title=title, score=score, **kw)


A = "2101.00001"  # "diffusion" in the title; best score 9 on D6 (5 on D4)
B = "2101.00002"  # "diffusion" in the authors only; 50 on D5
C = "2101.00003"  # "diffusion" in the abstract only; 100 on D5
D = "2101.00004"  # in the title; no score (no crowd discussed it) on D4
E = "2101.00005"  # in the title; 9 on D5 (ties with A's best: the newer day wins)
F = "2101.00006"  # no "diffusion" anywhere


async def seed(store: Store) -> None:
    """Three days of source `a` (and one of `b`) holding the six papers above."""
    a4 = [
        paper(1, "Diffusion models for vision", score=5, authors=["Ada Lovelace"],
              categories=["cs.CV"], abstract="We study generative models."),
        paper(4, "Diffusion everywhere", score=None, categories=["cs.CV"]),
        paper(6, "Graph networks", score=70, categories=["cs.LG"], abstract="Nodes."),
    ]  # fmt: skip
    a5 = [
        paper(3, "Sampling", score=100, categories=["stat.ML"],
              abstract="A diffusion process, sampled."),
        paper(2, "Vision transformers", score=50, authors=["Diffusion Smith"],
              categories=["cs.LG"]),
        paper(5, "Diffusion again", score=9, categories=["cs.CV", "cs.LG"]),
    ]  # fmt: skip
    b6 = [paper(1, "Diffusion models for vision", score=9, categories=["cs.CV"])]
    await store.save_digest(Digest(day=D4, source="a", papers=a4))
    await store.save_digest(Digest(day=D5, source="a", papers=a5))
    await store.save_digest(Digest(day=D6, source="b", papers=b6))


async def found(store: Store, text: str, **kw: object) -> list[str]:
    hits = await store.search_papers(SearchQuery(search_terms(text), **kw))  # type: ignore[arg-type]
    return [h.arxiv_id for h in hits]


async def test_hits_are_ordered_by_tier_then_best_score_then_day_then_id(store: Store) -> None:
    await seed(store)
    hits = await store.search_papers(SearchQuery(search_terms("diffusion")))
    assert hits == [
        SearchHit(A, "Diffusion models for vision", ["Ada Lovelace"], ["cs.CV"], D6, 9.0, 2),
        SearchHit(E, "Diffusion again", [], ["cs.CV", "cs.LG"], D5, 9.0, 2),
        SearchHit(D, "Diffusion everywhere", [], ["cs.CV"], D4, None, 2),
        SearchHit(B, "Vision transformers", ["Diffusion Smith"], ["cs.LG"], D5, 50.0, 1),
        SearchHit(C, "Sampling", [], ["stat.ML"], D5, 100.0, 0),
    ]
    # Every term is required, in any field; all of them in the title is the top tier.
    assert await found(store, "diffusion vision") == [A, B]
    assert await found(store, "DIFFUSION Models") == [A]
    assert await found(store, "lovelace") == [A]
    assert await found(store, "generative") == [A]
    assert await found(store, "nothing-like-this") == []


async def test_the_last_term_is_a_prefix_unless_told_otherwise(store: Store) -> None:
    await seed(store)
    assert await found(store, "diff") == [A, E, D, B, C]
    assert await found(store, "diff", prefix=False) == []
    assert await found(store, "diff vision") == []  # only the last term is a prefix
    assert await found(store, "vision diff") == [A, B]


async def test_a_category_or_an_archive_keeps_the_papers_listed_in_it(store: Store) -> None:
    await seed(store)
    assert await found(store, "diffusion", categories=("cs.CV",)) == [A, E, D]
    assert await found(store, "diffusion", categories=("stat.ML",)) == [C]
    assert await found(store, "diffusion", archives=("cs",)) == [A, E, D, B]
    assert await found(store, "diffusion", categories=("stat.ML",), archives=("cs",)) == [
        *(A, E, D, B, C)
    ]
    assert await found(store, "diffusion", categories=("cs.C",)) == []  # exact ids only
    assert await found(store, "diffusion", archives=("c",)) == []


async def test_a_date_range_keeps_the_days_a_paper_was_listed_and_its_best_there(
    store: Store,
) -> None:
    await seed(store)
    assert await found(store, "diffusion", since=D5, until=D5) == [E, B, C]
    hits = await store.search_papers(SearchQuery(("diffusion",), since=D4, until=D4))
    assert [(h.arxiv_id, h.day, h.score) for h in hits] == [(A, D4, 5.0), (D, D4, None)]
    assert await found(store, "diffusion", since=D6) == [A]
    assert await found(store, "diffusion", until=D4) == [A, D]
    assert await found(store, "diffusion", since=date(2022, 1, 1)) == []


async def test_the_limit_cuts_the_ordered_list(store: Store) -> None:
    await seed(store)
    assert await found(store, "diffusion", limit=2) == [A, E]
    assert await found(store, "diffusion", limit=1, archives=("cs",), until=D5) == [E]
    with pytest.raises(ValueError, match=r"limit must be 1\.\.100"):
        SearchQuery(("x",), limit=0)
    with pytest.raises(ValueError, match="terms must be words"):
        SearchQuery(('x" OR 1',))  # terms come from search_terms, never as typed


async def test_the_index_follows_every_write_of_the_papers(backend: Backend) -> None:
    store = await backend.open()
    await seed(store)
    renamed = paper(6, "Graph diffusion", score=70, categories=["cs.LG"])
    await store.save_digest(Digest(day=D4, source="a", papers=[renamed]))
    assert await found(store, "graph") == [F]
    assert F in await found(store, "diffusion")
    assert await found(store, "networks") == []  # the old title is gone from the index
    backend.update("papers", {"title": "Quantum walks"}, where={"arxiv_id": F})
    assert await found(store, "quantum") == [F]
    assert await found(store, "graph") == []
    backend.insert(
        "papers",
        {"arxiv_id": "2101.00009", "title": "Raw row", "abs_url": "u", "pdf_url": "u"},
    )
    hits = await store.search_papers(SearchQuery(("raw",)))
    assert [(h.arxiv_id, h.day, h.score) for h in hits] == [("2101.00009", None, None)]
    assert await found(store, "raw", since=D4) == []  # never listed: outside every range


async def test_the_best_listing_follows_every_write_of_the_entries(backend: Backend) -> None:
    store = await backend.open()
    await seed(store)
    cooled = paper(1, "Diffusion models for vision", score=1, categories=["cs.CV"])
    await store.save_digest(Digest(day=D6, source="b", papers=[cooled]))  # D6 replaced
    hits = await store.search_papers(SearchQuery(("diffusion",)))
    assert [(h.arxiv_id, h.day, h.score) for h in hits][:3] == [
        (E, D5, 9.0),
        (A, D4, 5.0),  # its best is now D4's 5, not D6's 1
        (D, D4, None),
    ]
    backend.update("digest_entries", {"score": 20.0}, where={"arxiv_id": D})
    assert await found(store, "diffusion") == [D, E, A, B, C]
    await store.save_digest(Digest(day=D6, source="b", papers=[]))  # D6 holds nothing now
    assert await found(store, "diffusion", since=D6) == []


async def test_an_import_finds_its_papers_and_a_new_title_replaces_the_old_words(
    backend: Backend,
) -> None:
    """`save_digests` (the path of `hotpapers import`) indexes what it writes: new papers, a
    paper renamed later in the same batch, and one renamed by a later batch."""
    store = await backend.open()
    first = Digest(day=D4, source="a", papers=[
        paper(1, "Quantum walks", score=5, authors=["Ada Lovelace"], abstract="On graphs."),
        paper(2, "Old words", score=7),
    ])  # fmt: skip
    renamed_in_batch = Digest(day=D5, source="a", papers=[paper(2, "New words", score=3)])
    assert await store.save_digests([first, renamed_in_batch]) == [True, True]
    assert await found(store, "quantum") == [A]
    assert await found(store, "lovelace") == [A]
    assert await found(store, "graphs") == [A]
    assert await found(store, "old") == []  # replaced by the later day of the batch
    hits = await store.search_papers(SearchQuery(("words",)))
    assert [(h.arxiv_id, h.title, h.day, h.score) for h in hits] == [
        (B, "New words", D4, 7.0)  # its best listing: D4's 7 beats D5's 3
    ]
    later = Digest(day=D6, source="b", papers=[paper(1, "Graph diffusion", score=9)])
    assert await store.save_digests([later]) == [True]
    assert await found(store, "quantum") == []
    assert await found(store, "walks") == []
    assert await found(store, "graph diffusion") == [A]
    hits = await store.search_papers(SearchQuery(("diffusion",)))
    assert [(h.arxiv_id, h.day, h.score) for h in hits] == [(A, D6, 9.0)]
    assert await store.save_digests([later]) == [False]  # a re-import changes nothing
    assert await found(store, "graph") == [A]


async def test_a_batch_is_indexed_as_the_same_days_saved_one_by_one(backend: Backend) -> None:
    """Every hit (its tier, best score and day) is the same whether the days came in one
    batch or one at a time, and after a copy (the copy's rows arrive one by one)."""
    one_by_one, batch = await backend.open(), await backend.open("batch")
    await seed(one_by_one)  # one day a call
    days = [await one_by_one.get_digest(s, d) for s, d in (("a", D4), ("a", D5), ("b", D6))]
    assert await batch.save_digests([d for d in days if d is not None]) == [True] * 3
    copied = await backend.open("copied")
    assert (await copy_store(batch, copied)).ok
    for text in ("diffusion", "vision diff", "lovelace", "models", "graph", "sampl"):
        want = await one_by_one.search_papers(SearchQuery(search_terms(text)))
        assert want
        assert await batch.search_papers(SearchQuery(search_terms(text))) == want
        assert await copied.search_papers(SearchQuery(search_terms(text))) == want


async def test_a_copied_store_searches_alike(backend: Backend, tmp_path: Path) -> None:
    source = await backend.open()
    await seed(source)
    target = await connect(f"{tmp_path}/copy.sqlite3")
    try:
        report = await copy_store(source, target)
        assert report.ok
        for text in ("diffusion", "vision diff", "lovelace"):
            assert await found(target, text) == await found(source, text)
        back = await backend.open("back")
        assert (await copy_store(target, back)).ok
        assert await found(back, "diffusion") == [A, E, D, B, C]
    finally:
        await target.close()


async def test_papers_stored_before_the_index_existed_are_found(backend: Backend) -> None:
    await backend.create_at(6)
    backend.insert(
        "papers",
        {"arxiv_id": "2001.00001", "title": "Old diffusion", "abs_url": "u", "pdf_url": "u"},
    )
    store = await backend.open()
    assert await found(store, "diffusion") == ["2001.00001"]


HOSTILE = [
    '"',
    '"diffusion',
    'diffusion"',
    "diffusion*",
    "*",
    "NEAR(diffusion vision",
    "NEAR(diffusion vision, 2)",
    "title:diffusion",
    "arxiv_id:2101",
    "{title}: diffusion",
    "-diffusion",
    "diffusion AND OR NOT",
    "AND",
    "((diffusion",
    "diffusion))",
    "^diffusion",
    "diffusion + vision",
    "'; DROP TABLE papers; --",
    "x" * 10_000,
    "diffusion " * 2_000,
    "dif\x00fusion",
    "\x00",
    "🔥🔥 diffusion 🔥",
    "שלום diffusion עולם",
    "\u202ediffusion",
    "diffusion\\",
    "'diffusion':*",
    "diffusion & vision | !x <-> y",
    "²³",
    "e\u0301",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
async def test_no_typed_text_is_an_error_or_query_syntax(store: Store, text: str) -> None:
    await seed(store)
    hits = await found(store, text)
    completions = await store.complete_papers(text)
    assert len(completions) <= 25
    words = set(search_terms(text))
    if words <= {"diffusion"} and words:
        # Quotes, `*`, `-`, `^`, parentheses are punctuation: the word is searched as such.
        assert hits == [A, E, D, B, C], text
    elif words & {"near", "title", "arxiv", "and", "drop", "x"}:
        assert hits == [], text  # operators and column names are plain (absent) words


async def test_autocomplete_offers_ids_newest_first_then_titles_best_first(store: Store) -> None:
    await seed(store)
    assert await store.complete_papers("2101.0000") == [
        (F, "Graph networks"),
        (E, "Diffusion again"),
        (D, "Diffusion everywhere"),
        (C, "Sampling"),
        (B, "Vision transformers"),
        (A, "Diffusion models for vision"),
    ]
    assert await store.complete_papers("diff") == [  # best listing first
        (A, "Diffusion models for vision"),
        (E, "Diffusion again"),
        (D, "Diffusion everywhere"),
    ]
    assert await store.complete_papers("Diffusion mod", limit=5) == [
        (A, "Diffusion models for vision")
    ]
    assert await store.complete_papers("2101.00003") == [(C, "Sampling")]
    assert await store.complete_papers("arXiv:2101.00002") == [(B, "Vision transformers")]
    assert await store.complete_papers("2101.0000", limit=2) == [
        (F, "Graph networks"),
        (E, "Diffusion again"),
    ]
    assert await store.complete_papers("lovelace") == []  # titles only
    assert await store.complete_papers("d") == []  # one letter is not a prefix
    assert await store.complete_papers("") == []
