"""Interactions from every context (guild, thread, forum post, DM, user install) and buttons.

Each is received by the real discord.py client; citations point into discord/discord-api-docs
(commit c98d64b), developers/interactions/receiving-and-responding.mdx unless said otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from sandbox.app import Sandbox
from sandbox.state import PUBLIC_THREAD, Guild
from sandbox.testing import running_bot, sandbox_bot_options

FORUM = 15


def id_of_tester(sandbox: Sandbox) -> int:
    """The first guild's member "tester" (who `invoke` acts as by default)."""
    guild = sandbox.control.guilds()[0]
    return next(m.user.id for m in guild.members.values() if m.user.username == "tester")


def describe(interaction: discord.Interaction) -> str:
    """What the client made of an interaction, as one line."""
    channel = interaction.channel
    parent = getattr(channel, "parent", None)
    owners = {0: "guild", 1: "user"}
    keys = [owners[k] for k in sorted(interaction._integration_owners)]  # no public accessor
    return (
        f"guild={interaction.guild is not None}"
        f" member={isinstance(interaction.user, discord.Member)}"
        f" channel={type(channel).__name__} parent={type(parent).__name__ if parent else None}"
        f" dm={interaction.context.dm_channel} private={interaction.context.private_channel}"
        f" user_install={interaction.is_user_integration()} owners={keys}"
        f" by={interaction.user.name}"
    )


class Vote(discord.ui.View):
    """Two buttons: one updates the message (callback type 7), one answers in a new one (4)."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Yes", custom_id="vote:yes")
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[Vote]) -> None:
        await interaction.response.edit_message(content=f"yes from {interaction.user.name}")

    @discord.ui.button(label="Why", custom_id="vote:why")
    async def why(self, interaction: discord.Interaction, button: discord.ui.Button[Vote]) -> None:
        assert interaction.message is not None
        await interaction.response.send_message(
            f"{interaction.data['custom_id']} on {interaction.message.id}",  # type: ignore[index,typeddict-item]
            ephemeral=True,
        )


def make_bot() -> commands.Bot:
    bot = commands.Bot(command_prefix="!", **sandbox_bot_options())

    @bot.tree.command()
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def where(interaction: discord.Interaction) -> None:
        """Say where this was run from."""
        await interaction.response.send_message(describe(interaction))

    @bot.tree.command()
    @app_commands.guild_only()
    async def here(interaction: discord.Interaction) -> None:
        """Only in servers."""
        await interaction.response.send_message("guild only")

    @bot.tree.command()
    async def vote(interaction: discord.Interaction) -> None:
        """Post a message with buttons."""
        await interaction.response.send_message("vote?", view=Vote())

    return bot


@pytest.fixture
async def ctx_bot(sandbox: Sandbox, guild: Guild) -> AsyncIterator[commands.Bot]:
    async with running_bot(sandbox, make_bot()) as client:
        await client.tree.sync()
        yield client


async def test_a_guild_interaction_has_a_member(sandbox: Sandbox, ctx_bot: commands.Bot) -> None:
    """:29 "guild_id? | snowflake | Guild that the interaction was sent from"; :86-88 "If the key is
    `GUILD_INSTALL` (`"0"`) [...] The value will be the guild ID if the interaction is triggered
    from a server"."""
    result = await sandbox.control.invoke("where")
    assert result.content == (
        "guild=True member=True channel=TextChannel parent=None dm=False private=False"
        " user_install=False owners=['guild'] by=tester"
    )


async def test_a_dm_interaction_has_a_user_and_no_member(
    sandbox: Sandbox, ctx_bot: commands.Bot
) -> None:
    """:33 "user? | user object | User object for the invoking user, if invoked in a DM"; :72
    "BOT_DM | 1 | Interaction can be used within DMs with the app's bot user"; :89 "The value
    will be `"0"` if the interaction is triggered from a DM with the app's bot user"; :83 a
    key only where "The app has been authorized to the installation context": the user key
    once they installed the app to their account."""
    result = await sandbox.control.invoke("where", context="dm")
    assert result.status == "answered"
    assert result.content == (
        "guild=False member=False channel=DMChannel parent=None dm=True private=False"
        " user_install=False owners=['guild'] by=tester"
    )
    assert result.original is not None and "guild_id" not in result.original
    sandbox.control.install_app(id_of_tester(sandbox))
    result = await sandbox.control.invoke("where", context="dm")
    assert result.content.endswith("user_install=True owners=['guild', 'user'] by=tester")


async def test_a_user_installed_private_channel_interaction(
    sandbox: Sandbox, ctx_bot: commands.Bot
) -> None:
    """:73 "PRIVATE_CHANNEL | 2 | Interaction can be used within Group DMs and DMs other than the
    app's bot user"; :90 "If the key is `USER_INSTALL` (`"1"`), the value will be the ID of the
    authorizing user"."""
    assert (await sandbox.control.invoke("where", context="private")).status == "unavailable"
    sandbox.control.install_app(id_of_tester(sandbox))
    result = await sandbox.control.invoke("where", context="private")
    assert result.content == (
        "guild=False member=False channel=DMChannel parent=None dm=False private=True"
        " user_install=True owners=['user'] by=tester"
    )


