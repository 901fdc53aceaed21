"""Post one (subscription, day) exactly once: the ledger, the nonce, and what to do on errors.

This module knows the ledger (`Store.claim_post` / `finish_post`) and an abstract `Sender`;
it imports nothing from discord.py (the adapter is `bot.app.sender`), so every path below is
unit-tested with a scripted sender.

Exactly once, and why a crash cannot cause a duplicate or a gap
---------------------------------------------------------------
A post is a short sequence of messages: the channel message(s), and for `detailed` a thread
opened on the header with the per-paper embeds in it. For each (channel, day):

1. **Claim before sending.** A `pending` ledger row is written (durably: SQLite, WAL) before
   the first request. A day with a `sent` row is never posted again, whoever asks.
2. **Record after every message.** After each successful send the message ids posted so far
   (and the thread id) are written to the row, still `pending`. After the last one the row
   becomes `sent`. So the ledger always knows every message except, at most, the one whose
   send was in flight when the process died.
3. **Deterministic nonces.** Message *i* of (channel, day) carries
   `nonce = sha256("channel:day[:i]")[:25]` with `enforce_nonce`. Discord returns the existing
   message instead of creating a new one when the same author repeats a nonce within a few
   minutes; a restart by a supervisor is well within that window.
4. **Recovery scan.** A row found `pending` (or `failed`) at the next attempt means an earlier
   attempt stopped part-way. Before resending message *i* beyond the recorded prefix, the
   target's recent messages since the claim are read (one `GET …/messages?after=`); a message
   by the bot that is a plain message (not a command reply) and carries nonce *i* or the same
   content fingerprint (content and embed titles) is adopted as message *i* instead of being
   sent again. This covers a restart after the nonce window has closed, and the fact that
   Discord does not always echo nonces when messages are read back. Only if it is not there is
   it sent, with its nonce, so even a message missed by the scan is deduplicated by Discord.
5. **Threads** are opened on the header message. Discord gives a thread started from a
   message the message's id, and refuses a second thread on the same message; the sender
   turns that refusal into "here is the existing thread", so reopening is idempotent too.

The crash window "message sent, id not yet recorded" is therefore closed from both sides: the
scan finds the message, and the nonce makes a resend a no-op. A crash before the claim leaves
nothing to recover (the day is simply still due); a crash after `sent` is recorded leaves
nothing to do. No gap: the scheduler keeps a `pending`/`failed` day due (within its grace
window) until it is `sent`.

Errors
------
- 403 (missing access or permissions): the subscription is marked failing with the reason,
  shown in `/digest status`; the scheduler skips it until a moderator fixes it and subscribes
  again (not retried forever).
- 404 (the channel was deleted): the subscription is disabled.
- Transient (5xx, connection errors, timeouts): retried here with exponential backoff; when
  the attempts run out the row is `failed` and the scheduler tries again on a later tick.
- 400 (Discord rejected our payload): a bug, not retried; the channel is marked failing so a
  moderator sees it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar

from bot.filters import select, subscription_filter
from bot.models import Digest, PostRecord, Subscription
from bot.render import render_digest, thread_name
from bot.schedule import Clock, utc_now
from bot.store.base import Store

log = logging.getLogger(__name__)

NONCE_CHARS = 25
SCAN_MARGIN = timedelta(minutes=5)  # read back from a little before the claim (clock skew)
Payload = dict[str, Any]
T = TypeVar("T")


# --- what a sender may raise ------------------------------------------------------------


class PostError(Exception):
    """A message could not be posted; subclasses say why."""


class ChannelForbidden(PostError):
    """403: the bot may not see or post in the channel (or open threads in it)."""


class ChannelGone(PostError):
    """404: the channel (or thread) no longer exists."""


class TransientPostError(PostError):
    """5xx, a dropped connection or a timeout: worth retrying later."""


class PayloadRejected(PostError):
    """400: Discord refused the payload; retrying the same payload cannot help."""


class MessageGone(PostError):
    """404 Unknown Message: the message a thread was to be opened on was deleted."""


MAX_RATE_LIMIT_WAIT = 3600.0  # an absurd or malformed retry_after is taken as an hour


def bounded_wait(seconds: float) -> float:
    """A rate limit's wait, kept within [0, MAX_RATE_LIMIT_WAIT] (inf, NaN: the maximum)."""
    if not math.isfinite(seconds):
        return MAX_RATE_LIMIT_WAIT
    return min(max(0.0, seconds), MAX_RATE_LIMIT_WAIT)


