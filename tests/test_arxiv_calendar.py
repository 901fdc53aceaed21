"""arXiv's announcement calendar: weekends, holidays, DST weeks, submission windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot import arxiv_calendar as cal


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_listing_every_weekday_none_on_weekends() -> None:
    week = [date(2026, 5, 11) + timedelta(days=i) for i in range(7)]  # Mon .. Sun
    assert [cal.has_announcement(d) for d in week] == [True] * 5 + [False] * 2
    assert cal.no_announcement(date(2026, 5, 16)) == "no arXiv announcement on Saturdays"
    assert cal.no_announcement(date(2026, 5, 17)) == "no arXiv announcement on Sundays"
    assert cal.no_announcement(date(2026, 5, 15)) is None  # Friday: Thursday night's listing


def test_the_listing_is_announced_at_20_eastern_the_evening_before() -> None:
    # Summer (EDT, UTC-4): 20:00 is midnight UTC of the listing's own date.
    assert cal.announced_at(date(2026, 7, 14)) == utc(2026, 7, 14, 0, 0)
    # Winter (EST, UTC-5): 01:00 UTC.
    assert cal.announced_at(date(2026, 1, 14)) == utc(2026, 1, 14, 1, 0)
    assert cal.announced_at(date(2026, 5, 16)) is None


def test_spring_forward_week() -> None:
    # US DST starts Sunday 2026-03-08 02:00: Sunday evening's announcement is already EDT.
    assert cal.announced_at(date(2026, 3, 6)) == utc(2026, 3, 6, 1)  # Thursday night, EST
    assert cal.announced_at(date(2026, 3, 9)) == utc(2026, 3, 9, 0)  # Sunday night, EDT
    # Sunday's announcement: Thursday 14:00 EST to Friday 14:00 EST.
    assert cal.window(date(2026, 3, 9)) == (utc(2026, 3, 5, 19), utc(2026, 3, 6, 19))
    # Monday's: Friday 14:00 EST to Monday 14:00 EDT, an hour short of three days.
    start, end = cal.window(date(2026, 3, 10))
    assert (start, end) == (utc(2026, 3, 6, 19), utc(2026, 3, 9, 18))
    assert end - start == timedelta(hours=71)


def test_fall_back_week() -> None:
    # US DST ends Sunday 2026-11-01 02:00: Sunday evening's announcement is EST.
    assert cal.announced_at(date(2026, 10, 30)) == utc(2026, 10, 30, 0)
    assert cal.announced_at(date(2026, 11, 2)) == utc(2026, 11, 2, 1)
    start, end = cal.window(date(2026, 11, 3))
    assert (start, end) == (utc(2026, 10, 30, 18), utc(2026, 11, 2, 19))
    assert end - start == timedelta(hours=73)


def test_ordinary_weekday_window_is_one_day() -> None:
    assert cal.window(date(2026, 5, 13)) == (utc(2026, 5, 11, 18), utc(2026, 5, 12, 18))


def test_thanksgiving_cancels_fridays_listing_and_rolls_into_monday() -> None:
    friday = date(2026, 11, 27)
    assert cal.no_announcement(friday) == "no arXiv announcement (arXiv holiday: Thanksgiving)"
    with pytest.raises(ValueError, match="no arXiv listing"):
        cal.window(friday)
    # As arXiv's notices say: Wednesday 14:00 to Friday 14:00, announced Sunday 20:00.
    assert cal.window(date(2026, 11, 30)) == (utc(2026, 11, 25, 19), utc(2026, 11, 27, 19))
    assert cal.previous_day(date(2026, 11, 30)) == date(2026, 11, 26)


def test_monday_holiday_rolls_into_tuesdays_announcement() -> None:
    # Martin Luther King Jr. Day 2026-01-19: no Monday 20:00 announcement (no Tuesday listing);
    # Tuesday's covers Friday 14:00 to Tuesday 14:00, as arXiv's 2020 MLK notice did.
    assert not cal.has_announcement(date(2026, 1, 20))
    assert cal.window(date(2026, 1, 21)) == (utc(2026, 1, 16, 19), utc(2026, 1, 20, 19))


def test_year_end_2026() -> None:
    days = [date(2026, 12, 26) + timedelta(days=i) for i in range(8)]  # Sat 26 .. Sat 2 Jan
    have = [d for d in days if cal.has_announcement(d)]
    # Sun 27 (after Christmas), Tue 29 and Thu 31 are cancelled: listings Tue 29, Thu 31 only.
    assert have == [date(2026, 12, 29), date(2026, 12, 31)]
    assert "Christmas" in (cal.no_announcement(date(2026, 12, 28)) or "")


def test_holiday_table_is_announcement_evenings_and_says_what_it_inferred() -> None:
    table = cal.holidays()
    assert len(table) >= 30
    for h in table.values():
        assert h.evening.weekday() not in (cal.FRIDAY, cal.SATURDAY)
        if h.inferred:
            assert h.published.weekday() == cal.FRIDAY
            assert h.evening == h.published + timedelta(days=2)
        else:
            assert h.evening == h.published


def test_latest_day() -> None:
    assert cal.latest_day(utc(2026, 5, 16, 12)) == date(2026, 5, 15)  # Saturday: Friday's
    assert cal.latest_day(utc(2026, 5, 17, 23, 59)) == date(2026, 5, 15)  # Sunday night UTC
    assert cal.latest_day(utc(2026, 5, 18, 0, 0)) == date(2026, 5, 18)  # Sunday 20:00 EDT
    assert cal.latest_day(utc(2026, 1, 12, 0, 30)) == date(2026, 1, 9)  # EST: not yet at 00:30
    assert cal.latest_day(utc(2026, 1, 12, 1, 0)) == date(2026, 1, 12)
    with pytest.raises(ValueError, match="aware"):
        cal.latest_day(datetime(2026, 1, 12))


def test_the_feed_shows_the_eastern_days_listing_from_midnight() -> None:
    # Listing Wed 2026-05-13: announced Tue 20:00 EDT (00:00 UTC), in the feed from 04:00 UTC.
    assert cal.feed_day(utc(2026, 5, 13, 3, 59)) == date(2026, 5, 12)
    assert cal.feed_day(utc(2026, 5, 13, 4, 0)) == date(2026, 5, 13)
    assert cal.feed_day(utc(2026, 5, 16, 12)) is None  # Saturday: the feeds are empty
    assert cal.feed_day(utc(2026, 11, 27, 12)) is None  # the Friday after Thanksgiving


def test_the_holiday_table_says_how_far_it_speaks() -> None:
    """An attacker found that 2027 holidays would silently read as announcement days: the
    table's end is known, and the listing warns once when asked past it."""
    end = cal.known_through()
    assert end.month == 12 and end.day == 31
    assert all(h.published <= end for h in cal.holidays().values())
