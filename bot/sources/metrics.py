"""Metric descriptors: what a source's counts are called, how they are shown, how they rank.

A paper carries raw counts by name (`Paper.metrics`, e.g. `{"upvotes": 120, "github_stars":
900}`). Each source declares, in its own module, a `MetricSet` saying for each count:

- `name`: its key in `Paper.metrics`;
- `label`: what it is, in words, for "Ranked by …" ("Hugging Face upvotes");
- `shown`: how one count is written, `{n}` standing for the count with thousands separators,
  unit and emoji included ("▲ {n} on Hugging Face", "{n}★ GitHub");
- `enters`: how it enters the ranking: `"score"` (summed, times `weight`, into the paper's
  score), `"tiebreak"` (summed, times `weight`, to order papers of equal score) or `"none"`
  (shown only).

A score metric is always shown (it is where the score came from; an absent count shows as 0);
any other metric only when it is not zero. `bot.ranking` and `bot.render` read these
descriptors through the registry and name no metric themselves. Pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

Enters = Literal["score", "tiebreak", "none"]


class Rankable(Protocol):
    """What ranking reads: a `Paper`, or an `Entry` (a paper's place in a digest, no text)."""

    @property
    def arxiv_id(self) -> str: ...

    @property
    def score(self) -> float | None: ...

    @property
    def metrics(self) -> Mapping[str, int]: ...


R = TypeVar("R", bound=Rankable)


@dataclass(frozen=True)
class Metric:
    """One count a source reports (see the module docstring for each field)."""

    name: str
    label: str
    shown: str
    enters: Enters = "none"
    weight: int = 1

    def __post_init__(self) -> None:
        if "{n}" not in self.shown:
            raise ValueError(f"metric {self.name!r}: shown must contain {{n}}: {self.shown!r}")

    def text(self, count: int) -> str:
        """One count as it is shown: `shown` with `{n}` replaced by `1,234`."""
        return self.shown.replace("{n}", f"{count:,}")


@dataclass(frozen=True)
class MetricSet:
    """The metrics of one source, in the order they are shown."""

    metrics: tuple[Metric, ...] = ()
    scoring: tuple[Metric, ...] = field(init=False, repr=False, compare=False)
    # Precomputed once: `matches` and `label` run for every paper of every rendered list.
    scoring_names: frozenset[str] = field(init=False, repr=False, compare=False)
    _shown: tuple[tuple[str, bool, Metric], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [m.name for m in self.metrics]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"metric declared twice: {', '.join(twice)}")
        scoring = tuple(m for m in self.metrics if m.enters == "score")
        if self.metrics and not scoring:
            raise ValueError(f"metrics {', '.join(names)}: none enters the score")
        object.__setattr__(self, "scoring", scoring)
        object.__setattr__(self, "scoring_names", frozenset(m.name for m in scoring))
        shown = tuple((m.name, m.enters == "score", m) for m in self.metrics)
        object.__setattr__(self, "_shown", shown)

    def matches(self, counts: Mapping[str, int] | Iterable[str]) -> bool:
        """Whether counts (or their names) come from this source: one of its score metrics."""
        return not self.scoring_names.isdisjoint(counts)

    def score(self, counts: Mapping[str, int]) -> float:
        """The score of a paper with these counts: the weighted sum of the score metrics."""
        return float(sum(m.weight * counts.get(m.name, 0) for m in self.scoring))

    def label(self, counts: Mapping[str, int]) -> str:
        """`▲ 120 on Hugging Face · 900★ GitHub`: the score metrics always, others if not 0."""
        parts = []
        for name, always, metric in self._shown:
            count = counts.get(name, 0)
            if always or count:
                parts.append(metric.text(count))
        return " · ".join(parts)

    @property
    def signal(self) -> str:
        """What the score is, in words: "Hugging Face upvotes", "retweets + favorites"."""
        return " + ".join(m.label for m in self.scoring)


def tiebreak_keys(sets: Iterable[MetricSet]) -> tuple[tuple[str, int], ...]:
    """(name, weight) of every tiebreak metric of `sets`, each name once, in order."""
    seen: dict[str, int] = {}
    for s in sets:
        for m in s.metrics:
            if m.enters == "tiebreak":
                seen.setdefault(m.name, m.weight)
    return tuple(seen.items())


RankKey = tuple[bool, float, int, str]

# `rank_key` runs for every paper of every window ranked (a month: ~600), and most papers
# carry no tiebreak count at all: with the weights as a dict, one C-level `isdisjoint` says
# so instead of a loop over every registered tiebreak name (four since HN and Bluesky).
_weights_of: list[tuple[Sequence[tuple[str, int]], dict[str, int] | None]] = []


def _weights(tiebreak: Sequence[tuple[str, int]]) -> dict[str, int] | None:
    """`tiebreak` as {name: weight}, remembered for the last tuple asked about (the
    registry's is one tuple for the process); None when a name is in it twice. A list is
    not remembered: the same list may hold other names at the next call."""
    if _weights_of and _weights_of[0][0] is tiebreak:
        return _weights_of[0][1]
    weights: dict[str, int] | None = dict(tiebreak)
    if weights is not None and len(weights) != len(tiebreak):
        weights = None
    if type(tiebreak) is tuple:
        _weights_of[:] = [(tiebreak, weights)]
    return weights


def rank_key(paper: Rankable, tiebreak: Sequence[tuple[str, int]]) -> RankKey:
    """Sort key: papers with a score first, higher first; ties by more tiebreak signal, then
    by id (stable). A paper without a score (no crowd discussed it) comes after all others."""
    counts = paper.metrics
    weights = _weights(tiebreak)
    if weights is not None and weights.keys().isdisjoint(counts):
        secondary = 0  # the sum below is of ints: its order does not matter
    else:
        secondary = sum(weight * counts.get(name, 0) for name, weight in tiebreak)
    score = paper.score
    return (score is None, -(score or 0.0), -secondary, paper.arxiv_id)


def rank(papers: Iterable[R], tiebreak: Sequence[tuple[str, int]]) -> list[R]:
    """Papers in rank order, deterministically, with duplicates (same id) merged to the best."""
    best: dict[str, R] = {}
    keys: dict[str, RankKey] = {}
    names = _weights(tiebreak)
    for p in papers:
        # `rank_key`, inlined: this loop is a month's ranking.
        counts = p.metrics
        if names is not None and names.keys().isdisjoint(counts):
            secondary = 0
        else:
            secondary = sum(weight * counts.get(name, 0) for name, weight in tiebreak)
        score = p.score
        arxiv_id = p.arxiv_id
        key = (score is None, -(score or 0.0), -secondary, arxiv_id)
        cur = keys.get(arxiv_id)
        if cur is None or key < cur:
            best[arxiv_id] = p
            keys[arxiv_id] = key
    return [best[i] for i in sorted(keys, key=keys.__getitem__)]
