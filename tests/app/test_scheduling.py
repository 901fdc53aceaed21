"""The daily posts end to end: real scheduler, real discord.py client, the sandbox, a fake clock.

Time zones and a DST change, catch-up after downtime, restarts, 403 and 404, transient errors,
rate limits, and a crash in the middle of a fan-out to many channels.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.preview import sample_digest
from bot.models import Digest, Subscription
from bot.publish import nonce_for
from bot.schedule import get_zone
from bot.store import open_store
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.state import Guild
from tests.app.conftest import MANAGE_GUILD, FakeClock, make_config, running_app

POST = "POST /channels/{channel_id}/messages"


def day_digest(day: date) -> Digest:
    """The sample's papers, re-dated (a different title per day, so posts are told apart)."""
    return sample_digest().model_copy(update={"day": day, "title": f"Hot Papers {day}"})


async def store_days(store: Store, first: date, n: int) -> None:
    for i in range(n):
        await store.save_digest(day_digest(first + timedelta(days=i)), final=True)


def by_name(guild: Guild) -> dict[str, int]:
    return {c.name: c.id for c in guild.channels.values()}


def posts_in(sandbox: Sandbox, channel_id: int) -> list[dict[str, Any]]:
    return [m for m in sandbox.control.messages(channel_id) if m.get("nonce")]


async def subscribe(sandbox: Sandbox, channel_id: int, **options: Any) -> None:
    r = await sandbox.control.invoke(
        "digest subscribe", {"channel": channel_id, **options}, permissions=MANAGE_GUILD
    )
    assert r.status == "answered" and r.content.startswith(("Subscribed", "Updated")), r.content


