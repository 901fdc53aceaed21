"""Role pings and the 🔔 toggle, end to end: the real bot, the sandbox, exact payloads.

The sandbox pings only what `allowed_mentions` lists and what Discord would let through (a
mentionable role, or Mention Everyone), and records every member a message reached: the
tests assert who was pinged, not only what the bot asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.models import Subscription
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.flags import MANAGE_ROLES
from sandbox.flags import MENTION_EVERYONE as MENTION
from sandbox.state import DEFAULT_EVERYONE_PERMISSIONS, Guild, Role
from tests.app.conftest import MANAGE_GUILD, FakeClock, running_app

POST = "POST /channels/{channel_id}/messages"
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
BEFORE = datetime(2021, 3, 13, 8, 0, tzinfo=UTC)
DUE = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)


@dataclass
class Lab:
    guild: Guild
    channel: int
    topic: Role  # mentionable, below the bot's role
    bot_role: Role  # Manage Roles, above the topic role
    reader: int  # a member holding the topic role
    newcomer: int  # a member without it


async def lab(sandbox: Sandbox) -> Lab:
    """The world before the bot connects (so its cache knows its own role)."""
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    topic = await sandbox.control.add_role(guild.id, "cs-cv", mentionable=True)
    bot_role = await sandbox.control.add_role(guild.id, "HotPapers", MANAGE_ROLES)
    await sandbox.control.give_role(guild.id, sandbox.state.bot_user.id, bot_role.id)
    reader = await sandbox.control.add_member(guild.id, "reader", role_ids=[topic.id])
    newcomer = await sandbox.control.add_member(guild.id, "newcomer")
    channel = next(iter(guild.channels))
    return Lab(guild, channel, topic, bot_role, reader.user.id, newcomer.user.id)


async def subscribe(sandbox: Sandbox, store: Store, w: Lab, fmt: str, **role: Any) -> Subscription:
    """`/digest subscribe` at 09:00 with the role options (`role_id` is the role option)."""
    options = {"channel": str(w.channel), "time": "09:00", "format": fmt}
    if role.get("role_id") is not None:
        options["role"] = str(role.pop("role_id"))
    r = await sandbox.control.invoke(
        "digest subscribe", {**options, **role}, permissions=MANAGE_GUILD
    )
    assert r.status == "answered" and r.content.startswith("Subscribed"), r.content
    (sub,) = await store.list_subscriptions(w.guild.id)
    return sub


def posts(sandbox: Sandbox, channel: int) -> list[dict[str, Any]]:
    """The digest's messages in a channel (they carry a nonce; command answers do not)."""
    return [m for m in sandbox.control.messages(channel) if m.get("nonce")]


def sent_bodies(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r.body for r in sandbox.control.requests(POST, status=200)]


@pytest.mark.parametrize(
    ("role", "pings"),
    [
        ({"ping": "always"}, True),
        ({"ping": "score", "ping_min_score": 500.0}, True),  # the top paper scores 1003
        ({"ping": "score", "ping_min_score": 5000.0}, False),
        ({"ping": "off"}, False),
    ],
)
@pytest.mark.parametrize("fmt", ["compact", "detailed"])
async def test_the_first_message_pings_the_role_and_nothing_else_pings(
    sandbox: Sandbox, store: Store, clock: FakeClock, fmt: str, role: dict[str, Any], pings: bool
) -> None:
    w = await lab(sandbox)
    clock.set(BEFORE)
    async with running_app(sandbox, store, clock) as bot:
        await subscribe(sandbox, store, w, fmt, role_id=w.topic.id, **role)
        clock.set(DUE)
        assert (await bot.scheduler.tick()).sent == 1
    first, *rest = sent_bodies(sandbox)
    assert rest if fmt == "detailed" else not rest
    if pings:
        assert first["allowed_mentions"] == {"parse": [], "roles": [str(w.topic.id)]}
        assert first["content"].startswith(f"<@&{w.topic.id}> **🔥 Hot Papers 2021-03-12**")
        assert sandbox.control.pings() == [
            {
                "message_id": posts(sandbox, w.channel)[0]["id"],
                "channel_id": str(w.channel),
                "roles": [str(w.topic.id)],
                "users": [str(w.reader)],
                "everyone": False,
            }
        ]
    else:
        assert first["allowed_mentions"] == NO_MENTIONS
        assert "<@&" not in first["content"]
        assert sandbox.control.pings() == []
    assert [b["allowed_mentions"] for b in rest] == [NO_MENTIONS] * len(rest)


def toggle_id(sandbox: Sandbox, channel: int) -> tuple[int, str]:
    """The first post's message id and its 🔔 button's custom id."""
    message = posts(sandbox, channel)[0]
    ids = [c["custom_id"] for row in message["components"] for c in row["components"]]
    (role_button,) = [i for i in ids if i.startswith("hp:role:")]
    return int(message["id"]), role_button


