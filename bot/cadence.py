"""Which local days a subscription posts on, and which digest days each post covers. Pure.

A subscription's *slot* on a local day `L` posts the digest days of one *period*, ending on
its *key day*: the day the ledger records the post under (exactly once per subscription and
key day, `bot.store.ledger`). `bot.schedule` computes `D(L)`, the latest complete source day
at the slot (one local day per source day, whatever the time zone does); the cadence says on
which `L` a slot exists and which days its period holds:

| cadence    | posts on (local day `L`)       | period (first … key day)                        |
| ---------- | ------------------------------ | ----------------------------------------------- |
| `daily`    | every day                      | `D(L)` … `D(L)`                                 |
| `weekdays` | Monday to Friday only          | `D(L)` … `D(L)` (the weekend's days are skipped) |
| `weekly`   | its `weekday` (0 Monday … 6)   | `D(L) - 6` … `D(L)`: the past 7 digest days      |
| `monthly`  | the 1st of each month          | the previous calendar month: 1st … its last day |

So the key day of a daily, weekday or weekly post is `D(L)`; of a monthly post, the last day
of the month it covers (which may complete after the slot in a zone far ahead of UTC: the
post then waits for it, as a daily post waits for its day). Key days of one subscription
never repeat: consecutive weekly slots are 7 local days apart and so are their `D(L)`, and
each month has one 1st. A weekly or monthly post is the period's stored days merged by paper
(`bot.filters.merge`, as `/hot`'s week and month), then filtered as a daily one is.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from bot.models import Cadence, Subscription

CADENCES: tuple[Cadence, ...] = ("daily", "weekdays", "weekly", "monthly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEK_DAYS = 7  # a weekly post covers this many digest days
# The farthest apart two post days of any cadence are (a monthly one: 31 days, and a margin).
LONGEST_GAP_DAYS = 35


class Cadenced(Protocol):
    """What the cadence rules read of a subscription: a `Subscription`, or the scheduler's
    light row of it (`bot.store.subscriptions.Timing`), which need not be a whole model."""

    @property
    def cadence(self) -> Cadence:
        """Which days it posts on."""
        ...

    @property
    def weekday(self) -> int:
        """A weekly one's day (0 Monday … 6 Sunday)."""
        ...


def posts_on(sub: Cadenced, local_day: date) -> bool:
    """Whether `sub` has a slot on its local day `local_day`."""
    if sub.cadence == "weekdays":
        return local_day.weekday() < 5
    if sub.cadence == "weekly":
        return local_day.weekday() == sub.weekday
    if sub.cadence == "monthly":
        return local_day.day == 1
    return True


def period(sub: Cadenced, local_day: date, latest: date) -> tuple[date, date]:
    """(first day, key day) of the post of `sub` on `local_day`, whose latest complete
    source day is `latest` (`D(L)`)."""
    if sub.cadence == "weekly":
        return latest - timedelta(days=WEEK_DAYS - 1), latest
    if sub.cadence == "monthly":
        last = local_day.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return latest, latest


def days_of(first: date, key: date) -> list[date]:
    """Every day of a period, oldest first."""
    return [first + timedelta(days=i) for i in range((key - first).days + 1)]


def describe(sub: Subscription) -> str:
    """How often it posts, for `/digest list` and replies: `every day`, `every Friday`, …"""
    if sub.cadence == "weekdays":
        return "Monday to Friday"
    if sub.cadence == "weekly":
        return f"every {WEEKDAYS[sub.weekday]} (the week's top)"
    if sub.cadence == "monthly":
        return "on the 1st (the month's top)"
    return "every day"


def period_title(cadence: Cadence, first: date, key: date, day_title: str | None) -> str:
    """The title of a period's post: the day's own for one day, else the period's span."""
    if first == key:
        return day_title or f"Hot Papers {key.isoformat()}"
    if cadence == "monthly":
        return f"Hot Papers of {key:%B %Y}"
    return f"Hot Papers of the week {first.isoformat()} – {key.isoformat()}"


def span(first: date | None, key: date) -> str:
    """A post's days in words, for replies: `2021-03-12` (one day), `the week 2021-03-06 –
    2021-03-12` or `February 2021` (a weekly or monthly post is not "the digest of" its key day)."""
    if first is None or first == key:
        return key.isoformat()
    if first.day == 1 and (key + timedelta(days=1)).day == 1:
        return f"{key:%B %Y}"
    return f"the week {first.isoformat()} – {key.isoformat()}"
