"""What a subscription sees of a day: its filters applied, a resumed post's claimed papers.

Pure functions over models; the engine composes before it plans, `/digest preview` too.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.delivery.roles import plan_with_ping
from bot.delivery.targets import target_for
from bot.delivery.wire import Payload
from bot.filters import select, subscription_filter
from bot.models import Digest, Subscription
from bot.scoring import SCALE, categories_of, with_votes


def compose(sub: Subscription, digest: Digest) -> Digest:
    """The digest as this subscription sees it: its categories, keywords, score and limit
    (a day without arXiv announcement keeps its reason)."""
    view = select([digest], subscription_filter(sub), end=digest.day, window="day")
    if digest.no_announcement:
        view = view.model_copy(update={"no_announcement": digest.no_announcement})
    return view


def voted(digest: Digest, votes: Mapping[str, int]) -> Digest:
    """The day ranked with a server's 👍 votes as one more signal (`bot.scoring.with_votes`),
    for a subscription with `server_votes`: scores rise by the votes' share of one crowd's
    weight (100 in a blend; a single-source day's top score, its one crowd), and the papers
    are ordered by the new score (no score last), ties in the source's order. No votes: the
    digest itself."""
    if not any(n > 0 for n in votes.values()):
        return digest
    papers = digest.papers
    blended = bool(digest.signals_ok or digest.signals_failed)
    top = max((p.score for p in papers if p.score is not None), default=SCALE)
    scores = with_votes(
        categories_of((p.arxiv_id, p.categories) for p in papers),
        {p.arxiv_id: p.score for p in papers},
        votes,
        weight=SCALE if blended or top <= 0 else top,
    )
    rescored = [p.model_copy(update={"score": scores.get(p.arxiv_id, p.score)}) for p in papers]
    order = sorted(
        range(len(rescored)),
        key=lambda n: (rescored[n].score is None, -(rescored[n].score or 0.0), n),
    )
    return digest.model_copy(update={"papers": [rescored[n] for n in order]})


def plan(
    sub: Subscription, view: Digest, *, candidates: int = 0
) -> tuple[list[Payload], list[Payload]]:
    """(channel payloads, thread payloads) for a composed digest; nothing on a quiet empty day.

    `candidates`: the day's papers before the subscription's filters (an empty-day notice
    says whether the source had none or the filters removed them)."""
    steps = plan_with_ping(sub, view, target_for(sub).plan(sub, view, candidates=candidates))
    return steps.payloads("channel"), steps.payloads("thread")


def as_claimed(view: Digest, digest: Digest, claimed: list[str]) -> Digest:
    """The view a resumed post continues: the papers its claim recorded, in that order.

    The day's digest may have been refreshed, or the subscription edited, since the claim;
    recomposing would mix two selections in one post (a claimed paper skipped, another one
    twice). The caller adds claimed papers the digest no longer has (from the store).
    """
    papers = {p.arxiv_id: p for p in [*view.papers, *digest.papers]}
    kept = [papers[i] for i in claimed if i in papers]
    if [p.arxiv_id for p in view.papers] == [p.arxiv_id for p in kept]:
        return view
    return view.model_copy(update={"papers": kept})


def empty_reason(sub: Subscription, digest: Digest) -> str:
    """Why a subscription's view of `digest` has no papers, in words a moderator can act on."""
    total = len(digest.papers)
    if digest.no_announcement:
        why = digest.no_announcement
    elif total == 0:
        why = "the source had no papers that day"
    elif total == 1:
        why = "the channel's filters removed the day's only paper"
    else:
        why = f"the channel's filters removed all {total} papers"
    if not sub.post_empty:
        why += " (nothing posted: post_empty is off)"
    return why
