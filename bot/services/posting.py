"""`/digest preview` and `/digest post-now`: what a channel's digest looks like, and posting
it now. Plain data in, the reply out; publishing itself is the `Publisher`'s (exactly once).

Post-now is a member's request: the day comes from the store or a bounded fetch
(`DigestService.latest` / `get_for_member`), a day not complete yet is refused, a disabled
subscription is enabled again, and nothing is posted while this process may not post (the
poster lease: another process posts from the same store, or the store cannot be written). A
day is never posted twice: the publisher's ledger says what became of it, and the reply says
exactly that (sent with a link, already posted when, nothing to post and why, failed and why).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from bot.cadence import span as period_span
from bot.errors import UserInputError
from bot.models import Digest, PostRecord, Subscription, stored_id
from bot.publish import Outcome, compose, plan
from bot.render import empty_reason, escape, truncate
from bot.schedule import Clock, latest_complete_day, latest_slot, slot_covering
from bot.services.digests import DigestService
from bot.services.outcomes import slot_of_day
from bot.services.periods import period_digest
from bot.services.subscriptions import Where, find
from bot.services.texts import (
    message_link,
    needed_permissions,
    parse_day,
    permission_names,
    source_down_text,
    ts,
)
from bot.store.base import Store

PERIODS = ("weekly", "monthly")  # cadences whose post is a period's days merged

Payload = dict[str, Any]
PREVIEW_MESSAGES = 5  # /digest preview shows at most this many of a post's messages
NOT_POSTER = (
    "Nothing was posted: this bot process may not post right now (another HotPapers process is "
    "posting from the same store, or the store cannot be written). /digest status says which."
)


class Poster(Protocol):
    """Posts one (subscription, day) exactly once (`bot.publish.Publisher`)."""

    async def publish(self, sub: Subscription, digest: Digest, *, late: bool = False) -> Outcome:
        """Post the day to the subscription's channel unless its ledger says it was handled."""
        ...


class Gate(Protocol):
    """Whether this process may post now (the poster lease, `bot.app.lease.PosterLease`)."""

    async def holds(self) -> bool:
        """True while this process holds the right to post from its store."""
        ...


@dataclass(frozen=True)
class PostNow:
    """A checked `/digest post-now`: the subscription, the day asked for (None: the latest)
    and the moment it was asked (a post after its slot's catch-up window is marked late)."""

    subscription: Subscription
    day: date | None
    asked_at: datetime


@dataclass(frozen=True)
class Posted:
    """What `/digest post-now` did: the publisher's outcome, and the reply saying so."""

    outcome: Outcome
    late: bool
    text: str


def preview_payloads(payloads: list[Payload]) -> list[Payload]:
    """A post's messages as a private reply shows them: all of them when they fit in
    `PREVIEW_MESSAGES`, else the first ones and a line saying how many more the post has."""
    if len(payloads) <= PREVIEW_MESSAGES:
        return payloads
    shown = PREVIEW_MESSAGES - 1
    more = len(payloads) - shown
    note = f"-# … and {more} more messages in the post ({len(payloads)} in all)."
    return [*payloads[:shown], {"content": note}]


def why_empty(digest: Digest, candidates: int) -> str:
    """Why a channel's view of `digest` is empty: arXiv announced nothing that day (said as
    such), the source had none, or the channel's filters removed them all."""
    return digest.no_announcement or empty_reason(candidates)


