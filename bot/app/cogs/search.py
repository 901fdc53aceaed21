"""`/search`: every stored paper, found by the words of its title, authors or abstract. Thin: the
service (`bot.services.search`) checks the arguments, asks the store's index and words the
answer; the command passes the options in and sends what comes back.

Where it works: as `/hot` and `/paper`, in servers, DMs, group DMs and wherever a member
installed the app (`allowed_contexts`, `allowed_installs`): it reads only the store. One
indexed query answers well within Discord's 3 seconds, so `Reply` answers at once (it defers
by itself only if that ever took long). Each member has a budget (`SEARCH_RATE`), charged once
the arguments are valid.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.autocomplete import category_choices
from bot.app.cogs.papers import MemberBudget
from bot.app.replies import Reply
from bot.services.search import MAX_QUERY, SearchService

# Per member: (commands, seconds). A search costs one indexed query of the store.
SEARCH_RATE = (10, 60.0)


class SearchCog(commands.Cog):
    """Search over every paper the bot has stored."""

    def __init__(self, search: SearchService) -> None:
        self.service = search
        self.budget = MemberBudget(*SEARCH_RATE)

    @app_commands.command(name="search")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.describe(
        query="words of the title, authors or abstract (the last word may be cut short)",
        category="an arXiv category such as cs.CV, or an archive such as cs",
        since="only papers listed on or after this day, as YYYY-MM-DD",
        until="only papers listed on or before this day, as YYYY-MM-DD",
    )
    async def search(
        self,
        interaction: discord.Interaction[Any],
        query: app_commands.Range[str, 1, MAX_QUERY],
        category: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> None:
        """Find stored arXiv papers by words of their title, authors or abstract."""
        request = self.service.request(query, category, since, until)
        self.budget.charge(interaction)
        async with Reply(interaction) as reply:
            await reply.send(await self.service.search(request))

    @search.autocomplete("category")
    async def _search_category(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return category_choices(current)
