"""Exactly-once posting against a scripted Discord: crashes at every step, 403, 404, retries."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.cli.preview import sample_digest
from bot.delivery.wire import BOT
from bot.models import Digest, PostRecord, Subscription
from bot.publish import (
    ChannelForbidden,
    ChannelGone,
    MessageGone,
    PayloadRejected,
    Publisher,
    RateLimitedPost,
    SeenMessage,
    TransientPostError,
    fingerprint,
    nonce_for,
)
from bot.store import open_store
from bot.store.base import Store

DAY = date(2021, 3, 12)
CH = 500


class Crash(BaseException):
    """The process dying: not an Exception, so nothing in the publisher can swallow it."""


@dataclass
class FakeDiscord:
    """A scripted Discord: messages per channel, threads, nonce dedup, faults, crash points."""

    echo_nonce: bool = True
    dedup_nonces: bool = True
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    channels: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    threads: dict[int, int] = field(default_factory=dict)  # message id -> thread id
    faults: list[Exception] = field(default_factory=list)  # raised by the next calls, in order
    fault_calls: tuple[str, ...] = ("send", "thread")  # which calls the faults hit
    after_effect: list[Exception] = field(default_factory=list)  # raised once a send is done
    crash_after: int | None = None  # die after this many completed server-side operations
    ops: int = 0
    calls: list[str] = field(default_factory=list)

    crashed_on: str | None = None

    def _tick(self, what: str) -> None:
        self.ops += 1
        if self.crash_after is not None and self.ops >= self.crash_after:
            self.crash_after = None
            self.crashed_on = what
            raise Crash

    def _fault(self, what: str) -> None:
        self.calls.append(what)
        if self.faults and what in self.fault_calls:
            raise self.faults.pop(0)

    async def send(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        self._fault("send")
        msgs = self.channels.setdefault(channel_id, [])
        if self.dedup_nonces:
            for m in msgs:
                if m["nonce"] == nonce:
                    return int(m["id"])
        msg = {"id": next(self.ids), "nonce": nonce, **payload}
        msgs.append(msg)
        self._tick("send")  # the message exists; a crash now loses only the answer
        if self.after_effect:
            raise self.after_effect.pop(0)
        return int(msg["id"])

    async def create_thread(self, channel_id: int, message_id: int, name: str) -> int:
        self._fault("thread")
        if message_id not in self.threads:
            self.threads[message_id] = message_id  # Discord: the thread takes the message's id
            self.channels[message_id] = []
            self._tick("thread")
        return self.threads[message_id]

    async def recent(self, channel_id: int, *, after: datetime | None) -> list[SeenMessage]:
        self._fault("recent")
        return [
            SeenMessage(
                int(m["id"]),
                m["nonce"] if self.echo_nonce else None,
                fingerprint(m),
                m.get("author", BOT),
                edited=bool(m.get("edited")),
            )
            for m in self.channels.get(channel_id, [])
        ]

    async def exists(self, channel_id: int, message_id: int) -> bool:
        self._fault("exists")
        return any(m["id"] == message_id for m in self.channels.get(channel_id, []))

    async def delete(self, channel_id: int, message_id: int) -> None:
        self._fault("delete")
        msgs = self.channels.get(channel_id, [])
        msgs[:] = [m for m in msgs if m["id"] != message_id]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "db.sqlite3") as s:
        yield s


def clock() -> datetime:
    return datetime(2021, 3, 13, 9, tzinfo=UTC)


async def no_sleep(seconds: float) -> None:
    SLEEPS.append(seconds)


SLEEPS: list[float] = []


def publisher(store: Store, discord: FakeDiscord, **kw: Any) -> Publisher:
    return Publisher(store, discord, clock=clock, sleep=no_sleep, **kw)


async def subscribe(store: Store, **kw: Any) -> Subscription:
    return await store.upsert_subscription(Subscription(guild_id=1, channel_id=CH, id=CH, **kw))


def test_nonce_is_deterministic_short_and_distinct() -> None:
    n = nonce_for(CH, CH, DAY)
    assert n == nonce_for(CH, CH, DAY) and len(n) == 25
    others = {
        nonce_for(CH + 1, CH + 1, DAY),
        nonce_for(CH, CH, date(2021, 3, 13)),
        nonce_for(CH, CH, DAY, 1),
        nonce_for(CH + 1, CH, DAY),  # another subscription of the same channel
    }
    assert len({n, *others}) == 5


async def test_compact_posts_one_message_once(store: Store) -> None:
    sub = await subscribe(store)
    discord = FakeDiscord()
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "sent" and len(out.message_ids) == 1
    assert len(discord.channels[CH]) == 1
    assert discord.channels[CH][0]["nonce"] == nonce_for(CH, CH, DAY)
    assert discord.channels[CH][0]["allowed_mentions"] == {"parse": []}
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.status == "sent" and rec.message_ids == out.message_ids
    assert rec.arxiv_ids[0] == "2103.06874" and len(rec.arxiv_ids) == 10  # the default limit
    assert rec.posted_at == clock()  # the publisher's clock, not the machine's
    again = await publisher(store, discord).publish(sub, sample_digest())
    assert again.status == "already"
    assert len(discord.channels[CH]) == 1


async def test_detailed_opens_a_thread_on_the_header(store: Store) -> None:
    sub = await subscribe(store, format="detailed", limit=16)
    discord = FakeDiscord()
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "sent"
    header = discord.channels[CH]
    assert len(header) == 1
    assert out.thread_id is not None and out.thread_id == header[0]["id"]
    parts = discord.channels[out.thread_id]
    assert sum(len(p["embeds"]) for p in parts) == 16
    assert out.message_ids == [header[0]["id"], *(p["id"] for p in parts)]


async def test_filters_of_the_subscription_apply(store: Store) -> None:
    sub = await subscribe(store, categories=["cs.CV"], limit=3)
    discord = FakeDiscord()
    out = await publisher(store, discord).publish(sub, sample_digest())
    rec = await store.get_post(CH, DAY)
    assert out.status == "sent" and rec is not None
    cv = [p.arxiv_id for p in sample_digest().papers if "cs.CV" in p.categories]
    assert rec.arxiv_ids == cv[:3]
    posted = json.dumps(discord.channels[CH][0])
    assert all(pid in posted for pid in cv[:3]) and cv[3] not in posted


@pytest.mark.parametrize("fmt", ["compact", "detailed"])
@pytest.mark.parametrize(
    ("echo", "dedup"), [(True, True), (False, True), (True, False), (False, False)]
)
async def test_a_crash_at_any_step_then_restart_posts_everything_exactly_once(
    tmp_path: Path, fmt: str, echo: bool, dedup: bool
) -> None:
    """Kill after each server-side step in turn; the restarted publisher completes the post.

    With `dedup=False` Discord's nonce window has passed, so only the recovery scan prevents a
    duplicate; with `echo=False` the scan must match by fingerprint alone.
    """
    reference = FakeDiscord()
    async with open_store(tmp_path / "ref.sqlite3") as ref_store:
        ref_sub = await ref_store.upsert_subscription(
            Subscription(guild_id=1, channel_id=CH, id=CH, format=fmt, limit=16)
        )
        await publisher(ref_store, reference).publish(ref_sub, sample_digest())
    total_ops = reference.ops
    assert total_ops >= (1 if fmt == "compact" else 4)
    for crash_at in range(1, total_ops + 1):
        discord = FakeDiscord(echo_nonce=echo, dedup_nonces=dedup, crash_after=crash_at)
        async with open_store(tmp_path / f"{fmt}-{echo}-{dedup}-{crash_at}.sqlite3") as store:
            sub = await subscribe(store, format=fmt, limit=16)
            with pytest.raises(Crash):
                await publisher(store, discord).publish(sub, sample_digest())
            rec = await store.get_post(CH, DAY)
            assert rec is not None and rec.status == "pending"
            out = await publisher(store, discord).publish(sub, sample_digest())
            assert out.status == "sent"
            if discord.crashed_on == "send":  # the lost message was found, not resent
                assert out.recovered == 1
            assert _shape(discord) == _shape(reference), crash_at
            rec = await store.get_post(CH, DAY)
            assert rec is not None and rec.status == "sent"
            assert len(rec.message_ids) == len(set(rec.message_ids)) == len(out.message_ids)


def _shape(d: FakeDiscord) -> list[tuple[int, list[str]]]:
    """Messages per channel by fingerprint, with channel ids renamed by order of appearance."""
    return [(len(msgs), [fingerprint(m) for m in msgs]) for msgs in d.channels.values()]


async def test_403_marks_the_channel_failing_and_stops(store: Store) -> None:
    sub = await subscribe(store)
    discord = FakeDiscord(faults=[ChannelForbidden("Missing Access (50001)")])
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "forbidden" and not out.retry
    assert discord.calls == ["send"]  # not retried
    stored = await store.find_subscription(CH, "daily")
    assert stored is not None and stored.failing_reason is not None
    assert "403" in stored.failing_reason and "Missing Access" in stored.failing_reason
    assert stored.enabled
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.status == "failed"


async def test_403_on_opening_the_thread_keeps_the_header_recorded(store: Store) -> None:
    sub = await subscribe(store, format="detailed")
    discord = FakeDiscord()
    discord.faults = []
    pub = publisher(store, discord)

    async def forbidden_thread(channel_id: int, message_id: int, name: str) -> int:
        raise ChannelForbidden("Missing Permissions: create public threads")

    discord.create_thread = forbidden_thread  # type: ignore[method-assign]
    out = await pub.publish(sub, sample_digest())
    assert out.status == "forbidden"
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.status == "failed" and len(rec.message_ids) == 1
    # After a moderator fixes it, the retry reuses the header instead of posting another.
    del discord.create_thread
    await store.mark_failing(CH, None)
    fixed = await store.find_subscription(CH, "daily")
    assert fixed is not None
    again = await pub.publish(fixed, sample_digest())
    assert again.status == "sent"
    assert len(discord.channels[CH]) == 1
    assert again.message_ids[0] == rec.message_ids[0]


async def test_404_disables_the_subscription(store: Store) -> None:
    sub = await subscribe(store)
    out = await publisher(store, FakeDiscord(faults=[ChannelGone("Unknown Channel")])).publish(
        sub, sample_digest()
    )
    assert out.status == "gone"
    stored = await store.find_subscription(CH, "daily")
    assert stored is not None and not stored.enabled and "404" in (stored.failing_reason or "")


async def test_transient_errors_are_retried_with_backoff(store: Store) -> None:
    sub = await subscribe(store)
    SLEEPS.clear()
    discord = FakeDiscord(faults=[TransientPostError("503"), TransientPostError("reset")])
    out = await publisher(store, discord, backoff_seconds=1.0).publish(sub, sample_digest())
    assert out.status == "sent"
    assert SLEEPS == [1.0, 2.0]
    assert len(discord.channels[CH]) == 1


async def test_transient_errors_that_outlast_the_retries_leave_the_day_due(store: Store) -> None:
    sub = await subscribe(store)
    SLEEPS.clear()
    discord = FakeDiscord(faults=[TransientPostError(f"502 #{i}") for i in range(3)])
    out = await publisher(store, discord, attempts=3).publish(sub, sample_digest())
    assert out.status == "failed" and out.retry
    assert SLEEPS == [1.0, 2.0]
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.status == "failed" and "502 #2" in (rec.error or "")
    stored = await store.find_subscription(CH, "daily")
    assert stored is not None and stored.failing_reason is None  # not a channel problem
    later = await publisher(store, discord).publish(sub, sample_digest())
    assert later.status == "sent" and len(discord.channels[CH]) == 1


async def test_400_is_not_retried_and_is_shown(store: Store) -> None:
    sub = await subscribe(store)
    discord = FakeDiscord(faults=[PayloadRejected("Invalid Form Body (50035)")])
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "rejected" and discord.calls == ["send"]
    stored = await store.find_subscription(CH, "daily")
    assert stored is not None and "50035" in (stored.failing_reason or "")


async def test_empty_day_notice_or_silence(store: Store) -> None:
    empty = Digest(day=DAY, source="hotpapers-md")
    sub = await subscribe(store, post_empty=True)
    discord = FakeDiscord()
    out = await publisher(store, discord).publish(sub, empty)
    assert out.status == "empty" and len(discord.channels[CH]) == 1
    assert out.error == "the source had no papers that day"
    assert "no hot papers" in discord.channels[CH][0]["content"]
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.status == "empty" and rec.message_ids == out.message_ids
    assert rec.posted_at == clock()

    quiet = await store.upsert_subscription(
        Subscription(guild_id=1, channel_id=CH + 1, id=CH + 1, post_empty=False)
    )
    out = await publisher(store, discord).publish(quiet, empty)
    assert out.status == "empty" and out.message_ids == []
    assert CH + 1 not in discord.channels
    rec = await store.get_post(CH + 1, DAY)
    assert rec is not None and rec.status == "empty"  # the day is handled, not a gap
    assert rec.error == "the source had no papers that day (nothing posted: post_empty is off)"
    again = await publisher(store, discord).publish(quiet, empty)
    assert again.status == "already" and again.was == "empty"


async def test_a_filter_that_leaves_nothing_counts_as_an_empty_day(store: Store) -> None:
    sub = await subscribe(store, keywords=["no such keyword anywhere"])
    discord = FakeDiscord()
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert "no hot papers" in discord.channels[CH][0]["content"]
    n = len(sample_digest().papers)
    assert out.status == "empty" and out.error == f"the channel's filters removed all {n} papers"


# --- recoverable state (issue 11): a deleted thread or header starts a fresh, complete post --


def _bot_messages(discord: FakeDiscord, channel: int) -> list[int]:
    return [int(m["id"]) for m in discord.channels.get(channel, [])]


async def test_a_thread_deleted_mid_post_starts_a_fresh_complete_post(store: Store) -> None:
    """Before: the thread's 404 marked the channel failing forever; the day never completed."""
    sub = await subscribe(store, format="detailed", limit=16)
    discord = FakeDiscord()
    pub = publisher(store, discord, attempts=1)
    real_send = discord.send
    deleted: list[int] = []

    async def send(channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        if channel_id in discord.threads.values() and not deleted:
            deleted.append(channel_id)  # a moderator deletes the thread as it fills
            discord.channels.pop(channel_id)
            discord.threads = {k: v for k, v in discord.threads.items() if v != channel_id}
            raise ChannelGone("Unknown Channel (status 404, code 10003)")
        return await real_send(channel_id, payload, nonce=nonce)

    discord.send = send  # type: ignore[method-assign]
    out = await pub.publish(sub, sample_digest())
    assert out.status == "sent" and out.restarted
    header = discord.channels[CH]
    assert len(header) == 1 and header[0]["id"] == out.message_ids[0]  # the old one was removed
    assert header[0]["nonce"] == nonce_for(CH, CH, DAY, 0, 1)  # a new generation, new nonces
    assert sum(len(p["embeds"]) for p in discord.channels[out.thread_id or 0]) == 16
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.status == "sent" and rec.generation == 1
    assert rec.message_ids == out.message_ids and rec.thread_id == out.thread_id
    fresh = await store.find_subscription(CH, "daily")
    assert fresh is not None and fresh.failing_reason is None and fresh.enabled


async def test_a_header_deleted_before_its_thread_starts_afresh(store: Store) -> None:
    sub = await subscribe(store, format="detailed", limit=4)
    discord = FakeDiscord()
    real_thread = discord.create_thread
    calls: list[int] = []

    async def create_thread(channel_id: int, message_id: int, name: str) -> int:
        calls.append(message_id)
        if len(calls) == 1:
            discord.channels[channel_id] = []  # the header was deleted meanwhile
            raise MessageGone("Unknown Message (status 404, code 10008)")
        return await real_thread(channel_id, message_id, name)

    discord.create_thread = create_thread  # type: ignore[method-assign]
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "sent" and out.restarted and len(calls) == 2
    assert _bot_messages(discord, CH) == [out.message_ids[0]]
    assert out.thread_id == out.message_ids[0]


async def test_a_resumed_post_whose_header_is_gone_starts_afresh(store: Store) -> None:
    sub = await subscribe(store, format="detailed", limit=4)
    discord = FakeDiscord(crash_after=2)  # header sent, thread opened, then the process dies
    with pytest.raises(Crash):
        await publisher(store, discord).publish(sub, sample_digest())
    discord.channels[CH] = []  # a moderator deletes the header before the restart
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "sent" and out.restarted
    assert _bot_messages(discord, CH) == [out.message_ids[0]]
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.generation == 1 and rec.message_ids == out.message_ids


async def test_a_post_broken_twice_is_failed_with_the_reason(store: Store) -> None:
    sub = await subscribe(store, format="detailed", limit=4)
    discord = FakeDiscord()

    async def create_thread(channel_id: int, message_id: int, name: str) -> int:
        raise MessageGone("Unknown Message (status 404, code 10008)")

    discord.create_thread = create_thread  # type: ignore[method-assign]
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "failed" and out.retry
    assert out.error == "the post broke twice while being made (its header message was deleted)"
    assert _bot_messages(discord, CH) == []  # both broken headers were removed


async def test_a_long_rate_limit_is_not_waited_out_in_place(store: Store) -> None:
    """Before: a 40 s 429 held the post (and its slot of the fan-out) for 40 s."""
    sub = await subscribe(store)
    discord = FakeDiscord(faults=[RateLimitedPost(40.0)])
    SLEEPS.clear()
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "failed" and out.retry and out.retry_after == 40.0
    assert SLEEPS == [] and discord.calls == ["send"]
    assert out.error == "rate limited for 40 s; will retry after it"
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.status == "failed" and rec.error == out.error


async def test_a_missed_day_is_posted_only_when_asked_late(store: Store) -> None:
    sub = await subscribe(store)
    await store.claim_post(
        PostRecord(
            subscription_id=CH,
            guild_id=1,
            channel_id=CH,
            day=DAY,
            source="hotpapers-md",
            nonce=nonce_for(CH, CH, DAY),
            status="missed",
            error="the bot was not running; it came back at 2021-03-14 10:00 UTC",
            created_at=clock(),
        )
    )
    discord = FakeDiscord()
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "already" and out.was == "missed" and CH not in discord.channels
    out = await publisher(store, discord).publish(sub, sample_digest(), late=True)
    assert out.status == "sent" and len(discord.channels[CH]) == 1
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.status == "sent" and rec.late and rec.error is None


@pytest.mark.parametrize("fmt", ["compact", "detailed"])
async def test_an_error_after_the_effect_is_not_a_duplicate_without_nonce_dedup(
    store: Store, fmt: str
) -> None:
    """Before: a 5xx or a dropped connection after Discord created the message was resent
    blindly, so once the nonce window had passed the digest was posted twice (issue 10)."""
    sub = await subscribe(store, format=fmt, limit=16)
    discord = FakeDiscord(
        dedup_nonces=False,
        echo_nonce=False,
        after_effect=[TransientPostError("503 after the effect") for _ in range(3)],
    )
    out = await publisher(store, discord).publish(sub, sample_digest())
    assert out.status == "sent" and out.recovered == (1 if fmt == "compact" else 3)
    assert len(discord.channels[CH]) == 1
    if fmt == "detailed":
        assert sum(len(p["embeds"]) for p in discord.channels[out.thread_id or 0]) == 16
        assert len(discord.channels[out.thread_id or 0]) == len(out.message_ids) - 1
    rec = await store.get_post(CH, DAY)
    assert rec is not None and rec.message_ids == out.message_ids