async def test_the_bell_toggles_the_role_after_a_restart(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    w = await lab(sandbox)
    clock.set(BEFORE)
    async with running_app(sandbox, store, clock) as bot:
        sub = await subscribe(
            sandbox, store, w, "compact", role_id=w.topic.id, ping="always", self_roles=True
        )
        clock.set(DUE)
        assert (await bot.scheduler.tick()).sent == 1
    message_id, custom_id = toggle_id(sandbox, w.channel)
    assert custom_id == f"hp:role:{sub.id}"
    button = next(
        c
        for row in posts(sandbox, w.channel)[0]["components"]
        for c in row["components"]
        if c["custom_id"] == custom_id
    )
    assert (button["label"], button["emoji"]) == ("Get digest pings", {"name": "🔔"})
    newcomer = w.guild.members[w.newcomer]
    async with running_app(sandbox, store, clock):  # a new process: nothing in memory
        r = await sandbox.control.click(message_id, custom_id, user_id=w.newcomer)
        assert r.status == "answered" and r.ephemeral
        assert r.content == f"You'll get <@&{w.topic.id}> pings. Click again to stop."
        assert w.topic.id in newcomer.role_ids
        r = await sandbox.control.click(message_id, custom_id, user_id=w.newcomer)
        assert r.content == (
            f"You won't get <@&{w.topic.id}> pings any more. Click again to rejoin."
        )
        assert w.topic.id not in newcomer.role_ids
        # The moderator turns self roles off: the old post's button refuses, changing nothing.
        await store.upsert_subscription(sub.model_copy(update={"self_roles": False}))
        r = await sandbox.control.click(message_id, custom_id, user_id=w.reader)
        assert r.content == (
            "A moderator turned self roles off for this digest: ask them for the role."
        )
        assert w.topic.id in w.guild.members[w.reader].role_ids
    puts = sandbox.control.requests("PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    dels = sandbox.control.requests("DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    assert [r.status for r in puts] == [204] and [r.status for r in dels] == [204]


async def test_the_bell_refuses_once_the_bot_lost_manage_roles(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    w = await lab(sandbox)
    clock.set(BEFORE)
    async with running_app(sandbox, store, clock) as bot:
        await subscribe(sandbox, store, w, "compact", role_id=w.topic.id, self_roles=True)
        clock.set(DUE)
        assert (await bot.scheduler.tick()).sent == 1
        message_id, custom_id = toggle_id(sandbox, w.channel)
        await sandbox.control.set_role(w.guild.id, w.bot_role.id, permissions=0)
        await sandbox.state.wait_for(
            lambda: not bot.get_guild(w.guild.id).me.guild_permissions.manage_roles,  # type: ignore[union-attr]
            5.0,
        )
        r = await sandbox.control.click(message_id, custom_id, user_id=w.newcomer)
        assert r.content == (
            f"I cannot give <@&{w.topic.id}> right now: I am missing Manage Roles in this "
            "server. Ask a moderator."
        )
        # Discord refusing anyway (the cache did not know yet): the same kind of answer.
        await sandbox.control.set_role(w.guild.id, w.bot_role.id, permissions=MANAGE_ROLES)
        await sandbox.state.wait_for(
            lambda: bot.get_guild(w.guild.id).me.guild_permissions.manage_roles,  # type: ignore[union-attr]
            5.0,
        )
        await sandbox.control.give_role(
            w.guild.id, sandbox.state.bot_user.id, w.bot_role.id, give=False
        )  # no GUILD_MEMBERS intent: the bot is not told
        r = await sandbox.control.click(message_id, custom_id, user_id=w.newcomer)
        assert r.content == (
            f"I cannot give <@&{w.topic.id}> right now: ask a moderator to check my permissions."
        )
    assert w.topic.id not in w.guild.members[w.newcomer].role_ids


async def refused(sandbox: Sandbox, channel: int, **options: Any) -> str:
    r = await sandbox.control.invoke(
        "digest subscribe", {"channel": str(channel), **options}, permissions=MANAGE_GUILD
    )
    assert r.status == "answered" and r.ephemeral
    return r.content


async def test_subscribe_checks_the_role_first(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild(
        "Lab", channels=["papers"], everyone_permissions=DEFAULT_EVERYONE_PERMISSIONS & ~MENTION
    )
    channel = next(iter(guild.channels))
    quiet = await sandbox.control.add_role(guild.id, "quiet")  # not mentionable
    loud = await sandbox.control.add_role(guild.id, "loud", mentionable=True)
    bot_role = await sandbox.control.add_role(guild.id, "HotPapers")  # no Manage Roles yet
    above = await sandbox.control.add_role(guild.id, "admins", mentionable=True)
    await sandbox.control.give_role(guild.id, sandbox.state.bot_user.id, bot_role.id)
    clock.set(BEFORE)
    async with running_app(sandbox, store, clock) as bot:
        assert await refused(sandbox, channel, role=str(quiet.id), ping="always") == (
            f"I cannot ping the role `quiet` in <#{channel}>: the role is not mentionable. Make "
            "it mentionable (Server Settings → Roles → the role → Allow anyone to @mention "
            f"this role), or give me Mention Everyone in <#{channel}>."
        )
        assert await refused(sandbox, channel, role=str(loud.id), self_roles=True) == (
            "Members cannot take the role `loud` from the post's button: I am missing Manage "
            "Roles in this server. Give me that permission, or set self_roles off."
        )
        await sandbox.control.set_role(guild.id, bot_role.id, permissions=MANAGE_ROLES)
        await sandbox.state.wait_for(
            lambda: bot.get_guild(guild.id).me.guild_permissions.manage_roles,  # type: ignore[union-attr]
            5.0,
        )
        assert await refused(sandbox, channel, role=str(above.id), self_roles=True) == (
            "I cannot give the role `admins`: it is not below my highest role. Move my role "
            "above it (Server Settings → Roles), or set self_roles off."
        )
        assert await store.list_subscriptions(guild.id) == []  # nothing was saved
        # Mention Everyone in the channel lets the unmentionable role ping after all.
        await sandbox.control.set_overwrite(channel, sandbox.state.bot_user.id, allow=MENTION)
        ok = await refused(sandbox, channel, role=str(quiet.id), ping="always", self_roles=True)
        assert ok.startswith("Subscribed"), ok
