"""Scores, their provenance, and deterministic ranking. Pure.

A score is never a bare number: `score_label` always says where it came from, e.g.
`▲ 120 on Hugging Face · 900★ GitHub` or `710 retweets · 293 favorites`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from bot.models import Paper


class Rankable(Protocol):
    """What ranking reads: a `Paper`, or an `Entry` (a paper's place in a digest, no text)."""

    @property
    def arxiv_id(self) -> str: ...

    @property
    def score(self) -> float: ...

    @property
    def metrics(self) -> Mapping[str, int]: ...


def hotpapers_score(retweets: int, favorites: int) -> float:
    """The blog's ranking signal: retweets + favorites."""
    return float(retweets + favorites)


def hf_score(upvotes: int) -> float:
    """Hugging Face Daily Papers: community upvotes are the rank signal."""
    return float(upvotes)


def _fmt(n: int) -> str:
    return f"{n:,}"


def score_label(paper: Paper) -> str:
    """Human-readable score with its origin, built from the paper's metrics."""
    m = paper.metrics
    parts: list[str] = []
    if "upvotes" in m:
        parts.append(f"▲ {_fmt(m['upvotes'])} on Hugging Face")
        if m.get("github_stars"):
            parts.append(f"{_fmt(m['github_stars'])}★ GitHub")
        if m.get("comments"):
            parts.append(f"{_fmt(m['comments'])} comments")
    elif "retweets" in m or "favorites" in m:
        parts.append(f"{_fmt(m.get('retweets', 0))} retweets")
        parts.append(f"{_fmt(m.get('favorites', 0))} favorites")
    else:
        score = int(paper.score) if paper.score == int(paper.score) else paper.score
        parts.append(f"score {score}")
    return " · ".join(parts)


def rank_key(paper: Rankable) -> tuple[float, int, str]:
    """Sort key: higher score first; ties by more secondary signal, then by id (stable)."""
    secondary = paper.metrics.get("github_stars", 0) + paper.metrics.get("comments", 0)
    return (-paper.score, -secondary, paper.arxiv_id)


def rank(papers: Iterable[Paper]) -> list[Paper]:
    """Papers in rank order, deterministically, with duplicates (same id) merged to the best."""
    best: dict[str, Paper] = {}
    for p in papers:
        cur = best.get(p.arxiv_id)
        if cur is None or rank_key(p) < rank_key(cur):
            best[p.arxiv_id] = p
    return sorted(best.values(), key=rank_key)
