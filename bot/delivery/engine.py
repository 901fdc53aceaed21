"""The exactly-once engine: runs a target's plan for one (subscription, day), once.

Written once for every target (`bot.delivery.targets`); it knows the ledger and an abstract
`Sender`, imports nothing from discord.py, and is unit-tested with a scripted sender.

Exactly once, and why a crash cannot cause a duplicate or a gap
---------------------------------------------------------------
A post is a plan of steps (`bot.delivery.plan`): messages into the channel or into a thread,
and the thread opened on one of them. For each (subscription, day) (`day`: the period's key
day, `bot.cadence`; a channel may hold several subscriptions, each with its own ledger):

1. **Claim before sending.** A `pending` ledger row is written (durably: SQLite, WAL) before
   the first request. A day with a `sent` row is never posted again, whoever asks.
2. **Record after every step.** After each step the message ids posted so far (and the
   thread id) are written to the row, still `pending`. After the last one the row becomes
   `sent`. So the ledger always knows every step except, at most, the one in flight when the
   process died.
3. **Deterministic nonces.** Message *k* of (subscription, day) in its channel carries
   `nonce = sha256("subscription/channel:day[:k]")[:25]` with `enforce_nonce`. Discord
   returns the existing message instead of creating a new one when the same author repeats
   a nonce within a few minutes; a restart by a supervisor is well within that window.
4. **Recovery scan.** A row found `pending` (or `failed`) at the next attempt means an earlier
   attempt stopped part-way. Before sending message *k* beyond the recorded prefix, the place
   it goes to is read back since the claim (`GET …/messages?after=`, page after page), and a
   message that may stand for it (`bot.delivery.scan`: the right author, not recorded for any
   step of any post, newer than the step before, same content or unedited with its nonce) is
   adopted instead of being sent again. Only if none is there is it sent, with its nonce.
5. **Threads** are opened on a recorded message. Discord gives a thread started from a
   message the message's id, and refuses a second thread on the same message; the sender
   turns that refusal into "here is the existing thread", so reopening is idempotent too.
6. **A broken post starts afresh, once.** A resumed post whose first message was deleted, a
   thread deleted or locked (by a moderator) while it filled, or a header deleted before its
   thread opened: what is
   left is deleted and the post is made again as a new generation (new nonces, so Discord's
   dedup cannot hand back a deleted message). Broken twice: `failed`, with the reason.

Errors
------
- 403: the subscription is marked failing with the reason (`/digest status`); the scheduler
  retries it on a long backoff only.
- 404 (the channel was deleted): the subscription is disabled.
- Transient (5xx, connection errors, timeouts): retried here with exponential backoff; when
  the attempts run out the row is `failed` and the scheduler tries again on a later tick. A
  long 429 is not waited out: the outcome carries `retry_after`.
- 400 (Discord rejected our payload): a bug, not retried; the channel is marked failing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Literal

from bot.delivery.compose import as_claimed, compose, empty_reason, voted
from bot.delivery.errors import (
    UNREACHABLE,
    ChannelForbidden,
    ChannelGone,
    MessageGone,
    PayloadRejected,
    PostError,
    RateLimitedPost,
    ThreadLocked,
    TransientPostError,
    UserUnreachable,
    short,
)
from bot.delivery.ledger import Ledger
from bot.delivery.outcome import Outcome
from bot.delivery.plan import OpenThread, Plan
from bot.delivery.progress import Progress, own
from bot.delivery.retry import RetryPolicy
from bot.delivery.roles import plan_with_ping
from bot.delivery.targets import known, target_for, unknown_format
from bot.delivery.wire import Sender, nonce_for
from bot.models import Digest, PostRecord, Subscription, stored_id
from bot.observe import NO_OBSERVER, Observer
from bot.schedule import Clock, utc_now
from bot.store.base import Store

log = logging.getLogger(__name__)


HEADER_GONE = "its header message was deleted"
THREAD_GONE = "its thread was deleted"
THREAD_LOCKED = "its thread was locked by a moderator"


class Restart(Exception):
    """The post's thread or header is gone: start the whole post again (once)."""


