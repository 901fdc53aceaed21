"""Why a subscription did or did not post a paper: one verdict, naming the first reason. Pure.

A verdict follows the order in which the bot decides a post, and names the *first* step that
left the paper out, so it says what the bot did (not every rule that would also have):

1. **The ledger.** A sent post naming the paper is `Posted`, with its message link, whatever
   the day's digest says now (the ledger is what went out).
2. **The cadence.** A day no post of the subscription covers (a weekend's day of a `weekdays`
   digest) is `OffDay`. A weekly or monthly post covers a period (`bot.cadence`): the day in
   question is then its period's key day, and its digest the period's days merged.
3. **The source.** The day's stored digest must list the paper (`NotListed`: the day may have
   no digest at all, e.g. no arXiv announcement; `PostedElsewhere` when this subscription
   posted it on another day).
4. **The filters**, in `bot.delivery.compose`'s order (`bot.filters.matches`, then the cut):
   the included categories (`OutsideCategories`), the excluded ones (`Excluded`), `min_score`
   (`BelowScore`; a paper with no discussion yet counts as 0, as `bot.filters.listed` does),
   the keywords (`KeywordMiss`), then the limit (`BelowCut`: its rank among the papers that
   passed every filter).
5. **The delivery** of a paper the post would hold: no ledger row yet (`BeforeSubscription`,
   `Paused`: paused, disabled or failing, or paused on that day; `NotYet`: its slot is later;
   `Due`; `NoRecord`: the window closed unrecorded),
   a post `InProgress`, `Failed` or `Missed` (the ledger's reason), or a post that went out
   without it (`Changed`: the day's digest changed after it was posted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot import cadence
from bot.filters import PaperFilter, listed, matches, merge, subscription_filter
from bot.models import Digest, Paper, PostRecord, Subscription
from bot.schedule import Slot, slot_for
from bot.taxonomy import Taxonomy, load

DISCORD = "https://discord.com/channels"
OPEN_OR_MISSED = ("pending", "failed", "missed")


def message_link(guild_id: int, channel_id: int, message_id: int) -> str:
    """A jump link to a message (a personal digest's DM channel has no server: `@me`)."""
    return f"{DISCORD}/{guild_id or '@me'}/{channel_id}/{message_id}"


@dataclass(frozen=True)
class Posted:
    """Posted in the digest of `day`; `link` jumps to the post's first message."""

    day: date
    link: str


@dataclass(frozen=True)
class PostedElsewhere:
    """Not in the source on `day`, but this subscription posted it in the digest of `other`."""

    day: date
    other: date
    link: str


@dataclass(frozen=True)
class OffDay:
    """No post of the subscription covers `day` (its cadence: `when`, e.g. Monday to Friday)."""

    day: date
    when: str


@dataclass(frozen=True)
class NotListed:
    """The source did not list the paper on `day` (None: on no stored day at all).

    `stored`: whether the source has a digest of that day at all; `why_none`: why it has none
    (arXiv announced nothing that day, the ledger's reason for an empty day); `listed_on`: the
    days the source lists it on."""

    day: date | None
    source: str
    stored: bool = True
    why_none: str | None = None
    listed_on: tuple[date, ...] = ()


@dataclass(frozen=True)
class OutsideCategories:
    """None of the paper's categories is one the digest includes."""

    day: date
    categories: tuple[str, ...]
    wanted: tuple[str, ...]


@dataclass(frozen=True)
class Excluded:
    """The paper is listed in `by`, which the digest excludes."""

    day: date
    categories: tuple[str, ...]
    by: str


@dataclass(frozen=True)
class BelowScore:
    """Its score (None: no discussion yet, counted as 0) is below the digest's `min_score`."""

    day: date
    score: float | None
    min_score: float


@dataclass(frozen=True)
class KeywordMiss:
    """None of the digest's keywords occurs in its title or abstract."""

    day: date
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class BelowCut:
    """It passed every filter but ranked `rank` of `passed`, after the cut at `limit`."""

    day: date
    rank: int
    passed: int
    limit: int


@dataclass(frozen=True)
class BeforeSubscription:
    """The day's slot was before the subscription existed: never due."""

    day: date


@dataclass(frozen=True)
class Paused:
    """No post was made: the subscription is paused, disabled or failing (`why`)."""

    day: date
    why: str


@dataclass(frozen=True)
class NotYet:
    """Its slot is later: the digest of `day` is due at `due_at`."""

    day: date
    due_at: datetime


@dataclass(frozen=True)
class Due:
    """Due now: the scheduler posts it within the catch-up window."""

    day: date
    due_at: datetime


@dataclass(frozen=True)
class NoRecord:
    """The catch-up window closed and the ledger has no row for the day."""

    day: date


@dataclass(frozen=True)
class InProgress:
    """The post holding it is being made (a `pending` row)."""

    day: date


@dataclass(frozen=True)
class Failed:
    """Posting the day failed; `reason` is the ledger's."""

    day: date
    reason: str | None


@dataclass(frozen=True)
class Missed:
    """The day was missed (the bot was down past the catch-up window); the ledger's reason."""

    day: date
    reason: str | None


@dataclass(frozen=True)
class Changed:
    """The day was handled without it: the digest changed (scores, papers) after the post."""

    day: date
    status: str  # the ledger's: `sent` or `empty`


Verdict = (
    Posted
    | PostedElsewhere
    | OffDay
    | NotListed
    | OutsideCategories
    | Excluded
    | BelowScore
    | KeywordMiss
    | BelowCut
    | BeforeSubscription
    | Paused
    | NotYet
    | Due
    | NoRecord
    | InProgress
    | Failed
    | Missed
    | Changed
)


@dataclass(frozen=True)
class DayFacts:
    """What the store knows of one (subscription, day), read by the caller.

    `day`: the post's key day (a weekly or monthly post's: its period's, `period_of`);
    `digests`: the stored digest(s) of the subscription's source making up the post (a
    period's: its days merged; empty: none stored); `record`: the ledger's row of the key
    day; `posted`: this
    subscription's ledger rows of other days naming the paper; `slot`: the day's slot;
    `no_announcement`: why arXiv announced nothing that day, for a source that follows its
    calendar; `listed_on`: the days the source lists the paper."""

    day: date
    source: str  # the subscription's source, resolved ("default" named)
    digests: Sequence[Digest]
    record: PostRecord | None
    slot: Slot | None  # None: no post of the subscription covers the day (`period_of`)
    posted: Sequence[PostRecord] = ()
    no_announcement: str | None = None
    listed_on: tuple[date, ...] = ()


def period_of(sub: Subscription, day: date, *, lag_days: int) -> Slot | None:
    """The slot whose post covers digest day `day` (its period: `slot.start` … `slot.day`),
    or None when no post of `sub` covers it (a `weekdays` digest's weekend days)."""
    local = day - timedelta(days=2)
    for _ in range(cadence.LONGEST_GAP_DAYS + 5):
        local += timedelta(days=1)
        if cadence.posts_on(sub, local):
            slot = slot_for(sub, local, lag_days=lag_days)
            if slot.start <= day <= slot.day:
                return slot
            if slot.start > day:
                return None
    return None  # pragma: no cover - every cadence posts at least monthly


def posted_link(record: PostRecord, guild_id: int) -> str | None:
    """The link of a sent post naming papers, else None (an empty-day notice, a quiet day)."""
    if record.status != "sent" or not record.message_ids:
        return None
    return message_link(guild_id, record.channel_id, record.message_ids[0])


def sent_with(arxiv_id: str, records: Sequence[PostRecord], guild_id: int) -> PostRecord | None:
    """The newest sent post among `records` naming the paper."""
    found = [r for r in records if arxiv_id in r.arxiv_ids and posted_link(r, guild_id) is not None]
    return max(found, key=lambda r: r.day) if found else None


def filtered_out(
    paper: Paper, papers: Sequence[Paper], flt: PaperFilter, day: date, tax: Taxonomy
) -> Verdict | None:
    """The first filter (in `bot.filters`' order) that drops `paper` from `papers`, or None."""
    cats = tuple(paper.categories)
    if flt.include and not listed(paper, PaperFilter(include=flt.include), tax):
        return OutsideCategories(day, cats, flt.include)
    for sel in flt.exclude:
        if not listed(paper, PaperFilter(exclude=(sel,)), tax):
            return Excluded(day, cats, sel)
    if (paper.score or 0.0) < flt.min_score:
        return BelowScore(day, paper.score, flt.min_score)
    if flt.keywords and not matches(paper, PaperFilter(keywords=flt.keywords), tax=tax):
        return KeywordMiss(day, flt.keywords)
    if flt.limit is not None:
        passed = [p.arxiv_id for p in papers if matches(p, flt, tax=tax)]
        rank = passed.index(paper.arxiv_id) + 1
        if rank > flt.limit:
            return BelowCut(day, rank, len(passed), flt.limit)
    return None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def halted(sub: Subscription, slot: Slot) -> str | None:
    """Why the scheduler posted (or posts) nothing for `sub` in `slot`, or None."""
    if sub.paused:
        return "the digest is paused; /digest resume starts it again"
    if sub.resumed_at is not None and slot.due_at < _aware(sub.resumed_at):
        return "the digest was paused then (resuming does not post the days it was paused)"
    if not sub.enabled:
        reason = f" ({sub.failing_reason})" if sub.failing_reason else ""
        return f"the subscription is disabled{reason}; /digest subscribe there enables it again"
    if sub.failing_reason:
        return f"posting there is failing ({sub.failing_reason}); it is retried on a long backoff"
    return None


def undelivered(
    sub: Subscription, facts: DayFacts, slot: Slot, now: datetime, grace: timedelta
) -> Verdict:
    """Why a paper the post would hold is not (yet) posted, from the ledger and schedule."""
    day, record = facts.day, facts.record
    if record is None:
        if sub.created_at is not None and slot.due_at < _aware(sub.created_at):
            return BeforeSubscription(day)
        why = halted(sub, slot)
        if why is not None:
            return Paused(day, why)
        if slot.due_at > now:
            return NotYet(day, slot.due_at)
        if now <= slot.due_at + grace:
            return Due(day, slot.due_at)
        return NoRecord(day)
    if record.status == "pending":
        return InProgress(day)
    if record.status == "failed":
        return Failed(day, record.error)
    if record.status == "missed":
        return Missed(day, record.error)
    quiet = record.status == "empty" or not record.arxiv_ids  # an empty day, or its notice
    return Changed(day, "empty" if quiet else "sent")


def explain(
    arxiv_id: str,
    sub: Subscription,
    facts: DayFacts,
    *,
    now: datetime,
    grace: timedelta,
    tax: Taxonomy | None = None,
) -> Verdict:
    """The one verdict on `arxiv_id` for `sub` on `facts.day` (see the module docstring)."""
    tax = tax or load()
    day, record = facts.day, facts.record
    if record is not None and arxiv_id in record.arxiv_ids:
        link = posted_link(record, sub.guild_id)
        if link is not None:
            return Posted(day, link)
    elsewhere = sent_with(arxiv_id, [r for r in facts.posted if r.day != day], sub.guild_id)
    other = posted_link(elsewhere, sub.guild_id) if elsewhere is not None else None
    slot = facts.slot
    if slot is None:
        if elsewhere is not None and other is not None:
            return PostedElsewhere(day, elsewhere.day, other)
        return OffDay(day, cadence.describe(sub))
    papers = merge(facts.digests)
    paper = next((p for p in papers if p.arxiv_id == arxiv_id), None)
    if paper is None:
        if elsewhere is not None and other is not None:
            return PostedElsewhere(day, elsewhere.day, other)
        if not facts.digests and record is not None and record.status in OPEN_OR_MISSED:
            return undelivered(sub, facts, slot, now, grace)  # the day never came: ledger says
        if not facts.digests and not facts.no_announcement and not record and slot.due_at > now:
            return NotYet(day, slot.due_at)  # its day (a week's last) is not even stored yet
        why_none = None
        if not facts.digests:
            empty = record.error if record is not None and record.status == "empty" else None
            why_none = facts.no_announcement or empty
        return NotListed(
            day,
            facts.source,
            stored=bool(facts.digests),
            why_none=why_none,
            listed_on=tuple(d for d in facts.listed_on if d != day),
        )
    dropped = filtered_out(paper, papers, subscription_filter(sub, tax=tax), day, tax)
    return dropped or undelivered(sub, facts, slot, now, grace)
