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
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol, TypeVar

from bot.filters import select, subscription_filter
from bot.models import Digest, PostRecord, Subscription
from bot.render import render_digest, thread_name
from bot.schedule import Clock, utc_now
from bot.store.base import Store

log = logging.getLogger(__name__)

NONCE_CHARS = 25
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


# --- pure helpers -------------------------------------------------------------------------


def nonce_for(channel_id: int, day: date, part: int = 0) -> str:
    """The deterministic nonce of message `part` of (channel, day): 25 hex characters."""
    key = f"{channel_id}:{day.isoformat()}" + (f":{part}" if part else "")
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

Status = Literal["sent", "already", "forbidden", "gone", "rejected", "failed"]


@dataclass
class Outcome:
    """What `publish` did. `retry` is True when a later attempt may succeed."""

    status: Status
    channel_id: int
    day: date
    message_ids: list[int] = field(default_factory=list)
    thread_id: int | None = None
    recovered: int = 0  # messages found already posted instead of being sent again
    error: str | None = None

    @property
    def retry(self) -> bool:
        """Whether the scheduler should try this (channel, day) again later."""
        return self.status == "failed"


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

    async def publish(self, sub: Subscription, digest: Digest) -> Outcome:
        """Post `digest` (a source day, unfiltered) to `sub`'s channel unless already posted."""
        async with self._lock(sub.channel_id):
            return await self._publish(sub, digest)

    async def _publish(self, sub: Subscription, digest: Digest) -> Outcome:
        channel, day = sub.channel_id, digest.day
        existing = await self.store.get_post(channel, day)
        if existing is not None and existing.status == "sent":
            return Outcome("already", channel, day, existing.message_ids, existing.thread_id)
        view = compose(sub, digest)
        in_channel, in_thread = plan(sub, view, candidates=len(digest.papers))
        nonces = [nonce_for(channel, day, i) for i in range(len(in_channel) + len(in_thread))]
        if existing is None:
            record = await self.ledger.claim_post(
                PostRecord(
                    guild_id=sub.guild_id,
                    channel_id=channel,
                    day=day,
                    source=digest.source,
                    nonce=nonce_for(channel, day),
                    arxiv_ids=[p.arxiv_id for p in view.papers],
                    created_at=self.clock(),
                )
            )
        else:
            record = existing
        resuming = existing is not None
        if resuming:
            log.info("resuming the post of %s to channel %s (%s)", day, channel, record.status)
        progress = _Progress(self, record, resuming)
        try:
            ids = await progress.deliver(channel, in_channel, nonces[: len(in_channel)], 0)
            thread_id = record.thread_id
            if in_thread:
                if thread_id is None:
                    name = thread_name(view)
                    thread_id = await self._retry(
                        lambda: self.sender.create_thread(channel, ids[0], name)
                    )
                    progress.thread_id = thread_id
                    await progress.save()
                try:
                    await progress.deliver(
                        thread_id, in_thread, nonces[len(in_channel) :], len(in_channel)
                    )
                except ChannelGone as exc:  # the thread was deleted, not the channel
                    raise ChannelForbidden(f"the digest's thread was deleted: {exc}") from exc
        except ChannelForbidden as exc:
            reason = f"403 Forbidden: {_short(exc) or 'missing access or permissions'}"
            await self.ledger.mark_failing(channel, reason)
            return await progress.fail("forbidden", reason)
        except ChannelGone as exc:
            reason = f"404 Not Found: channel deleted ({_short(exc)})"
            await self.ledger.set_enabled(channel, False)
            await self.ledger.mark_failing(channel, reason)
            return await progress.fail("gone", reason)
        except PayloadRejected as exc:
            reason = f"400 Discord rejected the message: {_short(exc)}"
            log.error("channel %s day %s: %s", channel, day, reason)
            await self.ledger.mark_failing(channel, reason)
            return await progress.fail("rejected", reason)
        except TransientPostError as exc:
            reason = f"temporary error, will retry: {_short(exc)}"
            log.warning("channel %s day %s: %s", channel, day, reason)
            return await progress.fail("failed", reason)
        await self.ledger.finish_post(
            channel,
            day,
            status="sent",
            message_ids=progress.ids,
            thread_id=progress.thread_id,
            posted_at=self.clock(),  # the scheduler's clock, as /digest status shows it
        )
        if sub.failing_reason:
            await self.ledger.mark_failing(channel, None)
        return Outcome(
            "sent", channel, day, progress.ids, progress.thread_id, recovered=progress.recovered
        )

    async def _retry(self, op: Callable[[], Awaitable[T]]) -> T:
        """Run `op`, retrying transient errors with exponential backoff."""
        delay = self.backoff_seconds
        for attempt in range(1, self.attempts + 1):
            try:
                return await op()
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
            return await self.store.claim_post(record)

    async def finish_post(self, channel_id: int, day: date, **fields: Any) -> None:
        async with self.lock:
            await self.store.finish_post(channel_id, day, **fields)

    async def mark_failing(self, channel_id: int, reason: str | None) -> None:
        async with self.lock:
            await self.store.mark_failing(channel_id, reason)

    async def set_enabled(self, channel_id: int, enabled: bool) -> None:
        async with self.lock:
            await self.store.set_enabled(channel_id, enabled)


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
            seen = await self.pub._retry(
                lambda: self.pub.sender.recent(target, after=self.record.created_at)
            )
            used = set(self.ids)
            for i in range(len(done), len(payloads)):
                fp = fingerprint(payloads[i])
                found = next(
                    (
                        m
                        for m in seen
                        if m.id not in used
                        and (m.nonce == nonces[i] or m.fingerprint == fp)
                        and (not done or m.id > done[-1])
                    ),
                    None,
                )
                if found is None:
                    break
                log.info("message %d of %s already posted to %s", i, self.record.day, target)
                done.append(found.id)
                used.add(found.id)
                self.recovered += 1
            self.ids[offset:] = done
            await self.save()
        for i in range(len(done), len(payloads)):
            send = functools.partial(self.pub.sender.send, target, payloads[i], nonce=nonces[i])
            mid = await self.pub._retry(send)
            done.append(mid)
            self.ids[offset:] = done
            await self.save()
        return done


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
