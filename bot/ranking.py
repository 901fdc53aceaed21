"""Scores, their provenance, and deterministic ranking. Pure.

A score is never a bare number: `score_label` always says where it came from, e.g.
`▲ 120 on Hugging Face · 900★ GitHub` or `710 retweets · 293 favorites`. No metric is named
here: each source declares its metrics (`bot.sources.metrics`, in the source's module) and
this module reads them from the registry at call time. A paper's counts are matched to the
first source (in registry order) one of whose score metrics it has; a paper with none is
shown by its bare score (`score 3.5`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.models import Paper
from bot.sources import metrics, registry
from bot.sources.metrics import MetricSet, Rankable

__all__ = ["Rankable", "metric_set", "rank", "rank_key", "score_label", "signal"]


def metric_set(counts: Mapping[str, int] | Iterable[str]) -> MetricSet | None:
    """The registered source metrics these counts (or count names) are, if any."""
    for found in registry.REGISTRY.metric_sets:
        if found.matches(counts):
            return found
    return None


def score_label(paper: Paper) -> str:
    """Human-readable score with its origin, built from the paper's metrics."""
    found = metric_set(paper.metrics)
    if found is not None:
        return found.label(paper.metrics)
    score = int(paper.score) if paper.score == int(paper.score) else paper.score
    return f"score {score}"


def signal(papers: Iterable[Paper]) -> str:
    """What a list of papers is ranked by, in words: "Hugging Face upvotes", "score"."""
    names: set[str] = set()
    for p in papers:
        names.update(p.metrics)
    found = metric_set(names)
    return found.signal if found is not None else "score"


def rank_key(paper: Rankable) -> tuple[float, int, str]:
    """Sort key: higher score first; ties by more tiebreak signal, then by id (stable)."""
    return metrics.rank_key(paper, registry.REGISTRY.tiebreak)


def rank(papers: Iterable[Paper]) -> list[Paper]:
    """Papers in rank order, deterministically, with duplicates (same id) merged to the best."""
    return metrics.rank(papers, registry.REGISTRY.tiebreak)
