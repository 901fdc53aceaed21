"""Cadences: which local days post, which digest days each post covers, its key day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from bot.cadence import days_of, describe, period, period_title, posts_on
from bot.models import Subscription
from bot.schedule import due_slots, next_slot, passed_slots, slot_for

LAG = 1
GRACE = timedelta(hours=12)


def sub(**kw: object) -> Subscription:
    base: dict[str, object] = {"guild_id": 1, "channel_id": 5, "id": 5, "post_time": "09:00"}
    return Subscription(**{**base, **kw})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_which_local_days_post() -> None:
    week = [date(2021, 3, 8) + timedelta(days=i) for i in range(7)]  # Monday … Sunday
    assert [posts_on(sub(), d) for d in week] == [True] * 7
    assert [posts_on(sub(cadence="weekdays"), d) for d in week] == [True] * 5 + [False] * 2
    assert [posts_on(sub(cadence="weekly", weekday=4), d) for d in week] == [
        False,
        False,
        False,
        False,
        True,
        False,
        False,
    ]
    month = [date(2021, 2, 27) + timedelta(days=i) for i in range(4)]  # 27, 28, 1, 2
    assert [posts_on(sub(cadence="monthly"), d) for d in month] == [False, False, True, False]


def test_each_cadence_covers_its_period_and_names_its_key_day() -> None:
    friday, thursday = date(2021, 3, 12), date(2021, 3, 11)
    assert period(sub(), friday, thursday) == (thursday, thursday)
    assert period(sub(cadence="weekdays"), friday, thursday) == (thursday, thursday)
    assert period(sub(cadence="weekly", weekday=4), friday, thursday) == (
        date(2021, 3, 5),
        thursday,
    )
    # a monthly post on the 1st: the previous calendar month, whatever D(L) is
    assert period(sub(cadence="monthly"), date(2021, 3, 1), date(2021, 2, 27)) == (
        date(2021, 2, 1),
        date(2021, 2, 28),
    )
    assert period(sub(cadence="monthly"), date(2021, 1, 1), date(2020, 12, 31)) == (
        date(2020, 12, 1),
        date(2020, 12, 31),
    )
    assert len(days_of(date(2021, 3, 5), thursday)) == 7


def test_slots_of_a_weekly_subscription_cover_the_past_seven_days() -> None:
    weekly = sub(cadence="weekly", weekday=4)
    slot = slot_for(weekly, date(2021, 3, 12), lag_days=LAG)
    assert (slot.start, slot.day, slot.due_at) == (
        date(2021, 3, 5),
        date(2021, 3, 11),
        utc(2021, 3, 12, 9, 0),
    )
    assert slot.key == (5, date(2021, 3, 11))
    assert next_slot(weekly, utc(2021, 3, 12, 9, 30), lag_days=LAG).local_day == date(2021, 3, 19)
    assert describe(weekly) == "every Friday (the week's top)"


def test_a_monthly_post_waits_for_the_month_to_be_complete_far_ahead_of_utc() -> None:
    # 09:00 on 1 March in Auckland (UTC+13) is 20:00 UTC on 28 February, before the month's
    # last day is complete (`complete_at`: midnight UTC after it, lag 1): the post waits.
    monthly = sub(cadence="monthly", timezone="Pacific/Auckland")
    slot = slot_for(monthly, date(2021, 3, 1), lag_days=LAG)
    assert (slot.start, slot.day) == (date(2021, 2, 1), date(2021, 2, 28))
    assert slot.slot_at == utc(2021, 2, 28, 20, 0) and slot.due_at == utc(2021, 3, 1, 0, 0)
    assert due_slots([monthly], utc(2021, 2, 28, 23, 0), grace=GRACE, lag_days=LAG) == []
    assert due_slots([monthly], utc(2021, 3, 1, 0, 0), grace=GRACE, lag_days=LAG) == [slot]


@pytest.mark.parametrize(
    ("cadence", "posts"),
    [("daily", 365), ("weekdays", 261), ("weekly", 52), ("monthly", 12)],
)
def test_a_year_of_ticks_posts_each_period_once_and_key_days_never_repeat(
    cadence: str, posts: int
) -> None:
    """Every hour of 2021 in Berlin (two DST changes): each due slot is posted at once, and
    a slot's key day is never due again."""
    s = sub(cadence=cadence, weekday=2, timezone="Europe/Berlin", created_at=utc(2020, 12, 1))
    done: set[tuple[int | None, date]] = set()
    keys: list[date] = []
    now = utc(2021, 1, 1, 0, 0)
    while now < utc(2022, 1, 1, 0, 0):
        for slot in due_slots([s], now, grace=GRACE, lag_days=LAG, done=done):
            done.add(slot.key)
            keys.append(slot.day)
        now += timedelta(hours=1)
    assert len(keys) == len(set(keys)) == posts
    if cadence == "weekly":
        assert all(b - a == timedelta(days=7) for a, b in pairwise(keys))
    if cadence == "monthly":
        assert keys[0] == date(2020, 12, 31) and keys[-1] == date(2021, 11, 30)


def test_passed_slots_of_a_weekly_subscription_are_its_post_days_only() -> None:
    weekly = sub(cadence="weekly", weekday=0, created_at=utc(2021, 2, 1))
    passed = passed_slots(
        weekly, utc(2021, 3, 16), grace=GRACE, lag_days=LAG, since=utc(2021, 3, 1)
    )
    assert [(s.local_day, s.start, s.day) for s in passed] == [
        (date(2021, 3, 1), date(2021, 2, 22), date(2021, 2, 28)),
        (date(2021, 3, 8), date(2021, 3, 1), date(2021, 3, 7)),
        (date(2021, 3, 15), date(2021, 3, 8), date(2021, 3, 14)),
    ]


def test_a_resumed_subscription_never_back_posts_its_paused_days() -> None:
    resumed = sub(created_at=utc(2021, 3, 1), resumed_at=utc(2021, 3, 12, 10, 0))
    # the 09:00 slot of the 12th fell while it was paused: not due at 10:30, though within
    # the catch-up window, and not counted as missed either
    assert due_slots([resumed], utc(2021, 3, 12, 10, 30), grace=GRACE, lag_days=LAG) == []
    passed = passed_slots(
        resumed, utc(2021, 3, 13, 22, 0), grace=GRACE, lag_days=LAG, since=utc(2021, 3, 10)
    )
    assert [s.local_day for s in passed] == [date(2021, 3, 13)]
    paused = resumed.model_copy(update={"paused": True})
    assert due_slots([paused], utc(2021, 3, 13, 9, 0), grace=GRACE, lag_days=LAG) == []


def test_titles_of_periods() -> None:
    day = date(2021, 3, 11)
    assert period_title("daily", day, day, "Hot Papers 2021-03-11") == "Hot Papers 2021-03-11"
    assert period_title("weekly", date(2021, 3, 5), day, None) == (
        "Hot Papers of the week 2021-03-05 – 2021-03-11"
    )
    assert period_title("monthly", date(2021, 2, 1), date(2021, 2, 28), None) == (
        "Hot Papers of February 2021"
    )
