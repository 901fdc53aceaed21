"""The scheduler's isolation rule (issue 11): one unit of work (a source's day, a channel's day)
can fail or hang in any way; every other unit is posted on time, and the failed one gets a
stated outcome. Real scheduler, real publisher, real SQLite store; Discord is the scripted
`FakeDiscord` of test_publish and the digests come from a scripted service.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app.scheduler import Scheduler
from bot.app.sender import GlobalLimit
from bot.cli.preview import sample_digest
from bot.config import Config, parse_config
from bot.errors import SourceError
from bot.models import Digest, Subscription
from bot.publish import Publisher
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.store import open_store
from bot.store.base import Store
from tests.test_publish import FakeDiscord, no_sleep

DAY = date(2021, 3, 12)
NINE = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)  # the 09:00 UTC slot that posts DAY


def config(**schedule: Any) -> Config:
    cfg = parse_config(
        {"schedule": {"fetch_deadline_seconds": 2.0, "post_deadline_seconds": 2.0, **schedule}},
        env={},
    )
    # "good" is a scripted source (ScriptedDigests), not one a config file may name.
    return cfg.model_copy(update={"sources": cfg.sources.model_copy(update={"default": "good"})})


class ScriptedDigests(DigestService):
    """Digests per source name: a Digest, an exception to raise, or "hang"."""

    def __init__(self, store: Store, cfg: Config, script: dict[str, Any], clock: ManualClock):
        super().__init__(store, cfg, None, clock=clock)
        self.script = script
        self.calls: list[str] = []

    async def get(self, source: str, day: date) -> Digest | None:
        self.calls.append(source)
        what = self.script[self.resolve(source)]
        if what == "hang":
            await asyncio.Event().wait()
        if isinstance(what, BaseException):
            raise what
        digest: Digest = what.model_copy(update={"day": day, "source": self.resolve(source)})
        return digest


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "db.sqlite3") as s:
        yield s


async def subscribe(store: Store, channel: int, source: str = "default", **kw: Any) -> None:
    await store.upsert_subscription(
        Subscription(
            guild_id=1,
            channel_id=channel,
            id=channel,
            source=source,
            created_at=NINE - timedelta(hours=1),
            **kw,
        )
    )


def build(
    store: Store,
    script: dict[str, Any],
    *,
    discord: FakeDiscord | None = None,
    cfg: Config | None = None,
    **kw: Any,
) -> tuple[Scheduler, FakeDiscord, ManualClock]:
    cfg = cfg or config()
    clock = ManualClock(NINE)
    discord = discord or FakeDiscord()
    pub = Publisher(store, discord, clock=clock, sleep=no_sleep, attempts=1)
    digests = ScriptedDigests(store, cfg, script, clock)
    return Scheduler(store, pub, digests, cfg, clock=clock, **kw), discord, clock


GOOD = sample_digest()


@pytest.mark.parametrize(
    "failure",
    [
        KeyError("papers"),
        TypeError("'NoneType' object is not subscriptable"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        RuntimeError("boom"),
        "hang",
        SourceError("Hugging Face answered 503"),
    ],
    ids=["KeyError", "TypeError", "UnicodeDecodeError", "RuntimeError", "hang", "SourceError"],
)
async def test_a_failing_or_hanging_source_stops_only_its_own_channels(
    store: Store, failure: Any
) -> None:
    """Before: any exception but SourceError ended the tick, so no channel was posted."""
    await subscribe(store, 1, "good")
    await subscribe(store, 2, "bad")
    await subscribe(store, 3, "good")
    scheduler, discord, _ = build(store, {"good": GOOD, "bad": failure})
    report = await asyncio.wait_for(scheduler.tick(), 30)
    assert sorted((o.channel_id, o.status) for o in report.outcomes) == [(1, "sent"), (3, "sent")]
    assert report.waiting == [f"bad {DAY}"]
    assert 2 not in discord.channels
    assert (await store.get_post(2, DAY)) is None  # still due: retried on its own backoff


async def test_a_source_that_failed_all_window_ends_failed_with_its_reason(store: Store) -> None:
    await subscribe(store, 2, "bad")
    scheduler, _, clock = build(
        store, {"bad": SourceError("Hugging Face answered 503")}, cfg=config(catch_up_hours=2)
    )
    await scheduler.tick()
    clock.advance(timedelta(hours=2, minutes=1))  # the window closed while the bot ran
    report = await scheduler.tick()
    rec = await store.get_post(2, DAY)
    assert rec is not None and rec.status == "failed"
    assert rec.error == (
        "not posted within the catch-up window: bad is unavailable: Hugging Face answered 503"
    )
    assert [r.channel_id for r in report.settled] == [2]


@pytest.mark.parametrize("failure", [RuntimeError("render bug"), "hang"])
async def test_one_channel_failing_or_hanging_does_not_stop_the_others(
    store: Store, failure: Any
) -> None:
    for ch in (1, 2, 3):
        await subscribe(store, ch, "good")
    discord = FakeDiscord()
    real_send = discord.send

    async def send(channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        if channel_id == 2:
            if failure == "hang":
                await asyncio.Event().wait()
            raise failure
        return await real_send(channel_id, payload, nonce=nonce)

    discord.send = send  # type: ignore[method-assign]
    scheduler, _, clock = build(store, {"good": GOOD}, discord=discord)
    report = await asyncio.wait_for(scheduler.tick(), 30)
    got = {o.channel_id: o for o in report.outcomes}
    assert got[1].status == got[3].status == "sent"
    assert got[2].status == "failed" and got[2].retry
    expected = (
        "the post took longer than 2 s; will retry"
        if failure == "hang"
        else "unexpected RuntimeError; will retry (see the bot's log)"
    )
    assert got[2].error == expected
    rec = await store.get_post(2, DAY)
    assert rec is not None and rec.status == "failed" and rec.error == expected
    # retried on its own schedule: not on the very next tick, but after its backoff
    clock.advance(timedelta(seconds=30))
    assert (await scheduler.tick()).due == 0
    discord.send = real_send  # type: ignore[method-assign]
    clock.advance(timedelta(seconds=31))
    assert [(o.channel_id, o.status) for o in (await scheduler.tick()).outcomes] == [(2, "sent")]


async def test_a_corrupt_subscription_row_does_not_hide_the_others(store: Store) -> None:
    # A time zone nobody knows, as a hand edit (or an older release) may leave in the store:
    # the model does not check zones, the schedule does, for this subscription alone.
    await subscribe(store, 1, "good", timezone="Mars/Olympus")
    await subscribe(store, 2, "good")
    scheduler, _, _ = build(store, {"good": GOOD})
    report = await scheduler.tick()
    assert [(o.channel_id, o.status) for o in report.outcomes] == [(2, "sent")]
    assert report.broken == ["1: ValueError"]


async def test_days_the_bot_was_down_for_are_recorded_missed(store: Store) -> None:
    """Before: days past catch_up_hours vanished from the ledger, /history and status."""
    await store.upsert_subscription(
        Subscription(
            guild_id=1, channel_id=1, id=1, source="good", created_at=NINE - timedelta(days=3)
        )
    )
    scheduler, discord, _ = build(store, {"good": GOOD})
    report = await scheduler.tick()
    assert [(o.channel_id, o.day, o.status) for o in report.outcomes] == [(1, DAY, "sent")]
    missed = sorted((p.day, p.status, p.error) for p in report.settled)
    came_back = "the bot was not running; it came back at 2021-03-13 09:00 UTC"
    assert missed == [  # created at 03-10 09:00, the slot of source day 03-09
        (date(2021, 3, 9), "missed", came_back),
        (date(2021, 3, 10), "missed", came_back),
        (date(2021, 3, 11), "missed", came_back),
    ]
    assert len(discord.channels[1]) == 1  # missed days are not posted by themselves
    assert (await scheduler.tick()).settled == []  # once, not on every tick


async def test_a_long_global_rate_limit_pauses_posting_visibly_then_resumes(store: Store) -> None:
    for ch in (1, 2):
        await subscribe(store, ch, "good")
    now = [100.0]
    limit = GlobalLimit(threshold=30, clock=lambda: now[0])
    limit.saw(429, {"X-RateLimit-Scope": "global", "Retry-After": "45"})
    scheduler, discord, clock = build(store, {"good": GOOD}, global_limit=limit)
    report = await scheduler.tick()
    assert report.outcomes == [] and report.deferred == 2 and discord.channels == {}
    assert report.paused == "Discord's global rate limit: posting resumes in 45 s"
    assert scheduler.paused_reason() == report.paused
    now[0] += 46
    clock.advance(timedelta(minutes=1))
    report = await scheduler.tick()
    assert sorted(o.status for o in report.outcomes) == ["sent", "sent"]
    assert scheduler.paused_reason() is None


def test_a_short_global_limit_is_left_to_discord_py() -> None:
    now = [0.0]
    limit = GlobalLimit(threshold=30, clock=lambda: now[0])
    limit.saw(429, {"X-RateLimit-Global": "true", "Retry-After": "2"})
    limit.saw(429, {"X-RateLimit-Scope": "user", "Retry-After": "300"})  # a route limit
    limit.saw(503, {"X-RateLimit-Scope": "global", "Retry-After": "300"})
    assert limit.remaining() == 0 and limit.hits == 1


class Lease:
    def __init__(self, held: bool) -> None:
        self.held = held

    async def holds(self) -> bool:
        return self.held


async def test_without_the_lease_nothing_is_posted(store: Store) -> None:
    await subscribe(store, 1, "good")
    lease = Lease(False)
    scheduler, discord, _ = build(store, {"good": GOOD}, lease=lease)
    report = await scheduler.tick()
    assert report.paused == "another HotPapers process holds this store's poster lease"
    assert discord.channels == {} and (await store.list_posts()) == []
    lease.held = True
    assert (await scheduler.tick()).sent == 1


async def test_a_post_given_up_at_its_window_keeps_what_it_left_in_the_ledger(
    store: Store,
) -> None:
    """Found by the strict soak: a send that went through but whose answer was lost (a kill
    mid-send), then the window closing before a resume, left the header in the channel and
    not in the ledger. Settling now reads the channel back and records it."""
    from tests.test_publish import Crash

    await store.save_digest(GOOD.model_copy(update={"source": "good"}))
    await subscribe(store, 1, "good", format="detailed")
    discord = FakeDiscord(crash_after=1)  # the header is created; the process dies
    scheduler, _, _ = build(store, {"good": GOOD}, discord=discord, cfg=config(catch_up_hours=2))
    with pytest.raises(Crash):
        await scheduler.tick()
    header = [int(m["id"]) for m in discord.channels[1]]
    assert len(header) == 1
    row = await store.get_post(1, DAY)
    assert row is not None and row.status == "pending" and row.message_ids == []
    # the bot comes back only after the window closed
    fresh, _, fresh_clock = build(
        store, {"good": GOOD}, discord=discord, cfg=config(catch_up_hours=2)
    )
    fresh_clock.set(NINE + timedelta(hours=3))
    report = await fresh.tick()
    rec = await store.get_post(1, DAY)
    assert rec is not None and rec.status == "failed" and rec.message_ids == header
    assert rec.error is not None and rec.error.startswith("gave up when the catch-up window closed")
    assert [r.channel_id for r in report.settled] == [1]
