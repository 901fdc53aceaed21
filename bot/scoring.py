"""One score from every crowd: the blend that ranks a day's papers within their category. Pure.

A day's papers (the arXiv announcement) are discussed by several crowds at once: Hugging Face
upvotes, Hacker News points, Bluesky likes. Their counts are not comparable (a front-page HN
story has 500 points, a well-liked Bluesky post 40 likes) and they are not spread evenly over
the fields (Hugging Face is mostly machine learning). So counts are never added up raw:

1. **A crowd's strength for a paper** is the weighted sum of the crowd's score metrics, as the
   crowd's module declares them (`bot.sources.metrics.MetricSet.score`; e.g. Bluesky's likes,
   reposts and quotes). Negative strengths count as 0.
2. **Normalised per crowd, within the paper's primary category and day**: with `M` the largest
   strength that crowd gave any paper of the same primary category that day,

       share = ln(1 + strength) / ln(1 + max(M, FLOOR))

   a number in [0, 1]: the category's most discussed paper in that crowd has 1, one with a
   tenth of its count about half (the log keeps one runaway paper from flattening the rest).
   `FLOOR` (10) stops a quiet category's only mention (1 like) from counting as much as a
   day's most discussed paper: 1 like is ln 2 / ln 11 = 0.29.
3. **The score is the sum of the shares of the crowds that discussed the paper**, times
   `SCALE` (100), rounded to `DIGITS` (2) decimals: every crowd adds at most 100, so one loud
   crowd cannot drown the others, and a paper two crowds discuss ranks above one only one
   crowd discusses as much. A crowd that did not discuss a paper adds nothing (it is absent,
   not a zero count).
4. **A paper no crowd discussed has no score** (`None`): it is listed after every paper with
   one, in announcement order (by id), and shown as "no discussion yet" (`NO_DISCUSSION`).
   A crowd that listed the paper with a zero count (Hugging Face, 0 upvotes) did discuss it:
   its share is 0 and the paper's score is 0.0, not None.

Because every share is relative to the paper's own category, a `math.AG` paper with three
HN points can top `math.AG` while `cs.LG` papers have hundreds of upvotes: ML does not top
every category. Scores compare papers within a category; across categories (an unfiltered
list) they interleave the categories' leaders. Papers without a category form one group
("" ). The result depends only on the counts (no clock, no order of input): deterministic.
docs/ranking.md works one example through; tests/test_scoring.py pins its numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "DIGITS",
    "FLOOR",
    "NO_DISCUSSION",
    "SCALE",
    "SERVER",
    "Blended",
    "blend",
    "categories_of",
    "order_key",
    "ranked_ids",
    "share",
    "with_votes",
]

FLOOR = 10.0  # a crowd's category maximum counts as at least this
SCALE = 100.0  # each crowd adds at most this much
DIGITS = 2  # scores are rounded, so equal inputs give equal, printable scores
NO_DISCUSSION = "no discussion yet"
SERVER = "server"  # a server's 👍 votes, as one more crowd (a subscription's `server_votes`)


@dataclass(frozen=True)
class Blended:
    """One paper's blended score and where it came from: each crowd's share in [0, 1]."""

    score: float | None  # None: no crowd discussed the paper
    shares: Mapping[str, float]  # crowd name -> share (rounded to 4 decimals), crowds present


def share(strength: float, category_max: float) -> float:
    """ln(1 + strength) / ln(1 + max(category_max, FLOOR)), in [0, 1] (see the module doc)."""
    x = max(0.0, strength)
    top = max(category_max, x, FLOOR)
    return math.log1p(x) / math.log1p(top)


def blend(
    categories: Mapping[str, str], strengths: Mapping[str, Mapping[str, float]]
) -> dict[str, Blended]:
    """Every paper's blended score (module doc, steps 2 to 4).

    `categories`: arXiv id -> primary category ("" when unknown), one entry per paper of the
    day. `strengths`: crowd name -> {arXiv id -> that crowd's strength for the paper}, only
    for papers the crowd discussed; ids not in `categories` are ignored.
    """
    maxima: dict[tuple[str, str], float] = {}
    for crowd, by_id in strengths.items():
        for arxiv_id, strength in by_id.items():
            if arxiv_id not in categories:
                continue
            key = (crowd, categories[arxiv_id])
            maxima[key] = max(maxima.get(key, 0.0), max(0.0, strength))
    out: dict[str, Blended] = {}
    for arxiv_id, category in categories.items():
        shares: dict[str, float] = {}
        for crowd in sorted(strengths):
            found = strengths[crowd].get(arxiv_id)
            if found is not None:
                shares[crowd] = share(found, maxima[(crowd, category)])
        score = round(SCALE * sum(shares.values()), DIGITS) if shares else None
        out[arxiv_id] = Blended(score, {k: round(v, 4) for k, v in shares.items()})
    return out


def order_key(
    score: float | None, tiebreak: float, arxiv_id: str
) -> tuple[bool, float, float, str]:
    """Sort key: papers with a score first, higher first; then more tiebreak signal; then id."""
    return (score is None, -(score or 0.0), -tiebreak, arxiv_id)


def ranked_ids(scores: Mapping[str, Blended], tiebreak: Mapping[str, float]) -> list[str]:
    """The ids of `scores` in rank order (`order_key`)."""
    return sorted(scores, key=lambda i: order_key(scores[i].score, tiebreak.get(i, 0.0), i))


def categories_of(papers: Iterable[tuple[str, list[str]]]) -> dict[str, str]:
    """arXiv id -> primary category ("" when it has none) from (id, categories) pairs."""
    return {arxiv_id: (cats[0] if cats else "") for arxiv_id, cats in papers}


def with_votes(
    categories: Mapping[str, str],
    scores: Mapping[str, float | None],
    votes: Mapping[str, int],
    *,
    weight: float = SCALE,
) -> dict[str, float | None]:
    """Each paper's score with this server's 👍 votes as one more crowd (a subscription with
    `server_votes`): the votes' share within the paper's category (step 2, with the same
    `FLOOR`: one vote in a quiet category is 0.29, not 1), times `weight`, added to the score.
    `weight` is what one crowd weighs at most: `SCALE` in a blend; the caller passes the
    day's top score for a single-source digest, whose one crowd is the source. A paper nobody
    voted for keeps its score (None stays None); one with votes and no score gets the votes'
    part alone. Rounded to `DIGITS`, like every score.
    """
    voted = {i: float(n) for i, n in votes.items() if n > 0 and i in categories}
    shares = blend(categories, {SERVER: voted}) if voted else {}
    out: dict[str, float | None] = {}
    for arxiv_id, score in scores.items():
        found = shares.get(arxiv_id)
        part = found.shares.get(SERVER) if found is not None else None
        if part is None:
            out[arxiv_id] = score
        else:
            out[arxiv_id] = round((score or 0.0) + weight * part, DIGITS)
    return out
