"""Outside attacks on `/search` and `/paper`'s autocomplete: typed text the engines fold
their own way, titles each engine splits into words, and answers a member sees.

Each test here is a finding (it failed before its fix) or a probe that held; the contract
suite in tests/store/test_search.py states the rules, these try to break them from outside.
Every store test runs once per backend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.models import Digest, Paper
from bot.services.search import SearchService, no_match_text
from bot.store.base import Store
from bot.store.search import SearchQuery, search_terms
from tests.store import conftest as contract
from tests.store.backends import Backend

backend = contract.backend
store = contract.store

DAY = date(2021, 1, 4)


async def seed(store: Store, *titles: str) -> list[str]:
    papers = [
        Paper(arxiv_id=f"2101.0000{n}", title=t, score=10 - n) for n, t in enumerate(titles, 1)
    ]
    await store.save_digest(Digest(day=DAY, source="a", papers=papers))
    return [p.arxiv_id for p in papers]


async def found(store: Store, text: str) -> list[str]:
    return [h.arxiv_id for h in await store.search_papers(SearchQuery(search_terms(text)))]


@pytest.mark.parametrize(
    "title",
    ["İstanbul traffic", "Über die Straße", "Σοφός λόγος", "ǰ-invariants", "ΐ and ΰ"],
)
async def test_a_word_is_found_as_typed_whatever_python_would_fold_it_to(
    store: Store, title: str
) -> None:
    # Was: search_terms case-folded in Python ("Straße" -> "strasse", "σοφός" -> "σοφόσ",
    # "İ" -> "i" + U+0307), which neither engine's index holds; a folding that adds a
    # combining mark even made SearchQuery refuse the terms (/search answered "something
    # went wrong"). Each engine folds the typed words as it folded the titles.
    (pid,) = await seed(store, title)
    assert await found(store, title) == [pid]
    completions = await store.complete_papers(title)
    assert completions == [(pid, title)]


async def test_both_engines_split_dotted_numbers_links_and_versions_alike(store: Store) -> None:
    # Was: PostgreSQL's parser keeps `-3.5`, `v1.2.3`, `github.com/x/y` and `a@b.org` as
    # single tokens where FTS5 (and `search_terms`) split at every punctuation mark, so
    # "gpt 3.5" or "github" found these papers on SQLite only.
    gpt, yolo, code = await seed(
        store, "GPT-3.5 as a judge", "YOLO v1.2.3 revisited", "Code at github.com/ada/x"
    )
    await store.save_digest(
        Digest(
            day=date(2021, 1, 5),
            source="a",
            papers=[
                Paper(
                    arxiv_id="2101.00009",
                    title="Quiet title",
                    abstract="Mail ada@lovelace.org or see https://example.org/paper.pdf",
                    authors=["A. B. Smith-Jones"],
                )
            ],
        )
    )
    assert await found(store, "gpt 3.5") == [gpt]
    assert await found(store, "3.5") == [gpt]
    assert await found(store, "v1.2.3") == [yolo]
    assert await found(store, "github") == [code]
    assert await found(store, "ada") == [code, "2101.00009"]
    assert await found(store, "lovelace example pdf") == ["2101.00009"]
    assert await found(store, "jones") == ["2101.00009"]
    assert await store.complete_papers("gpt 3") == [(gpt, "GPT-3.5 as a judge")]


async def test_an_archive_keeps_papers_filed_under_the_bare_archive(store: Store) -> None:
    # Was: `astro-ph` kept `astro-ph.GA` but not a paper filed under plain `astro-ph` (as
    # arXiv filed them before the archive was split), which /hot and the digests keep
    # (bot.filters: the archive itself or one of its categories).
    old, new, other = "astro-ph/0001001", "2101.00001", "2101.00002"
    papers = [
        Paper(arxiv_id=old, title="Stellar winds", categories=["astro-ph"], score=3),
        Paper(arxiv_id=new, title="Stellar disks", categories=["astro-ph.GA"], score=2),
        Paper(arxiv_id=other, title="Stellar graphs", categories=["astro-phx"], score=1),
    ]
    await store.save_digest(Digest(day=DAY, source="a", papers=papers))
    hits = await store.search_papers(SearchQuery(("stellar",), archives=("astro-ph",)))
    assert [h.arxiv_id for h in hits] == [old, new]


def test_a_category_option_of_no_categories_is_no_filter_and_says_none(store: Store) -> None:
    # Was: `category: ", ,"` filtered nothing yet the answer read "… matches `x` in ."
    svc = SearchService(store, clock=lambda: datetime(2021, 3, 12, tzinfo=UTC))
    request = svc.request("quantum", ", ,")
    assert (request.query.categories, request.query.archives) == ((), ())
    assert no_match_text(request) == "No stored paper matches `quantum`."


async def test_old_style_ids_complete_and_tie_in_byte_order(store: Store) -> None:
    # Probe (held): ids compare as bytes on both backends (PostgreSQL's columns are
    # COLLATE "C" whatever the database's locale), so `hep-th/99` is a range of ids.
    ids = ["math/0309136", "math.GT/0309136", "hep-th/9901001", "hep-th/9902002", "2101.00001"]
    papers = [Paper(arxiv_id=i, title="Knots") for i in ids]
    await store.save_digest(Digest(day=DAY, source="a", papers=papers))
    assert [i for i, _ in await store.complete_papers("hep-th/99")] == [
        "hep-th/9902002",
        "hep-th/9901001",
    ]
    assert [i for i, _ in await store.complete_papers("2101.")] == ["2101.00001"]
    assert await found(store, "knots") == sorted(ids)  # no score, one day: by id, as bytes


async def test_typed_text_in_other_unicode_forms_finds_the_title(store: Store) -> None:
    # Was: a decomposed accent (NFD, as pasted from some PDFs and keyboards) split the word
    # in two ("Erdo" + "s"), and a ligature or full-width letters (a PDF's "ﬃ", an IME's
    # "ｄｉｆｆｕｓｉｏｎ") were other words than the title's. Typed text is NFC-normalised,
    # those forms folded, and a combining mark belongs to its word, as in FTS5's tokenizer;
    # a title's own `CO₂` is still found as typed.
    erdos, eff, co2, hindi = await seed(
        store, "Erdős numbers", "Efficient diffusion", "CO₂ capture", "हिन्दी शब्द"
    )
    # A Devanagari word's vowel signs are marks too: one word, as PostgreSQL reads it (was:
    # three words there, none of them in its index).
    assert await found(store, "हिन्दी") == [hindi]
    assert await store.complete_papers("हिन्दी शब") == [(hindi, "हिन्दी शब्द")]
    assert await found(store, "CO₂") == [co2]
    assert await found(store, "Erdo\u030bs") == [erdos]
    assert await found(store, "Eﬃcient ｄｉｆｆｕｓｉｏｎ") == [eff]
    assert await found(store, "ＥＦＦＩＣＩＥＮＴ") == [eff]
    assert search_terms("Erdo\u030bs q\u0307x \u0301x") == ("erdős", "q\u0307x", "x")


async def test_a_0006_store_with_listings_is_found_with_its_best_listing(
    backend: Backend,
) -> None:
    # Probe (held): migration 0007 backfills each key's best listing from the entries
    # already stored, so an upgraded store ranks and dates its hits as a new one does.
    from tests.store.test_migrations import V1_ROWS

    await backend.create_at(6)
    for table, row in V1_ROWS[:3]:
        backend.insert(table, row)
    backend.insert("digests", {**V1_ROWS[1][1], "day": "2021-03-13"})
    backend.insert("digest_entries", {**V1_ROWS[2][1], "day": "2021-03-13", "score": 2.0})
    store = await backend.open()
    hits = await store.search_papers(SearchQuery(("paper",)))
    assert [(h.arxiv_id, h.day, h.score, h.tier) for h in hits] == [
        ("2103.06874", date(2021, 3, 12), 7.5, 2)
    ]
    assert await store.complete_papers("a pap") == [("2103.06874", "A paper")]


async def test_invisible_breaks_pasted_inside_a_word_do_not_split_it(store: Store) -> None:
    # Was: a soft hyphen (text copied from a hyphenated web page), a zero-width space or a
    # word joiner inside "diffusion" made two words, "dif" and "fusion", found in no title.
    (pid,) = await seed(store, "Diffusion models")
    for text in ("dif\u00adfusion", "dif\u200bfusion models", "\ufeffdiffu\u2060sion"):
        assert await found(store, text) == [pid], repr(text)
    assert await store.complete_papers("dif\u00adfusion mod") == [(pid, "Diffusion models")]
