"""Who is due when, in which time zone. Pure: every function takes the time it should use.

The model
---------
A daily subscription posts once per *local* calendar day `L`, at its `HH:MM` in its IANA zone.
That slot posts the digest of one source day `D(L)`, and the mapping `L -> D(L)` is one-to-one
and increasing by exactly one day per local day, so a channel can never get the same digest
twice nor skip one, whatever the time zone does. Other cadences (`bot.cadence`) post on some
local days only (weekdays, a weekday, the 1st) and cover a period ending on a *key day* (the
ledger's day: `D(L)`, or a monthly post's month end); a slot is due once its key day is
complete.

- **The slot instant** is `HH:MM` on `L` in the zone. Across a daylight-saving *gap* (the
  clock jumps 02:00 -> 03:00) a time that does not exist is shifted forward by the gap
  (02:30 -> 03:30), like `discord.ext.tasks`; in an *overlap* (02:00-03:00 happens twice) the
  first occurrence is used. Either way there is exactly one slot per local day.
- **The day** `D(L)` is the latest complete day of the source at the slot: a source day (UTC)
  is complete `lag_days` after it ends (`sources.day_lag_days`; 1 by default, as votes and
  retweets take a day to settle). It is computed with the zone's *standard* offset, so that
  the mapping does not wobble when the wall clock shifts by an hour: with the true instant,
  a post at 00:30 in London would map two summer days onto one source day in March and skip
  one in October. If daylight saving puts the slot before `D(L)` is complete (at most an hour),
  the slot waits until it is: `due_at = max(slot, complete_at(D))`.
- **Catch-up**: a slot is due while `due_at <= now <= due_at + grace` (`schedule.catch_up_hours`)
  and it is not yet posted. After downtime the missed slot is therefore still posted, late;
  slots before the subscription existed are never due (subscribing at 10:00 for 09:00 starts
  tomorrow; `/digest post-now` posts at once), nor, for a paused subscription, slots before
  it was resumed (`active_since`): pausing skips those days, it does not postpone them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import cadence
from bot.models import Cadence
from bot.quoting import shown

Clock = Callable[[], datetime]


class Timed(cadence.Cadenced, Protocol):
    """What the schedule reads of a subscription: a `Subscription`, or the scheduler's light
    row of it (`bot.store.subscriptions.Timing`: the tick never holds every model)."""

    @property
    def id(self) -> int | None:
        """The store's id (the ledger's key)."""
        ...

    @property
    def channel_id(self) -> int:
        """Where it posts."""
        ...

    @property
    def post_time(self) -> str:
        """HH:MM, local to `timezone`."""
        ...

    @property
    def timezone(self) -> str:
        """An IANA name."""
        ...

    @property
    def created_at(self) -> datetime | None:
        """When it was created (no slot before)."""
        ...

    @property
    def resumed_at(self) -> datetime | None:
        """When it was last resumed (no slot before)."""
        ...

    @property
    def active(self) -> bool:
        """Enabled and not paused."""
        ...


_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def utc_now() -> datetime:
    """The real clock (aware, UTC); inject another `Clock` in tests and the demo."""
    return datetime.now(UTC)


def parse_hhmm(text: str) -> time:
    """`09:00` or `9:00` -> time(9, 0); ValueError saying what is accepted otherwise."""
    m = _HHMM.match(text)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValueError(f"{shown(text)} is not a time: use HH:MM in 24-hour time, e.g. 09:00 or 18:30")


def format_hhmm(value: time) -> str:
    """time(9, 0) -> `09:00`."""
    return f"{value.hour:02d}:{value.minute:02d}"


def get_zone(name: str) -> ZoneInfo:
    """The IANA zone `name` (e.g. `Europe/Berlin`); ValueError saying what is accepted."""
    try:
        if not name or name != name.strip() or name.startswith(("/", ".")):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"{shown(name)} is not an IANA time zone: use a name such as Europe/Berlin, "
            "America/New_York, Asia/Tokyo or UTC"
        ) from None


def slot_instant(local_day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on `local_day` in `zone`.

    A wall time inside a DST gap is shifted forward by the gap; inside an overlap the first
    occurrence is taken (fold=0).
    """
    naive = datetime.combine(local_day, at)
    aware = naive.replace(tzinfo=zone, fold=0)
    # In a gap, fold=0 applies the offset from before the jump, which lands the gap's length
    # later on the wall clock (02:30 -> 03:30): the shift we want. In an overlap, fold=0 is
    # the first occurrence.
    return aware.astimezone(UTC)