def post_now_text(
    guild_id: int,
    sub: Subscription,
    digest: Digest,
    out: Outcome,
    record: PostRecord | None,
    *,
    late: bool,
    first: date | None = None,
) -> str:
    """Exactly what `/digest post-now` did: sent (with a link), already posted (when), nothing
    to post (why), or failed (why, in words: Discord's raw error stays in the log). `first`:
    a weekly or monthly post's first day (it is said as its week or month)."""
    where, day = f"<#{sub.channel_id}>", period_span(first, out.day)
    link = (
        f" ({message_link(guild_id, sub.channel_id, out.message_ids[0])})"
        if out.message_ids
        else ""
    )
    candidates = len(digest.papers)
    shown = compose(sub, digest).papers
    status = str(out.status)
    if status == "already" and out.was == "missed":
        why = f" ({out.error})" if out.error else ""
        return (
            f"The digest of {day} is recorded as missed in {where}{why}. Post it late with "
            f"/digest post-now date:{out.day}."
        )
    if status == "already" and out.was == "empty":
        why = out.error or why_empty(digest, candidates)
        return f"The digest of {day} was already handled in {where}{link}: nothing to post ({why})."
    if status == "already":
        posted_at: datetime | None = record.posted_at if record else None
        when = f" on {ts(posted_at)}" if posted_at else ""
        return (
            f"The digest of {day} was already posted in {where}{when}{link}; "
            "a day is never posted twice."
        )
    marked = " It is marked as posted late." if late else ""
    if status == "sent" and out.message_ids and shown:
        return f"Posted the digest of {day} to {where}{link}.{marked}"
    if status in ("sent", "empty") and out.message_ids:
        why = why_empty(digest, candidates)
        return f"Posted the empty-day notice of {day} to {where}{link}: {why}.{marked}"
    if status in ("sent", "empty"):
        return (
            f"Nothing was posted to {where} for {day}: {why_empty(digest, candidates)}, and "
            "empty-day notices are off (post_empty)."
        )
    if status == "forbidden":
        needed = permission_names(needed_permissions(sub.format))
        return (
            f"Posting the digest of {day} to {where} failed: Discord refused me access or a "
            f"permission there (I need {needed}). Fix the channel's permissions, then run "
            "/digest subscribe there again to resume."
        )
    if status == "gone":
        return (
            f"Posting the digest of {day} failed: {where} no longer exists; "
            "its subscription is disabled."
        )
    if status == "rejected":
        return (
            f"Posting the digest of {day} to {where} failed: Discord refused the message as "
            "invalid. That is a bug on my side and has been logged; the channel is marked "
            "failing until it is fixed."
        )
    if status == "failed" and out.retry_after > 0:
        return (
            f"Posting the digest of {day} to {where} is delayed: Discord asked me to wait "
            f"{out.retry_after:.0f} s. Nothing is lost; the scheduler will post it after that."
        )
    if status == "failed":
        return (
            f"Posting the digest of {day} to {where} failed for now: Discord did not answer in "
            "time. Nothing is lost; the scheduler will try again shortly."
        )
    return f"The digest of {day} for {where} ended as {status}."


