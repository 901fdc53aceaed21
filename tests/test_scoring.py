"""The blend (`bot.scoring`): the worked example of docs/ranking.md, pinned to the digit."""

from __future__ import annotations

import math

from bot.scoring import (
    FLOOR,
    Blended,
    blend,
    categories_of,
    order_key,
    ranked_ids,
    share,
    with_votes,
)

# docs/ranking.md's example: three cs.CV papers, two math.AG papers, two crowds.
CATEGORIES = categories_of(
    [
        ("2612.00001", ["cs.CV", "cs.LG"]),  # A: loud on Hugging Face only
        ("2612.00002", ["cs.CV"]),  # B: some HF upvotes, and the day's HN story
        ("2612.00003", ["cs.CV"]),  # C: nobody
        ("2612.00004", ["math.AG"]),  # D: three HN points
        ("2612.00005", ["math.AG", "cs.CV"]),  # E: nobody
    ]
)
STRENGTHS = {
    "hf": {"2612.00001": 120.0, "2612.00002": 30.0},
    "hn": {"2612.00002": 45.0, "2612.00004": 3.0},
}


def test_the_worked_example_of_docs_ranking() -> None:
    got = blend(CATEGORIES, STRENGTHS)
    assert got == {
        "2612.00001": Blended(100.0, {"hf": 1.0}),
        "2612.00002": Blended(171.6, {"hf": 0.716, "hn": 1.0}),
        "2612.00003": Blended(None, {}),
        "2612.00004": Blended(57.81, {"hn": 0.5781}),
        "2612.00005": Blended(None, {}),
    }
    # Two crowds beat one loud crowd; the quiet category is ranked on its own; the papers no
    # crowd discussed come last, by id.
    assert ranked_ids(got, {}) == [
        "2612.00002",
        "2612.00001",
        "2612.00004",
        "2612.00003",
        "2612.00005",
    ]


def test_a_paper_in_another_category_does_not_change_a_category_s_scores() -> None:
    louder = {**STRENGTHS, "hn": {**STRENGTHS["hn"], "2612.00004": 4000.0}}
    before, after = blend(CATEGORIES, STRENGTHS), blend(CATEGORIES, louder)
    assert {k: before[k] for k in ("2612.00001", "2612.00002")} == {
        k: after[k] for k in ("2612.00001", "2612.00002")
    }
    assert after["2612.00004"].score == 100.0  # the top of math.AG, however loud cs.CV is


def test_one_loud_crowd_adds_at_most_one_share() -> None:
    loud = blend({"a": "x", "b": "x"}, {"hf": {"a": 10**9}, "hn": {"b": 50.0}})
    assert loud["a"].score == loud["b"].score == 100.0


def test_a_zero_count_is_a_signal_and_no_count_is_none() -> None:
    got = blend({"a": "x", "b": "x"}, {"hf": {"a": 0.0}})
    assert got["a"] == Blended(0.0, {"hf": 0.0}) and got["b"] == Blended(None, {})


def test_share_uses_the_floor_and_the_log() -> None:
    assert share(1, 1) == math.log(2) / math.log(1 + FLOOR)
    assert share(-5, 20) == 0.0
    assert share(20, 20) == 1.0
    assert share(50, 20) == 1.0  # a strength above the stated maximum is capped, not > 1


def test_the_order_is_total_and_deterministic() -> None:
    keys = [order_key(None, 0, "b"), order_key(1.0, 0, "b"), order_key(1.0, 3, "c")]
    assert sorted(keys) == [keys[2], keys[1], keys[0]]
    shuffled = dict(reversed(list(CATEGORIES.items())))
    assert blend(shuffled, STRENGTHS) == blend(CATEGORIES, STRENGTHS)


def test_a_servers_votes_are_one_more_crowd_within_each_category() -> None:
    """docs/ranking.md, "This server's votes": B's 9 votes are cs.CV's most (share
    ln 10 / ln 11), C's one vote in math.AG counts as a quiet category's one mention."""
    categories = {"A": "cs.CV", "B": "cs.CV", "C": "math.AG", "D": "math.AG"}
    scores = {"A": 100.0, "B": 71.6, "C": None, "D": 57.81}
    out = with_votes(categories, scores, {"B": 9, "C": 1, "X": 50, "D": 0})
    assert out == {"A": 100.0, "B": 167.63, "C": 28.91, "D": 57.81}
    assert round(100 * math.log(10) / math.log(11), 2) == 96.03  # B gains this much
    assert with_votes(categories, scores, {}) == scores  # no votes: every score as it was
    weighed = with_votes(categories, scores, {"C": 1}, weight=1000.0)  # a one-crowd day's top
    assert weighed["C"] == 289.1 and weighed["A"] == 100.0  # 1000 × ln 2 / ln 11