def _standard_offset(local_day: date, zone: ZoneInfo) -> timedelta:
    probe = datetime.combine(local_day, time(12, 0), tzinfo=zone)
    offset = probe.utcoffset() or timedelta(0)
    dst = probe.dst() or timedelta(0)
    return offset - dst


def complete_at(day: date, lag_days: int) -> datetime:
    """When source day `day` (UTC) counts as complete: `lag_days` after it ends."""
    return datetime.combine(day + timedelta(days=lag_days), time(0), tzinfo=UTC)


def latest_complete_day(now: datetime, lag_days: int) -> date:
    """The latest source day complete at `now`."""
    return now.astimezone(UTC).date() - timedelta(days=lag_days)


@dataclass(frozen=True, slots=True)
class Slot:
    """One scheduled post: a subscription's local day, the source day it posts, and when."""

    channel_id: int
    local_day: date
    day: date  # the digest's source day (a weekly or monthly post: its period's key day)
    slot_at: datetime  # the wall-clock slot, UTC
    due_at: datetime  # when it may be posted: the slot, or later if `day` is not complete yet
    subscription_id: int | None = None  # the subscription's store id (the ledger's key)
    first: date | None = None  # a weekly or monthly post's first day (None: `day` alone)

    @property
    def start(self) -> date:
        """The first digest day this slot's post covers (`day` for a daily post)."""
        return self.first if self.first is not None else self.day

    @property
    def key(self) -> tuple[int | None, date]:
        """The ledger key of this slot: (subscription id, day)."""
        return (self.subscription_id, self.day)


def slot_for(sub: Timed, local_day: date, *, lag_days: int) -> Slot:
    """The slot of `sub` on its local day `local_day` (whether or not its cadence posts on
    that day: `cadence.posts_on`), with its period's key day as `day`."""
    instant, day, first, due = _slot_times(
        sub.timezone, sub.post_time, sub.cadence, local_day, lag_days
    )
    return Slot(sub.channel_id, local_day, day, instant, due, sub.id, first)


class _Cadence(NamedTuple):
    cadence: Cadence
    weekday: int


@functools.lru_cache(maxsize=4096)
def _slot_times(
    timezone: str, post_time: str, kind: Cadence, local_day: date, lag_days: int
) -> tuple[datetime, date, date | None, datetime]:
    """(slot instant, key day, first day or None, due at) of a slot: pure in its arguments,
    which many subscriptions share (a zone, a time, a day), so a tick over thousands of
    them computes each once (an error, e.g. an unknown zone, is raised each time)."""
    zone = get_zone(timezone)
    at = parse_hhmm(post_time)
    instant = slot_instant(local_day, at, zone)
    standard = datetime.combine(local_day, at) - _standard_offset(local_day, zone)
    latest = standard.date() - timedelta(days=lag_days)
    first, day = cadence.period(_Cadence(kind, 0), local_day, latest)
    due = max(instant, complete_at(day, lag_days))
    return instant, day, None if first == day else first, due


def local_today(now: datetime, timezone: str) -> date:
    """The calendar day in `timezone` at `now`."""
    return now.astimezone(get_zone(timezone)).date()