async def test_several_zones_across_a_dst_change_post_at_local_time_once_a_day(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    await store_days(store, date(2021, 3, 23), 10)
    guild = await sandbox.control.add_guild("Zones", channels=["berlin", "newyork", "tokyo"])
    ch = by_name(guild)
    clock.set(datetime(2021, 3, 25, 0, 0, tzinfo=UTC))
    config = make_config(schedule={"catch_up_hours": 2})
    async with running_app(sandbox, store, clock, config=config) as bot:
        await subscribe(sandbox, ch["berlin"], time="09:00", timezone="Europe/Berlin")
        await subscribe(sandbox, ch["newyork"], time="09:00", timezone="America/New_York")
        await subscribe(sandbox, ch["tokyo"], time="18:00", timezone="Asia/Tokyo")
        seen: dict[str, list[tuple[datetime, str]]] = {name: [] for name in ch}
        # Berlin springs forward on 2021-03-28; New York had on 03-14; Tokyo never does.
        while clock.now < datetime(2021, 3, 31, 0, 0, tzinfo=UTC):
            await bot.scheduler.tick()
            for name, cid in ch.items():
                posted = posts_in(sandbox, cid)
                if len(posted) > len(seen[name]):
                    assert len(posted) == len(seen[name]) + 1
                    seen[name].append((clock.now, posted[-1]["content"]))
            clock.advance(minutes=15)
    zones = {"berlin": "Europe/Berlin", "newyork": "America/New_York", "tokyo": "Asia/Tokyo"}
    hours = {"berlin": 9, "newyork": 9, "tokyo": 18}
    for name, posts in seen.items():
        zone = get_zone(zones[name])
        local = [t.astimezone(zone) for t, _ in posts]
        assert [t.hour for t in local] == [hours[name]] * len(posts), (name, local)
        assert all(t.minute == 0 for t in local)
        days = [t.date() for t in local]
        assert days == sorted(set(days))  # one per local day
        assert len(posts) in (5, 6, 7)
        digest_days = [text.split("Hot Papers ")[1][:10] for _, text in posts]
        assert digest_days == [
            (date.fromisoformat(digest_days[0]) + timedelta(days=i)).isoformat()
            for i in range(len(posts))
        ], (name, digest_days)
    berlin = [t.astimezone(UTC).hour for t, _ in seen["berlin"]]
    assert 8 in berlin and 7 in berlin  # 09:00 CET = 08:00 UTC, 09:00 CEST = 07:00 UTC


async def test_catch_up_after_downtime_within_the_grace_window(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    await store_days(store, date(2021, 3, 10), 5)
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    clock.set(datetime(2021, 3, 12, 8, 0, tzinfo=UTC))
    config = make_config(schedule={"catch_up_hours": 6})
    async with running_app(sandbox, store, clock, config=config) as bot:
        await subscribe(sandbox, cid, time="09:00")
    # The bot is down from 08:00 to 13:30; started again, it posts the missed 09:00 digest.
    clock.set(datetime(2021, 3, 12, 13, 30, tzinfo=UTC))
    async with running_app(sandbox, store, clock, config=config) as bot:
        report = await bot.scheduler.tick()
        assert report.sent == 1
        assert "Hot Papers 2021-03-11" in posts_in(sandbox, cid)[0]["content"]
        await bot.scheduler.tick()
        assert len(posts_in(sandbox, cid)) == 1
    # Down again past the next day's grace window (09:00 + 6 h): that day is not posted late...
    clock.set(datetime(2021, 3, 13, 15, 30, tzinfo=UTC))
    async with running_app(sandbox, store, clock, config=config) as bot:
        assert (await bot.scheduler.tick()).due == 0
        # ...and the day after is posted on time.
        clock.set(datetime(2021, 3, 14, 9, 0, tzinfo=UTC))
        assert (await bot.scheduler.tick()).sent == 1
    assert [m["content"].split("Hot Papers ")[1][:10] for m in posts_in(sandbox, cid)] == [
        "2021-03-11",
        "2021-03-13",
    ]


async def test_restart_does_not_repost_even_after_the_nonce_window(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    sandbox.control.configure(nonce_window=0.0)  # only the ledger can prevent a duplicate
    guild = await sandbox.control.add_guild("Lab", channels=["a", "b"])
    ch = by_name(guild)
    clock.set(datetime(2021, 3, 13, 8, 0, tzinfo=UTC))
    async with running_app(sandbox, store, clock) as bot:
        await subscribe(sandbox, ch["a"], time="09:00")
        await subscribe(sandbox, ch["b"], time="09:00", format="detailed")
        clock.set(datetime(2021, 3, 13, 9, 0, tzinfo=UTC))
        assert (await bot.scheduler.tick()).sent == 2
    before = len(sandbox.control.requests(POST))
    for minute in (1, 30, 120):
        clock.set(datetime(2021, 3, 13, 9, minute % 60, tzinfo=UTC) + timedelta(hours=minute // 60))
        async with running_app(sandbox, store, clock) as bot:
            report = await bot.scheduler.tick()
            assert report.sent == 0 and report.due == 0
    assert len(sandbox.control.requests(POST)) == before
    assert len(posts_in(sandbox, ch["a"])) == 1 and len(posts_in(sandbox, ch["b"])) == 1


async def test_403_marks_failing_shows_in_status_and_is_retried_on_a_long_backoff(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """A 403 is not retried every tick (Discord bans bots that make 10,000 invalid requests
    in 10 minutes), but it is retried every 30 min, then hourly, so permissions that come
    back are noticed without a moderator (issue 11)."""
    guild = await sandbox.control.add_guild("Lab", channels=["locked", "open"])
    ch = by_name(guild)
    clock.set(datetime(2021, 3, 13, 8, 0, tzinfo=UTC))
    async with running_app(sandbox, store, clock) as bot:
        await subscribe(sandbox, ch["locked"], time="09:00")
        await subscribe(sandbox, ch["open"], time="09:00")
        sandbox.control.forbid_channel(ch["locked"])
        clock.set(datetime(2021, 3, 13, 9, 0, tzinfo=UTC))
        report = await bot.scheduler.tick()
        assert sorted(o.status for o in report.outcomes) == ["forbidden", "sent"]
        attempts = len(sandbox.control.requests("POST /channels/{channel_id}/messages", 403))
        for _ in range(2):
            clock.advance(minutes=10)
            await bot.scheduler.tick()
        assert len(sandbox.control.requests(POST, 403)) == attempts == 1
        clock.advance(minutes=10)  # 30 min after the 403: one retry, still refused
        await bot.scheduler.tick()
        assert len(sandbox.control.requests(POST, 403)) == 2
        for _ in range(5):  # the next retry waits an hour
            clock.advance(minutes=10)
            await bot.scheduler.tick()
        assert len(sandbox.control.requests(POST, 403)) == 2
        sub = await store.find_subscription(ch["locked"], "daily")
        assert sub is not None and sub.failing_reason and "403" in sub.failing_reason
        r = await sandbox.control.invoke("digest status", permissions=MANAGE_GUILD)
        assert f"Failing channels: <#{ch['locked']}>" in r.content
        assert "Missing Permissions" in r.content
        # A moderator fixes the permissions: the next retry posts the day, by itself.
        sandbox.control.forbid_channel(ch["locked"], False)
        clock.advance(minutes=10)
        assert (await bot.scheduler.tick()).sent == 1
        assert len(posts_in(sandbox, ch["locked"])) == 1
        r = await sandbox.control.invoke("digest status", permissions=MANAGE_GUILD)
        assert "Failing channels: none" in r.content


async def test_404_disables_the_subscription(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["doomed", "general"])
    ch = by_name(guild)
    clock.set(datetime(2021, 3, 13, 8, 0, tzinfo=UTC))
    async with running_app(sandbox, store, clock) as bot:
        await subscribe(sandbox, ch["doomed"], time="09:00")
        await sandbox.control.delete_channel(ch["doomed"])
        clock.set(datetime(2021, 3, 13, 9, 0, tzinfo=UTC))
        report = await bot.scheduler.tick()
        assert [o.status for o in report.outcomes] == ["gone"]
        sub = await store.find_subscription(ch["doomed"], "daily")
        assert sub is not None and not sub.enabled
        clock.advance(days=1)
        assert (await bot.scheduler.tick()).due == 0
        r = await sandbox.control.invoke(
            "digest list", channel_id=ch["general"], permissions=MANAGE_GUILD
        )
        assert "**disabled**" in r.content and "404" in r.content


async def test_transient_errors_are_retried_with_backoff_and_nothing_is_lost(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    clock.set(datetime(2021, 3, 13, 8, 0, tzinfo=UTC))
    async with running_app(sandbox, store, clock, post_backoff_seconds=0.01) as bot:
        await subscribe(sandbox, cid, time="09:00")
        # 503 is not retried by discord.py itself: the publisher's backoff handles it.
        sandbox.control.inject_fault(POST, status=503, times=2)
        clock.set(datetime(2021, 3, 13, 9, 0, tzinfo=UTC))
        assert (await bot.scheduler.tick()).sent == 1
        assert len(sandbox.control.requests(POST, 503)) == 2
        assert len(posts_in(sandbox, cid)) == 1
        # Longer than the publisher's attempts: the day stays due and a later tick posts it.
        await sandbox.control.invoke(
            "digest unsubscribe", {"channel": cid}, permissions=MANAGE_GUILD
        )
        await store.upsert_subscription(
            Subscription(
                guild_id=guild.id, channel_id=cid, id=cid, post_time="09:00", created_at=clock()
            )
        )
        clock.set(datetime(2021, 3, 14, 9, 0, tzinfo=UTC))
        await store.save_digest(day_digest(date(2021, 3, 13)), final=True)
        sandbox.control.inject_fault(POST, status=503, times=3)
        report = await bot.scheduler.tick()
        assert [o.status for o in report.outcomes] == ["failed"]
        assert (await bot.scheduler.tick()).due == 0  # backing off
        clock.advance(minutes=5)
        assert (await bot.scheduler.tick()).sent == 1
        assert len(posts_in(sandbox, cid)) == 2


async def test_rate_limits_are_honoured_and_nothing_is_lost(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    sandbox.control.configure(global_limit=20, global_window=0.25)
    guild = await sandbox.control.add_guild("Busy", channels=[f"c{i}" for i in range(30)])
    ch = by_name(guild)
    clock.set(datetime(2021, 3, 13, 8, 0, tzinfo=UTC))
    config = make_config(discord={"max_concurrent_posts": 20})
    async with running_app(sandbox, store, clock, config=config) as bot:
        for cid in ch.values():
            await store.upsert_subscription(
                Subscription(
                    guild_id=guild.id, channel_id=cid, id=cid, post_time="09:00", created_at=clock()
                )
            )
        sandbox.control.inject_fault(POST, status=429, retry_after=0.05, times=3)
        sandbox.control.inject_fault("*", status=429, retry_after=0.05, times=1, **{"global": True})
        clock.set(datetime(2021, 3, 13, 9, 0, tzinfo=UTC))
        report = await bot.scheduler.tick()
        assert report.sent == 30
    for cid in ch.values():
        assert len(posts_in(sandbox, cid)) == 1
    limited = sandbox.control.requests(status=429)
    assert len([r for r in limited if r.rate_limited == "injected"]) >= 3
    assert all(o.status == "sent" for o in report.outcomes)


class Crash(BaseException):
    """The process dying between a message reaching Discord and the ledger recording it."""


@pytest.mark.parametrize("nonce_window", [120.0, 0.0])
async def test_a_crash_mid_fan_out_then_restart_leaves_exactly_one_digest_everywhere(
    sandbox: Sandbox, tmp_path: Path, clock: FakeClock, nonce_window: float
) -> None:
    """Kill the bot in the middle of posting to 40 channels (some messages sent but not
    recorded, some never sent), restart it, and count: exactly one digest in every channel.

    With `nonce_window=0` Discord's nonce dedup is gone, so only the ledger and the recovery
    scan stand between a restart and a duplicate. Each run has its own store connection, as
    each process would: what the dead one had not committed is lost with it."""
    db = tmp_path / "crash.sqlite3"
    sandbox.control.configure(nonce_window=nonce_window)
    guild = await sandbox.control.add_guild("Many", channels=[f"c{i:02d}" for i in range(40)])
    ch = list(by_name(guild).values())
    detailed = set(ch[::4])
    clock.set(datetime(2021, 3, 13, 9, 0, tzinfo=UTC))
    config = make_config(discord={"max_concurrent_posts": 8})
    async with open_store(db) as store:
        await store.save_digest(sample_digest(), final=True)
        for cid in ch:
            await store.upsert_subscription(
                Subscription(
                    guild_id=guild.id,
                    channel_id=cid,
                    id=cid,
                    post_time="09:00",
                    format="detailed" if cid in detailed else "compact",
                    created_at=clock() - timedelta(hours=1),
                )
            )
        async with running_app(sandbox, store, clock, config=config) as bot:
            sender = bot.publisher.sender
            real_send = sender.send
            sent = 0

            async def dying_send(channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
                nonlocal sent
                message_id: int = await real_send(channel_id, payload, nonce=nonce)
                sent += 1
                if sent >= 12:
                    raise Crash  # Discord has the message; the ledger never hears of it
                return message_id

            sender.send = dying_send  # type: ignore[method-assign]
            with pytest.raises(Crash):
                await bot.scheduler.tick()
            # The process is dead: every other post in flight dies with it.
            in_flight = [
                t
                for t in asyncio.all_tasks()
                if "gather_limited" in getattr(t.get_coro(), "__qualname__", "")
            ]
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
    posted_before = len(sandbox.control.requests(POST, 200))
    assert 12 <= posted_before < 40  # genuinely part-way

    async with open_store(db) as store:
        assert [p for p in await store.list_posts() if p.status != "sent"]  # left-over claims
        async with running_app(sandbox, store, clock, config=config) as bot:
            clock.advance(minutes=1)
            resumed = await bot.scheduler.tick()
            assert sum(o.recovered for o in resumed.outcomes) >= 1  # found, not sent again
            assert (await bot.scheduler.tick()).due == 0
        ledger = await store.list_posts()
    assert len(ledger) == 40 and all(p.status == "sent" for p in ledger)
    day = date(2021, 3, 12)
    for cid in ch:
        top = posts_in(sandbox, cid)
        assert len(top) == 1, (cid, [m["nonce"] for m in top])
        assert top[0]["nonce"] == nonce_for(cid, cid, day)
        if cid in detailed:  # the header and, in its thread, every paper exactly once
            thread = sandbox.control.messages(int(top[0]["id"]))
            assert [m["nonce"] for m in thread] == [
                nonce_for(cid, cid, day, k) for k in range(1, len(thread) + 1)
            ]
            assert sum(len(m["embeds"]) for m in thread) == 10


async def test_the_loop_ticks_by_itself_and_stops_gracefully(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    clock.set(datetime(2021, 3, 13, 9, 0, tzinfo=UTC))
    await store.upsert_subscription(
        Subscription(
            guild_id=guild.id,
            channel_id=cid,
            id=cid,
            post_time="09:00",
            created_at=clock() - timedelta(days=1),
        )
    )
    config = make_config(schedule={"tick_seconds": 0.05})
    async with running_app(sandbox, store, clock, config=config, run_scheduler=True) as bot:
        assert bot.scheduler.running
        await sandbox.control.wait_for_messages(cid, 1, timeout=10)
        r = await sandbox.control.invoke("digest status", permissions=MANAGE_GUILD)
        assert "Scheduler: running" in r.content
    assert not bot.scheduler.running
    assert len(posts_in(sandbox, cid)) == 1


async def test_a_deleted_header_is_noticed_and_the_next_attempt_posts_a_fresh_complete_post(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """Before: a broken detailed post was resumed onto its deleted header forever (issue 11)."""
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    clock.set(datetime(2021, 3, 13, 8, 0, tzinfo=UTC))
    async with running_app(sandbox, store, clock, post_backoff_seconds=0.01) as bot:
        await subscribe(sandbox, cid, time="09:00", format="detailed")
        # The header goes out; opening its thread fails for longer than the post's attempts.
        sandbox.control.inject_fault("POST /channels/*/messages/*/threads", status=503, times=4)
        clock.set(datetime(2021, 3, 13, 9, 0, tzinfo=UTC))
        report = await bot.scheduler.tick()
        assert [o.status for o in report.outcomes] == ["failed"]
        sub = await store.find_subscription(cid, "daily")
        assert sub is not None and sub.id is not None
        first = await store.get_post(sub.id, date(2021, 3, 12))
        assert first is not None and first.status == "failed" and len(first.message_ids) == 1
        sandbox.state.delete_message(first.message_ids[0])  # a moderator deletes the header
        clock.advance(minutes=5)
        report = await bot.scheduler.tick()
        assert [(o.status, o.restarted) for o in report.outcomes] == [("sent", True)]
        rec = await store.get_post(sub.id, date(2021, 3, 12))
        assert rec is not None and rec.status == "sent" and rec.generation == 1
        header = posts_in(sandbox, cid)
        assert [int(m["id"]) for m in header] == rec.message_ids[:1]
        assert header[0]["nonce"] == nonce_for(sub.id, cid, date(2021, 3, 12), 0, 1)
        thread = sandbox.control.messages(rec.thread_id or 0)
        assert [int(m["id"]) for m in thread] == rec.message_ids[1:] and thread
