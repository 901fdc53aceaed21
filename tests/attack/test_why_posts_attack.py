# ruff: noqa: F811 - the conftest fixtures are imported and used by name
"""`/digest why` against what the bot really posted: subscribe and post-now through the
sandbox, then ask why for every paper of the day; "posted" exactly for the papers the post
holds (each with the post's link), and a reason for every other one."""

from __future__ import annotations

from typing import Any

import pytest

from bot.cli.preview import sample_digest
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

EPHEMERAL = 64
OPTIONS: list[dict[str, Any]] = [
    {"categories": "cs.CV", "limit": 3},
    {"categories": "cs, -cs.RO", "limit": 5},
    {"categories": "eess.AS", "min_score": 400},  # cs.SD papers cross-listed in eess.AS
    {"keywords": "audio, LEARNING", "limit": 4},  # case-insensitive, anywhere in the text
    {"categories": "stat", "keywords": "mixup"},
    {"min_score": 180, "limit": 6, "format": "detailed"},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(map(str, o.values())))
async def test_why_says_posted_for_exactly_the_papers_the_post_holds(
    sandbox: Sandbox, store: Store, clock: FakeClock, options: dict[str, Any]
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    (papers,) = guild.channels
    async with running_app(sandbox, store, clock) as bot:
        r = await sandbox.control.invoke(
            "digest subscribe", options, channel_id=papers, permissions=MANAGE_GUILD
        )
        assert "Subscribed" in r.content, r.content
        r = await sandbox.control.invoke(
            "digest post-now", channel_id=papers, permissions=MANAGE_GUILD
        )
        assert "Posted the digest of 2021-03-12" in r.content, r.content
        sub = await bot.store.find_subscription(papers, "daily")
        assert sub is not None and sub.id is not None
        record = await bot.store.get_post(sub.id, sample_digest().day)
        assert record is not None and record.message_ids
        link = f"https://discord.com/channels/{guild.id}/{papers}/{record.message_ids[0]}"
        shown = [m for m in sandbox.control.messages(papers) if not m["flags"] & EPHEMERAL]
        said: dict[str, str] = {}
        for p in sample_digest().papers:
            r = await sandbox.control.invoke(
                "digest why", {"paper": p.arxiv_id}, channel_id=papers, permissions=MANAGE_GUILD
            )
            said[p.arxiv_id] = r.content.splitlines()[1].split("**: ", 1)[1]
        assert shown[0]["id"] == str(record.message_ids[0])
        posted = [i for i, line in said.items() if line.startswith("posted in")]
        assert posted == record.arxiv_ids  # the ledger's papers, in rank order
        assert all(said[i].endswith(link) for i in posted)
        assert all(
            said[i].startswith("not posted in the digest of 2021-03-12: ")
            for i in said
            if i not in posted
        ), said


async def test_preview_refuses_a_channel_the_bot_cannot_post_in_as_subscribe_does(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """Subscribe refuses a channel where the bot lacks a permission a post needs; a preview
    of that post must not show it as if it would be posted."""
    view, send, embed = 1 << 10, 1 << 11, 1 << 14
    guild = await sandbox.control.add_guild(
        "Lab", channels=["general", "papers"], everyone_permissions=view | send | embed
    )
    general, papers = guild.channels
    async with running_app(sandbox, store, clock):
        replies = []
        for command in ("digest preview", "digest subscribe"):
            r = await sandbox.control.invoke(
                command, {"channel": papers}, channel_id=general, permissions=MANAGE_GUILD
            )
            assert r.ephemeral
            replies.append(r.content)
        assert (
            replies
            == [
                f"I cannot post in <#{papers}>: I am missing Read Message History. "
                "Give me those permissions there and subscribe again."
            ]
            * 2
        )
        assert [m for m in sandbox.control.messages(papers) if not m["flags"] & EPHEMERAL] == []


async def test_why_of_a_weekly_post_names_the_week_for_any_day_of_it(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    (papers,) = guild.channels
    options = {"name": "weekly", "cadence": "weekly", "weekday": 5, "categories": "cs.CV"}
    async with running_app(sandbox, store, clock) as bot:
        options["limit"] = 2
        await sandbox.control.invoke(
            "digest subscribe", options, channel_id=papers, permissions=MANAGE_GUILD
        )
        r = await sandbox.control.invoke(
            "digest post-now", {"name": "weekly"}, channel_id=papers, permissions=MANAGE_GUILD
        )
        assert "Posted the digest of the week 2021-03-06 – 2021-03-12" in r.content, r.content
        sub = await bot.store.find_subscription(papers, "weekly")
        assert sub is not None and sub.id is not None
        record = await bot.store.get_post(sub.id, sample_digest().day)
        assert record is not None and record.message_ids
        link = f"https://discord.com/channels/{guild.id}/{papers}/{record.message_ids[0]}"
        week = "the digest of the week 2021-03-06 – 2021-03-12"
        said: dict[tuple[str, str | None], str] = {}
        for paper, day in [
            ("2103.06422", None),
            ("2103.06422", "2021-03-08"),
            ("2103.06877", "2021-03-12"),
            ("2103.06874", "2021-03-06"),
        ]:
            asked = {"paper": paper, "name": "weekly"} | ({"day": day} if day else {})
            r = await sandbox.control.invoke(
                "digest why", asked, channel_id=papers, permissions=MANAGE_GUILD
            )
            said[(paper, day)] = r.content.splitlines()[1]
        assert said == {
            ("2103.06422", None): f"<#{papers}> **weekly**: posted in {week}: {link}",
            ("2103.06422", "2021-03-08"): f"<#{papers}> **weekly**: posted in {week}: {link}",
            ("2103.06877", "2021-03-12"): f"<#{papers}> **weekly**: not posted in {week}: it "
            "ranked 3 of the 5 papers that passed the filters, below the cut at 2.",
            ("2103.06874", "2021-03-06"): f"<#{papers}> **weekly**: not posted in {week}: its "
            "categories (cs.CL, cs.LG) are outside the digest's (cs.CV).",
        }