def due_slots(
    subs: Iterable[Timed],
    now: datetime,
    *,
    grace: timedelta,
    lag_days: int,
    done: Container[tuple[int | None, date]] = frozenset(),
) -> list[Slot]:
    """The slots due at `now`: `due_at <= now <= due_at + grace`, not in `done`, oldest first.

    `done` holds (subscription id, day) pairs already posted. Disabled and paused
    subscriptions are skipped;
    failing ones (e.g. a 403) are still due: the scheduler retries them on a long backoff, so
    a channel whose permissions come back is posted again without a moderator. Slots before
    the subscription was created are not due.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    out: list[Slot] = []
    for sub in subs:
        if not sub.active:
            continue
        today = local_today(now, sub.timezone)
        span = 2 + int(grace / timedelta(days=1))
        for back in range(span, -1, -1):
            local = today - timedelta(days=back)
            if not cadence.posts_on(sub, local):
                continue
            slot = slot_for(sub, local, lag_days=lag_days)
            if not slot.due_at <= now:
                continue
            if now > slot.due_at + grace:
                continue
            since = active_since(sub)
            if since is not None and slot.due_at < since:
                continue
            if slot.key in done:
                continue
            out.append(slot)
    out.sort(key=lambda s: (s.due_at, s.channel_id, s.subscription_id or 0))
    return out


def passed_slots(
    sub: Timed,
    now: datetime,
    *,
    grace: timedelta,
    lag_days: int,
    since: datetime,
) -> list[Slot]:
    """The slots of `sub` whose posting window closed in `[since, now)`: due_at + grace < now.

    These are the days that can no longer be posted on time: each must already have a
    terminal outcome in the ledger, or the scheduler records one (`missed`, or `failed` with
    why). Slots before the subscription was created are not counted; oldest first.
    """
    if now.tzinfo is None or since.tzinfo is None:
        raise ValueError("now and since must be timezone-aware")
    created = active_since(sub)
    first = max(since, created) if created is not None else since
    start = local_today(first - grace, sub.timezone) - timedelta(days=2)
    out: list[Slot] = []
    local = start
    end = local_today(now, sub.timezone)
    while local <= end:
        if cadence.posts_on(sub, local):
            slot = slot_for(sub, local, lag_days=lag_days)
            closes = slot.due_at + grace
            if since <= closes < now and (created is None or slot.due_at >= created):
                out.append(slot)
        local += timedelta(days=1)
    return out


def next_slot(sub: Timed, now: datetime, *, lag_days: int) -> Slot:
    """The first slot of `sub` due strictly after `now` (for `/digest list`)."""
    return slot_after(sub, local_today(now, sub.timezone) - timedelta(days=2), now, lag_days)


def slot_after(sub: Timed, local_day: date, now: datetime, lag_days: int) -> Slot:
    """The first slot of `sub` on a local day after `local_day` that is due after `now`."""
    local = local_day
    for _ in range(cadence.LONGEST_GAP_DAYS + 5):
        local += timedelta(days=1)
        if cadence.posts_on(sub, local):
            slot = slot_for(sub, local, lag_days=lag_days)
            if slot.due_at > now:
                return slot
    raise AssertionError("every cadence posts at least monthly")  # pragma: no cover


def latest_slot(sub: Timed, now: datetime, *, lag_days: int) -> Slot | None:
    """The newest slot of `sub` due at or before `now` (`/digest post-now` without a date),
    or None when there is none in the last weeks (a new monthly digest: none yet)."""
    local = local_today(now, sub.timezone) + timedelta(days=1)
    for _ in range(cadence.LONGEST_GAP_DAYS + 5):
        if cadence.posts_on(sub, local):
            slot = slot_for(sub, local, lag_days=lag_days)
            if slot.due_at <= now:
                return slot
        local -= timedelta(days=1)
    return None


def slot_covering(sub: Timed, day: date, *, lag_days: int) -> Slot:
    """The slot of `sub` whose period holds digest day `day` (`/digest post-now date:`): the
    day's own for a daily or weekdays digest (asked for, a weekend's day too), the week or
    the month it falls in otherwise."""
    windowed = sub.cadence in ("weekly", "monthly")
    local = day + timedelta(days=lag_days - 2)
    for _ in range(cadence.LONGEST_GAP_DAYS + 5):
        local += timedelta(days=1)
        if not windowed or cadence.posts_on(sub, local):
            slot = slot_for(sub, local, lag_days=lag_days)
            if slot.start <= day <= slot.day:
                return slot
    raise AssertionError("every day falls in one period")  # pragma: no cover


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def active_since(sub: Timed) -> datetime | None:
    """Since when `sub`'s slots count: its creation, or its last resume (a paused day is
    never posted late, nor recorded as missed). None: always."""
    times = [_aware(t) for t in (sub.created_at, sub.resumed_at) if t is not None]
    return max(times) if times else None


class ManualClock:
    """A clock that stands still until moved: for tests and `hotpapers demo`."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("a clock's time must be timezone-aware")
        self.now = now

    def __call__(self) -> datetime:
        """The current (manual) time."""
        return self.now

    def set(self, now: datetime) -> None:
        """Jump to `now`."""
        self.now = now

    def advance(self, delta: timedelta) -> None:
        """Move forward by `delta`."""
        self.now += delta
