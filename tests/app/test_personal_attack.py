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
from sandbox.state import Guild
from tests.app.conftest import FakeClock, running_app
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
    """`/me resume` on a digest that is not paused changes nothing: the 09:00 slot, due a
    minute ago and not yet posted, still arrives (it used to be skipped: the resume stamped
    `resumed_at` with the wall clock's now)."""
    await sandbox.control.invoke("me subscribe", {"categories": "cs.CV"})
    dm = sandbox.control.dm_channel_of(id_of_tester(lab))
    assert dm is not None
    clock.set(DUE + timedelta(minutes=1))
    r = await sandbox.control.invoke("me resume")
    assert r.ephemeral and r.content == "Resumed **daily**: every day at 09:00 UTC, by DM."
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