async def test_a_guild_only_command_is_not_offered_in_dms(
    sandbox: Sandbox, ctx_bot: commands.Bot
) -> None:
    """application-commands.mdx:39 `contexts`: "Interaction context(s) where the command can be
    used" (guild_only() syncs `contexts: [0]`), and :308 "the `PRIVATE_CHANNEL` interaction
    context is only meaningful for commands installed to a user"."""
    assert (await sandbox.control.invoke("here", context="dm")).status == "unavailable"
    assert (await sandbox.control.invoke("vote", context="private")).status == "unavailable"
    assert (await sandbox.control.invoke("here")).content == "guild only"


async def test_thread_and_forum_post_interactions(
    sandbox: Sandbox, guild: Guild, ctx_bot: commands.Bot
) -> None:
    """:30 "channel? | partial channel object | Channel that the interaction was sent from"
    (channel.mdx: a forum's posts are threads whose parent is the forum)."""
    control, state = sandbox.control, sandbox.state
    general = next(iter(guild.channels.values()))
    thread = state.add_channel(guild.id, "talk", type=PUBLIC_THREAD, parent_id=general.id)
    thread.owner_id = state.bot_user.id
    await sandbox.gateway.dispatch("THREAD_CREATE", thread.to_json())
    forum = await control.add_channel(guild.id, "papers-forum", type=FORUM)
    post = state.add_channel(guild.id, "a post", type=PUBLIC_THREAD, parent_id=forum.id)
    post.owner_id = state.owner.id
    await sandbox.gateway.dispatch("THREAD_CREATE", post.to_json())
    await state.wait_for(lambda: ctx_bot.get_channel(post.id) is not None, 5)

    in_thread = await control.invoke("where", channel_id=thread.id)
    assert "channel=Thread parent=TextChannel" in in_thread.content, in_thread.content
    in_post = await control.invoke("where", channel_id=post.id)
    assert "channel=Thread parent=ForumChannel" in in_post.content, in_post.content
    assert in_post.original is not None and in_post.original["channel_id"] == str(post.id)


async def test_button_clicks_reach_the_view(sandbox: Sandbox, ctx_bot: commands.Bot) -> None:
    """:36 "message? | message object | For components or modals triggered by components, the
    message they were attached to"; the Interaction Callback Type table: "UPDATE_MESSAGE | 7 |
    For components, edit the message the component was attached to"."""
    posted = await sandbox.control.invoke("vote")
    assert posted.original is not None
    message_id = int(posted.original["id"])
    button_ids = [
        c["custom_id"] for row in posted.original["components"] for c in row["components"]
    ]
    assert button_ids == ["vote:yes", "vote:why"]
    # A user clicks only once the message is shown; the bot registers its view when the callback's
    # answer reaches it, a moment after the sandbox has the message.
    views = ctx_bot._connection._view_store._views
    await sandbox.state.wait_for(lambda: message_id in views, 5)

    why = await sandbox.control.click(message_id, "vote:why")
    assert why.status == "answered" and why.response_type == 4 and why.ephemeral
    assert why.content == f"vote:why on {message_id}"

    yes = await sandbox.control.click(message_id, "vote:yes")
    assert yes.status == "answered" and yes.response_type == 7
    assert sandbox.state.messages[message_id].content == "yes from tester"


async def test_clicking_a_missing_component_is_a_test_error(
    sandbox: Sandbox, ctx_bot: commands.Bot
) -> None:
    from sandbox.control import SandboxError

    posted = await sandbox.control.invoke("vote")
    assert posted.original is not None
    with pytest.raises(SandboxError):
        await sandbox.control.click(int(posted.original["id"]), "vote:no")


async def test_the_http_control_api_sends_dm_interactions_and_clicks(
    sandbox: Sandbox, ctx_bot: commands.Bot
) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        r = await http.post(sandbox.control_url + "/interactions", json={"command": "vote"})
        posted = await r.json()
        message_id = int(posted["original"]["id"])
        views = ctx_bot._connection._view_store._views
        await sandbox.state.wait_for(lambda: message_id in views, 5)
        r = await http.post(
            sandbox.control_url + "/click",
            json={"message_id": str(message_id), "custom_id": "vote:yes"},
        )
        assert (await r.json())["response_type"] == 7
        tester = id_of_tester(sandbox)
        r = await http.post(sandbox.control_url + f"/users/{tester}/install", json={})
        assert await r.json() == {"installed": True}
        r = await http.post(
            sandbox.control_url + "/interactions", json={"command": "where", "context": "private"}
        )
        assert (await r.json())["original"]["content"].startswith("guild=False member=False")
