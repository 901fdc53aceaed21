"""Fixtures for the sandbox suite: a fresh sandbox per test and a small real bot connected to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from sandbox.app import Sandbox
from sandbox.state import Guild
from sandbox.testing import running_bot, running_sandbox, sandbox_bot_options

FRUITS = ["apple", "apricot", "banana", "cherry"]


def make_bot(**options: object) -> commands.Bot:
    """A bot with one command per behaviour the suite exercises."""
    bot = commands.Bot(command_prefix="!", **sandbox_bot_options(**options))
    bot.late_errors = []  # type: ignore[attr-defined]

    @bot.tree.command()
    @app_commands.describe(text="what to say", times="how many times")
    async def echo(interaction: discord.Interaction, text: str, times: int = 1) -> None:
        """Say something back, then confirm in a follow-up."""
        await interaction.response.send_message(text * times)
        await interaction.followup.send("done")

    @bot.tree.command()
    async def slow(interaction: discord.Interaction) -> None:
        """Defer, work, then edit the original response."""
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        await interaction.edit_original_response(
            content="finished", embed=discord.Embed(title="Result", description="42")
        )

    @bot.tree.command()
    async def lifecycle(interaction: discord.Interaction) -> None:
        """Answer, read the answer back, follow up, edit the follow-up, delete the answer."""
        await interaction.response.send_message("draft")
        original = await interaction.original_response()
        follow = await interaction.followup.send("follow", wait=True)
        await follow.edit(content=f"follow edited after {original.content}")
        await original.delete()

    @bot.tree.command()
    async def fruit(interaction: discord.Interaction, name: str) -> None:
        """Pick a fruit."""
        await interaction.response.send_message(f"you picked {name}", ephemeral=True)

    @fruit.autocomplete("name")
    async def fruit_names(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f, value=f) for f in FRUITS if f.startswith(current)]

    @bot.tree.command()
    @app_commands.default_permissions(manage_guild=True)
    async def configure(interaction: discord.Interaction) -> None:
        """Only for members who can manage the guild."""
        await interaction.response.send_message("configured")

    @bot.tree.command()
    async def late(interaction: discord.Interaction) -> None:
        """Answer after the interaction deadline; Discord refuses it."""
        await asyncio.sleep(0.4)
        try:
            await interaction.response.send_message("too late")
        except discord.HTTPException as exc:
            bot.late_errors.append(exc)  # type: ignore[attr-defined]

    @bot.tree.command()
    async def twice(interaction: discord.Interaction) -> None:
        """Respond twice; the second is refused with 40060."""
        await interaction.response.send_message("once")
        try:
            await interaction.followup.send("followup ok")
            await bot.http.request(
                discord.http.Route(
                    "POST",
                    "/interactions/{interaction_id}/{token}/callback",
                    interaction_id=interaction.id,
                    token=interaction.token,
                ),
                json={"type": 4, "data": {"content": "twice"}},
            )
        except discord.HTTPException as exc:
            bot.late_errors.append(exc)  # type: ignore[attr-defined]

    return bot


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A sandbox that accepts only the token "sandbox-token" (deadlines as on Discord)."""
    async with running_sandbox(token="sandbox-token") as sb:
        yield sb


@pytest.fixture
async def guild(sandbox: Sandbox) -> Guild:
    """A guild with two channels, "general" and "papers"."""
    return await sandbox.control.add_guild("Lab", channels=["general", "papers"])


@pytest.fixture
def bot_factory() -> Callable[..., commands.Bot]:
    """`make_bot`, for tests that start their own bot (with other client options)."""
    return make_bot


@pytest.fixture
async def bot(sandbox: Sandbox, guild: Guild) -> AsyncIterator[commands.Bot]:
    """The test bot, connected and ready, with its commands synced globally."""
    async with running_bot(sandbox, make_bot()) as client:
        await client.tree.sync()
        yield client


def channel_ids(guild: Guild) -> list[int]:
    """A guild's channel ids in creation order."""
    return list(guild.channels)
