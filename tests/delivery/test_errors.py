"""The error tree's values users and operators see: how long a rate-limited post waits, what
its reason says, and how a stored failure reason is cut to one line."""

from __future__ import annotations

import math

import pytest

from bot.delivery.errors import (
    MAX_RATE_LIMIT_WAIT,
    ChannelForbidden,
    ChannelGone,
    MessageGone,
    PayloadRejected,
    PostError,
    RateLimitedPost,
    TransientPostError,
    bounded_wait,
    short,
)


def test_the_longest_wait_is_an_hour() -> None:
    assert MAX_RATE_LIMIT_WAIT == 3600.0


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        (0.0, 0.0),
        (2.5, 2.5),
        (3600.0, 3600.0),
        (3600.5, 3600.0),
        (1e12, 3600.0),
        (-1.0, 0.0),
        (-0.25, 0.0),
        (math.inf, 3600.0),
        (-math.inf, 3600.0),
        (math.nan, 3600.0),
    ],
)
def test_a_rate_limits_wait_is_kept_between_zero_and_an_hour(given: float, kept: float) -> None:
    assert bounded_wait(given) == kept


def test_a_rate_limited_post_says_its_scope_and_its_bounded_wait() -> None:
    local = RateLimitedPost(42.4)
    assert str(local) == "rate limited for 42 s"
    assert local.retry_after == 42.4 and local.is_global is False
    glob = RateLimitedPost(7.6, is_global=True)
    assert str(glob) == "global rate limit for 8 s"
    assert glob.is_global is True
    absurd = RateLimitedPost(math.inf)
    assert absurd.retry_after == 3600.0 and str(absurd) == "rate limited for 3600 s"
    assert RateLimitedPost(-3.0).retry_after == 0.0


def test_the_tree_is_as_drawn() -> None:
    for kind in (ChannelForbidden, ChannelGone, MessageGone, PayloadRejected, TransientPostError):
        assert issubclass(kind, PostError)
    assert issubclass(RateLimitedPost, TransientPostError)
    assert not issubclass(PayloadRejected, TransientPostError)


def test_a_short_reason_is_the_text_on_one_line() -> None:
    assert short(ValueError("  Missing\n  Permissions\t(50013) ")) == "Missing Permissions (50013)"


def test_a_reason_of_exactly_the_limit_is_kept_and_a_longer_one_cut_to_it() -> None:
    exact = "x" * 160
    assert short(ValueError(exact)) == exact
    cut = short(ValueError("y" * 161))
    assert cut == "y" * 159 + "…" and len(cut) == 160
    assert short(ValueError("abcdef"), limit=6) == "abcdef"
    assert short(ValueError("abcdefg"), limit=6) == "abcde…"
