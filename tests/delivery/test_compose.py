"""What a subscription sees of a day, and why an empty view is empty (for /digest status)."""

from __future__ import annotations

import pytest

from bot.cli.preview import sample_digest
from bot.delivery import as_claimed, compose, empty_reason
from bot.models import Digest, Subscription


def sub(**kw: object) -> Subscription:
    return Subscription(guild_id=1, channel_id=5, **kw)


@pytest.mark.parametrize(
    ("papers", "post_empty", "why"),
    [
        (0, True, "the source had no papers that day"),
        (1, True, "the channel's filters removed the day's only paper"),
        (3, True, "the channel's filters removed all 3 papers"),
        (0, False, "the source had no papers that day (nothing posted: post_empty is off)"),
        (
            2,
            False,
            "the channel's filters removed all 2 papers (nothing posted: post_empty is off)",
        ),
    ],
)
def test_empty_reason(papers: int, post_empty: bool, why: str) -> None:
    digest = sample_digest().model_copy(update={"papers": sample_digest().papers[:papers]})
    assert empty_reason(sub(post_empty=post_empty), digest) == why


def test_compose_applies_the_subscriptions_filters_and_limit() -> None:
    view = compose(sub(categories=["cs.CV"], limit=2), sample_digest())
    cv = [p.arxiv_id for p in sample_digest().papers if "cs.CV" in p.categories]
    assert [p.arxiv_id for p in view.papers] == cv[:2]


def test_as_claimed_keeps_the_claimed_papers_in_their_order() -> None:
    digest = sample_digest()
    view = compose(sub(limit=3), digest)
    claimed = [digest.papers[4].arxiv_id, digest.papers[0].arxiv_id, "9999.99999"]
    kept = as_claimed(view, digest, claimed)
    assert [p.arxiv_id for p in kept.papers] == claimed[:2]
    same = [p.arxiv_id for p in view.papers]
    assert as_claimed(view, digest, same) is view
    assert as_claimed(view, Digest(day=digest.day, source="s"), same) is view
