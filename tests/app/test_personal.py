"""Personal digests end to end: `/me subscribe` opens the DM, the scheduler posts there exactly
once (across a restart), and 403 / 50007 ("Cannot send messages to this user") at subscribe
time or at post time is handled as the user can act on it.

The real bot against the sandbox, which decides who accepts the bot's DMs as strictly as the
docs allow (sandbox/README.md, "Installations and DMs").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app.bot import HotPapersBot
from bot.services.personal import DMS_CLOSED, MAX_PERSONAL
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.state import Guild
from tests.app.conftest import FakeClock, running_app

BEFORE = datetime(2021, 3, 13, 8, 0, tzinfo=UTC)  # subscribe then; the 09:00 slot is ahead
DUE = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)  # the digest of 2021-03-12 is due
DMS = "POST /users/@me/channels"
POST = "POST /channels/{channel_id}/messages"


def id_of_tester(guild: Guild) -> int:
    return next(m.user.id for m in guild.members.values() if m.user.username == "tester")


def digests_in(sandbox: Sandbox, channel_id: int) -> list[dict[str, Any]]:
    """The scheduled posts in a channel (the greeting carries a random nonce, a post its
    deterministic one; both have one: told apart by the greeting's wording)."""
    return [
        m
        for m in sandbox.control.messages(channel_id)
        if not m["content"].startswith("Your personal HotPapers digest")
    ]


@pytest.fixture
async def lab(sandbox: Sandbox) -> Guild:
    return await sandbox.control.add_guild("Lab", channels=["general"])


@pytest.fixture
async def bot(
    sandbox: Sandbox, store: Store, clock: FakeClock, lab: Guild
) -> AsyncIterator[HotPapersBot]:
    clock.set(BEFORE)
    async with running_app(sandbox, store, clock) as running:
        yield running


async def test_subscribe_opens_the_dm_greets_there_and_answers_privately(
    sandbox: Sandbox, lab: Guild, bot: HotPapersBot
) -> None:
    user = id_of_tester(lab)
    r = await sandbox.control.invoke("me subscribe", {"categories": "cs.CV", "limit": 3})
    assert r.status == "answered" and r.ephemeral
    dm = sandbox.control.dm_channel_of(user)
    assert dm is not None
    assert r.content == (
        "Subscribed your personal digest **daily**: every day at 09:00 UTC, by DM.\n"
        "**daily** · 09:00 UTC · compact · up to 3 · cs.CV · next: <t:1615626000:f> "
        "(<t:1615626000:R>, the digest of 2021-03-12)"
    )
    assert [m["content"] for m in sandbox.control.messages(dm)] == [
        "Your personal HotPapers digest **daily** will arrive here: every day at 09:00 UTC. "
        "`/me list` shows your digests; `/me unsubscribe` stops one."
    ]
    [sub] = await bot.store.list_subscriptions(0)
    assert (sub.guild_id, sub.user_id, sub.channel_id, sub.name) == (0, user, dm, "daily")
    assert (sub.categories, sub.limit, sub.format) == (["cs.CV"], 3, "compact")


async def test_the_digest_arrives_in_the_dm_exactly_once_across_a_restart(
    sandbox: Sandbox, store: Store, clock: FakeClock, lab: Guild, bot: HotPapersBot
) -> None:
    await sandbox.control.invoke("me subscribe", {"categories": "cs.CV"})
    dm = sandbox.control.dm_channel_of(id_of_tester(lab))
    assert dm is not None
    clock.set(DUE)
    await bot.scheduler.tick()
    await bot.scheduler.tick()
    posted = digests_in(sandbox, dm)
    assert len(posted) == 1 and "Hot Papers 2021-03-12" in posted[0]["content"]
    assert "cs.CV" in posted[0]["content"]
    [sub] = await store.list_subscriptions(0)
    [record] = await store.list_posts(guild_id=0)
    assert (record.subscription_id, record.status) == (sub.id, "sent")
    await bot.close()
    async with running_app(sandbox, store, clock) as again:
        await again.scheduler.tick()
    assert digests_in(sandbox, dm) == posted


async def test_a_user_who_takes_no_dms_is_told_so_and_nothing_is_saved(
    sandbox: Sandbox, lab: Guild, bot: HotPapersBot
) -> None:
    sandbox.control.set_dms(id_of_tester(lab), open=False)
    r = await sandbox.control.invoke("me subscribe")
    assert r.status == "answered" and r.ephemeral and r.content == DMS_CLOSED
    assert await bot.store.list_subscriptions(0) == []
    assert [x.status for x in sandbox.control.requests(route=POST)] == [403]


async def test_dms_closed_later_stop_the_digest_until_the_user_resumes_it(
    sandbox: Sandbox, store: Store, clock: FakeClock, lab: Guild, bot: HotPapersBot
) -> None:
    user = id_of_tester(lab)
    await sandbox.control.invoke("me subscribe")
    dm = sandbox.control.dm_channel_of(user)
    assert dm is not None
    sandbox.control.set_dms(user, open=False)
    clock.set(DUE)
    await bot.scheduler.tick()
    [sub] = await store.list_subscriptions(0)
    assert not sub.enabled and sub.failing_reason is not None
    failed_at = int(DUE.timestamp())
    listed = await sandbox.control.invoke("me list")
    assert listed.content == (
        f"**Your personal digests** (1 of {MAX_PERSONAL})\n"
        f"• **daily**: stopped since <t:{failed_at}:f>: I could not send you a direct "
        "message. Allow direct messages from me, then run `/me resume name:daily`."
    )
    tries = len(sandbox.control.requests(route=POST))
    for minutes in (30, 360, 720):  # switched off: no retry, however long
        clock.set(DUE.replace(minute=0) + timedelta(minutes=minutes))
        await bot.scheduler.tick()
    assert len(sandbox.control.requests(route=POST)) == tries

    refused = await sandbox.control.invoke("me resume")
    assert refused.content == DMS_CLOSED
    sandbox.control.set_dms(user, open=True)
    resumed = await sandbox.control.invoke("me resume")
    assert resumed.content == "Resumed **daily**: every day at 09:00 UTC, by DM."
    [sub] = await store.list_subscriptions(0)
    assert sub.enabled and sub.failing_reason is None and not sub.paused


async def test_at_most_five_personal_digests_each_with_its_own_name(
    sandbox: Sandbox, lab: Guild, bot: HotPapersBot
) -> None:
    for i in range(MAX_PERSONAL):
        r = await sandbox.control.invoke("me subscribe", {"name": f"d{i}"})
        assert r.content.startswith(f"Subscribed your personal digest **d{i}**"), r.content
    r = await sandbox.control.invoke("me subscribe", {"name": "one-more"})
    assert r.ephemeral and r.content == (
        f"You have {MAX_PERSONAL} personal digests, the most one person may have. "
        "`/me unsubscribe` one first."
    )
    r = await sandbox.control.invoke("me subscribe", {"name": "d0", "limit": 2})
    assert r.content.startswith("Updated your personal digest **d0**")
    r = await sandbox.control.invoke("me unsubscribe")
    assert r.content.startswith("You have several personal digests (d0, d1, d2, d3, d4)")
    r = await sandbox.control.invoke("me unsubscribe", {"name": "d3"})
    assert r.content == "Unsubscribed: no more **d3** digests by DM."
    names = [s.name for s in await bot.store.list_subscriptions(0)]
    assert names == ["d0", "d1", "d2", "d4"]


async def test_me_works_through_a_user_install_in_a_server_without_the_bot(
    sandbox: Sandbox, bot: HotPapersBot
) -> None:
    elsewhere = await sandbox.control.add_guild("Elsewhere", with_bot=False)
    stranger = id_of_tester(elsewhere)
    assert (await sandbox.control.invoke("me list", guild_id=elsewhere.id)).status == (
        "unavailable"
    )
    sandbox.control.install_app(stranger)
    r = await sandbox.control.invoke(
        "me subscribe", {"cadence": "weekly", "weekday": 4}, guild_id=elsewhere.id
    )
    assert r.ephemeral and r.content.startswith(
        "Subscribed your personal digest **daily**: every Friday (the week's top) at 09:00 "
        "UTC, by DM."
    ), r.content
    [sub] = await bot.store.list_subscriptions(0)
    assert (sub.user_id, sub.cadence, sub.weekday) == (stranger, "weekly", 4)
    r = await sandbox.control.invoke("me pause", context="dm", user_id=stranger)
    assert r.content == "Paused **daily**: `/me resume` starts it again."