class RateLimitedPost(TransientPostError):
    """429 whose wait is longer than a post may be held (`discord.max_ratelimit_seconds`).

    Not retried in place: the post is rescheduled for after `retry_after`, so one long
    limit on one channel (or a global one) never holds the fan-out.
    """

    def __init__(self, retry_after: float, *, is_global: bool = False) -> None:
        retry_after = bounded_wait(retry_after)
        scope = "global rate limit" if is_global else "rate limited"
        super().__init__(f"{scope} for {retry_after:.0f} s")
        self.retry_after = retry_after
        self.is_global = is_global


@dataclass(frozen=True)
class SeenMessage:
    """A message read back from a channel: its id, its nonce if echoed, its fingerprint."""

    id: int
    nonce: str | None
    fingerprint: str


class Sender(Protocol):
    """The three Discord operations posting needs (implemented over discord.py's HTTP client)."""

    async def send(self, channel_id: int, payload: Payload, *, nonce: str) -> int:
        """Post `payload` with `nonce` and `enforce_nonce`; return the message id."""
        ...

    async def create_thread(self, channel_id: int, message_id: int, name: str) -> int:
        """Open (or find the already opened) thread on a message; return the thread id."""
        ...

    async def recent(self, channel_id: int, *, after: datetime | None) -> list[SeenMessage]:
        """The bot's own plain messages in a channel (not command replies), oldest first."""
        ...

    async def delete(self, channel_id: int, message_id: int) -> None:
        """Delete one of the bot's messages; an already deleted one is not an error."""
        ...

    async def exists(self, channel_id: int, message_id: int) -> bool:
        """Whether a message is still there (False once it or its channel was deleted)."""
        ...


# --- pure helpers -------------------------------------------------------------------------


def nonce_for(channel_id: int, day: date, part: int = 0, generation: int = 0) -> str:
    """The deterministic nonce of message `part` of (channel, day): 25 hex characters.

    `generation` > 0 (a post started afresh) gives new nonces, so Discord's dedup cannot hand
    back a message of the deleted attempt.
    """
    key = f"{channel_id}:{day.isoformat()}" + (f":{part}" if part else "")
    if generation:
        key += f"#{generation}"
    return hashlib.sha256(key.encode()).hexdigest()[:NONCE_CHARS]


def fingerprint(message: Payload) -> str:
    """A short hash of what identifies a posted message: content and embed titles/text.

    Works on a payload we send and on a message object read back, so the two can be matched.
    """
    parts = [str(message.get("content") or "").strip()]
    for embed in message.get("embeds") or []:
        parts.append(str(embed.get("title") or "").strip())
        parts.append(str(embed.get("description") or "").strip())
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def compose(sub: Subscription, digest: Digest) -> Digest:
    """The digest as this subscription sees it: its categories, keywords, score and limit."""
    return select([digest], subscription_filter(sub), end=digest.day, window="day")


def plan(
    sub: Subscription, view: Digest, *, candidates: int = 0
) -> tuple[list[Payload], list[Payload]]:
    """(channel payloads, thread payloads) for a composed digest; nothing on a quiet empty day.

    `candidates`: the day's papers before the subscription's filters (an empty-day notice
    says whether the source had none or the filters removed them)."""
    if not view.papers and not sub.post_empty:
        return [], []
    payloads = render_digest(view, sub.format, filtered_from=candidates)
    if sub.format == "detailed" and view.papers:
        return payloads[:1], payloads[1:]
    return payloads, []


# --- the publisher ------------------------------------------------------------------------

Status = Literal["sent", "empty", "already", "forbidden", "gone", "rejected", "failed"]


@dataclass
class Outcome:
    """What `publish` did. `retry` is True when a later attempt may succeed.

    `empty`: nothing of this day passed the channel's filters (or the source had nothing);
    `error` says which, and `message_ids` holds the notice if one was posted. `already`: the
    ledger had a terminal outcome; `was` is that outcome (`sent`, `empty`, `missed`).
    """

    status: Status
    channel_id: int
    day: date
    message_ids: list[int] = field(default_factory=list)
    thread_id: int | None = None
    recovered: int = 0  # messages found already posted instead of being sent again
    error: str | None = None
    was: str | None = None
    retry_after: float = 0.0  # for a rate-limited post: the earliest sensible retry, seconds
    restarted: bool = False  # the post was started afresh (its thread or header was deleted)

    @property
    def retry(self) -> bool:
        """Whether the scheduler should try this (channel, day) again later."""
        return self.status == "failed"

    @property
    def done(self) -> bool:
        """Whether the (channel, day) has its terminal outcome now."""
        return self.status in ("sent", "empty", "already")


