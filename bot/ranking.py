"""Scores, their provenance, and deterministic ranking. Pure.

A score is never a bare number: `score_label` always says where it came from, e.g.
`▲ 120 on Hugging Face · 900★ GitHub` or `710 retweets · 293 favorites`. No metric is named
here: each source declares its metrics (`bot.sources.metrics`, in the source's module) and
this module reads them from the registry at call time. A paper's counts are matched to the
sources (in registry order) one of whose score metrics it has, each shown in turn; a paper
with none is shown by its bare score (`score 3.5`), or as "no discussion yet" when it has no
score (a blended paper no crowd discussed, `bot.scoring`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.models import Entry, Paper
from bot.scoring import NO_DISCUSSION
from bot.sources import metrics, registry
from bot.sources.metrics import MetricSet, Rankable

__all__ = [
    "Rankable",
    "blend_signal",
    "crowd_label",
    "metric_set",
    "metric_sets",
    "rank",
    "rank_entries",
    "rank_key",
    "score_label",
    "signal",
]


def metric_set(counts: Mapping[str, int] | Iterable[str]) -> MetricSet | None:
    """The registered source metrics these counts (or count names) are, if any."""
    for found in registry.REGISTRY.metric_sets:
        if found.matches(counts):
            return found
    return None


def metric_sets(counts: Mapping[str, int] | Iterable[str]) -> list[MetricSet]:
    """Every registered source's metrics these counts (or names) include, in registry order.

    A blended paper carries several crowds' counts at once (metric names are unique across
    sources: the registry refuses two sources declaring one name differently).
    """
    names = counts if isinstance(counts, Mapping) else set(counts)
    return [found for found in registry.REGISTRY.metric_sets if found.matches(names)]


class _SetsByNames:
    """`metric_sets` of a paper's count names, remembered per name tuple: `score_label` runs
    for every paper of every rendered list, and a store holds a handful of name combinations.
    Keyed on the registry's tuple of sets too (a test may register a source); bounded."""

    LIMIT = 256

    def __init__(self) -> None:
        self.sets: tuple[MetricSet, ...] | None = None
        self.found: dict[tuple[str, ...], list[MetricSet]] = {}

    def __call__(self, counts: Mapping[str, int]) -> list[MetricSet]:
        current = registry.REGISTRY.metric_sets
        if current is not self.sets or len(self.found) >= self.LIMIT:
            self.sets, self.found = current, {}
        names = tuple(counts)
        found = self.found.get(names)
        if found is None:
            found = self.found[names] = [s for s in current if s.matches(names)]
        return found


_sets_of = _SetsByNames()


def score_label(paper: Paper) -> str:
    """Human-readable score with its origin, built from the paper's metrics.

    Each crowd's counts in registry order (`▲ 120 on Hugging Face · 45 points on Hacker
    News`); a paper with no score and no counts (a blended paper no crowd discussed) is
    "no discussion yet"; counts of no registered source show the bare score.
    """
    counts = paper.metrics
    found = _sets_of(counts)
    if len(found) == 1:
        return found[0].label(counts)  # one crowd: most papers
    if found:
        return " · ".join([m.label(counts) for m in found])
    if paper.score is None:
        return NO_DISCUSSION
    score = int(paper.score) if paper.score == int(paper.score) else paper.score
    return f"score {score}"


def crowd_label(name: str, counts: Mapping[str, int]) -> str:
    """One crowd's part of a paper's counts (`/paper`'s breakdown); "" when it has none."""
    spec = registry.REGISTRY.by_name.get(name)
    if spec is None or not spec.metrics.matches(counts):
        return ""
    return spec.metrics.label(counts)


def blend_signal(ok: Sequence[str], failed: Mapping[str, str]) -> str:
    """What a blended list is ranked by: "Hugging Face + Hacker News within each category",
    and which crowd did not answer ("Bluesky did not answer")."""
    titles = [registry.title(n) for n in ok]
    ranked = " + ".join(titles) if titles else "no crowd"
    text = f"{ranked} within each category"
    if failed:
        down = ", ".join(registry.title(n) for n in failed)
        text += f" · {down} did not answer"
    return text


def signal(papers: Iterable[Paper]) -> str:
    """What a list of papers is ranked by, in words: "Hugging Face upvotes", "score"."""
    names: set[str] = set()
    for p in papers:
        names.update(p.metrics)
    found = metric_set(names)
    return found.signal if found is not None else "score"


def rank_key(paper: Rankable) -> metrics.RankKey:
    """Sort key: higher score first; ties by more tiebreak signal, then by id (stable)."""
    return metrics.rank_key(paper, registry.REGISTRY.tiebreak)


def rank(papers: Iterable[Paper]) -> list[Paper]:
    """Papers in rank order, deterministically, with duplicates (same id) merged to the best."""
    return metrics.rank(papers, registry.REGISTRY.tiebreak)


def rank_entries(entries: Iterable[Entry]) -> list[Entry]:
    """`rank` of a window's entries (`bot.filters.pick`): merged by id to the best, ordered."""
    return metrics.rank(entries, registry.REGISTRY.tiebreak)
