"""`/saved`: a member's own list of papers saved with the 🔖 button, privately. Thin: the
service (`bot.services.marks`) reads and words it; the answer carries a menu to remove a
paper, handled by the posts' click handler (`bot.app.buttons`).

It works wherever the member is (servers, DMs, the app installed for themselves): the list is
the member's, not the server's.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.buttons import Wrap, reply
from bot.services.marks import MarksService


class SavedCog(commands.Cog):
    """The member's saved papers."""

    def __init__(self, marks: MarksService, clicks: Wrap) -> None:
        self.marks = marks
        self.clicks = clicks

    @app_commands.command(name="saved")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    async def saved(self, interaction: discord.Interaction[Any]) -> None:
        """The papers you saved with 🔖 under digest posts, newest first (only you see it)."""
        await reply(interaction, await self.marks.saved(interaction.user.id), self.clicks)
