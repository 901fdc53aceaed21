"""The strict sandbox's rules as a real discord.py bot sees them (issue 10, items 3 and 10)."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

from sandbox.app import Sandbox
from sandbox.state import EMBED_LINKS, SEND_MESSAGES, Guild
from sandbox.testing import running_bot, sandbox_bot_options


def perms_bot(seen: dict[str, Any]) -> commands.Bot:
    bot = commands.Bot(command_prefix="!", **sandbox_bot_options())

    @bot.tree.command()
    async def where(interaction: discord.Interaction, target: discord.TextChannel) -> None:
        """Report the permissions Discord sent."""
        seen["app"] = interaction.app_permissions
        seen["member"] = interaction.permissions
        seen["target"] = interaction.namespace.target.permissions
        await interaction.response.send_message("ok")

    return bot


async def test_app_permissions_and_resolved_channels_reflect_overwrites(
    sandbox: Sandbox, guild: Guild
) -> None:
    """receiving-and-responding.mdx:37 app_permissions: "permissions the app has in the source
    location of the interaction"; guild.mdx:391 member permissions "in the channel, including
    overwrites"; receiving-and-responding.mdx:184 resolved channels carry `permissions`."""
    general, papers = list(guild.channels)
    tester = next(m for m in guild.members.values() if m.user.username == "tester")
    await sandbox.control.set_overwrite(general, sandbox.state.bot_user.id, deny=EMBED_LINKS)
    await sandbox.control.set_overwrite(general, tester.user.id, deny=SEND_MESSAGES)
    await sandbox.control.set_overwrite(papers, guild.id, deny=SEND_MESSAGES)
    seen: dict[str, Any] = {}
    async with running_bot(sandbox, perms_bot(seen)) as bot:
        await bot.tree.sync()
        result = await sandbox.control.invoke("where", {"target": papers}, channel_id=general)
        assert result.status == "answered", result
    assert seen["app"].embed_links is False and seen["app"].send_messages is True
    assert seen["member"].send_messages is False and seen["member"].view_channel is True
    assert seen["target"].send_messages is False  # the invoker's, in the resolved channel


async def test_a_thread_added_through_the_control_api_survives_a_restart(
    sandbox: Sandbox, guild: Guild
) -> None:
    """Every thread has a parent and an owner; discord.py reads both from GUILD_CREATE."""
    thread = await sandbox.control.add_channel(guild.id, "side", 11)
    for _ in range(2):  # a first start, then a restart
        bot = commands.Bot(command_prefix="!", **sandbox_bot_options())
        async with running_bot(sandbox, bot):
            cached = bot.get_channel(thread.id)
            assert isinstance(cached, discord.Thread)
            assert cached.parent_id == next(iter(guild.channels))
            assert cached.owner_id == sandbox.state.owner.id
