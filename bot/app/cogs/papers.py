"""`/hot`, `/paper` and `/history`: what channel members ask. Thin: the services
(`bot.services.papers`, `bot.services.history`) check the arguments, do the work and word the
answer; a command passes the options in and sends what comes back.

Where they work: `/hot` and `/paper` read the store (and upstream on a miss) and need nothing
of the channel, so they work in servers, in DMs with the bot, in group DMs and when a member
installed the app for themselves (`allowed_contexts`, `allowed_installs`). `/history` is about
a server channel: servers only. Both may reach upstream, so each member has a budget for them
(`HOT_RATE`, `PAPER_RATE`), charged once the arguments are valid (a typo costs nothing): over
it, `CommandOnCooldown` goes to the one error handler, which answers "try again in N s"
privately.

`/paper`'s id autocompletes from the store's search index (`SearchService.paper_choices`):
ids starting with what was typed and papers whose title holds its words. Autocomplete must
answer quickly and may not fail the member's typing: any error there offers no choices.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.autocomplete import category_choices, choices
from bot.app.replies import Reply
from bot.services.favourites import FavouritesService
from bot.services.history import HistoryService
from bot.services.papers import PapersService
from bot.services.search import SearchService

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10
# Per member: (commands, seconds). Generous for reading, bounded for upstream work.
HOT_RATE = (5, 60.0)
PAPER_RATE = (5, 60.0)


class MemberBudget:
    """How often each member may run a command that may reach upstream (discord.py's
    `Cooldown` per member; the same error as `app_commands.checks.cooldown` raises)."""

    def __init__(self, rate: int, per: float) -> None:
        self.rate, self.per = rate, per
        self._members: dict[int, app_commands.Cooldown] = {}

    def charge(self, interaction: discord.Interaction[Any]) -> None:
        """Count one use; `CommandOnCooldown` when the member is over their budget."""
        now = interaction.created_at.timestamp()
        cooldown = self._members.get(interaction.user.id)
        if cooldown is None:
            if len(self._members) > 10_000:  # forget members whose budget is full again
                self._members = {
                    k: c for k, c in self._members.items() if c.get_tokens(now) < c.rate
                }
            cooldown = self._members[interaction.user.id] = app_commands.Cooldown(
                self.rate, self.per
            )
        retry_after = cooldown.update_rate_limit(now)
        if retry_after is not None:
            raise app_commands.CommandOnCooldown(cooldown, retry_after)


class PapersCog(commands.Cog):
    """Commands for everyone in a channel."""

    def __init__(
        self,
        papers: PapersService,
        history: HistoryService,
        search: SearchService | None,
        favourites: FavouritesService,
    ) -> None:
        self.papers = papers
        self.favourites = favourites
        self.history_service = history
        self.search = search
        self.hot_budget = MemberBudget(*HOT_RATE)
        self.paper_budget = MemberBudget(*PAPER_RATE)

    @app_commands.command(name="hot")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.describe(
        category="an arXiv category such as cs.CV, or an archive such as cs (prefix - to exclude)",
        date="the day, as YYYY-MM-DD (default: the latest day available)",
        window="one day, or the week or month ending on that day",
        limit="how many papers, 1 to 25 (default 10)",
        scope="everyone's discussion (default), or this server's 👍 favourites",
    )
    async def hot(
        self,
        interaction: discord.Interaction[Any],
        category: str | None = None,
        date: str | None = None,
        window: Literal["day", "week", "month"] = "day",
        limit: app_commands.Range[int, 1, 25] = DEFAULT_LIMIT,
        scope: Literal["all", "server"] = "all",
    ) -> None:
        """The most-discussed arXiv papers of a day, week or month, optionally of one category."""
        request = self.papers.hot_request(category, date, window, limit)
        self.hot_budget.charge(interaction)
        async with Reply(interaction) as reply:
            if scope == "server":
                await reply.send(await self.favourites.server_hot(request, interaction.guild_id))
            else:
                await reply.send(await self.papers.hot(request))

    @hot.autocomplete("category")
    async def _hot_category(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return category_choices(current)

    @app_commands.command(name="paper")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.describe(id="an arXiv id such as 2103.06874, or an arxiv.org link")
    async def paper(self, interaction: discord.Interaction[Any], id: str) -> None:
        """One paper: title, authors, abstract, links, metrics, and when it was posted here."""
        arxiv_id = self.papers.paper_id(id)
        self.paper_budget.charge(interaction)
        async with Reply(interaction) as reply:
            await reply.send([await self.papers.paper(arxiv_id, interaction.guild_id)])

    @paper.autocomplete("id")
    async def _paper_id(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if self.search is None:
            return []
        try:
            return choices(await self.search.paper_choices(current))
        except Exception:  # a store fault: no suggestions, never an error while typing
            log.warning("no /paper suggestions for %r", current[:40], exc_info=True)
            return []

    @app_commands.command(name="history")
    @app_commands.guild_only()
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.describe(days="how many days back, 1 to 90 (default 7)")
    async def history(
        self, interaction: discord.Interaction[Any], days: app_commands.Range[int, 1, 90] = 7
    ) -> None:
        """What the bot posted in this channel over the last days."""
        async with Reply(interaction, ephemeral=True) as reply:
            text = await self.history_service.history(
                interaction.guild_id, interaction.channel_id, days
            )
            await reply.send([{"content": text}])
