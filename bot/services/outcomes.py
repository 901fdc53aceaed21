"""Every (subscription, day) of a window with its one stated outcome, for `/history` and
`/digest status`. Pure: takes the ledger rows, the subscription and the time.

The ledger (`posts`) holds one row per (subscription, key day) once the day was attempted: `sent`,
`empty` (nothing to post, with why), `failed` (with why), `missed` (the bot was down past the
catch-up window, with when it came back) or `pending`. A day of the window with no row at all
is not left out: it is shown as not yet due, due now, before the subscription, or not posted.
A weekly or monthly subscription's window holds only its posts' key days (`bot.cadence`).
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot import cadence
from bot.models import PostRecord, Subscription
from bot.schedule import Slot, local_today, next_slot, slot_after, slot_for

# Outcomes after which a day is never posted by the scheduler (a missed day only on request).
DONE = ("sent", "empty", "missed")
DISCORD = "https://discord.com/channels"
BEFORE = "before the subscription"
PAUSED = "paused — not posted while the digest was paused"
SHORT = 70  # characters of a day's outcome in /digest status


@dataclass(frozen=True)
class DayLine:
    """One day of a window: the source day and what happened to it (markdown, no pings)."""

    day: date
    text: str

    @property
    def short(self) -> str:
        """A few characters for `/digest status`'s line per channel: the mark, and the reason
        only where a moderator may act on it (empty, failed, missed)."""
        text = self.text
        if text.startswith("✅"):
            return "✅" + (" (late)" if text.endswith("(late)") else "")
        if text.startswith("not yet due"):
            return "not yet due"
        if text.startswith("due:"):
            return "due"
        return text if len(text) <= SHORT else text[: SHORT - 1] + "…"

    @property
    def trouble(self) -> bool:
        """Whether this day needs a moderator's eyes (failed, missed, not posted)."""
        return self.text.startswith(("⚠️", "⏸", "not posted"))

    @property
    def before(self) -> bool:
        """A day before the subscription existed (no (subscription, day) to account for)."""
        return self.text == BEFORE


def done_days(posts: Iterable[PostRecord], subscription_id: int | None) -> set[date]:
    """The days of a subscription that reached an outcome the scheduler will not post again."""
    return {p.day for p in posts if p.subscription_id == subscription_id and p.status in DONE}


def next_unposted(
    sub: Subscription, now: datetime, *, lag_days: int, done: Container[date]
) -> Slot:
    """The first slot after `now` whose day is not posted yet (`/digest post-now` may have
    posted the day the next slot would name: that slot posts nothing, so it is not "next")."""
    slot = next_slot(sub, now, lag_days=lag_days)
    for _ in range(61):
        if slot.day not in done:
            return slot
        slot = slot_after(sub, slot.local_day, now, lag_days)
    return slot  # pragma: no cover - two months posted ahead cannot happen


def outcome_text(post: PostRecord, guild_id: int) -> str:
    """What happened to one ledger row, e.g. `✅ sent (link) · 10 papers (late)`."""
    late = " (late)" if post.late else ""
    why = post.error or ""
    if post.status == "sent" and post.message_ids:
        link = f"{DISCORD}/{guild_id}/{post.channel_id}/{post.message_ids[0]}"
        n = len(post.arxiv_ids)
        papers = f" · {n} paper{'s' if n != 1 else ''}" if n else " · empty-day notice"
        return f"✅ [sent]({link}){papers}{late}"
    if post.status == "sent":  # before the ledger knew `empty`: a quiet empty day
        return f"∅ empty — nothing to post, empty-day notices off{late}"
    if post.status == "empty":
        return f"∅ empty — {why or 'nothing to post'}{late}"
    if post.status == "failed":
        return f"⚠️ failed — {why or 'no reason recorded'}{late}"
    if post.status == "missed":
        return f"⏸ missed — {why or 'the bot was down past the catch-up window'}"
    return f"⏳ in progress{late}"


def slot_of_day(sub: Subscription, day: date, lag_days: int) -> Slot:
    """The slot that posts (key) day `day` (one local day per source day; a monthly post's
    key day is its month's last, posted on the 1st)."""
    guess = day + timedelta(days=lag_days)
    candidates: tuple[date, ...] = (guess, guess - timedelta(days=1), guess + timedelta(days=1))
    if sub.cadence == "monthly":
        candidates = (day + timedelta(days=1),)
    for local in candidates:
        slot = slot_for(sub, local, lag_days=lag_days)
        if slot.day == day:
            return slot
    return slot_for(sub, guess, lag_days=lag_days)  # pragma: no cover


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def no_row_text(slot: Slot, sub: Subscription, now: datetime, grace: timedelta) -> str:
    """A day of the window the ledger has no row for, said as what it is."""
    if slot.due_at > now:
        return f"not yet due (<t:{int(slot.due_at.timestamp())}:R>)"
    if sub.created_at is not None and slot.due_at < _aware(sub.created_at):
        return BEFORE
    if sub.paused or (sub.resumed_at is not None and slot.due_at < _aware(sub.resumed_at)):
        return PAUSED
    # not "paused": that is /digest pause's (and /digest resume answers "is not paused")
    if not sub.enabled:
        return "not posted: the digest is disabled"
    if sub.failing_reason:
        return "not posted: the digest is failing"
    if now <= slot.due_at + grace:
        return "due: posting shortly"
    return "not posted: past the catch-up window, no record"


def window_days(
    sub: Subscription | None,
    posts: Iterable[PostRecord],
    now: datetime,
    *,
    days: int,
    lag_days: int,
    grace: timedelta,
    guild_id: int,
) -> list[DayLine]:
    """Newest first, every day of the last `days` with its outcome.

    With a subscription, the window is the source days of its last `days` local days (the
    next one included once its slot is today); every ledger row inside it, or newer, is shown.
    Without one (unsubscribed), only the rows.
    """
    rows = {p.day: p for p in posts}
    if sub is None:
        first = now.date() - timedelta(days=days)
        kept = sorted((d for d in rows if d >= first), reverse=True)
        return [DayLine(d, outcome_text(rows[d], guild_id)) for d in kept]
    today = local_today(now, sub.timezone)
    local_days = [today + timedelta(days=1 - i) for i in range(days)]
    window = [
        slot_for(sub, local, lag_days=lag_days).day
        for local in local_days
        if cadence.posts_on(sub, local)
    ]
    oldest = window[-1] if window else now.date() - timedelta(days=days)
    shown = sorted(set(window) | {d for d in rows if d >= oldest}, reverse=True)
    out = []
    for day in shown:
        if day in rows:
            out.append(DayLine(day, outcome_text(rows[day], guild_id)))
        else:
            out.append(DayLine(day, no_row_text(slot_of_day(sub, day, lag_days), sub, now, grace)))
    return out
