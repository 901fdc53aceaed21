"""Installations and DMs: who can reach the app where, and whom the bot may write to.

Each is received or sent by the real discord.py client; citations point into
discord/discord-api-docs (commit c98d64b): developers/resources/application.mdx,
interactions/application-commands.mdx, interactions/receiving-and-responding.mdx,
resources/user.mdx, topics/opcodes-and-status-codes.mdx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from sandbox.app import Sandbox
from sandbox.state import Guild
from sandbox.testing import running_bot, sandbox_bot_options

SEND = 1 << 11
VIEW = 1 << 10


def id_of_tester(guild: Guild) -> int:
    """The id of a guild's member "tester"."""
    return next(m.user.id for m in guild.members.values() if m.user.username == "tester")


def make_bot() -> commands.Bot:
    """`/anywhere` (guild and user installs, every context), `/server` (guild install only,
    guilds only, as the tree's default says) and `/public` (answers in the channel)."""
    bot = commands.Bot(
        command_prefix="!",
        tree_cls=app_commands.CommandTree,
        **sandbox_bot_options(),
    )
    bot.tree.allowed_installs = app_commands.AppInstallationType(guild=True, user=False)
    bot.tree.allowed_contexts = app_commands.AppCommandContext(
        guild=True, dm_channel=False, private_channel=False
    )

    @bot.tree.command()
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def anywhere(interaction: discord.Interaction) -> None:
        """Say who authorized this."""
        keys = sorted(interaction._integration_owners)  # no public accessor
        await interaction.response.send_message(
            f"owners={keys} guild_install={interaction.is_guild_integration()}", ephemeral=True
        )

    @bot.tree.command()
    async def server(interaction: discord.Interaction) -> None:
        """Servers the bot is in only."""
        await interaction.response.send_message("server", ephemeral=True)

    @bot.tree.command()
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def public(interaction: discord.Interaction) -> None:
        """Answer for everyone to see."""
        await interaction.response.send_message("for all")

    return bot


@pytest.fixture
async def bot(sandbox: Sandbox, guild: Guild) -> AsyncIterator[commands.Bot]:
    async with running_bot(sandbox, make_bot()) as client:
        await client.tree.sync()
        yield client


