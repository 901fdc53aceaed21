"""`Interaction.start` is the one place an interaction gets its id and token, from an `Origin`:
a guild channel and a member, or a DM and a user (receiving-and-responding.mdx)."""

from __future__ import annotations

from sandbox.installs import CONTEXT_BOT_DM, CONTEXT_GUILD
from sandbox.interactions import (
    APPLICATION_COMMAND,
    BOT_DM_APP_PERMISSIONS,
    MESSAGE_COMPONENT,
    Interaction,
    InteractionBook,
    Origin,
)
from sandbox.state import SandboxSettings, SandboxState


def world() -> tuple[SandboxState, Origin]:
    state = SandboxState(SandboxSettings())
    guild = state.add_guild("Lab")
    channel = state.add_channel(guild.id, "general")
    member = state.add_member(guild.id, "tester")
    return state, Origin.in_guild(guild, channel, member, guild.permissions_in(member, channel))


def test_each_interaction_gets_a_fresh_id_and_token() -> None:
    state, origin = world()
    first = Interaction.start(state.ids, APPLICATION_COMMAND, origin, {"name": "a"})
    second = Interaction.start(state.ids, APPLICATION_COMMAND, origin, {"name": "a"})
    assert first.id < second.id
    assert first.token != second.token and len(first.token) >= 64


def test_a_guild_interaction_has_a_member_and_the_guild_install() -> None:
    state, origin = world()
    assert origin.guild is not None and origin.member is not None
    inter = Interaction.start(state.ids, APPLICATION_COMMAND, origin, {"name": "a"})
    payload = inter.to_gateway_json(state)
    assert payload["context"] == CONTEXT_GUILD
    assert payload["guild_id"] == str(origin.guild.id)
    assert payload["member"]["user"]["id"] == str(origin.member.user.id)
    assert payload["member"]["permissions"] == str(origin.permissions)
    assert payload["authorizing_integration_owners"] == {"0": str(origin.guild.id)}
    assert "user" not in payload


def test_a_dm_interaction_has_a_user_no_member_and_the_dm_permissions() -> None:
    state, guild_origin = world()
    assert guild_origin.member is not None
    user = guild_origin.member.user
    dm = InteractionBook().dm_channel(state, user)
    origin = Origin.in_dm(dm, user, CONTEXT_BOT_DM, {"0": "0"})
    inter = Interaction.start(
        state.ids, MESSAGE_COMPONENT, origin, {"custom_id": "x"}, message_id=None
    )
    payload = inter.to_gateway_json(state)
    assert payload["context"] == CONTEXT_BOT_DM
    assert payload["user"]["id"] == str(user.id)
    assert "member" not in payload and "guild_id" not in payload
    assert payload["app_permissions"] == str(BOT_DM_APP_PERMISSIONS)
    assert payload["channel"]["type"] == 1 and payload["channel_id"] == str(dm.id)
