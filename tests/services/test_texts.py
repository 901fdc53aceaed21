"""The pure text of `/digest status`, `/history` and the cut that keeps replies within limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.errors import UserInputError
from bot.models import PostRecord, SourceHealth, Subscription
from bot.services.outcomes import next_unposted, window_days
from bot.services.status import status_text
from bot.services.texts import fit_lines, parse_day, source_problem

NOW = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)


def sub(channel_id: int = 1, **kw: object) -> Subscription:
    base: dict[str, object] = {
        "guild_id": 9,
        "channel_id": channel_id,
        "id": channel_id,
        "post_time": "09:00",
        "timezone": "UTC",
        "created_at": datetime(2021, 3, 1, tzinfo=UTC),
    }
    return Subscription(**{**base, **kw})


def post(day: date, status: str, channel_id: int = 1, **kw: object) -> PostRecord:
    return PostRecord(
        subscription_id=channel_id,
        guild_id=9,
        channel_id=channel_id,
        day=day,
        source="s",
        nonce="n",
        status=status,
        **kw,
    )


def test_fit_lines_cuts_whole_lines_and_counts_the_rest() -> None:
    lines = [f"• line {i} " + "x" * 80 for i in range(40)]
    text = fit_lines(["head"], lines, ["tail"])
    assert len(text) <= 2000
    assert text.startswith("head\n• line 0 ") and text.endswith("more.\ntail")
    shown = text.count("• line")
    assert f"… and {40 - shown} more." in text
    assert fit_lines(["head"], ["a", "b"]) == "head\na\nb"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ("hf: HTTP 503 from https://hf.co/api after 5 attempt(s)", "HTTP 503"),
        ("hf: timed out after 20s (ReadTimeout) from https://hf.co", "timed out"),
        ("hf: ConnectError: [Errno -2] Name or service not known from https://x", "no connection"),
        ("hf: HTTP 429, asked to retry after 900s (longer than 120s)", "HTTP 429"),
        ("hf: body is not JSON", "a bad answer"),
        (None, "no answer"),
    ],
)
def test_a_failing_source_is_named_by_kind_never_by_its_raw_error(
    error: str | None, kind: str
) -> None:
    assert source_problem(error) == kind


def test_status_shows_pause_trouble_first_and_no_raw_source_error() -> None:
    healthy, troubled = sub(1), sub(2)
    posts = [
        post(date(2021, 3, 12), "sent", 1, message_ids=[5]),
        post(date(2021, 3, 11), "sent", 1, message_ids=[4]),
        post(date(2021, 3, 11), "sent", 2, message_ids=[3]),
        post(date(2021, 3, 12), "failed", 2, error="503"),
    ]
    days = {
        s.channel_id: window_days(
            s,
            [p for p in posts if p.channel_id == s.channel_id],
            NOW,
            days=3,
            lag_days=1,
            grace=timedelta(hours=12),
            guild_id=9,
        )
        for s in (healthy, troubled)
    }
    health = [
        SourceHealth(
            source="s",
            ok=False,
            checked_at=NOW,
            last_ok_at=NOW - timedelta(days=2),
            error="s: ConnectError: [Errno -2] Name or service not known from https://x",
            consecutive_failures=4,
        )
    ]
    text = status_text(
        [healthy, troubled],
        health,
        {"s"},
        posts=posts,
        days=days,
        next_slots={},
        scheduler_running=True,
        last_tick=NOW,
        paused="Discord's global rate limit: posting resumes in 45 s",
    )
    lines = text.splitlines()
    assert lines[2] == "Posting: **paused**: Discord's global rate limit: posting resumes in 45 s"
    assert text.index("<#2>") < text.index("<#1>")  # the channel with a failed day first
    assert "\n  03-13 not yet due · 03-12 ⚠️ failed — 503 · 03-11 ✅\n" in text
    assert "\n  03-13 not yet due · 03-12 ✅ · 03-11 ✅\n" in text
    assert lines[-1] == (
        "Source s: **failing** (4×, no connection): unreachable since <t:1615453200:f>, "
        "last tried <t:1615626000:R>"
    )
    assert "Errno" not in text and "https://" not in text


def test_next_post_skips_days_already_done() -> None:
    s = sub(post_time="23:00")
    first = next_unposted(s, NOW, lag_days=1, done=set())
    assert first.day == date(2021, 3, 12)
    assert next_unposted(s, NOW, lag_days=1, done={date(2021, 3, 12)}).day == date(2021, 3, 13)


def test_dates_outside_arxivs_life_are_refused_before_any_arithmetic() -> None:
    today = date(2021, 3, 13)
    assert parse_day("1991-08-14", today=today) == date(1991, 8, 14)
    assert parse_day("2021-03-14", today=today) == date(2021, 3, 14)
    for bad in ("0001-01-01", "9999-12-31", "1991-08-13", "2021-03-15"):
        with pytest.raises(UserInputError, match="outside arXiv's life"):
            parse_day(bad, today=today)
    with pytest.raises(UserInputError, match=r"^`<\u200b@1>` is not a date"):
        parse_day("<@1>", today=today)
