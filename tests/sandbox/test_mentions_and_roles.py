"""Who a message notifies, and giving and taking roles: the sandbox as strict as Discord.

message.mdx "Allowed Mentions Object" (c98d64b, :710-830); guild.mdx "Add/Remove Guild Member
Role" (:1110-1126); permissions.mdx "Permission Hierarchy" (:108-115). Over plain HTTP with the
bot's token, and the control API's record of who was pinged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from sandbox.app import Sandbox
from sandbox.flags import MANAGE_ROLES, MENTION_EVERYONE
from sandbox.mention_rules import Allowed, allowed
from sandbox.state import DEFAULT_EVERYONE_PERMISSIONS, Guild, Role

AUTH = {"Authorization": "Bot sandbox-token"}
NO_EVERYONE = DEFAULT_EVERYONE_PERMISSIONS & ~MENTION_EVERYONE


class Api:
    def __init__(self, http: aiohttp.ClientSession, sandbox: Sandbox) -> None:
        self.http, self.base = http, sandbox.api_base

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(method, self.base + path, json=body, headers=AUTH) as r:
            return r.status, (await r.json(content_type=None) if r.status != 204 else None)

    async def post(self, channel: int, body: dict[str, Any]) -> dict[str, Any]:
        status, data = await self.call("POST", f"/channels/{channel}/messages", body)
        assert status == 200, data
        result: dict[str, Any] = data
        return result


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as http:
        yield Api(http, sandbox)


@dataclass
class World:
    """A guild, its channel, a mentionable and an unmentionable role, a member with both."""

    guild: Guild
    channel: int
    loud: Role
    quiet: Role
    member: int


async def world(sandbox: Sandbox, everyone: int) -> World:
    guild = await sandbox.control.add_guild("Lab", ["papers"], everyone_permissions=everyone)
    loud = await sandbox.control.add_role(guild.id, "cs-cv", mentionable=True)
    quiet = await sandbox.control.add_role(guild.id, "quiet")
    member = await sandbox.control.add_member(guild.id, "reader", role_ids=[loud.id, quiet.id])
    return World(guild, next(iter(guild.channels)), loud, quiet, member.user.id)


def test_allowed_reads_only_what_the_request_lets_through() -> None:
    text = "@here <@&1> <@&2> <@3> <@!4>"
    assert allowed(text, {"parse": []}) == Allowed()
    assert allowed(text, None) == Allowed(users=(3, 4), roles=(1, 2), everyone=True)
    assert allowed(text, None, default=("users",)) == Allowed(users=(3, 4))
    assert allowed(text, {"parse": [], "roles": ["2", "9"]}) == Allowed(roles=(2,))
    assert allowed(text, {"parse": ["everyone"], "users": ["4"]}) == Allowed(
        users=(4,), everyone=True
    )


async def test_only_the_listed_role_pings(sandbox: Sandbox, api: Api) -> None:
    w = await world(sandbox, NO_EVERYONE)
    text = f"<@&{w.loud.id}> <@&{w.quiet.id}> <@{w.member}> @everyone"
    listed = await api.post(
        w.channel, {"content": text, "allowed_mentions": {"roles": [str(w.loud.id)]}}
    )
    assert listed["mention_roles"] == [str(w.loud.id)]
    assert listed["mentions"] == [] and listed["mention_everyone"] is False
    none = await api.post(w.channel, {"content": text, "allowed_mentions": {"parse": []}})
    assert none["mention_roles"] == []
    # A role id listed but not in the content is ignored (message.mdx:821).
    await api.post(w.channel, {"content": "hello", "allowed_mentions": {"roles": [str(w.loud.id)]}})
    assert sandbox.control.pings(w.channel) == [
        {
            "message_id": listed["id"],
            "channel_id": str(w.channel),
            "roles": [str(w.loud.id)],
            "users": [str(w.member)],
            "everyone": False,
        }
    ]


async def test_an_unmentionable_role_pings_nobody_without_mention_everyone(
    sandbox: Sandbox, api: Api
) -> None:
    w = await world(sandbox, NO_EVERYONE)
    body = {
        "content": f"<@&{w.quiet.id}> @everyone",
        "allowed_mentions": {"parse": ["roles", "everyone"]},
    }
    sent = await api.post(w.channel, body)
    assert sent["mention_roles"] == [] and sent["mention_everyone"] is False
    assert sandbox.control.pings(w.channel) == []
    # With MENTION_EVERYONE in the channel it does (message.mdx:714), and so does @everyone.
    await sandbox.control.set_overwrite(
        w.channel, sandbox.state.bot_user.id, allow=MENTION_EVERYONE
    )
    sent = await api.post(w.channel, body)
    assert sent["mention_roles"] == [str(w.quiet.id)] and sent["mention_everyone"] is True
    everybody = [m for m in w.guild.members if m != sandbox.state.bot_user.id]
    assert sorted(sandbox.control.pings(w.channel)[0]["users"]) == sorted(map(str, everybody))
    assert len(everybody) == 3  # the owner, "tester" and "reader"; never the bot itself


async def test_no_allowed_mentions_parses_everything_in_a_channel_message(
    sandbox: Sandbox, api: Api
) -> None:
    w = await world(sandbox, NO_EVERYONE)
    sent = await api.post(w.channel, {"content": f"<@&{w.loud.id}> <@{w.member}>"})
    assert sent["mention_roles"] == [str(w.loud.id)]
    assert [u["id"] for u in sent["mentions"]] == [str(w.member)]


async def test_a_role_becoming_mentionable_is_seen(sandbox: Sandbox, api: Api) -> None:
    w = await world(sandbox, NO_EVERYONE)
    await sandbox.control.set_role(w.guild.id, w.quiet.id, mentionable=True)
    sent = await api.post(
        w.channel,
        {"content": f"<@&{w.quiet.id}>", "allowed_mentions": {"roles": [str(w.quiet.id)]}},
    )
    assert sent["mention_roles"] == [str(w.quiet.id)]


async def test_giving_and_taking_roles_needs_manage_roles_and_a_higher_role(
    sandbox: Sandbox, api: Api
) -> None:
    w = await world(sandbox, DEFAULT_EVERYONE_PERMISSIONS)
    path = f"/guilds/{w.guild.id}/members/{w.member}/roles/{w.loud.id}"
    bot_id = sandbox.state.bot_user.id
    status, data = await api.call("PUT", path)
    assert (status, data["code"]) == (403, 50013)  # no MANAGE_ROLES
    low = await sandbox.control.add_role(w.guild.id, "bot-low", MANAGE_ROLES, position=1)
    await sandbox.control.give_role(w.guild.id, bot_id, low.id)
    assert w.loud.position >= low.position
    status, data = await api.call("PUT", path)
    assert (status, data["code"]) == (403, 50013)  # the role is not below the bot's highest
    high = await sandbox.control.add_role(w.guild.id, "bot", MANAGE_ROLES)
    await sandbox.control.give_role(w.guild.id, bot_id, high.id)
    member_roles = w.guild.members[w.member].role_ids
    assert (await api.call("DELETE", path))[0] == 204
    assert w.loud.id not in member_roles
    assert (await api.call("DELETE", path))[0] == 204  # not held: nothing changes
    assert (await api.call("PUT", path))[0] == 204
    assert (await api.call("PUT", path))[0] == 204
    assert member_roles.count(w.loud.id) == 1
    higher = await sandbox.control.add_role(w.guild.id, "admins")
    status, data = await api.call(
        "PUT", f"/guilds/{w.guild.id}/members/{w.member}/roles/{higher.id}"
    )
    assert (status, data["code"]) == (403, 50013)


@pytest.mark.parametrize(
    ("which", "code"),
    [("guild", 10004), ("member", 10007), ("role", 10011), ("everyone", 10011)],
)
async def test_unknown_guild_member_or_role(
    sandbox: Sandbox, api: Api, which: str, code: int
) -> None:
    w = await world(sandbox, DEFAULT_EVERYONE_PERMISSIONS)
    ids = {"guild": w.guild.id, "member": w.member, "role": w.loud.id}
    ids[which if which != "everyone" else "role"] = w.guild.id if which == "everyone" else 42
    path = f"/guilds/{ids['guild']}/members/{ids['member']}/roles/{ids['role']}"
    status, data = await api.call("PUT", path)
    assert (status, data["code"]) == (404, code)
