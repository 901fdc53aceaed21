"""Late risers end to end: the real bot, its scheduler, the sandbox, a fake clock.

A paper below a detailed digest's cut on its day climbs as the next day's crowd counts come
in: exactly one "climbing" follow-up goes into that day's thread, recorded in the follow-up
ledger; a restart sends no second one. Crash points in the follow-up's send (a process
killed after the claim before the send, after the send before the record, after the record
before the outcome) end with exactly one message, with the sandbox's nonce dedup off so only
the ledger and the read-back stand between a restart and a duplicate. The kill is in-process:
a `BaseException` raised at that point stops the check as a SIGKILL would (nothing after it
runs, the row stays as written), and a new bot on the same store is the restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.delivery.wire import Payload, SeenMessage, Sender
from bot.late_risers import followup_nonce
from bot.models import Digest, Paper, Subscription
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.testing import running_sandbox
from tests.app.conftest import MANAGE_GUILD, FakeClock, running_app

WED, THU = date(2021, 3, 10), date(2021, 3, 11)
SOURCE = "hotpapers-md"


def paper(n: int, upvotes: int) -> Paper:
    return Paper(
        arxiv_id=f"2103.0000{n}",
        title=f"Paper {'ABCDE'[n - 1]}",
        authors=["A. Author"],
        categories=["cs.CV"],
        metrics={"upvotes": upvotes},
        score=upvotes,
    )


# Wednesday: A and B make the cut (limit 2), C is third. Thursday: C's counts grew to 50,
# still third that day (D, E), but now in the week's top 3: it climbed.
DAYS = {
    WED: [paper(1, 30), paper(2, 20), paper(3, 10)],
    THU: [paper(4, 60), paper(5, 55), paper(3, 50)],
}
CLIMBING = (
    "📈 Climbing: **Paper C** (now #3 this week, ▲ 50 on Hugging Face) "
    "<https://arxiv.org/abs/2103.00003>"
)


async def store_day(store: Store, day: date) -> None:
    await store.save_digest(
        Digest(day=day, source=SOURCE, title=f"Hot Papers {day}", papers=DAYS[day]), final=True
    )


async def subscribe_detailed(sandbox: Sandbox, store: Store, channel_id: int) -> Subscription:
    r = await sandbox.control.invoke(
        "digest subscribe",
        {
            "channel": channel_id,
            "time": "09:00",
            "format": "detailed",
            "limit": 2,
            "late_risers": 3,
        },
        permissions=MANAGE_GUILD,
    )
    assert r.status == "answered" and r.content.startswith("Subscribed"), r.content
    (sub,) = await store.list_subscriptions(channel_id=channel_id)
    assert sub.late_risers == 3
    return sub


def bot_messages(sandbox: Sandbox, place: int) -> list[dict[str, Any]]:
    return [m for m in sandbox.control.messages(place) if m.get("nonce")]


@pytest.fixture
async def blind_sandbox() -> AsyncIterator[Sandbox]:
    """A sandbox without Discord's nonce dedup: a resend would be a second message."""
    async with running_sandbox(interaction_deadline=3.0, nonce_window=0.0) as sb:
        yield sb