async def test_the_tree_defaults_are_synced_and_a_command_without_them_gets_the_apps_contexts(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    """application-commands.mdx:38 `integration_types` "Defaults to your app's configured
    contexts" (the sandbox's app: guild and user); :39 `contexts`."""
    synced = {c["name"]: c for c in sandbox.control.commands()}
    assert synced["anywhere"]["integration_types"] == [0, 1]
    assert synced["anywhere"]["contexts"] == [0, 1, 2]
    assert synced["server"]["integration_types"] == [0]
    assert synced["server"]["contexts"] == [0]

    @bot.tree.command()
    async def bare(interaction: discord.Interaction) -> None:
        """No installs of its own."""

    bot.tree.allowed_installs = app_commands.AppInstallationType()
    await bot.tree.sync()
    synced = {c["name"]: c for c in sandbox.control.commands()}
    assert synced["bare"]["integration_types"] == [0, 1]  # user-installable, unasked


async def test_a_user_install_needs_the_app_to_support_it(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    """application.mdx:200 "By default, newly-created apps only support installation to
    guilds"; application-commands.mdx:300 "as long as any included contexts are already
    supported on the application-level"."""
    sandbox.control.configure(install_contexts=[0])
    with pytest.raises(discord.HTTPException) as caught:
        await bot.tree.sync()
    assert caught.value.status == 400 and caught.value.code == 50035
    assert "integration_types" in str(caught.value)


async def test_who_reaches_a_command_where(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot
) -> None:
    """receiving-and-responding.mdx:82-85: a key "only if [...] The app has been authorized to
    the installation context corresponding to the key"; application-commands.mdx:308
    PRIVATE_CHANNEL only for commands "installed to a user"."""
    control = sandbox.control
    me = id_of_tester(guild)
    assert (await control.invoke("anywhere")).content == "owners=[0] guild_install=True"
    # discord.py's is_guild_integration() is about servers: False from a DM, key 0 or not.
    assert (await control.invoke("anywhere", context="dm")).content == (
        "owners=[0] guild_install=False"
    )
    assert (await control.invoke("anywhere", context="private")).status == "unavailable"
    control.install_app(me)
    assert (await control.invoke("anywhere")).content == "owners=[0, 1] guild_install=True"
    assert (await control.invoke("anywhere", context="private")).content == (
        "owners=[1] guild_install=False"
    )
    assert (await control.invoke("server", context="dm")).status == "unavailable"
    assert (await control.invoke("server", context="private")).status == "unavailable"


async def test_a_dm_needs_a_shared_server_or_a_user_install(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    """application.mdx:184 "apps installed only to a server can't be accessed within a user's
    DMs": a user in no server with the bot reaches it only through their own install."""
    elsewhere = await sandbox.control.add_guild("Elsewhere", with_bot=False)
    stranger = id_of_tester(elsewhere)
    result = await sandbox.control.invoke("anywhere", context="dm", user_id=stranger)
    assert result.status == "unavailable"
    sandbox.control.install_app(stranger)
    result = await sandbox.control.invoke("anywhere", context="dm", user_id=stranger)
    assert result.content == "owners=[1] guild_install=False"


async def test_a_user_install_in_a_server_without_the_bot(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    """application.mdx:196 user installs are "visible across all of an authorizing user's
    servers [...] but are forced to respect the user's permissions in the surface where the app
    is being used": the interaction works; the bot itself cannot post there."""
    control = sandbox.control
    elsewhere = await control.add_guild("Elsewhere", channels=["chat"], with_bot=False)
    assert elsewhere.id not in {g.id for g in bot.guilds}  # no GUILD_CREATE, not in READY
    chat = next(iter(elsewhere.channels.values()))
    me = id_of_tester(elsewhere)
    assert (await control.invoke("anywhere", guild_id=elsewhere.id)).status == "unavailable"
    control.install_app(me)
    answer = await control.invoke("anywhere", guild_id=elsewhere.id)
    assert answer.status == "answered" and answer.ephemeral
    assert answer.content == "owners=[1] guild_install=False"
    assert (await control.invoke("server", guild_id=elsewhere.id)).status == "unavailable"
    assert (await control.invoke("public", guild_id=elsewhere.id)).content == "for all"
    with pytest.raises(discord.Forbidden) as caught:
        await bot.http.send_message(chat.id, params=_text("hello"))
    assert caught.value.code == 50001


async def test_no_public_answer_where_the_user_may_not_send(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    """application.mdx:196 "if a user invokes a command for a user-installed app from a
    server's channel where they don't have permission to send messages, the app won't be able
    to respond to an interaction with a non-ephemeral message"."""
    control = sandbox.control
    quiet = await control.add_guild("Quiet", with_bot=False, everyone_permissions=VIEW)
    control.install_app(id_of_tester(quiet))
    assert (await control.invoke("anywhere", guild_id=quiet.id)).status == "answered"
    result = await control.invoke("public", guild_id=quiet.id)
    assert result.status == "no_response"
    callbacks = [r for r in control.requests(method="POST") if r.route.endswith("/callback")]
    assert [r.status for r in callbacks] == [200, 403]


def _text(content: str) -> discord.http.MultipartParameters:
    return discord.http.handle_message_parameters(content=content)


async def test_the_bot_opens_a_dm_and_posts_unless_the_user_does_not_accept_it(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot
) -> None:
    """user.mdx:323 Create DM "(if one already exists, it will be returned instead)";
    opcodes-and-status-codes.mdx:265 50007 "Cannot send messages to this user"."""
    control = sandbox.control
    me = id_of_tester(guild)
    opened = await bot.http.start_private_message(me)
    assert opened["type"] == 1 and [u["id"] for u in opened["recipients"]] == [str(me)]
    dm = bot._connection.add_dm_channel(opened)  # what User.create_dm does with the answer
    again = await bot.http.start_private_message(me)
    assert int(again["id"]) == dm.id == control.dm_channel_of(me)
    await dm.send("hello")  # shares a server with the bot
    assert [m["content"] for m in control.messages(dm.id)] == ["hello"]
    assert [m.content async for m in dm.history()] == ["hello"]
    control.set_dms(me, open=False)
    with pytest.raises(discord.Forbidden) as caught:
        await dm.send("again")
    assert caught.value.code == 50007
    control.set_dms(me, open=True)
    await dm.send("again")

    with pytest.raises(discord.NotFound) as missing:
        await bot.http.start_private_message(123)
    assert missing.value.code == 10013


async def test_a_user_in_no_server_with_the_bot_gets_dms_only_while_installed(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    """The strict reading of 50007: a user the bot shares no server with accepts its DMs only
    while they have the app installed to their account (application.mdx:194)."""
    control = sandbox.control
    elsewhere = await control.add_guild("Elsewhere", with_bot=False)
    stranger = id_of_tester(elsewhere)
    channel_id = int((await bot.http.start_private_message(stranger))["id"])
    with pytest.raises(discord.Forbidden) as caught:
        await bot.http.send_message(channel_id, params=_text("hi"))
    assert caught.value.code == 50007
    control.install_app(stranger)
    await bot.http.send_message(channel_id, params=_text("hi"))
    control.install_app(stranger, installed=False)
    with pytest.raises(discord.Forbidden):
        await bot.http.send_message(channel_id, params=_text("bye"))
    assert [m["content"] for m in control.messages(channel_id)] == ["hi"]


async def test_a_private_channel_is_not_the_bots(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot
) -> None:
    """receiving-and-responding.mdx:73 PRIVATE_CHANNEL: "DMs other than the app's bot user":
    the bot answers through the interaction, but cannot post there itself."""
    sandbox.control.install_app(id_of_tester(guild))
    result = await sandbox.control.invoke("public", context="private")
    assert result.content == "for all" and result.original is not None
    with pytest.raises(discord.Forbidden) as caught:
        await bot.http.send_message(int(result.original["channel_id"]), params=_text("x"))
    assert caught.value.code == 50001
