"""Due-time computation: time zones, daylight-saving gaps and overlaps, catch-up, the day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.models import Subscription
from bot.quoting import shown
from bot.schedule import (
    ManualClock,
    Slot,
    _aware,
    _standard_offset,
    complete_at,
    due_slots,
    format_hhmm,
    get_zone,
    latest_complete_day,
    local_today,
    next_slot,
    parse_hhmm,
    passed_slots,
    slot_for,
    slot_instant,
    utc_now,
)

LAG = 1


def sub(channel: int, at: str, zone: str, **kw: object) -> Subscription:
    return Subscription(
        guild_id=1, channel_id=channel, id=channel, post_time=at, timezone=zone, **kw
    )


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"), [("09:00", time(9)), ("9:05", time(9, 5)), (" 23:59 ", time(23, 59))]
)
def test_parse_hhmm_accepts(text: str, expected: time) -> None:
    assert parse_hhmm(text) == expected
    assert format_hhmm(expected) == text.strip().zfill(5)


@pytest.mark.parametrize("text", ["24:00", "12:60", "noon", "9", "09:00:00", "", "-1:00"])
def test_parse_hhmm_rejects_with_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "Europe/berlin ", "CEST"])
def test_get_zone_rejects_unknown_names(name: str) -> None:
    with pytest.raises(ValueError, match="IANA"):
        get_zone(name)


def test_slot_in_spring_gap_is_shifted_forward_by_the_gap() -> None:
    berlin = get_zone("Europe/Berlin")
    # 2021-03-28 02:30 does not exist in Berlin (02:00 CET -> 03:00 CEST): 03:30 CEST.
    assert slot_instant(date(2021, 3, 28), time(2, 30), berlin) == utc(2021, 3, 28, 1, 30)
    ny = get_zone("America/New_York")
    assert slot_instant(date(2021, 3, 14), time(2, 30), ny) == utc(2021, 3, 14, 7, 30)


def test_slot_in_autumn_overlap_is_the_first_occurrence() -> None:
    berlin = get_zone("Europe/Berlin")
    # 02:30 happens twice on 2021-10-31: first at 00:30 UTC (CEST), again at 01:30 UTC (CET).
    assert slot_instant(date(2021, 10, 31), time(2, 30), berlin) == utc(2021, 10, 31, 0, 30)
    ny = get_zone("America/New_York")
    assert slot_instant(date(2021, 11, 7), time(1, 30), ny) == utc(2021, 11, 7, 5, 30)


def test_the_day_is_the_latest_complete_source_day() -> None:
    assert latest_complete_day(utc(2021, 3, 13, 9), LAG) == date(2021, 3, 12)
    assert latest_complete_day(utc(2021, 3, 13, 0), 0) == date(2021, 3, 13)
    # 09:00 in New York on the 13th is 14:00 UTC: the 12th is the latest complete day.
    s = slot_for(sub(1, "09:00", "America/New_York"), date(2021, 3, 13), lag_days=LAG)
    assert s.day == date(2021, 3, 12)
    assert s.due_at == s.slot_at == utc(2021, 3, 13, 14)
    # 20:00 in Los Angeles on the 12th is 04:00 UTC on the 13th: the 12th is complete.
    s = slot_for(sub(2, "20:00", "America/Los_Angeles"), date(2021, 3, 12), lag_days=LAG)
    assert s.day == date(2021, 3, 12)


def test_an_early_slot_east_of_utc_posts_the_day_complete_at_that_instant() -> None:
    # 08:00 in Tokyo on the 13th is 23:00 UTC on the 12th: the 11th is the latest complete day.
    s = slot_for(sub(1, "08:00", "Asia/Tokyo"), date(2021, 3, 13), lag_days=LAG)
    assert s.slot_at == s.due_at == utc(2021, 3, 12, 23)
    assert s.day == date(2021, 3, 11)


def test_a_summer_slot_before_its_day_is_complete_waits_for_it() -> None:
    # London 00:30 maps to the day before (standard time = UTC). In summer 00:30 BST is 23:30
    # UTC, before that day is complete, so the post waits until 00:00 UTC (01:00 BST).
    s = slot_for(sub(1, "00:30", "Europe/London"), date(2021, 7, 2), lag_days=LAG)
    assert s.day == date(2021, 7, 1)
    assert s.slot_at == utc(2021, 7, 1, 23, 30)
    assert s.due_at == complete_at(date(2021, 7, 1), LAG) == utc(2021, 7, 2)
    winter = slot_for(sub(1, "00:30", "Europe/London"), date(2021, 1, 2), lag_days=LAG)
    assert winter.day == date(2021, 1, 1)
    assert winter.due_at == winter.slot_at == utc(2021, 1, 2, 0, 30)


ZONES = [
    ("00:30", "Europe/London"),
    ("02:30", "Europe/Berlin"),
    ("23:45", "America/New_York"),
    ("01:30", "America/New_York"),
    ("09:00", "Australia/Lord_Howe"),  # a 30-minute DST shift
    ("00:15", "Pacific/Auckland"),
    ("05:30", "Asia/Kolkata"),
    ("12:00", "America/St_Johns"),
    ("00:00", "Pacific/Kiritimati"),  # UTC+14
    ("23:59", "Pacific/Pago_Pago"),  # UTC-11
]


@pytest.mark.parametrize(("at", "zone"), ZONES)
def test_every_local_day_posts_the_next_source_day_all_year(at: str, zone: str) -> None:
    s = sub(1, at, zone)
    prev = slot_for(s, date(2020, 12, 31), lag_days=LAG)
    for n in range(1, 367):
        cur = slot_for(s, date(2020, 12, 31) + timedelta(days=n), lag_days=LAG)
        assert cur.day == prev.day + timedelta(days=1), (cur, prev)
        assert cur.due_at > prev.due_at
        assert cur.due_at >= complete_at(cur.day, LAG)  # never posts an incomplete day
        assert cur.due_at - cur.slot_at <= timedelta(hours=1)  # waits at most a DST shift
        assert cur.due_at.astimezone(get_zone(zone)).date() in (
            cur.local_day,
            cur.local_day + timedelta(days=1),
        )
        prev = cur


def run_ticks(
    subs: list[Subscription], start: datetime, end: datetime, step: timedelta, grace: timedelta
) -> dict[int, list[tuple[datetime, date]]]:
    """Drive `due_slots` like the scheduler loop does, recording each post."""
    done: set[tuple[int, date]] = set()
    posts: dict[int, list[tuple[datetime, date]]] = {s.channel_id: [] for s in subs}
    now = start
    while now <= end:
        for slot in due_slots(subs, now, grace=grace, lag_days=LAG, done=done):
            done.add((slot.channel_id, slot.day))
            posts[slot.channel_id].append((now, slot.day))
        now += step
    return posts


def test_ticking_across_both_dst_changes_posts_once_per_local_day_at_local_time() -> None:
    subs = [
        sub(1, "09:00", "Europe/Berlin"),
        sub(2, "02:30", "Europe/Berlin"),  # inside the gap and the overlap
        sub(3, "09:00", "America/New_York"),
        sub(4, "18:00", "Asia/Tokyo"),  # no DST at all
        sub(5, "01:30", "America/New_York"),
    ]
    for start in (utc(2021, 3, 10), utc(2021, 10, 27)):
        posts = run_ticks(
            subs, start, start + timedelta(days=14), timedelta(minutes=5), timedelta(hours=6)
        )
        for s in subs:
            got = posts[s.channel_id]
            zone = get_zone(s.timezone)
            assert len(got) in (14, 15), (s, got)
            days = [d for _, d in got]
            assert days == [days[0] + timedelta(days=i) for i in range(len(days))]
            locals_ = [t.astimezone(zone).date() for t, _ in got]
            assert len(set(locals_)) == len(locals_)  # never twice on one local day
        # Berlin 09:00 stays 09:00 local on both sides of the change.
        for when, _ in posts[1]:
            assert when.astimezone(get_zone("Europe/Berlin")).time() == time(9)


def test_catch_up_after_downtime_within_grace_only() -> None:
    s = sub(7, "09:00", "Europe/Berlin")
    # Down from 08:00 to 15:00 local (13:00 UTC): 09:00's post is made late.
    due = due_slots([s], utc(2021, 6, 1, 13), grace=timedelta(hours=12), lag_days=LAG)
    assert [(d.channel_id, d.day) for d in due] == [(7, date(2021, 5, 31))]
    # Beyond the grace window it is not posted (and tomorrow's is not yet due).
    assert due_slots([s], utc(2021, 6, 1, 20), grace=timedelta(hours=12), lag_days=LAG) == []
    # Already posted: nothing to do.
    assert (
        due_slots(
            [s],
            utc(2021, 6, 1, 13),
            grace=timedelta(hours=12),
            lag_days=LAG,
            done={(7, date(2021, 5, 31))},
        )
        == []
    )


def test_catch_up_spans_midnight() -> None:
    s = sub(8, "23:30", "America/New_York")
    # 23:30 EDT on June 1 = 03:30 UTC June 2. Back at 00:45 local on June 2 (04:45 UTC).
    due = due_slots([s], utc(2021, 6, 2, 4, 45), grace=timedelta(hours=3), lag_days=LAG)
    assert [d.local_day for d in due] == [date(2021, 6, 1)]
    assert due[0].day == date(2021, 6, 1)


def test_long_grace_posts_every_missed_day_oldest_first() -> None:
    s = sub(9, "09:00", "UTC")
    due = due_slots([s], utc(2021, 6, 3, 10), grace=timedelta(hours=48), lag_days=LAG)
    assert [d.day for d in due] == [date(2021, 6, 1), date(2021, 6, 2)]


def test_slots_before_the_subscription_existed_are_not_due() -> None:
    s = sub(3, "09:00", "UTC", created_at=utc(2021, 6, 1, 10))
    assert due_slots([s], utc(2021, 6, 1, 10, 1), grace=timedelta(hours=12), lag_days=LAG) == []
    due = due_slots([s], utc(2021, 6, 2, 9), grace=timedelta(hours=12), lag_days=LAG)
    assert [d.day for d in due] == [date(2021, 6, 1)]


def test_disabled_subscriptions_are_skipped_failing_ones_stay_due() -> None:
    """A failing (403) channel stays due: the scheduler retries it on a long backoff, so a
    channel whose permissions come back is posted again (issue 11)."""
    subs = [
        sub(1, "09:00", "UTC", enabled=False),
        sub(2, "09:00", "UTC", failing_reason="403 Forbidden"),
        sub(3, "09:00", "UTC"),
    ]
    due = due_slots(subs, utc(2021, 6, 1, 9), grace=timedelta(hours=1), lag_days=LAG)
    assert [d.channel_id for d in due] == [2, 3]


def test_passed_slots_are_the_windows_that_closed_in_between() -> None:
    s = sub(1, "09:00", "UTC", created_at=utc(2021, 5, 30, 12))
    grace = timedelta(hours=2)
    got = passed_slots(s, utc(2021, 6, 3, 11, 30), grace=grace, lag_days=LAG, since=utc(2021, 5, 1))
    # 05-30's slot was before the subscription; 05-31 to 06-03 closed (06-03's at 11:00)
    days = [date(2021, 5, 31), date(2021, 6, 1), date(2021, 6, 2), date(2021, 6, 3)]
    assert [p.local_day for p in got] == days
    assert [p.day for p in got] == [d - timedelta(days=1) for d in days]
    since = utc(2021, 6, 2, 12)
    later = passed_slots(s, utc(2021, 6, 3, 11, 30), grace=grace, lag_days=LAG, since=since)
    assert [p.local_day for p in later] == [date(2021, 6, 3)]  # its window closed at 11:00
    assert passed_slots(s, utc(2021, 6, 3, 10), grace=grace, lag_days=LAG, since=since) == []


def test_several_zones_at_one_instant() -> None:
    subs = [
        sub(1, "09:00", "Europe/Berlin"),  # 07:00 UTC in summer
        sub(2, "09:00", "America/New_York"),  # 13:00 UTC
        sub(3, "16:00", "Asia/Tokyo"),  # 07:00 UTC
        sub(4, "07:00", "UTC"),
    ]
    at_7 = due_slots(subs, utc(2021, 6, 1, 7), grace=timedelta(0), lag_days=LAG)
    assert sorted(d.channel_id for d in at_7) == [1, 3, 4]
    at_13 = due_slots(subs, utc(2021, 6, 1, 13), grace=timedelta(0), lag_days=LAG)
    assert [d.channel_id for d in at_13] == [2]


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_slots([], datetime(2021, 1, 1), grace=timedelta(0), lag_days=LAG)


def test_next_slot() -> None:
    s = sub(1, "09:00", "Europe/Berlin")
    nxt = next_slot(s, utc(2021, 3, 27, 9), lag_days=LAG)  # after Saturday's 08:00 UTC slot
    assert nxt.local_day == date(2021, 3, 28)
    assert nxt.due_at == utc(2021, 3, 28, 7)  # CEST from that morning
    assert next_slot(s, utc(2021, 3, 27, 7, 59), lag_days=LAG).local_day == date(2021, 3, 27)


# --- exact behaviour at each boundary (pins found by the mutation run: .ci/mutate.py) -------


def test_the_real_clock_is_aware_utc() -> None:
    now = utc_now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=5)


@pytest.mark.parametrize("text", ["24:00", "23:60", "9:5", "12:345", "noon", ""])
def test_parse_hhmm_rejects_exactly(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time") as err:
        parse_hhmm(text)
    assert str(err.value) == (
        f"`{text}` is not a time: use HH:MM in 24-hour time, e.g. 09:00 or 18:30"
        if text
        else "`` is not a time: use HH:MM in 24-hour time, e.g. 09:00 or 18:30"
    )


def test_parse_and_format_hhmm_at_the_edges() -> None:
    assert parse_hhmm("00:00") == time(0, 0)
    assert parse_hhmm("23:59") == time(23, 59)
    assert parse_hhmm("0:59") == time(0, 59)
    assert format_hhmm(time(9, 5)) == "09:05"
    assert format_hhmm(time(23, 0)) == "23:00"


@pytest.mark.parametrize("name", ["", " UTC", "UTC ", "/etc/localtime", "../UTC", ".", "Mars/Base"])
def test_get_zone_rejects_exactly(name: str) -> None:
    with pytest.raises(ValueError, match="is not an IANA time zone") as err:
        get_zone(name)
    assert str(err.value) == (
        f"{shown(name)} is not an IANA time zone: use a name such as Europe/Berlin, "
        "America/New_York, Asia/Tokyo or UTC"
    )


def test_get_zone_accepts_iana_names() -> None:
    assert get_zone("Europe/Berlin") == ZoneInfo("Europe/Berlin")
    assert get_zone("UTC") == ZoneInfo("UTC")


def test_the_standard_offset_ignores_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert _standard_offset(date(2021, 1, 15), berlin) == timedelta(hours=1)
    assert _standard_offset(date(2021, 7, 15), berlin) == timedelta(hours=1)
    assert _standard_offset(date(2021, 7, 15), ZoneInfo("UTC")) == timedelta(0)
    assert _standard_offset(date(2021, 7, 15), ZoneInfo("America/New_York")) == timedelta(hours=-5)


def test_complete_at_and_the_latest_complete_day() -> None:
    assert complete_at(date(2021, 3, 12), 1) == utc(2021, 3, 13)
    assert complete_at(date(2021, 3, 12), 0) == utc(2021, 3, 12)
    assert latest_complete_day(utc(2021, 3, 13, 0, 0), 1) == date(2021, 3, 12)
    assert latest_complete_day(utc(2021, 3, 12, 23, 59), 1) == date(2021, 3, 11)
    tokyo = datetime(2021, 3, 13, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 23:00 UTC on the 12th
    assert latest_complete_day(tokyo, 1) == date(2021, 3, 11)


def test_slot_for_exactly() -> None:
    s = sub(5, "09:30", "Europe/Berlin")
    assert slot_for(s, date(2021, 7, 1), lag_days=1) == Slot(
        5, date(2021, 7, 1), date(2021, 6, 30), utc(2021, 7, 1, 7, 30), utc(2021, 7, 1, 7, 30), 5
    )
    assert slot_for(s, date(2021, 1, 4), lag_days=2) == Slot(
        5, date(2021, 1, 4), date(2021, 1, 2), utc(2021, 1, 4, 8, 30), utc(2021, 1, 4, 8, 30), 5
    )
    assert local_today(utc(2021, 7, 1, 23, 30), "Europe/Berlin") == date(2021, 7, 2)


def test_due_at_its_instant_and_until_its_grace_ends_inclusive() -> None:
    s = sub(1, "09:00", "UTC")
    grace = timedelta(hours=1)
    assert due_slots([s], utc(2021, 6, 1, 8, 59), grace=grace, lag_days=LAG) == []
    at = due_slots([s], utc(2021, 6, 1, 9), grace=grace, lag_days=LAG)
    assert [(d.local_day, d.day) for d in at] == [(date(2021, 6, 1), date(2021, 5, 31))]
    assert due_slots([s], utc(2021, 6, 1, 10), grace=grace, lag_days=LAG) == at
    assert due_slots([s], utc(2021, 6, 1, 10, 0, 1), grace=grace, lag_days=LAG) == []


def test_a_slot_at_the_instant_of_subscribing_is_due() -> None:
    s = sub(1, "09:00", "UTC", created_at=utc(2021, 6, 1, 9))
    assert len(due_slots([s], utc(2021, 6, 1, 9, 30), grace=timedelta(hours=1), lag_days=LAG)) == 1
    naive = sub(1, "09:00", "UTC", created_at=datetime(2021, 6, 1, 9, 1))  # naive = UTC
    assert due_slots([naive], utc(2021, 6, 1, 9, 30), grace=timedelta(hours=1), lag_days=1) == []


def test_a_grace_of_days_reaches_back_that_many_days() -> None:
    s = sub(1, "09:00", "UTC")
    grace = timedelta(days=5, hours=12)
    due = due_slots([s], utc(2021, 6, 10, 10), grace=grace, lag_days=LAG)
    assert [d.local_day for d in due] == [date(2021, 6, n) for n in range(5, 11)]


def test_due_slots_are_sorted_by_time_then_channel() -> None:
    subs = [sub(3, "09:00", "UTC"), sub(1, "09:00", "UTC"), sub(2, "08:00", "UTC")]
    due = due_slots(subs, utc(2021, 6, 1, 9), grace=timedelta(hours=2), lag_days=LAG)
    assert [d.channel_id for d in due] == [2, 1, 3]
    with pytest.raises(ValueError, match="timezone-aware") as err:
        due_slots(subs, datetime(2021, 6, 1, 9), grace=timedelta(0), lag_days=LAG)
    assert str(err.value) == "now must be timezone-aware"


def test_passed_slots_at_their_boundaries() -> None:
    s = sub(1, "09:00", "UTC")
    grace = timedelta(hours=2)
    # The window of 06-01 closes at 11:00: a `since` at exactly 11:00 counts it, `now` at
    # exactly 11:00 does not (yet).
    closes = utc(2021, 6, 1, 11)
    got = passed_slots(s, closes + timedelta(seconds=1), grace=grace, lag_days=LAG, since=closes)
    assert [p.local_day for p in got] == [date(2021, 6, 1)]
    assert passed_slots(s, closes, grace=grace, lag_days=LAG, since=utc(2021, 6, 1)) == []
    # Created exactly at the slot: it counts.
    made = sub(1, "09:00", "UTC", created_at=utc(2021, 6, 1, 9))
    got = passed_slots(made, utc(2021, 6, 2), grace=grace, lag_days=LAG, since=utc(2021, 5, 1))
    assert [p.local_day for p in got] == [date(2021, 6, 1)]
    with pytest.raises(ValueError, match="timezone-aware") as err:
        passed_slots(s, datetime(2021, 6, 2), grace=grace, lag_days=LAG, since=utc(2021, 6, 1))
    assert str(err.value) == "now and since must be timezone-aware"
    with pytest.raises(ValueError, match=r"^now and since"):
        passed_slots(s, utc(2021, 6, 2), grace=grace, lag_days=LAG, since=datetime(2021, 6, 1))


def test_passed_slots_with_a_long_grace_reach_back_from_since() -> None:
    s = sub(1, "09:00", "UTC")
    grace = timedelta(days=3)
    since = utc(2021, 6, 10, 12)
    got = passed_slots(s, utc(2021, 6, 12), grace=grace, lag_days=LAG, since=since)
    # Windows closing in [06-10 12:00, 06-12 00:00): the slots of 06-08 (closes 06-11 09:00).
    assert [p.local_day for p in got] == [date(2021, 6, 8)]
    every = passed_slots(s, utc(2021, 6, 12), grace=timedelta(0), lag_days=LAG, since=since)
    assert [p.local_day for p in every] == [date(2021, 6, 11)]


def test_passed_slots_include_today_once_its_window_closed() -> None:
    s = sub(1, "09:00", "UTC")
    got = passed_slots(
        s, utc(2021, 6, 3, 23), grace=timedelta(hours=1), lag_days=LAG, since=utc(2021, 6, 1)
    )
    assert [p.local_day for p in got] == [date(2021, 6, 1), date(2021, 6, 2), date(2021, 6, 3)]


def test_next_slot_is_strictly_after_now() -> None:
    s = sub(1, "09:00", "UTC")
    assert next_slot(s, utc(2021, 6, 1, 8), lag_days=LAG).local_day == date(2021, 6, 1)
    assert next_slot(s, utc(2021, 6, 1, 9), lag_days=LAG).local_day == date(2021, 6, 2)
    late = sub(1, "00:30", "Pacific/Kiritimati")  # UTC+14: its today is UTC's tomorrow
    assert next_slot(late, utc(2021, 6, 1, 9), lag_days=LAG).local_day == date(2021, 6, 2)


def test_aware_and_the_manual_clock() -> None:
    assert _aware(datetime(2021, 1, 1)) == utc(2021, 1, 1)
    berlin = datetime(2021, 1, 1, tzinfo=ZoneInfo("Europe/Berlin"))
    assert _aware(berlin) is berlin
    clock = ManualClock(utc(2021, 1, 1))
    assert clock() == utc(2021, 1, 1)
    clock.advance(timedelta(hours=2))
    assert clock() == utc(2021, 1, 1, 2)
    clock.set(utc(2022, 1, 1))
    assert clock() == utc(2022, 1, 1)
    with pytest.raises(ValueError, match="timezone-aware") as err:
        ManualClock(datetime(2021, 1, 1))
    assert str(err.value) == "a clock's time must be timezone-aware"