def _as_claimed(view: Digest, digest: Digest, claimed: list[str]) -> Digest:
    """The view a resumed post continues: the papers its claim recorded, in that order.

    The day's digest may have been refreshed, or the subscription edited, since the claim;
    recomposing would mix two selections in one post (a claimed paper skipped, another one
    twice). The caller adds claimed papers the digest no longer has (from the store).
    """
    papers = {p.arxiv_id: p for p in [*view.papers, *digest.papers]}
    kept = [papers[i] for i in claimed if i in papers]
    if [p.arxiv_id for p in view.papers] == [p.arxiv_id for p in kept]:
        return view
    return view.model_copy(update={"papers": kept})


def empty_reason(sub: Subscription, digest: Digest) -> str:
    """Why a subscription's view of `digest` has no papers, in words a moderator can act on."""
    total = len(digest.papers)
    if total == 0:
        why = "the source had no papers that day"
    else:
        noun = "paper" if total == 1 else "papers"
        why = f"the channel's filters removed all {total} {noun}"
    if not sub.post_empty:
        why += " (nothing posted: post_empty is off)"
    return why


class _Restart(Exception):
    """The post's thread or header is gone: start the whole post again (once)."""


class Publisher:
    """Posts composed digests exactly once; one per channel at a time.

    `sleep` and `clock` are injectable so tests run the backoff instantly.
    """

    def __init__(
        self,
        store: Store,
        sender: Sender,
        *,
        clock: Clock = utc_now,
        attempts: int = 4,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.attempts = max(1, attempts)
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.sleep = sleep
        self.ledger = _Ledger(store)
        self._locks: dict[int, asyncio.Lock] = {}

    def _lock(self, channel_id: int) -> asyncio.Lock:
        lock = self._locks.get(channel_id)
        if lock is None:
            lock = self._locks[channel_id] = asyncio.Lock()
        return lock

    async def publish(self, sub: Subscription, digest: Digest, *, late: bool = False) -> Outcome:
        """Post `digest` (a source day, unfiltered) to `sub`'s channel unless already posted.

        `late=True` (a moderator's `post-now date:`) also posts a day recorded as `missed`,
        and marks the post late.
        """
        async with self._lock(sub.channel_id):
            try:
                return await self._publish(sub, digest, late=late)
            except _Restart:  # pragma: no cover - _publish restarts at most once itself
                raise AssertionError("unreachable") from None

    async def _publish(self, sub: Subscription, digest: Digest, *, late: bool) -> Outcome:
        channel, day = sub.channel_id, digest.day
        existing = await self.store.get_post(channel, day)
        if existing is not None and (
            existing.status in ("sent", "empty") or (existing.status == "missed" and not late)
        ):
            return Outcome(
                "already",
                channel,
                day,
                existing.message_ids,
                existing.thread_id,
                error=existing.error,
                was=existing.status,
            )
        view = compose(sub, digest)
        if existing is not None and existing.status in ("pending", "failed"):
            missing = {p.arxiv_id for p in digest.papers}
            gone = [i for i in existing.arxiv_ids if i not in missing]
            extra = [p for i in gone if (p := await self.store.get_paper(i)) is not None]
            view = _as_claimed(
                view,
                digest.model_copy(update={"papers": [*digest.papers, *extra]}),
                existing.arxiv_ids,
            )
        arxiv_ids = [p.arxiv_id for p in view.papers]
        if existing is None:
            record = await self.ledger.claim_post(
                PostRecord(
                    guild_id=sub.guild_id,
                    channel_id=channel,
                    day=day,
                    source=digest.source,
                    nonce=nonce_for(channel, day),
                    arxiv_ids=arxiv_ids,
                    created_at=self.clock(),
                    late=late,
                )
            )
            resuming = record.status != "pending" or bool(record.message_ids)
        elif existing.status == "missed":
            await self.ledger.reopen_post(
                channel, day, generation=existing.generation, late=True, created_at=self.clock()
            )
            record = existing.model_copy(
                update={"status": "pending", "message_ids": [], "thread_id": None, "late": True}
            )
            resuming = False
        else:
            record = existing
            resuming = True
            if late and not existing.late:
                await self.ledger.finish_post(channel, day, status=existing.status, late=True)
                record = existing.model_copy(update={"late": True})
            log.info("resuming the post of %s to channel %s (%s)", day, channel, record.status)
        try:
            return await self._attempt(sub, digest, view, record, resuming)
        except _Restart as exc:
            log.warning("channel %s day %s: %s; posting it again from the start", channel, day, exc)
            generation = record.generation + 1
            await self.ledger.reopen_post(
                channel, day, generation=generation, late=record.late, created_at=self.clock()
            )
            fresh = record.model_copy(
                update={
                    "status": "pending",
                    "message_ids": [],
                    "thread_id": None,
                    "generation": generation,
                }
            )
            try:
                out = await self._attempt(sub, digest, view, fresh, resuming=False)
            except _Restart as again:
                reason = f"the post broke twice while being made ({again})"
                await self.ledger.finish_post(channel, day, status="failed", error=reason)
                return Outcome("failed", channel, day, error=reason)
            out.restarted = True
            return out

    async def reconcile(self, sub: Subscription, digest: Digest) -> PostRecord | None:
        """Record what an unfinished post left in its channel, sending nothing.

        For a day given up when its catch-up window closed: a message whose send went
        through but whose answer was lost (a kill, a deadline) would otherwise stay in the
        channel unknown to the ledger. Reads the channel (and the thread) back once and
        adopts those messages, as a resume would. Returns the updated row.
        """
        channel, day = sub.channel_id, digest.day
        async with self._lock(channel):
            record = await self.store.get_post(channel, day)
            if record is None or record.status not in ("pending", "failed"):
                return record
            view = _as_claimed(compose(sub, digest), digest, record.arxiv_ids)
            in_channel, in_thread = plan(sub, view, candidates=len(digest.papers))
            total = len(in_channel) + len(in_thread)
            nonces = [nonce_for(channel, day, i, record.generation) for i in range(total)]
            progress = _Progress(self, record, resuming=True)
            try:
                done = progress.ids[: len(in_channel)]
                if len(done) < len(in_channel):
                    seen = await progress._look(channel)
                    for i in range(len(done), len(in_channel)):
                        found = progress._match(seen, in_channel[i], nonces[i], done)
                        if found is None:
                            break
                        done.append(found)
                    progress.ids[:] = done
                if in_thread and progress.thread_id is not None and len(done) == len(in_channel):
                    part = progress.ids[len(in_channel) :]
                    seen = await progress._look(progress.thread_id)
                    for i in range(len(part), len(in_thread)):
                        j = len(in_channel) + i
                        found = progress._match(seen, in_thread[i], nonces[j], part)
                        if found is None:
                            break
                        part.append(found)
                    progress.ids[len(in_channel) :] = part
            except PostError as exc:
                log.info("cannot read back %s in %s to reconcile: %s", day, channel, exc)
            await progress.save(record.status, record.error)
            return await self.store.get_post(channel, day)

    async def _attempt(
        self,
        sub: Subscription,
        digest: Digest,
        view: Digest,
        record: PostRecord,
        resuming: bool,
    ) -> Outcome:
        channel, day = sub.channel_id, digest.day
        in_channel, in_thread = plan(sub, view, candidates=len(digest.papers))
        total = len(in_channel) + len(in_thread)
        nonces = [nonce_for(channel, day, i, record.generation) for i in range(total)]
        progress = _Progress(self, record, resuming)
        try:
            if resuming and record.message_ids:
                await self._check_header(channel, record, len(in_channel))
            ids = await progress.deliver(channel, in_channel, nonces[: len(in_channel)], 0)
            thread_id = progress.thread_id
            if in_thread:
                if thread_id is None:
                    name = thread_name(view)
                    try:
                        thread_id = await self._retry(
                            lambda: self.sender.create_thread(channel, ids[0], name)
                        )
                    except MessageGone as exc:
                        await self._discard(channel, progress.ids)
                        raise _Restart("its header message was deleted") from exc
                    progress.thread_id = thread_id
                    await progress.save()
                try:
                    await progress.deliver(
                        thread_id, in_thread, nonces[len(in_channel) :], len(in_channel)
                    )
                except ChannelGone as exc:  # the thread was deleted, not the channel
                    await self._discard(channel, progress.ids[: len(in_channel)])
                    raise _Restart("its thread was deleted") from exc
        except ChannelForbidden as exc:
            reason = f"403 Forbidden: {_short(exc) or 'missing access or permissions'}"
            await self.ledger.mark_failing(channel, reason, self.clock())
            return await progress.fail("forbidden", reason)
        except ChannelGone as exc:
            reason = f"404 Not Found: channel deleted ({_short(exc)})"
            await self.ledger.set_enabled(channel, False)
            await self.ledger.mark_failing(channel, reason, self.clock())
            return await progress.fail("gone", reason)
        except PayloadRejected as exc:
            reason = f"400 Discord rejected the message: {_short(exc)}"
            log.error("channel %s day %s: %s", channel, day, reason)
            await self.ledger.mark_failing(channel, reason, self.clock())
            return await progress.fail("rejected", reason)
        except RateLimitedPost as exc:
            reason = f"{exc}; will retry after it"
            log.warning("channel %s day %s: %s", channel, day, reason)
            out = await progress.fail("failed", reason)
            out.retry_after = exc.retry_after
            return out
        except (TransientPostError, MessageGone) as exc:
            reason = f"temporary error, will retry: {_short(exc)}"
            log.warning("channel %s day %s: %s", channel, day, reason)
            return await progress.fail("failed", reason)
        status: Literal["sent", "empty"] = "sent" if view.papers else "empty"
        done_reason = None if view.papers else empty_reason(sub, digest)
        await self.ledger.finish_post(
            channel,
            day,
            status=status,
            message_ids=progress.ids,
            thread_id=progress.thread_id,
            error=done_reason,
            posted_at=self.clock(),  # the scheduler's clock, as /digest status shows it
        )
        if sub.failing_reason:
            await self.ledger.mark_failing(channel, None)
        return Outcome(
            status,
            channel,
            day,
            progress.ids,
            progress.thread_id,
            recovered=progress.recovered,
            error=done_reason,
        )

    async def _check_header(self, channel: int, record: PostRecord, in_channel: int) -> None:
        """A resumed post whose recorded header message is gone starts afresh.

        Adding to it would leave a thread or the rest of the post without its head (a
        moderator deleted it). Discord keeps a thread whose starter message was deleted, so
        the broken post's messages in it are deleted too. A channel the bot may not read
        (403) is taken as intact: the nonces still guard the rest of the post.
        """
        header = record.message_ids[0]
        try:
            present = await self._retry(lambda: self.sender.exists(channel, header))
        except ChannelForbidden as exc:
            log.info("cannot check the header of %s in %s: %s", record.day, channel, exc)
            return
        if not present:
            await self._discard(channel, record.message_ids[:in_channel])
            if record.thread_id is not None:
                # the thread was this post's alone: every message of the bot in it goes,
                # including one whose send was in flight when the process died
                thread = record.thread_id
                ids = set(record.message_ids[in_channel:])
                try:
                    ids |= {
                        m.id
                        for m in await self._retry(lambda: self.sender.recent(thread, after=None))
                    }
                except PostError as exc:
                    log.info("cannot read back thread %s: %s", thread, exc)
                await self._discard(thread, sorted(ids))
            raise _Restart("its header message was deleted")

    async def _discard(self, channel: int, message_ids: list[int]) -> None:
        """Best effort: remove what is left of a broken post before it is made again."""
        for mid in message_ids:
            try:
                await self.sender.delete(channel, mid)
            except PostError as exc:
                log.info("could not delete message %s in %s: %s", mid, channel, exc)

    async def _retry(self, op: Callable[[], Awaitable[T]]) -> T:
        """Run `op`, retrying transient errors with exponential backoff.

        A long rate limit (`RateLimitedPost`) is not retried here: waiting it out would hold
        this post's slot in the fan-out, so the scheduler reschedules it instead.
        """
        delay = self.backoff_seconds
        for attempt in range(1, self.attempts + 1):
            try:
                return await op()
            except RateLimitedPost:
                raise
            except TransientPostError as exc:
                if attempt == self.attempts:
                    raise
                log.info("transient error (attempt %d/%d): %s", attempt, self.attempts, exc)
                await self.sleep(delay)
                delay = min(delay * 2, self.max_backoff_seconds)
        raise AssertionError("unreachable")  # pragma: no cover


class _Ledger:
    """The publisher's writes to the store, one at a time.

    Posts to many channels run concurrently on one store; SQLite takes one writer at a time,
    and a store sharing one connection must not interleave two transactions on it.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = asyncio.Lock()

    async def claim_post(self, record: PostRecord) -> PostRecord:
        async with self.lock:
            return (await self.store.claim_post(record)).record

    async def finish_post(self, channel_id: int, day: date, **fields: Any) -> None:
        async with self.lock:
            await self.store.finish_post(channel_id, day, **fields)

    async def mark_failing(
        self, channel_id: int, reason: str | None, at: datetime | None = None
    ) -> None:
        async with self.lock:
            await self.store.mark_failing(channel_id, reason, at=at)

    async def set_enabled(self, channel_id: int, enabled: bool) -> None:
        async with self.lock:
            await self.store.set_enabled(channel_id, enabled)

    async def reopen_post(self, channel_id: int, day: date, **fields: Any) -> None:
        async with self.lock:
            await self.store.reopen_post(channel_id, day, **fields)


class _Progress:
    """The messages of one post attempt so far, saved to the ledger after each one."""

    def __init__(self, pub: Publisher, record: PostRecord, resuming: bool) -> None:
        self.pub = pub
        self.record = record
        self.resuming = resuming
        self.ids: list[int] = list(record.message_ids)
        self.thread_id: int | None = record.thread_id
        self.recovered = 0

    async def save(self, status: str = "pending", error: str | None = None) -> None:
        await self.pub.ledger.finish_post(
            self.record.channel_id,
            self.record.day,
            status=status,
            message_ids=self.ids,
            thread_id=self.thread_id,
            error=error,
        )

    async def fail(self, status: Status, reason: str) -> Outcome:
        await self.save("failed", reason)
        rec = self.record
        return Outcome(status, rec.channel_id, rec.day, self.ids, self.thread_id, error=reason)

    async def deliver(
        self, target: int, payloads: list[Payload], nonces: list[str], offset: int
    ) -> list[int]:
        """Post `payloads` to `target` unless already there; returns their message ids."""
        done = self.ids[offset : offset + len(payloads)]
        if len(done) < len(payloads) and self.resuming:
            seen = await self._look(target)
            for i in range(len(done), len(payloads)):
                found = self._match(seen, payloads[i], nonces[i], done)
                if found is None:
                    break
                log.info("message %d of %s already posted to %s", i, self.record.day, target)
                done.append(found)
                self.recovered += 1
            self.ids[offset:] = done
            await self.save()
        for i in range(len(done), len(payloads)):
            mid = await self._send(target, payloads[i], nonces[i], done)
            done.append(mid)
            self.ids[offset:] = done
            await self.save()
        return done

    async def _look(self, target: int) -> list[SeenMessage]:
        """The bot's messages in `target` since a little before the claim.

        The margin covers a host clock ahead of Discord's (message ids are Discord's time).
        A 403 (no Read Message History) means the bot cannot look: nothing is adopted, and
        the deterministic nonce still dedups a resend within Discord's window.
        """
        created = self.record.created_at
        after = created - SCAN_MARGIN if created is not None else None
        try:
            return await self.pub._retry(lambda: self.pub.sender.recent(target, after=after))
        except ChannelForbidden as exc:
            log.info("cannot read back %s (%s); relying on the nonces", target, exc)
            return []

    def _match(
        self, seen: list[SeenMessage], payload: Payload, nonce: str, done: list[int]
    ) -> int | None:
        """The id of the message in `seen` that is `payload` (by nonce or fingerprint),
        newer than the last one done and not already used, or None."""
        fp = fingerprint(payload)
        used = set(self.ids) | set(done)
        for m in seen:
            if m.id in used or (done and m.id <= done[-1]):
                continue
            if m.nonce == nonce or m.fingerprint == fp:
                return m.id
        return None

    async def _send(self, target: int, payload: Payload, nonce: str, done: list[int]) -> int:
        """Send one message; after a failed try, look before sending again.

        A 5xx, a dropped connection or a timeout can come *after* Discord created the
        message. The nonce dedups a resend only within Discord's nonce window, so every
        retry first reads the target back and adopts the message if it is there.
        """
        pub = self.pub
        delay = pub.backoff_seconds
        for attempt in range(1, pub.attempts + 1):
            if attempt > 1:
                seen = await self._look(target)
                found = self._match(seen, payload, nonce, done)
                if found is not None:
                    log.info("a failed send to %s had gone through; adopted it", target)
                    self.recovered += 1
                    return found
            try:
                return await pub.sender.send(target, payload, nonce=nonce)
            except RateLimitedPost:
                raise
            except TransientPostError as exc:
                if attempt == pub.attempts:
                    raise
                log.info("transient error (attempt %d/%d): %s", attempt, pub.attempts, exc)
                await pub.sleep(delay)
                delay = min(delay * 2, pub.max_backoff_seconds)
        raise AssertionError("unreachable")  # pragma: no cover


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
