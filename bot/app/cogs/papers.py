"""`/hot`, `/paper` and `/history`: what channel members ask. Thin: parse, fetch, render, send."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.replies import Reply
from bot.app.views import (
    category_choices,
    history_text,
    parse_day,
    parse_paper_id,
    posted_note,
)
from bot.errors import UserInputError
from bot.filters import build_filter, check_window
from bot.render import render_digest, render_paper
from bot.schedule import latest_complete_day

if TYPE_CHECKING:
    from bot.app.bot import HotPapersBot

DEFAULT_LIMIT = 10


class PapersCog(commands.Cog):
    """Commands for everyone in a channel."""

    def __init__(self, bot: HotPapersBot) -> None:
        self.bot = bot

    @app_commands.command(name="hot")
    @app_commands.describe(
        category="an arXiv category such as cs.CV, or an archive such as cs (prefix - to exclude)",
        date="the day, as YYYY-MM-DD (default: the latest day available)",
        window="one day, or the week or month ending on that day",
        limit="how many papers, 1 to 25 (default 10)",
    )
    async def hot(
        self,
        interaction: discord.Interaction[Any],
        category: str | None = None,
        date: str | None = None,
        window: Literal["day", "week", "month"] = "day",
        limit: app_commands.Range[int, 1, 25] = DEFAULT_LIMIT,
    ) -> None:
        """The most-discussed arXiv papers of a day, week or month, optionally of one category."""
        flt = build_filter(categories=category, limit=limit)
        span = check_window(window)
        day = parse_day(date)
        digests = self.bot.digests
        if day is not None:
            latest = latest_complete_day(self.bot.clock(), digests.lag_days)
            if day > latest and digests.source("default") is not None:
                raise UserInputError(
                    f"{day} is not complete yet; the latest complete day is {latest}."
                )
        async with Reply(interaction) as reply:
            hot = await digests.hot("default", day, span, flt)
            if not hot:
                raise UserInputError(
                    f"There is no digest for {hot.end} yet (source: {digests.resolve('default')}). "
                    "Try another date as YYYY-MM-DD."
                )
            if not hot.view.papers and hot.candidates:
                await reply.send(
                    [
                        {
                            "content": f"None of the {hot.candidates} hot papers of "
                            f"{hot.view.title} match {flt.describe()}.",
                        }
                    ]
                )
                return
            await reply.send(render_digest(hot.view, "compact"))

    @hot.autocomplete("category")
    async def _hot_category(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return category_choices(current)

    @app_commands.command(name="paper")
    @app_commands.describe(id="an arXiv id such as 2103.06874, or an arxiv.org link")
    async def paper(self, interaction: discord.Interaction[Any], id: str) -> None:
        """One paper: title, authors, abstract, links, metrics, and when it was posted here."""
        arxiv_id = parse_paper_id(id)
        async with Reply(interaction) as reply:
            found = await self.bot.digests.paper(arxiv_id)
            if found is None:
                raise UserInputError(
                    f"arXiv:{arxiv_id} has not been in any digest I know of, so I have no "
                    "metrics for it. Check the id, or see https://arxiv.org/abs/" + arxiv_id
                )
            note = ""
            if interaction.guild_id is not None:
                posts = await self.bot.store.list_posts(
                    guild_id=interaction.guild_id, arxiv_id=arxiv_id
                )
                note = posted_note(arxiv_id, interaction.guild_id, posts)
            await reply.send([render_paper(found, note=note)])

    @app_commands.command(name="history")
    @app_commands.guild_only()
    @app_commands.describe(days="how many days back, 1 to 90 (default 7)")
    async def history(
        self, interaction: discord.Interaction[Any], days: app_commands.Range[int, 1, 90] = 7
    ) -> None:
        """What the bot posted in this channel over the last days."""
        if not 1 <= days <= 90:
            raise UserInputError(f"days must be a whole number from 1 to 90 (got {days}).")
        channel_id = interaction.channel_id
        if channel_id is None or interaction.guild_id is None:
            raise UserInputError("/history works only in a server channel.")
        async with Reply(interaction, ephemeral=True) as reply:
            since = self.bot.clock().date() - timedelta(days=days)
            posts = await self.bot.store.list_posts(channel_id=channel_id, since=since)
            await reply.send([{"content": history_text(interaction.guild_id, posts, days)}])
