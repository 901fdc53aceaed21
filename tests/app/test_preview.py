"""`/digest preview` end to end: the options of `/digest subscribe`, the next post shown
privately exactly as it would be posted, and nothing created or changed in the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app.bot import HotPapersBot
from bot.app.cogs.options import SUBSCRIBE_OPTIONS
from bot.cli.preview import sample_digest
from bot.models import Subscription
from bot.publish import compose, plan
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.state import Guild
from tests.app.conftest import MANAGE_GUILD, FakeClock, running_app

EPHEMERAL = 64
# The poster lease's heartbeat and the bot's start record move on their own while it runs.
MOVING = {"leases", "starts"}


@pytest.fixture
async def world(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> AsyncIterator[tuple[Sandbox, Guild, HotPapersBot]]:
    guild = await sandbox.control.add_guild("Lab", channels=["general", "papers"])
    async with running_app(sandbox, store, clock) as bot:
        yield sandbox, guild, bot


def channel(guild: Guild, name: str) -> int:
    return next(c.id for c in guild.channels.values() if c.name == name)


async def rows(store: Store) -> dict[str, list[Any]]:
    """Every row of every table (but the lease's heartbeat), to compare before and after."""
    tables: Any = store  # the SQLite store's raw table access (`bot.store.copy.Tables`)
    out: dict[str, list[Any]] = {}
    for table in await tables.table_names():
        if table not in MOVING:
            columns = await tables.table_columns(table)
            out[table] = [tuple(r) for r in await tables.table_rows(table, columns)]
    return out


def options_of(sandbox: Sandbox, sub: str) -> list[dict[str, Any]]:
    """The synced options of `/digest <sub>`, as Discord holds them."""
    (digest,) = [c for c in sandbox.state.commands.values() if c.name == "digest"]
    (found,) = [o for o in digest.payload["options"] if o["name"] == sub]
    return list(found.get("options", []))


def seen(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as their reader sees them: text and embeds (the sandbox's stored form; an
    embed's `flags: 0`, which discord.py's `Embed` adds to a reply's, shows nothing)."""
    out = []
    for m in messages:
        embeds = [{k: v for k, v in e.items() if (k, v) != ("flags", 0)} for e in m["embeds"]]
        out.append({"content": m["content"], "embeds": embeds})
    return out


def public(sandbox: Sandbox, channel_id: int) -> list[dict[str, Any]]:
    """The messages everyone sees in a channel (the sandbox lists ephemeral ones too)."""
    return [m for m in sandbox.control.messages(channel_id) if not m["flags"] & EPHEMERAL]


async def posted(sandbox: Sandbox, channel_id: int) -> list[dict[str, Any]]:
    """Post the channel's digest now; its messages, the thread's after the header's."""
    r = await sandbox.control.invoke(
        "digest post-now", channel_id=channel_id, permissions=MANAGE_GUILD
    )
    assert "Posted the digest of 2021-03-12" in r.content, r.content
    header = public(sandbox, channel_id)
    return header + [m for h in header for m in public(sandbox, int(h["id"]))]


async def test_preview_takes_exactly_the_options_of_subscribe(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    subscribe, preview = options_of(sandbox, "subscribe"), options_of(sandbox, "preview")
    assert [o["name"] for o in subscribe] == list(SUBSCRIBE_OPTIONS)  # channel first
    assert {"name", "cadence", "weekday", "categories", "role", "ping"} <= set(SUBSCRIBE_OPTIONS)
    assert preview == subscribe  # names, types, descriptions, choices, bounds, autocomplete


async def test_preview_with_options_shows_the_post_and_creates_nothing(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    before = await rows(bot.store)
    r = await sandbox.control.invoke(
        "digest preview",
        {"channel": papers, "categories": "cs.CV, -cs.RO", "limit": 3, "time": "07:30"},
        permissions=MANAGE_GUILD,
    )
    assert r.status == "answered" and r.ephemeral
    draft = Subscription(
        guild_id=guild.id, channel_id=papers, categories=["cs.CV", "-cs.RO"], limit=3
    )
    digest = sample_digest()
    expected, thread = plan(draft, compose(draft, digest), candidates=len(digest.papers))
    assert thread == [] and len(expected) == 1
    assert [m["flags"] for m in r.messages] == [EPHEMERAL]
    assert r.response is not None and r.response["allowed_mentions"] == {"parse": []}
    assert r.response["content"] == expected[0]["content"]
    assert r.content.startswith("**🔥 Hot Papers 2021-03-12 · cs.CV, not cs.RO** · 3 papers")
    assert await rows(bot.store) == before  # no subscription, no ledger row, nothing changed
    assert public(sandbox, papers) == []
    # Subscribed with the same options, the post is what the preview showed.
    r2 = await sandbox.control.invoke(
        "digest subscribe",
        {"categories": "cs.CV, -cs.RO", "limit": 3, "time": "07:30"},
        channel_id=papers,
        permissions=MANAGE_GUILD,
    )
    assert "Subscribed" in r2.content, r2.content
    assert seen(await posted(sandbox, papers)) == seen(r.messages)


async def test_preview_of_a_subscription_applies_the_options_on_top_and_saves_none(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    r = await sandbox.control.invoke(
        "digest subscribe",
        {"categories": "cs.CV", "format": "detailed"},
        channel_id=papers,
        permissions=MANAGE_GUILD,
    )
    assert "Subscribed" in r.content, r.content
    saved = await bot.store.find_subscription(papers, "daily")
    before = await rows(bot.store)
    r = await sandbox.control.invoke(
        "digest preview", {"limit": 2}, channel_id=papers, permissions=MANAGE_GUILD, followups=1
    )
    assert saved is not None
    draft = saved.model_copy(update={"limit": 2})
    digest = sample_digest()
    header, thread = plan(draft, compose(draft, digest), candidates=len(digest.papers))
    assert len(header) == 1 and len(thread) == 1  # a detailed post: the header, its thread
    assert [m["flags"] for m in r.messages] == [EPHEMERAL, EPHEMERAL]
    assert await rows(bot.store) == before
    assert await bot.store.find_subscription(papers, "daily") == saved  # still its own limit
    r2 = await sandbox.control.invoke(
        "digest subscribe", {"limit": 2}, channel_id=papers, permissions=MANAGE_GUILD
    )
    assert "Updated" in r2.content, r2.content
    assert seen(await posted(sandbox, papers)) == seen(r.messages)


async def test_preview_of_a_long_post_says_how_many_more_messages_it_has(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    papers = channel(guild, "papers")
    options = {"format": "detailed", "limit": 16}
    r = await sandbox.control.invoke(
        "digest preview", options, channel_id=papers, permissions=MANAGE_GUILD, followups=4
    )
    assert [m["flags"] for m in r.messages] == [EPHEMERAL] * 5
    await sandbox.control.invoke(
        "digest subscribe", options, channel_id=papers, permissions=MANAGE_GUILD
    )
    post = seen(await posted(sandbox, papers))
    assert len(post) == 6  # the header and 16 embeds in 5 thread messages
    note = {"content": "-# … and 2 more messages in the post (6 in all).", "embeds": []}
    assert seen(r.messages) == [*post[:4], note]


async def test_preview_refuses_a_bad_option_privately(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    r = await sandbox.control.invoke(
        "digest preview", {"timezone": "Mars/Olympus"}, channel_id=papers, permissions=MANAGE_GUILD
    )
    assert r.ephemeral and r.content == (
        "`Mars/Olympus` is not an IANA time zone: use a name such as Europe/Berlin, "
        "America/New_York, Asia/Tokyo or UTC."
    )
    assert await bot.store.list_subscriptions() == []


async def test_preview_is_for_moderators(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    r = await sandbox.control.invoke("digest preview", {"limit": 3}, permissions=1 << 11)
    assert r.status == "denied"


async def test_preview_of_a_second_weekly_digest_shows_the_week_and_saves_none(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    await sandbox.control.invoke("digest subscribe", channel_id=papers, permissions=MANAGE_GUILD)
    before = await rows(bot.store)
    # Saturdays: the week 03-06 … 03-12, due at 09:00 on 03-13 (now), what post-now posts.
    options = {"name": "cv-weekly", "cadence": "weekly", "weekday": 5, "categories": "cs.CV"}
    r = await sandbox.control.invoke(
        "digest preview", options, channel_id=papers, permissions=MANAGE_GUILD
    )
    assert r.ephemeral and r.content.startswith(
        "**🔥 Hot Papers of the week 2021-03-06 – 2021-03-12 · cs.CV** · 5 papers"
    ), r.content
    assert await rows(bot.store) == before
    assert [s.name for s in await bot.store.list_subscriptions(channel_id=papers)] == ["daily"]
    r2 = await sandbox.control.invoke(
        "digest subscribe", options, channel_id=papers, permissions=MANAGE_GUILD
    )
    assert "Subscribed" in r2.content, r2.content
    r3 = await sandbox.control.invoke(
        "digest post-now", {"name": "cv-weekly"}, channel_id=papers, permissions=MANAGE_GUILD
    )
    assert "Posted the digest of the week 2021-03-06 – 2021-03-12" in r3.content, r3.content
    assert seen(public(sandbox, papers)) == seen(r.messages)