class PostingService:
    """`/digest preview` and `/digest post-now` over the digests, the store and the publisher."""

    def __init__(
        self,
        store: Store,
        digests: DigestService,
        publisher: Poster,
        *,
        clock: Clock,
        catch_up: timedelta,
        gate: Gate | None = None,
    ) -> None:
        self.store = store
        self.digests = digests
        self.publisher = publisher
        self.clock = clock
        self.catch_up = catch_up
        self.gate = gate

    async def missing(self, source: str, day: date, channel_id: int, what: str) -> str:
        """Why a day has no digest to `what`: the source is unreachable, or it has none."""
        health = await self.digests.outage(source)
        if health is not None:
            return source_down_text(self.digests.resolve(source), health)
        return f"There is no digest of {day} to {what} <#{channel_id}>."

    async def preview(self, sub: Subscription) -> list[Payload]:
        """The messages `sub`'s next digest would post, rendered as the post renders them (a
        subscription as saved, or as `/digest preview`'s options would make it), or why
        nothing would be posted; a UserInputError if there is no digest to preview. Writes
        nothing: a preview creates and changes no subscription and no ledger row.

        A post of more messages than a private reply holds shows its first ones and a last
        line saying how many more the post has (`preview_payloads`)."""
        end, digest = await self.digests.latest(sub.source)
        if digest is None:
            raise UserInputError(await self.missing(sub.source, end, sub.channel_id, "preview for"))
        if sub.cadence in ("weekly", "monthly"):
            digest = await self.preview_period(sub, end) or digest
        view = compose(sub, digest)
        in_channel, in_thread = plan(sub, view, candidates=len(digest.papers))
        if in_channel or in_thread:
            return preview_payloads(in_channel + in_thread)
        why = why_empty(digest, len(digest.papers))
        return [
            {
                "content": f"Nothing would be posted for {digest.day} "
                f"({escape(truncate(digest.title, 300))}): "
                f"{why}, and empty-day notices are off (post_empty)."
            }
        ]

    async def preview_period(self, sub: Subscription, end: date) -> Digest | None:
        """The period a weekly or monthly preview shows, from the store: the latest slot's
        when the scheduler still owes it (the digest existed then, its last day is complete
        and stored, and its ledger row does not say it was handled), else the period so far
        that holds `end`, the latest day (never days of two periods)."""
        lag = self.digests.lag_days
        latest = latest_slot(sub, self.clock(), lag_days=lag)
        periods = []
        # The latest slot is the next post only when the scheduler still owes it: a stored
        # subscription created before that slot and not yet posted. A draft, or a digest
        # subscribed after it, is owed nothing there: its next post is the period holding `end`.
        owed = (
            latest is not None
            and latest.day <= end
            and sub.id is not None
            and sub.created_at is not None
            and sub.created_at <= latest.slot_at
        )
        if owed and latest is not None and sub.id is not None:
            done = await self.store.get_post(sub.id, latest.day)
            periods = [] if done else [(latest.start, latest.day)]
        periods.append((slot_covering(sub, end, lag_days=lag).start, end))
        for first, key in periods:
            found = await period_digest(
                self.digests, sub.source, first, key, sub.cadence, fetch=False
            )
            if found is not None:
                return found
        return None

    async def check(self, where: Where, date_text: str | None, name: str | None = None) -> PostNow:
        """Refuse at once what cannot be posted (not a date, a day not complete yet, a channel
        with no subscription, a week or month not over yet), before any slow work."""
        now = self.clock()
        lag = self.digests.lag_days
        day = parse_day(date_text, today=now.date())
        if day is not None and day > (latest := latest_complete_day(now, lag)):
            raise UserInputError(f"{day} is not complete yet; the latest complete day is {latest}.")
        sub = await find(self.store, where, name)
        if sub.cadence in PERIODS:
            period = (
                slot_covering(sub, day, lag_days=lag)
                if day
                else latest_slot(sub, now, lag_days=lag)
            )
            if period is None or period.day > latest_complete_day(now, lag):
                span = f"{period.start} – {period.day}" if period else "its first period"
                raise UserInputError(
                    f"The {sub.cadence} digest of {span} is not complete yet; "
                    "post-now posts a period once its last day is complete."
                )
        return PostNow(subscription=sub, day=day, asked_at=now)

    async def post_now(self, request: PostNow) -> Posted:
        """Post the day (the latest when none was asked for) to the channel now, once; a
        weekly or monthly digest posts the period that holds it (the latest complete one)."""
        sub, now = request.subscription, request.asked_at
        lag = self.digests.lag_days
        first: date | None = None
        if sub.cadence in PERIODS:
            slot = (
                slot_covering(sub, request.day, lag_days=lag)
                if request.day
                else latest_slot(sub, now, lag_days=lag)
            )
            assert slot is not None, "check() refused a digest without a complete period"
            end, first = slot.day, slot.start
            digest = await period_digest(self.digests, sub.source, slot.start, end, sub.cadence)
        elif request.day is None:
            end, digest = await self.digests.latest(sub.source)
        else:
            end = request.day
            digest = await self.digests.get_for_member(sub.source, request.day)
        if digest is None:
            raise UserInputError(await self.missing(sub.source, end, sub.channel_id, "post to"))
        # The lease first: "Nothing was posted" must leave the subscription as it was.
        if self.gate is not None and not await self.gate.holds():
            raise UserInputError(NOT_POSTER)
        if not sub.enabled:
            await self.store.set_enabled(stored_id(sub), True)
            sub = sub.model_copy(update={"enabled": True})
        late = now > slot_of_day(sub, digest.day, lag).due_at + self.catch_up
        out = await self.publisher.publish(sub, digest, late=late)
        record = await self.store.get_post(stored_id(sub), out.day)
        text = post_now_text(sub.guild_id, sub, digest, out, record, late=late, first=first)
        return Posted(outcome=out, late=late, text=text)
