# ruff: noqa: F811 - the conftest fixtures are imported and used by name
"""Late risers (issue 14 item 8) tried as an outsider would: options that cannot apply, and a
slow follow-up phase that must not hold the scheduler."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.services.late_risers import MAX_ATTEMPTS
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    FakeClock,
    clock,
    make_config,
    running_app,
    sandbox,
    store,
)
from tests.app.test_late_risers import THU, WED, store_day, subscribe_detailed
from tests.app.test_scheduling import by_name
from tests.app.test_several_digests import invoke


async def test_a_weekly_digest_says_it_has_no_late_risers(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """Follow-ups are for daily and weekdays digests only: a weekly one asked for them must
    not be told "late risers: top 5" and then never get any."""
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    async with running_app(sandbox, store, clock):
        text = await invoke(
            sandbox,
            "digest subscribe",
            channel=cid,
            name="weekly",
            cadence="weekly",
            weekday=0,
            late_risers=5,
        )
        assert "late risers: top" not in text
        assert " · no late risers for a weekly digest (it ranks its whole window) · " in text
        daily = await invoke(sandbox, "digest subscribe", channel=cid, late_risers=5)
        assert " · late risers: top 5 · " in daily


async def test_a_slow_store_in_the_follow_ups_holds_the_tick_one_deadline_only(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """Each check had its deadline but the phase had none: with the store hanging in every
    check, a tick waited one deadline per subscription (beyond `max_concurrent_posts`), and
    the next tick's posts of every channel with it. Now the phase is cut at one deadline,
    and the subscriptions it did not reach are checked first at the next tick."""
    guild = await sandbox.control.add_guild("Lab", channels=["papers", "other"])
    ids = {c.name: c.id for c in guild.channels.values()}
    await store_day(store, WED)
    clock.set(datetime(2021, 3, 11, 8, 0, tzinfo=UTC))
    config = make_config(discord={"max_concurrent_posts": 1})
    async with running_app(sandbox, store, clock, config=config) as bot:
        subs = [await subscribe_detailed(sandbox, store, ids[n]) for n in ("papers", "other")]
        late = bot.scheduler.late_risers
        assert late is not None
        late.deadline = 0.2
        reached: list[datetime] = []
        real = store.window_entries

        async def slow(*args: Any, **kwargs: Any) -> Any:
            reached.append(clock())
            await asyncio.Event().wait()  # the store never answers the follow-ups' query
            return await real(*args, **kwargs)

        store.window_entries = slow  # type: ignore[method-assign]
        clock.set(datetime(2021, 3, 11, 9, 0, tzinfo=UTC))
        report = await bot.scheduler.tick()
        assert [o.status for o in report.outcomes] == ["sent", "sent"]
        assert len(reached) == 1  # one deadline for the phase, not one per subscription
        first = [s for s in subs if late.last_checked(s) == reached[0]]
        assert len(first) == 1
        await store_day(store, THU)
        clock.set(datetime(2021, 3, 12, 9, 0, tzinfo=UTC))
        assert (await bot.scheduler.tick()).sent == 2
        assert len(reached) == 2  # the one left out went first
        (second,) = [s for s in subs if s.id != first[0].id]
        assert late.last_checked(second) == reached[1]


@pytest.mark.parametrize("how", ["deleted", "locked"])
async def test_a_follow_up_whose_thread_is_gone_fails_alone_and_is_given_up(
    sandbox: Sandbox, store: Store, clock: FakeClock, how: str
) -> None:
    """The thread of the post a paper missed is deleted (or archived and locked) before the
    paper climbs: the follow-up is recorded failed on its own row, tried `MAX_ATTEMPTS`
    times in all and then left; the day's posts go out and the subscription stays healthy."""
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
        assert wed is not None and wed.thread_id is not None
        if how == "deleted":
            await sandbox.control.delete_channel(wed.thread_id)
        else:
            await sandbox.control.set_thread(wed.thread_id, archived=True, locked=True)
        await store_day(store, THU)
        clock.set(datetime(2021, 3, 12, 9, 0, tzinfo=UTC))
        assert (await bot.scheduler.tick()).sent == 1
        for _ in range(MAX_ATTEMPTS + 2):
            clock.advance(hours=7)  # past each recheck
            await bot.scheduler.tick()
        (row,) = await store.list_followups(subscription_id=sub.id)
        assert (row.status, row.attempts, row.message_id) == ("failed", MAX_ATTEMPTS, None)
        stored = await store.get_subscription(sub.id)
        assert stored is not None and stored.enabled and stored.failing_reason is None
        thu = await store.get_post(sub.id, THU)
        assert thu is not None and thu.status == "sent"
    climbing = [m for m in sandbox.control.messages(cid) if m["content"].startswith("📈 Climbing")]
    assert climbing == []  # not dropped into the channel instead
