"""arXiv's announcement calendar: which digest days have an announcement, and what it covers.

Pure: every function takes the day (or the time) it should use; the holidays are package data
(`bot/data/arxiv_holidays.json`, from https://info.arxiv.org/help/availability.html).

arXiv's rule (https://info.arxiv.org/help/availability.html): announcements at 20:00 US
Eastern (America/New_York, so 00:00 UTC in summer and 01:00 UTC in winter) Sunday to Thursday,
none on Friday or Saturday evenings, none on its holidays. Submissions received before the
14:00 Eastern deadline are in that evening's announcement; Sunday's covers Thursday 14:00 to
Friday 14:00, Monday's Friday 14:00 to Monday 14:00. A cancelled announcement's submissions
roll into the next one (Thanksgiving 2019: Wednesday 14:00 to Friday 14:00, announced Sunday).

Which calendar day a digest day is
----------------------------------
A digest **day D is the date of arXiv's listing**: the announcement made at 20:00 Eastern on
the evening before (`evening(D) = D - 1`), which is the UTC date D (20:00 EDT is 00:00 UTC,
20:00 EST is 01:00 UTC). That is the date arXiv prints on the listing and on its RSS feed
(`pubDate` "Tue, 14 May 2024 00:00:00 -0400"), the date Hugging Face gives the papers it picks
from that listing (the `hf` source's days), and a UTC day like every other source day, so the
scheduler's day lag (`bot.schedule`: day D is posted once D is complete, `lag_days` after it)
gives the crowds a full day to discuss D's papers. So listings exist Monday to Friday; a
Saturday or a Sunday has none, and neither has the day after a holiday evening (Thanksgiving
Thursday cancels the listing of Friday).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
ANNOUNCE_AT = time(20, 0)  # Eastern
DEADLINE_AT = time(14, 0)  # Eastern
SUNDAY, FRIDAY, SATURDAY = 6, 4, 5  # date.weekday()
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SEARCH_DAYS = 30  # no run of cancelled announcements is this long


@dataclass(frozen=True)
class Holiday:
    """One holiday of arXiv's published list: the evening it cancels and its name."""

    published: date  # as arXiv lists it
    evening: date  # the Eastern evening whose 20:00 announcement does not happen
    name: str
    inferred: bool = False  # a Friday holiday read as cancelling the Sunday after it


@cache
def holidays() -> dict[date, Holiday]:
    """The holidays by the evening they cancel (read once from the package data)."""
    raw = json.loads(resources.files("bot").joinpath("data/arxiv_holidays.json").read_text())
    out: dict[date, Holiday] = {}
    for item in raw["holidays"]:
        h = Holiday(
            published=date.fromisoformat(item["published"]),
            evening=date.fromisoformat(item["evening"]),
            name=str(item["name"]),
            inferred=bool(item.get("inferred", False)),
        )
        if h.evening.weekday() in (FRIDAY, SATURDAY):
            raise ValueError(f"arxiv_holidays.json: {h.evening} is not an announcement evening")
        out[h.evening] = h
    return out


def known_through() -> date:
    """The last day the holiday table speaks for: December 31 of its last listed year.

    Past it, a holiday arXiv announces later would be read as an announcement day (the API's
    window for it would list papers arXiv did not announce then): callers warn, once.
    """
    return date(max(h.published.year for h in holidays().values()), 12, 31)


def evening(day: date) -> date:
    """The Eastern evening whose announcement is digest day `day`'s listing (the day before)."""
    return day - timedelta(days=1)


def listing_day(announcement_evening: date) -> date:
    """The digest day of the announcement made on `announcement_evening` (the day after)."""
    return announcement_evening + timedelta(days=1)


def no_announcement(day: date) -> str | None:
    """Why digest day `day` has no arXiv listing, or None when it has one.

    "no arXiv announcement on Saturdays", "no arXiv announcement (arXiv holiday: Thanksgiving)".
    """
    eve = evening(day)
    if eve.weekday() in (FRIDAY, SATURDAY):
        return f"no arXiv announcement on {_DAY_NAMES[day.weekday()]}s"
    holiday = holidays().get(eve)
    if holiday is not None:
        return f"no arXiv announcement (arXiv holiday: {holiday.name})"
    return None


def has_announcement(day: date) -> bool:
    """Whether digest day `day` has an arXiv listing."""
    return no_announcement(day) is None


def announced_at(day: date) -> datetime | None:
    """When digest day `day`'s listing was announced (aware, UTC), or None without one."""
    if not has_announcement(day):
        return None
    return datetime.combine(evening(day), ANNOUNCE_AT, tzinfo=EASTERN).astimezone(UTC)


def _deadline(eve: date) -> datetime:
    """The submission deadline of the announcement on evening `eve` (UTC): 14:00 Eastern that
    day, or on the Friday before for Sunday's announcement."""
    on = eve - timedelta(days=2) if eve.weekday() == SUNDAY else eve
    return datetime.combine(on, DEADLINE_AT, tzinfo=EASTERN).astimezone(UTC)


def previous_day(day: date) -> date:
    """The last digest day before `day` that has a listing."""
    for back in range(1, _SEARCH_DAYS):
        candidate = day - timedelta(days=back)
        if has_announcement(candidate):
            return candidate
    raise ValueError(f"no arXiv announcement in the {_SEARCH_DAYS} days before {day}")


def window(day: date) -> tuple[datetime, datetime]:
    """The submissions digest day `day`'s listing announced: [start, end) in UTC.

    From the previous announcement's deadline to this one's, so a cancelled announcement's
    submissions fall into the next. ValueError for a day without a listing.
    """
    if not has_announcement(day):
        raise ValueError(f"{day} has no arXiv listing: {no_announcement(day)}")
    return _deadline(evening(previous_day(day))), _deadline(evening(day))


def latest_day(now: datetime) -> date:
    """The digest day of the latest announcement made at or before `now` (aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    day = now.astimezone(UTC).date() + timedelta(days=1)
    for _ in range(_SEARCH_DAYS):
        at = announced_at(day)
        if at is not None and at <= now:
            return day
        day -= timedelta(days=1)
    raise ValueError(f"no arXiv announcement in the {_SEARCH_DAYS} days before {now}")


def feed_day(now: datetime) -> date | None:
    """The listing arXiv's RSS feeds show at `now`, or None while they are empty.

    Each feed is rebuilt at midnight Eastern (`lastBuildDate` "Fri, 23 Feb 2024 05:00:11
    +0000" for the listing dated "Fri, 23 Feb 2024 00:00:00 -0500", and "an empty feed on
    Saturday/Sundays and on occasional arXiv holidays",
    https://info.arxiv.org/help/rss_specifications.html): the feed shows listing D during the
    Eastern day D, so between the 20:00 announcement and midnight it still shows the last one.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(EASTERN).date()
    return today if has_announcement(today) else None