class Publisher:
    """Posts composed digests exactly once; one post per channel at a time (a channel's
    subscriptions take turns, so no recovery scan reads another post being made).

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
        observer: Observer = NO_OBSERVER,
    ) -> None:
        self.store = store
        self.observer = observer  # told every outcome (bot.observe)
        self.sender = sender
        self.clock = clock
        self.policy = RetryPolicy(attempts, backoff_seconds, max_backoff_seconds, sleep)
        self.ledger = Ledger(store)
        self._locks: dict[int, asyncio.Lock] = {}

    def _lock(self, channel_id: int) -> asyncio.Lock:
        lock = self._locks.get(channel_id)
        if lock is None:
            lock = self._locks[channel_id] = asyncio.Lock()
        return lock

    def _plan(self, sub: Subscription, view: Digest, digest: Digest) -> Plan:
        return plan_with_ping(
            sub, view, target_for(sub).plan(sub, view, candidates=len(digest.papers))
        )

    async def publish(self, sub: Subscription, digest: Digest, *, late: bool = False) -> Outcome:
        """Post `digest` (a source day, unfiltered) to `sub`'s channel unless already posted.

        `late=True` (a moderator's `post-now date:`) also posts a day recorded as `missed`,
        and marks the post late.
        """
        async with self._lock(sub.channel_id):
            out = await self._publish(sub, digest, late=late)
        self.observer.post_finished(sub, digest.day, out.status, self.clock())
        return out

    async def _publish(self, sub: Subscription, digest: Digest, *, late: bool) -> Outcome:
        key, channel, day = stored_id(sub), sub.channel_id, digest.day
        existing = await self.store.get_post(key, day)
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
                subscription_id=key,
            )
        if not known(sub.format):  # a stored format this version has no target for
            reason = unknown_format(sub.format)
            await self.ledger.mark_failing(key, reason, self.clock())
            return Outcome("rejected", channel, day, error=reason, subscription_id=key)
        if sub.server_votes and sub.guild_id:  # the server's 👍 as one more signal
            ids = [p.arxiv_id for p in digest.papers]
            digest = voted(digest, await self.store.vote_counts(sub.guild_id, ids))
        view = compose(sub, digest)
        if existing is not None and existing.status in ("pending", "failed"):
            present = {p.arxiv_id for p in digest.papers}
            gone = [i for i in existing.arxiv_ids if i not in present]
            extra = [p for i in gone if (p := await self.store.get_paper(i)) is not None]
            view = as_claimed(
                view,
                digest.model_copy(update={"papers": [*digest.papers, *extra]}),
                existing.arxiv_ids,
            )
        if existing is None:
            claim = await self.ledger.claim_post(
                PostRecord(
                    subscription_id=key,
                    guild_id=sub.guild_id,
                    channel_id=channel,
                    day=day,
                    source=digest.source,
                    nonce=nonce_for(key, channel, day),
                    arxiv_ids=[p.arxiv_id for p in view.papers],
                    created_at=self.clock(),
                    late=late,
                )
            )
            # a lost claim is a post someone else began: look before sending anything
            record, resuming = claim.record, not claim.won
        elif existing.status == "missed":
            record = await self._reopen(key, day, generation=existing.generation, late=True)
            resuming = False
        else:
            record = existing
            resuming = True
            if late and not existing.late:
                await self.ledger.finish_post(key, day, status=existing.status, late=True)
                record = await self._stored(key, day)
            log.info("resuming the post of %s to channel %s (%s)", day, channel, record.status)
        plan = self._plan(sub, view, digest)
        try:
            return await self._attempt(sub, digest, view, plan, record, resuming)
        except Restart as exc:
            log.warning("channel %s day %s: %s; posting it again from the start", channel, day, exc)
            fresh = await self._reopen(key, day, generation=record.generation + 1, late=record.late)
            try:
                out = await self._attempt(sub, digest, view, plan, fresh, resuming=False)
            except Restart as again:
                reason = f"the post broke twice while being made ({again})"
                await self.ledger.finish_post(key, day, status="failed", error=reason)
                return Outcome("failed", channel, day, error=reason, subscription_id=key)
            out.restarted = True
            return out

    async def _reopen(self, key: int, day: date, *, generation: int, late: bool) -> PostRecord:
        """Start (subscription, day) afresh as an empty `pending` post; the row as stored now."""
        await self.ledger.reopen_post(
            key, day, generation=generation, late=late, created_at=self.clock()
        )
        return await self._stored(key, day)

    async def _stored(self, key: int, day: date) -> PostRecord:
        """The row of a post this engine holds (claimed, under the channel's lock)."""
        record = await self.store.get_post(key, day)
        assert record is not None, "a claimed post has its row"
        return record

    async def reconcile(self, sub: Subscription, digest: Digest) -> PostRecord | None:
        """Record what an unfinished post left in its channel, sending nothing.

        For a day given up when its catch-up window closed: a message whose send went
        through but whose answer was lost (a kill, a deadline) would otherwise stay in the
        channel unknown to the ledger. Walks the plan as a resume would, adopting what the
        scan finds, and stops at the first step that is not there. Returns the updated row.
        """
        key, channel, day = stored_id(sub), sub.channel_id, digest.day
        async with self._lock(channel):
            record = await self.store.get_post(key, day)
            if record is None or record.status not in ("pending", "failed"):
                return record
            view = as_claimed(compose(sub, digest), digest, record.arxiv_ids)
            progress = self._progress(record, self._plan(sub, view, digest), resuming=True)
            try:
                await self._walk(progress, send=False)
            except PostError as exc:
                log.info("cannot read back %s in %s to reconcile: %s", day, channel, exc)
            await progress.save(record.status, record.error)
            return await self.store.get_post(key, day)

    def _progress(self, record: PostRecord, plan: Plan, *, resuming: bool) -> Progress:
        return Progress(self.ledger, self.sender, self.policy, record, plan, resuming=resuming)

    async def _walk(self, progress: Progress, *, send: bool) -> None:
        """Take the plan's steps in order, skipping recorded ones.

        With `send` off (reconciling) it stops at the first step that is not already there.
        """
        rec = progress.record
        k = 0
        for step in progress.plan.steps:
            if isinstance(step, OpenThread):
                if progress.thread_id is None:
                    if not send:
                        return
                    await self._open_thread(progress, step)
                continue
            nonce = nonce_for(rec.subscription_id, rec.channel_id, rec.day, k, rec.generation)
            try:
                await progress.place(k, step, nonce, send=send)
            except ChannelGone as exc:
                if step.into == "channel":
                    raise
                await self._discard(progress.channel_id, progress.recorded("channel"))
                raise Restart(THREAD_GONE) from exc
            except ThreadLocked as exc:
                # the channel is fine: a locked thread is a broken post, not a failing channel
                if step.into == "channel":
                    raise
                thread = progress.thread_id
                assert thread is not None, "a thread step posts into the opened thread"
                await self._discard(thread, progress.recorded("thread"), strict=False)
                await self._discard(progress.channel_id, progress.recorded("channel"))
                raise Restart(THREAD_LOCKED) from exc
            k += 1

    async def _open_thread(self, progress: Progress, step: OpenThread) -> None:
        channel, anchor = progress.channel_id, progress.ids[step.on]
        try:
            progress.thread_id = await self.policy.run(
                lambda: self.sender.create_thread(channel, anchor, step.name)
            )
        except MessageGone as exc:
            await self._discard(channel, progress.recorded("channel"))
            raise Restart(HEADER_GONE) from exc
        await progress.save()

    async def _attempt(
        self,
        sub: Subscription,
        digest: Digest,
        view: Digest,
        plan: Plan,
        record: PostRecord,
        resuming: bool,
    ) -> Outcome:
        key, channel, day = stored_id(sub), sub.channel_id, digest.day
        progress = self._progress(record, plan, resuming=resuming)
        try:
            if resuming and record.message_ids:
                await self._check_head(progress)
            await self._walk(progress, send=True)
        except UserUnreachable as exc:
            # Only the user can open their DMs again: off until they resume it (no backoff
            # of 403s, which count as invalid requests).
            reason = f"{UNREACHABLE} ({short(exc)})"
            await self.ledger.set_enabled(key, False)
            await self.ledger.mark_failing(key, reason, self.clock())
            return await progress.fail("forbidden", reason)
        except ChannelForbidden as exc:
            reason = f"403 Forbidden: {short(exc) or 'missing access or permissions'}"
            await self.ledger.mark_failing(key, reason, self.clock())
            return await progress.fail("forbidden", reason)
        except ChannelGone as exc:
            reason = f"404 Not Found: channel deleted ({short(exc)})"
            await self.ledger.set_enabled(key, False)
            await self.ledger.mark_failing(key, reason, self.clock())
            return await progress.fail("gone", reason)
        except PayloadRejected as exc:
            reason = f"400 Discord rejected the message: {short(exc)}"
            log.error("channel %s day %s: %s", channel, day, reason)
            await self.ledger.mark_failing(key, reason, self.clock())
            return await progress.fail("rejected", reason)
        except RateLimitedPost as exc:
            reason = f"{exc}; will retry after it"
            log.warning("channel %s day %s: %s", channel, day, reason)
            out = await progress.fail("failed", reason)
            out.retry_after = exc.retry_after
            return out
        except (TransientPostError, MessageGone) as exc:
            reason = f"temporary error, will retry: {short(exc)}"
            log.warning("channel %s day %s: %s", channel, day, reason)
            return await progress.fail("failed", reason)
        status: Literal["sent", "empty"] = "sent" if view.papers else "empty"
        done_reason = None if view.papers else empty_reason(sub, digest)
        await self.ledger.finish_post(
            key,
            day,
            status=status,
            message_ids=progress.ids,
            thread_id=progress.thread_id,
            error=done_reason,
            posted_at=self.clock(),  # the scheduler's clock, as /digest status shows it
        )
        if sub.failing_reason:
            await self.ledger.mark_failing(key, None)
        return Outcome(
            status,
            channel,
            day,
            progress.ids,
            progress.thread_id,
            recovered=progress.recovered,
            error=done_reason,
            subscription_id=key,
        )

    async def _check_head(self, progress: Progress) -> None:
        """A resumed post whose recorded first message is gone starts afresh.

        Adding to it would leave a thread or the rest of the post without its head (a
        moderator deleted it). Discord keeps a thread whose starter message was deleted, so
        the broken post's messages in it are deleted too. A channel the bot may not read
        (403) is taken as intact: the nonces still guard the rest of the post.
        """
        channel, record = progress.channel_id, progress.record
        head = record.message_ids[0]
        try:
            present = await self.policy.run(lambda: self.sender.exists(channel, head))
        except ChannelForbidden as exc:
            log.info("cannot check the header of %s in %s: %s", record.day, channel, exc)
            return
        if present:
            return
        await self._discard(channel, progress.recorded("channel"))
        thread = record.thread_id
        if thread is not None:
            # the thread was this post's alone: every message of the bot in it goes,
            # including one whose send was in flight when the process died
            ids = set(progress.recorded("thread"))
            try:
                ids |= set(
                    own(await self.policy.run(lambda: self.sender.recent(thread, after=None)))
                )
            except PostError as exc:
                log.info("cannot read back thread %s: %s", thread, exc)
            await self._discard(thread, sorted(ids), strict=False)
        raise Restart(HEADER_GONE)

    def _deleting(self, channel: int, message_id: int) -> Callable[[], Awaitable[None]]:
        return lambda: self.sender.delete(channel, message_id)

    async def _discard(self, channel: int, message_ids: list[int], *, strict: bool = True) -> None:
        """Remove what is left of a broken post before it is made again.

        `strict` (the channel's leftovers): a delete that keeps failing on a transient error
        stops the restart (`TransientPostError`: the post is `failed`, still the old
        generation, and tried again later). The new generation's first message has nothing
        before it to be newer than, so its read-back would adopt the old header (the bot's,
        same content, no longer recorded once the row is reset) and build the new post on it.
        Otherwise best effort (a broken thread's messages: nothing is adopted there again).
        """
        for mid in message_ids:
            try:
                await self.policy.run(self._deleting(channel, mid))
            except TransientPostError:
                if strict:
                    raise
                log.info("could not delete message %s in %s", mid, channel)
            except PostError as exc:
                log.info("could not delete message %s in %s: %s", mid, channel, exc)
