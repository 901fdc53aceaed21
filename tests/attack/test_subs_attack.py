"""Attacks on several digests per channel (issue 14 item 1): names, the cap, replies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    MANAGE_GUILD,
    FakeClock,
    clock,
    make_config,
    running_app,
    sandbox,
    store,
)
from tests.app.test_scheduling import by_name, posts_in, store_days


async def answer(sb: Sandbox, command: str, **options: Any) -> Any:
    return await sb.control.invoke(command, options, permissions=MANAGE_GUILD)


async def test_a_command_naming_a_digest_with_a_long_or_blank_name_says_what_a_name_is(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    clock.set(datetime(2021, 3, 8, 8, 0, tzinfo=UTC))
    async with running_app(sandbox, store, clock, config=make_config()):
        await answer(sandbox, "digest subscribe", channel=cid)
        for command in ("digest pause", "digest resume", "digest post-now"):
            r = await answer(sandbox, command, channel=cid, name="x" * 3000)
            assert r.status == "answered" and r.ephemeral
            # not the name echoed up to Discord's 2000 characters and cut off
            assert r.content == (
                "`xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…` is not a digest name: use 1 to 32 "
                "lowercase letters, digits or dashes, e.g. daily or cv-weekly."
            ), command
        r = await answer(sandbox, "digest pause", channel=cid, name="  ")
        assert r.content == (
            f"Paused <#{cid}>: nothing is posted until /digest resume, and the days in "
            "between are skipped (not posted late)."
        )
        r = await answer(sandbox, "digest unsubscribe", channel=cid, name="Daily")
        assert r.content == f"Unsubscribed <#{cid}>: no more daily digests there."


async def test_the_preview_of_a_weekly_or_monthly_digest_is_its_periods_top(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    await store_days(store, date(2021, 2, 20), 23)  # 20 February … 14 March 2021
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    clock.set(datetime(2021, 3, 15, 8, 0, tzinfo=UTC))  # a Monday
    async with running_app(sandbox, store, clock, config=make_config()):
        for name, cadence in (("weekly", "weekly"), ("month", "monthly")):
            await answer(sandbox, "digest subscribe", channel=cid, name=name, cadence=cadence)
        weekly = await answer(sandbox, "digest preview", channel=cid, name="weekly")
        monthly = await answer(sandbox, "digest preview", channel=cid, name="month")
    # not the latest day's digest (what a daily digest posts): the period so far, merged
    assert weekly.content.splitlines()[0] == (
        "**🔥 Hot Papers of the week 2021-03-08 – 2021-03-14** · 10 papers · source: hotpapers-md"
    )
    assert monthly.content.splitlines()[0] == (
        "**🔥 Hot Papers of March 2021** · 10 papers · source: hotpapers-md"
    )
    assert weekly.ephemeral and monthly.ephemeral


async def test_post_now_of_a_weekly_digest_says_the_week_it_posted(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    await store_days(store, date(2021, 2, 20), 23)
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    clock.set(datetime(2021, 3, 15, 8, 0, tzinfo=UTC))  # a Monday, before the 09:00 slot
    async with running_app(sandbox, store, clock, config=make_config()):
        await answer(sandbox, "digest subscribe", channel=cid, name="weekly", cadence="weekly")
        first = await answer(sandbox, "digest post-now", channel=cid, name="weekly")
        again = await answer(
            sandbox, "digest post-now", channel=cid, name="weekly", date="2021-03-02"
        )
    link = posts_in(sandbox, cid)[0]["id"]
    url = f"https://discord.com/channels/{guild.id}/{cid}/{link}"
    # "the digest of 2021-03-07" was the Sunday's daily digest: not what was posted
    assert first.content == (
        f"Posted the digest of the week 2021-03-01 – 2021-03-07 to <#{cid}> ({url}). "
        "It is marked as posted late."
    )
    assert again.content.startswith(
        f"The digest of the week 2021-03-01 – 2021-03-07 was already posted in <#{cid}> on <t:"
    ), again.content
