"""What ranking and labels remember between calls (`bot.sources.metrics._weights`,
`bot.ranking._sets_of`): the registry's tiebreak weights and each name tuple's metric sets.

Both are remembered for speed (`rank_key` runs for every paper of a window, `score_label` for
every line rendered: bench/callgrind.py); each test here fails if what is remembered outlives
the registry, or the tiebreak sequence, it was taken from.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.models import Paper
from bot.ranking import rank, score_label
from bot.sources import metrics, registry
from bot.sources.registry import SOURCES, Registry
from bot.sources.spec import SourceSpec

from . import tiny_source


def paper(arxiv_id: str, score: float, **counts: int) -> Paper:
    return Paper(arxiv_id=arxiv_id, title="A paper", metrics=counts, score=score)


def use(monkeypatch: pytest.MonkeyPatch, specs: list[SourceSpec[Any]], **kw: Any) -> None:
    monkeypatch.setattr(registry, "REGISTRY", Registry(specs, **kw))


def test_a_new_tiebreak_sequence_is_not_answered_with_the_last_ones_weights() -> None:
    a = paper("2501.00001", 5.0, forks=1, comments=9)
    b = paper("2501.00002", 5.0, forks=3, comments=0)
    by_forks = (("forks", 1),)
    by_comments = (("comments", 1),)
    assert [p.arxiv_id for p in metrics.rank([a, b], by_forks)] == ["2501.00002", "2501.00001"]
    assert [p.arxiv_id for p in metrics.rank([a, b], by_comments)] == ["2501.00001", "2501.00002"]
    assert metrics.rank_key(a, by_forks)[2] == -1
    assert metrics.rank_key(a, by_comments)[2] == -9
    # A paper with none of the tiebreak counts: no tiebreak signal, whatever was asked before.
    assert metrics.rank_key(paper("2501.00003", 5.0, stars=4), by_comments)[2] == 0


def test_a_tiebreak_name_given_twice_counts_twice_as_given() -> None:
    twice = (("forks", 1), ("forks", 2))
    assert metrics.rank_key(paper("2501.00001", 1.0, forks=5), twice)[2] == -15


def test_a_registry_swap_changes_the_tiebreak_ranking_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = paper("2501.00001", 5.0, stars=5, forks=0, upvotes=5, comments=7)
    b = paper("2501.00002", 5.0, stars=5, forks=2, upvotes=5, comments=0)
    assert [p.arxiv_id for p in rank([a, b])] == ["2501.00001", "2501.00002"]  # HF's comments
    use(monkeypatch, [tiny_source.SOURCE], default="tiny")
    assert [p.arxiv_id for p in rank([a, b])] == ["2501.00002", "2501.00001"]  # tiny's forks


def test_score_labels_follow_a_registry_swap(monkeypatch: pytest.MonkeyPatch) -> None:
    p = paper("2501.00001", 4.0, stars=4, forks=2)
    assert score_label(p) == "score 4"  # no registered source counts stars
    use(monkeypatch, [*SOURCES, tiny_source.SOURCE])
    assert score_label(p) == "⭐ 4 · 2 forks"
    monkeypatch.setattr(registry, "REGISTRY", Registry(SOURCES))
    assert score_label(p) == "score 4"


def test_score_labels_of_other_count_names_are_not_confused() -> None:
    hf = paper("2501.00001", 120.0, upvotes=120, github_stars=900)
    tw = paper("2501.00002", 3.0, retweets=1, favorites=1)
    both = paper("2501.00003", 3.0, upvotes=1, hn_points=2)
    assert score_label(hf) == "▲ 120 on Hugging Face · 900★ GitHub"
    assert score_label(tw) == "1 retweets · 1 favorites"
    assert score_label(both) == "▲ 1 on Hugging Face · 2 points HN"
    assert score_label(hf) == "▲ 120 on Hugging Face · 900★ GitHub"
