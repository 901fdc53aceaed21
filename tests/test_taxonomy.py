"""The arXiv taxonomy and category autocomplete."""

from __future__ import annotations

import pytest

from bot.taxonomy import MAX_CHOICE_CHARS, MAX_CHOICES, complete_list, fit, load, search


def test_taxonomy_is_complete() -> None:
    tax = load()
    archives = {c.archive for c in tax.categories.values()}
    for archive in [
        "cs",
        "econ",
        "eess",
        "math",
        "astro-ph",
        "cond-mat",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math-ph",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "physics",
        "quant-ph",
        "q-bio",
        "q-fin",
        "stat",
    ]:
        assert archive in archives, archive
    assert tax.name("cs.CV") == "Computer Vision and Pattern Recognition"
    assert tax.name("cond-mat.str-el") == "Strongly Correlated Electrons"
    assert tax.name("astro-ph") == "Astrophysics"
    assert sum(1 for c in tax.categories if c.startswith("cs.")) == 40
    assert sum(1 for c in tax.categories if c.startswith("math.")) == 32
    assert sum(1 for c in tax.categories if c.startswith("physics.")) == 22
    assert len(tax.categories) == 155
    for alias, canonical in tax.aliases.items():
        assert alias in tax.categories and canonical in tax.categories
    assert tax.equivalents("cs.NA") == {"cs.NA", "math.NA"}


def test_search_labels_fit_discord() -> None:
    for query in ["", "c", "cs", "physics", "a", "theory", "e"]:
        found = search(query)
        assert 0 < len(found) <= MAX_CHOICES
        for cat in found:
            assert len(cat.label) <= MAX_CHOICE_CHARS
            assert " — " in cat.label


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("cs.CV", "cs.CV"),
        ("cs.cv", "cs.CV"),
        ("vision", "cs.CV"),
        ("quant-ph", "quant-ph"),
        ("str-el", "cond-mat.str-el"),
    ],
)
def test_search_ranks_the_obvious_match_first(query: str, first: str) -> None:
    assert search(query)[0].id == first


def test_search_label_format() -> None:
    assert search("cs.CV")[0].label == "cs.CV — Computer Vision and Pattern Recognition"
    assert search("zzzz-nothing") == []


def test_complete_list_completes_the_last_item_and_keeps_exclusion() -> None:
    got = complete_list("cs.CL, -vision")
    assert got[0] == (
        "cs.CL, -cs.CV — not Computer Vision and Pattern Recognition",
        "cs.CL, -cs.CV",
    )
    assert all(
        len(label) <= 100 and len(value) <= 100 for label, value in complete_list("cs." * 40)
    )
    assert complete_list("")[0][1] == search("")[0].id


def test_fit_cuts_at_a_word_with_an_ellipsis() -> None:
    text = "word " * 40
    out = fit(text)
    assert len(out) <= 100 and out.endswith("…") and not out.endswith(" …")
    assert fit("short") == "short"
