"""Attacks on personal digests (`/me …`) through the sandbox: orders of events and inputs the
first tests did not try (a resume of a running digest just after its slot came due, two
subscribes at once at the cap, a name that is not there)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app.bot import HotPapersBot
from bot.services.personal import MAX_PERSONAL
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.interactions import OptionError
from sandbox.state import Guild
from tests.app.conftest import MANAGE_GUILD, FakeClock, running_app
from tests.app.test_personal import BEFORE, DUE, digests_in, id_of_tester


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


async def test_resume_of_a_running_digest_does_not_skip_the_slot_just_due(
    sandbox: Sandbox, store: Store, clock: FakeClock, lab: Guild, bot: HotPapersBot
) -> None:
    """`/me resume` on a digest that is not paused changes nothing and says so (it used to
    answer "Resumed"): the 09:00 slot, due a minute ago and not yet posted, still arrives (it
    used to be skipped: the resume stamped `resumed_at` with the wall clock's now)."""
    await sandbox.control.invoke("me subscribe", {"categories": "cs.CV"})
    dm = sandbox.control.dm_channel_of(id_of_tester(lab))
    assert dm is not None
    clock.set(DUE + timedelta(minutes=1))
    r = await sandbox.control.invoke("me resume")
    assert r.ephemeral and r.content == "**daily** is not paused: every day at 09:00 UTC, by DM."
    await bot.scheduler.tick()
    posted = digests_in(sandbox, dm)
    assert len(posted) == 1 and "Hot Papers 2021-03-12" in posted[0]["content"]


async def test_a_paused_digest_resumes_from_the_bots_clock(
    sandbox: Sandbox, store: Store, clock: FakeClock, lab: Guild, bot: HotPapersBot
) -> None:
    """Paused at 08:00, resumed at 08:30: the 09:00 slot of the same day is posted (the
    resume time is the bot's clock, as for `/digest resume`)."""
    await sandbox.control.invoke("me subscribe")
    dm = sandbox.control.dm_channel_of(id_of_tester(lab))
    assert dm is not None
    await sandbox.control.invoke("me pause")
    clock.set(DUE - timedelta(minutes=30))
    await sandbox.control.invoke("me resume")
    [sub] = await store.list_subscriptions(0)
    assert sub.resumed_at is not None and sub.resumed_at.year == DUE.year
    clock.set(DUE)
    await bot.scheduler.tick()
    assert len(digests_in(sandbox, dm)) == 1


async def test_two_subscribes_at_once_never_pass_the_cap(
    sandbox: Sandbox, store: Store, lab: Guild, bot: HotPapersBot
) -> None:
    for i in range(MAX_PERSONAL - 1):
        await sandbox.control.invoke("me subscribe", {"name": f"d{i}"})
    first, second = await asyncio.gather(
        sandbox.control.invoke("me subscribe", {"name": "x"}),
        sandbox.control.invoke("me subscribe", {"name": "y"}),
    )
    assert len(await store.list_subscriptions(0)) == MAX_PERSONAL
    refused = (
        f"You have {MAX_PERSONAL} personal digests, the most one person may have. "
        "`/me unsubscribe` one first."
    )
    assert sorted([first.content == refused, second.content == refused]) == [False, True]


async def test_an_unknown_name_is_named_in_bold_not_as_a_python_repr(
    sandbox: Sandbox, lab: Guild, bot: HotPapersBot
) -> None:
    await sandbox.control.invoke("me subscribe")
    r = await sandbox.control.invoke("me unsubscribe", {"name": "nope"})
    assert r.ephemeral and r.content == (
        "You have no personal digest named **nope**. `/me subscribe` sets one up; "
        "`/me list` shows yours."
    )


async def test_a_dm_post_carries_save_buttons_only_and_a_save_click_works_there(
    sandbox: Sandbox, store: Store, clock: FakeClock, lab: Guild, bot: HotPapersBot
) -> None:
    user = id_of_tester(lab)
    await sandbox.control.invoke("me subscribe", {"limit": 3})
    dm = sandbox.control.dm_channel_of(user)
    assert dm is not None
    clock.set(DUE)
    await bot.scheduler.tick()
    [post] = digests_in(sandbox, dm)
    ids = [c["custom_id"] for row in post["components"] for c in row["components"]]
    assert len(ids) == 3 and all(i.startswith("hp:save:") for i in ids), ids
    r = await sandbox.control.click(int(post["id"]), ids[0])
    assert r.status == "answered" and r.ephemeral
    assert r.content.startswith("🔖 Saved **") and r.content.endswith("to your list: see /saved.")
    assert await store.count_saved(user) == 1


async def test_the_servers_digest_commands_never_show_a_members_dm_digest(
    sandbox: Sandbox, lab: Guild, bot: HotPapersBot
) -> None:
    await sandbox.control.invoke("me subscribe")
    listing = await sandbox.control.invoke("digest list", permissions=MANAGE_GUILD)
    assert listing.ephemeral and listing.content == (
        "No subscriptions in this server yet. /digest subscribe sets one up."
    )
    status = await sandbox.control.invoke("digest status", permissions=MANAGE_GUILD)
    assert status.ephemeral and "daily" not in status.content, status.content


async def test_two_users_each_see_and_stop_only_their_own(
    sandbox: Sandbox, store: Store, lab: Guild, bot: HotPapersBot
) -> None:
    ada = await sandbox.control.add_member(lab.id, "ada")
    await sandbox.control.invoke("me subscribe", {"name": "mine"})
    await sandbox.control.invoke("me subscribe", {"name": "hers"}, user_id=ada.user.id)
    r = await sandbox.control.invoke("me unsubscribe", {"name": "hers"})
    assert r.content == (
        "You have no personal digest named **hers**. `/me subscribe` sets one up; "
        "`/me list` shows yours."
    )
    r = await sandbox.control.invoke("me list", user_id=ada.user.id)
    assert r.content.startswith("**Your personal digests** (1 of 5)\n• **hers** · "), r.content
    assert sorted(s.name for s in await store.list_subscriptions(0)) == ["hers", "mine"]


async def test_a_user_who_uninstalls_between_subscribe_and_post_is_switched_off(
    sandbox: Sandbox, store: Store, clock: FakeClock, bot: HotPapersBot
) -> None:
    """Only a user install reached them (no server shared with the bot): uninstalled before
    the post, the DM answers 403 / 50007; the digest stops (no retries) until they add the
    app again and resume it."""
    elsewhere = await sandbox.control.add_guild("Elsewhere", with_bot=False)
    stranger = id_of_tester(elsewhere)
    sandbox.control.install_app(stranger)
    await sandbox.control.invoke("me subscribe", guild_id=elsewhere.id)
    dm = sandbox.control.dm_channel_of(stranger)
    assert dm is not None
    sandbox.control.install_app(stranger, installed=False)
    clock.set(DUE)
    await bot.scheduler.tick()
    [sub] = await store.list_subscriptions(0)
    assert not sub.enabled and digests_in(sandbox, dm) == []
    assert (await sandbox.control.invoke("me list", guild_id=elsewhere.id)).status == (
        "unavailable"
    )
    sandbox.control.install_app(stranger)
    r = await sandbox.control.invoke("me resume", context="dm", user_id=stranger)
    assert r.content == "Resumed **daily**: every day at 09:00 UTC, by DM."
    [sub] = await store.list_subscriptions(0)
    assert sub.enabled and sub.failing_reason is None and not sub.paused


async def test_a_thread_format_is_not_offered_for_a_dm(
    sandbox: Sandbox, store: Store, lab: Guild, bot: HotPapersBot
) -> None:
    with pytest.raises(OptionError, match="'thread' is not one of its choices"):
        await sandbox.control.invoke("me subscribe", {"format": "thread"})
    assert await store.list_subscriptions(0) == []


async def test_a_server_command_cannot_name_a_dm_or_another_servers_channel(
    sandbox: Sandbox, lab: Guild, bot: HotPapersBot
) -> None:
    """Discord's channel picker offers only the server's own channels, so the sandbox refuses
    a DM channel (a member's personal digest lives there) or another server's channel as a
    `/digest` option instead of handing it to the bot (which then never answered)."""
    await sandbox.control.invoke("me subscribe")
    dm = sandbox.control.dm_channel_of(id_of_tester(lab))
    other = await sandbox.control.add_guild("Other", channels=["general"])
    elsewhere = next(c.id for c in other.channels.values() if c.name == "general")
    for channel in (dm, elsewhere):
        assert channel is not None
        for command in ("digest unsubscribe", "digest pause", "digest subscribe"):
            with pytest.raises(OptionError, match=f"no user, channel or role with id {channel}"):
                await sandbox.control.invoke(
                    command, {"channel": channel}, permissions=MANAGE_GUILD
                )