async def test_a_paper_that_climbs_after_its_day_gets_one_follow_up_in_its_thread(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    (cid,) = [c.id for c in guild.channels.values() if c.name == "papers"]
    await store_day(store, WED)
    clock.set(datetime(2021, 3, 11, 8, 0, tzinfo=UTC))
    async with running_app(sandbox, store, clock) as bot:
        sub = await subscribe_detailed(sandbox, store, cid)
        assert sub.id is not None
        clock.set(datetime(2021, 3, 11, 9, 0, tzinfo=UTC))
        assert (await bot.scheduler.tick()).sent == 1
        wed = await store.get_post(sub.id, WED)
        assert wed is not None and wed.arxiv_ids == ["2103.00001", "2103.00002"]
        assert wed.thread_id is not None
        thread_before = bot_messages(sandbox, wed.thread_id)
        # C is third of the week with the counts it missed the cut with: no follow-up
        assert await store.list_followups(subscription_id=sub.id) == []
        await store_day(store, THU)
        clock.set(datetime(2021, 3, 12, 9, 0, tzinfo=UTC))
        assert (await bot.scheduler.tick()).sent == 1
        thu = await store.get_post(sub.id, THU)
        assert thu is not None and thu.arxiv_ids == ["2103.00004", "2103.00005"]
        thread = bot_messages(sandbox, wed.thread_id)
        assert len(thread) == len(thread_before) + 1
        follow = thread[-1]
        assert follow["content"] == CLIMBING
        assert follow["nonce"] == followup_nonce(sub.id, "2103.00003")
        assert follow.get("embeds", []) == []
        (row,) = await store.list_followups(subscription_id=sub.id)
        assert (row.arxiv_id, row.day, row.place_id, row.rank, row.status) == (
            "2103.00003",
            WED,
            wed.thread_id,
            3,
            "sent",
        )
        assert row.message_id == int(follow["id"]) and row.attempts == 1
        # nothing in the channel itself but the two headers
        assert len(bot_messages(sandbox, cid)) == 2
        clock.advance(hours=7)  # past the recheck: looked at again, nothing new
        await bot.scheduler.tick()
    clock.advance(minutes=5)
    async with running_app(sandbox, store, clock) as bot:  # a restart
        await bot.scheduler.tick()
        await bot.scheduler.tick()
    assert len(bot_messages(sandbox, wed.thread_id)) == len(thread_before) + 1
    assert [f.status for f in await store.list_followups()] == ["sent"]


class Killed(BaseException):
    """The process dies here: nothing after this point runs (not an `Exception`: no error
    boundary catches it, as none catches a SIGKILL)."""


class Dying:
    """The bot's sender, killed at one point of the follow-up's send."""

    def __init__(self, real: Sender, point: str) -> None:
        self.real = real
        self.point = point

    async def send(self, channel_id: int, payload: Payload, *, nonce: str) -> int:
        if self.point == "before send":
            raise Killed
        mid = await self.real.send(channel_id, payload, nonce=nonce)
        if self.point == "after send":
            raise Killed
        return mid

    async def create_thread(self, channel_id: int, message_id: int, name: str) -> int:
        return await self.real.create_thread(channel_id, message_id, name)

    async def recent(self, channel_id: int, *, after: datetime | None) -> list[SeenMessage]:
        return await self.real.recent(channel_id, after=after)

    async def delete(self, channel_id: int, message_id: int) -> None:
        await self.real.delete(channel_id, message_id)

    async def exists(self, channel_id: int, message_id: int) -> bool:
        return await self.real.exists(channel_id, message_id)


class DyingStore:
    """The store as the follow-up poster sees it, killed before it records `sent`."""

    def __init__(self, real: Store) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def finish_followup(self, *args: Any, **kw: Any) -> bool:
        if kw.get("status") == "sent":
            raise Killed
        return await self.real.finish_followup(*args, **kw)


@pytest.mark.parametrize("point", ["before send", "after send", "after record"])
async def test_a_follow_up_killed_mid_send_is_sent_exactly_once_after_a_restart(
    blind_sandbox: Sandbox, store: Store, clock: FakeClock, point: str
) -> None:
    sandbox = blind_sandbox
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    (cid,) = [c.id for c in guild.channels.values() if c.name == "papers"]
    await store_day(store, WED)
    clock.set(datetime(2021, 3, 11, 8, 0, tzinfo=UTC))
    async with running_app(sandbox, store, clock) as bot:
        sub = await subscribe_detailed(sandbox, store, cid)
        assert sub.id is not None
        clock.set(datetime(2021, 3, 11, 9, 0, tzinfo=UTC))
        assert (await bot.scheduler.tick()).sent == 1
        await store_day(store, THU)
        late = bot.scheduler.late_risers
        assert late is not None
        poster = late.poster
        if point == "after record":
            poster.store = DyingStore(store)
        else:
            poster.sender = Dying(poster.sender, point)
        clock.set(datetime(2021, 3, 12, 9, 0, tzinfo=UTC))
        with pytest.raises(Killed):
            await bot.scheduler.tick()  # Thursday's post, then the follow-up dies
        row = await store.get_followup(sub.id, "2103.00003")
        assert row is not None and row.status == "pending"
        assert (row.message_id is not None) == (point == "after record")
    wed = await store.get_post(sub.id, WED)
    assert wed is not None and wed.thread_id is not None
    went_out = [m for m in bot_messages(sandbox, wed.thread_id) if m["content"] == CLIMBING]
    assert len(went_out) == (0 if point == "before send" else 1)
    clock.advance(minutes=2)
    async with running_app(sandbox, store, clock) as bot:  # the restart
        await bot.scheduler.tick()
        await bot.scheduler.tick()
    climbing = [m for m in bot_messages(sandbox, wed.thread_id) if m["content"] == CLIMBING]
    assert len(climbing) == 1  # 0 duplicates, 0 misses
    row = await store.get_followup(sub.id, "2103.00003")
    assert row is not None and row.status == "sent" and row.message_id == int(climbing[0]["id"])


@pytest.mark.parametrize("how", ["raises", "hangs"])
async def test_a_failing_or_hanging_follow_up_check_costs_no_post(
    sandbox: Sandbox, store: Store, clock: FakeClock, how: str
) -> None:
    """The check runs after the tick's posts, in its own boundary and within the post
    deadline: a broken one is logged, the posts stand, the next tick runs."""
    guild = await sandbox.control.add_guild("Lab", channels=["papers", "other"])
    ids = {c.name: c.id for c in guild.channels.values()}
    await store_day(store, WED)
    clock.set(datetime(2021, 3, 11, 8, 0, tzinfo=UTC))
    async with running_app(sandbox, store, clock) as bot:
        await subscribe_detailed(sandbox, store, ids["papers"])
        await subscribe_detailed(sandbox, store, ids["other"])
        late = bot.scheduler.late_risers
        assert late is not None
        late.deadline = 0.2  # the posts keep theirs
        calls: list[int | None] = []

        async def broken(sub: Subscription) -> list[Any]:
            calls.append(sub.id)
            if how == "hangs":
                await asyncio.Event().wait()
            raise RuntimeError("a bug in the follow-ups")

        late.check = broken  # type: ignore[method-assign]
        clock.set(datetime(2021, 3, 11, 9, 0, tzinfo=UTC))
        report = await bot.scheduler.tick()
        assert [o.status for o in report.outcomes] == ["sent", "sent"]
        assert len(calls) == 2  # each subscription's check is its own unit
        await store_day(store, THU)
        clock.set(datetime(2021, 3, 12, 9, 0, tzinfo=UTC))
        assert (await bot.scheduler.tick()).sent == 2
    assert await store.list_followups() == []
