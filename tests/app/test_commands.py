"""Every command through the sandbox with the real discord.py client: good and bad arguments,
allowed and denied."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app.bot import HotPapersBot
from bot.cli.preview import sample_digest
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.state import Guild
from tests.app.conftest import MANAGE_GUILD, FakeClock, running_app

CV_IDS = [p.arxiv_id for p in sample_digest().papers if "cs.CV" in p.categories]


@pytest.fixture
async def world(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> AsyncIterator[tuple[Sandbox, Guild, HotPapersBot]]:
    guild = await sandbox.control.add_guild("Lab", channels=["general", "papers"])
    async with running_app(sandbox, store, clock) as bot:
        yield sandbox, guild, bot


def channel(guild: Guild, name: str) -> int:
    return next(c.id for c in guild.channels.values() if c.name == name)


def listed_ids(text: str) -> list[str]:
    import re

    return re.findall(r"arxiv\.org/abs/([\w./-]+?)\)", text)


async def test_hot_cs_cv_is_exactly_the_five_cs_cv_papers_in_rank_order(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    r = await sandbox.control.invoke("hot", {"category": "cs.CV"})
    assert r.status == "answered" and not r.ephemeral
    assert len(CV_IDS) == 5
    assert listed_ids(r.embeds[0]["description"]) == CV_IDS
    assert "cs.CV" in r.content and "5 papers" in r.content


async def test_hot_defaults_to_the_latest_day_top_ten(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    r = await sandbox.control.invoke("hot")
    assert r.status == "answered"
    assert (
        listed_ids(r.embeds[0]["description"]) == [p.arxiv_id for p in sample_digest().papers][:10]
    )
    assert "2021-03-12" in r.content
    r = await sandbox.control.invoke("hot", {"limit": 3, "date": "2021-03-12", "window": "week"})
    assert len(listed_ids(r.embeds[0]["description"])) == 3
    assert "week" in r.content


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"category": "cs.XYZ"}, "Unknown arXiv category"),
        ({"category": "cs.CVV"}, "Did you mean cs.CV"),
        ({"date": "12/03/2021"}, "YYYY-MM-DD"),
        ({"date": "2021-03-11"}, "no digest for 2021-03-11"),
        ({"limit": 0}, "from 1 to 25"),
        ({"limit": 99}, "from 1 to 25"),
    ],
)
async def test_hot_bad_arguments_get_a_clear_ephemeral_error(world, options, needle) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    r = await sandbox.control.invoke("hot", options, bounds=False)  # the bot's own checks
    assert r.status == "answered"
    assert r.ephemeral
    assert needle.lower() in r.content.lower()


async def test_hot_with_a_filter_matching_nothing_says_so(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    r = await sandbox.control.invoke("hot", {"category": "math.AG"})
    assert "None of the 16 hot papers" in r.content and "math.AG" in r.content


async def test_category_autocomplete(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    r = await sandbox.control.autocomplete("hot", {"category": "vision"}, "category")
    assert r.choices is not None
    assert r.choices[0] == {
        "name": "cs.CV — Computer Vision and Pattern Recognition",
        "value": "cs.CV",
    }
    r = await sandbox.control.autocomplete("hot", {"category": ""}, "category")
    assert r.choices is not None and 0 < len(r.choices) <= 25
    assert all(len(c["name"]) <= 100 for c in r.choices)


async def test_paper_by_id_and_url(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    for given in [
        "2103.06874",
        "2103.06874v2",
        "https://arxiv.org/abs/2103.06874",
        "arXiv:2103.06874",
    ]:
        r = await sandbox.control.invoke("paper", {"id": given})
        assert r.status == "answered" and not r.ephemeral
        embed = r.embeds[0]
        assert "CANINE" in embed["title"]
        assert embed["url"] == "https://arxiv.org/abs/2103.06874"
        assert "has not been posted in this server yet" in r.content


@pytest.mark.parametrize(
    ("given", "needle"),
    [("hello", "Not an arXiv id"), ("2501.99999", "has not been in any digest")],
)
async def test_paper_bad_ids(world, given, needle) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    r = await sandbox.control.invoke("paper", {"id": given})
    assert r.ephemeral and needle in r.content


async def test_subscribe_list_preview_post_now_history_status_unsubscribe(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    r = await sandbox.control.invoke(
        "digest subscribe",
        {
            "channel": papers,
            "time": "7:30",
            "timezone": "Europe/Berlin",
            "categories": "cs.CV, -cs.RO",
            "limit": 3,
            "format": "detailed",
            "min_score": 10,
            "keywords": "image, scene",
            "post_empty": False,
        },
        permissions=MANAGE_GUILD,
    )
    assert r.status == "answered" and r.ephemeral, r.content
    assert "Subscribed" in r.content and "07:30 Europe/Berlin" in r.content
    sub = await bot.store.find_subscription(papers, "daily")
    assert sub is not None
    assert (sub.post_time, sub.timezone, sub.categories, sub.limit, sub.format) == (
        "07:30",
        "Europe/Berlin",
        ["cs.CV", "-cs.RO"],
        3,
        "detailed",
    )
    assert (sub.min_score, sub.keywords, sub.post_empty) == (10.0, ["image", "scene"], False)

    r = await sandbox.control.invoke("digest list", permissions=MANAGE_GUILD)
    assert f"<#{papers}>" in r.content and "next: <t:" in r.content and "2021-03-13" in r.content

    r = await sandbox.control.invoke(
        "digest preview", {"channel": papers}, permissions=MANAGE_GUILD
    )
    assert r.status == "answered" and r.ephemeral
    assert sandbox.control.messages(papers) == []  # a preview posts nothing

    r = await sandbox.control.invoke(
        "digest post-now", {"channel": papers}, permissions=MANAGE_GUILD
    )
    assert "Posted the digest of 2021-03-12" in r.content, r.content
    posted = sandbox.control.messages(papers)
    assert len(posted) == 1 and "Hot Papers 2021-03-12" in posted[0]["content"]
    thread = sandbox.control.messages(int(posted[0]["id"]))
    shown = [e["url"].rsplit("/", 1)[-1] for m in thread for e in m["embeds"]]
    assert shown and all(i in CV_IDS for i in shown) and "2103.06417" not in shown  # -cs.RO

    r = await sandbox.control.invoke(
        "digest post-now", {"channel": papers}, permissions=MANAGE_GUILD
    )
    assert "already posted" in r.content
    assert len(sandbox.control.messages(papers)) == 1

    r = await sandbox.control.invoke("history", channel_id=papers)
    assert r.ephemeral and "• 2021-03-12 · ✅ [sent](" in r.content
    r = await sandbox.control.invoke(
        "history", {"days": 0}, channel_id=papers, bounds=False
    )  # past min_value: the bot's own check
    assert "from 1 to 90" in r.content
    r = await sandbox.control.invoke("paper", {"id": shown[0]}, channel_id=papers)
    assert f"Posted in this server: <#{papers}>" in r.content

    r = await sandbox.control.invoke("digest status", permissions=MANAGE_GUILD)
    assert "03-12 ✅" in r.content and "Failing channels: none" in r.content

    r = await sandbox.control.invoke(
        "digest unsubscribe", {"channel": papers}, permissions=MANAGE_GUILD
    )
    assert "Unsubscribed" in r.content
    assert await bot.store.find_subscription(papers, "daily") is None
    r = await sandbox.control.invoke(
        "digest unsubscribe", {"channel": papers}, permissions=MANAGE_GUILD
    )
    assert "has no digest subscription" in r.content


async def test_resubscribing_keeps_settings_not_given(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    await sandbox.control.invoke(
        "digest subscribe",
        {"channel": papers, "time": "08:00", "limit": 5},
        permissions=MANAGE_GUILD,
    )
    r = await sandbox.control.invoke(
        "digest subscribe", {"channel": papers, "timezone": "Asia/Tokyo"}, permissions=MANAGE_GUILD
    )
    assert "Updated" in r.content
    sub = await bot.store.find_subscription(papers, "daily")
    assert sub is not None and (sub.post_time, sub.timezone, sub.limit) == (
        "08:00",
        "Asia/Tokyo",
        5,
    )


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"time": "25:00"}, "HH:MM"),
        ({"time": "noon"}, "HH:MM"),
        ({"timezone": "Mars/Olympus"}, "IANA time zone"),
        ({"timezone": "CEST"}, "IANA time zone"),
        ({"categories": "cs.CV, bogus"}, "Unknown arXiv category"),
        ({"categories": "cs.CV, -cs.CV"}, "both included and excluded"),
        ({"limit": 26}, "from 1 to 25"),
        ({"min_score": -5}, "0 or more"),
        ({"keywords": "x" * 80}, "at most 60"),
    ],
)
async def test_subscribe_rejects_bad_settings_saying_what_is_accepted(
    world: tuple[Sandbox, Guild, HotPapersBot], options: dict[str, Any], needle: str
) -> None:
    sandbox, guild, bot = world
    r = await sandbox.control.invoke(
        "digest subscribe",
        {"channel": channel(guild, "papers"), **options},
        permissions=MANAGE_GUILD,
        bounds=False,  # some cases pass min_value/max_value: the bot's own check answers
    )
    assert r.ephemeral and needle in r.content, r.content
    assert await bot.store.list_subscriptions() == []


async def test_subscribe_autocomplete_zone_and_categories(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    r = await sandbox.control.autocomplete(
        "digest subscribe", {"timezone": "berl"}, "timezone", permissions=MANAGE_GUILD
    )
    assert r.choices is not None and r.choices[0]["value"] == "Europe/Berlin"
    r = await sandbox.control.autocomplete(
        "digest subscribe", {"categories": "cs.CL, -cs.C"}, "categories", permissions=MANAGE_GUILD
    )
    assert r.choices is not None and r.choices[0]["value"].startswith("cs.CL, -cs.C")


@pytest.mark.parametrize(
    "sub", ["subscribe", "unsubscribe", "list", "preview", "post-now", "status"]
)
async def test_digest_commands_are_denied_without_manage_server(world, sub) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, bot = world
    r = await sandbox.control.invoke(f"digest {sub}", permissions=1 << 11)
    assert r.status == "denied"  # Discord's default_member_permissions
    # A server may relax that in its integration settings; the bot's own check still holds.
    for command in sandbox.state.commands.values():
        if command.name == "digest":
            command.payload["default_member_permissions"] = None
    r = await sandbox.control.invoke(f"digest {sub}", permissions=1 << 11)
    assert r.status == "answered" and r.ephemeral
    assert r.content == "You need the Manage Server permission to use this command."
    assert await bot.store.list_subscriptions() == []


async def test_an_unexpected_error_is_logged_and_answered_with_an_apology(world, caplog) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, bot = world

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    bot.store.list_posts = broken
    r = await sandbox.control.invoke("history")
    assert r.ephemeral and r.content.startswith("Sorry, something went wrong")
    assert "database on fire" not in r.content
    assert any("database on fire" in (rec.exc_text or "") for rec in caplog.records)


async def test_a_slow_answer_is_deferred_in_time_then_filled_in(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    sandbox, _, bot = world
    monkeypatch.setattr("bot.app.replies.DEFER_AFTER", 0.05)
    fast = bot.digests.hot

    async def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.3)  # e.g. a fetch from upstream
        return await fast(*args, **kwargs)

    monkeypatch.setattr(bot.digests, "hot", slow)
    r = await sandbox.control.invoke("hot", {"category": "cs.CV"})
    assert r.status == "answered"
    assert r.response_type == 5  # "thinking…" first, within the deadline
    assert r.ack_latency_ms is not None and r.ack_latency_ms < r.latency_ms
    assert listed_ids(r.embeds[0]["description"]) == CV_IDS  # then the answer itself
