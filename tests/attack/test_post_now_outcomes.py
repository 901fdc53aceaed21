"""Outsider attacks on `/digest post-now` with the publisher's new outcomes (sandbox, real
discord.py client)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.models import PostRecord
from bot.publish import nonce_for
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    MANAGE_GUILD,
    FakeClock,
    clock,
    running_app,
    sandbox,
    store,
)

DAY = date(2021, 3, 12)  # the sample digest's day


@pytest.mark.parametrize("post_empty", [False, True])
async def test_post_now_of_a_day_the_filters_empty_says_why(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
    post_empty: bool,
) -> None:
    """Expected: post-now on a day where the channel's filters remove every paper answers
    with the reason (the publisher's `empty` outcome: "the channel's filters removed all 16
    papers"), not with an apology for an internal error.

    Before: the reply table in `DigestCog.post_now` has no entry for the new `empty` status,
    so `texts[out.status]` raises KeyError and the moderator reads "Sorry, something went
    wrong" although the day was recorded correctly.
    """
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    papers = next(c.id for c in guild.channels.values() if c.name == "papers")
    async with running_app(sandbox, store, clock):
        r = await sandbox.control.invoke(
            "digest subscribe",
            {"channel": papers, "categories": "math.AG", "post_empty": post_empty},
            permissions=MANAGE_GUILD,
        )
        assert "Subscribed" in r.content, r.content
        r = await sandbox.control.invoke(
            "digest post-now", {"channel": papers}, permissions=MANAGE_GUILD
        )
        assert not r.content.startswith("Sorry"), r.content
        assert "filters removed all 16 papers" in r.content, r.content


async def test_post_now_of_a_missed_day_does_not_claim_it_was_posted(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    """Expected: when the latest day was recorded `missed` (the bot was down through its
    window), post-now either posts it late (the scheduler docstring: "`/digest post-now` can
    still post it, marked late") or says it was missed; it never claims it "was already
    posted" while the channel holds nothing.

    Before: post-now calls `publish(sub, digest)` without `late=True`, gets `already`
    (was=missed) and answers "already posted ... it is never posted twice".
    """
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    papers = next(c.id for c in guild.channels.values() if c.name == "papers")
    async with running_app(sandbox, store, clock) as bot:
        r = await sandbox.control.invoke(
            "digest subscribe", {"channel": papers}, permissions=MANAGE_GUILD
        )
        assert "Subscribed" in r.content, r.content
        sub = await store.find_subscription(papers, "daily")
        assert sub is not None and sub.id is not None
        await store.claim_post(
            PostRecord(
                subscription_id=sub.id,
                guild_id=sub.guild_id,
                channel_id=papers,
                day=DAY,
                source=bot.digests.resolve(sub.source),
                nonce=nonce_for(sub.id, papers, DAY),
                status="missed",
                error="the bot was not running; it came back at 2021-03-14 10:00 UTC",
                created_at=clock(),
            )
        )
        r = await sandbox.control.invoke(
            "digest post-now", {"channel": papers}, permissions=MANAGE_GUILD
        )
        posted = [m for m in sandbox.control.messages(papers) if m.get("nonce")]  # digests
        assert posted or "already posted" not in r.content, r.content
