"""`/hot`, `/paper` and `/history`: what channel members ask. Thin: parse, fetch, render, send.

Where they work: `/hot` and `/paper` read the store (and upstream on a miss) and need nothing
of the channel, so they work in servers, in DMs with the bot, in group DMs and when a member
installed the app for themselves (`allowed_contexts`, `allowed_installs`). `/history` is about
a server channel: servers only. Both may reach upstream, so each member has a budget for them
(`HOT_RATE`, `PAPER_RATE`), charged once the arguments are valid (a typo costs nothing): over
it, `CommandOnCooldown` goes to the one error handler, which answers "try again in N s"
privately.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import limits
from bot.app.outcomes import window_days
from bot.app.replies import Reply
from bot.app.views import (
    category_choices,
    history_text,
    parse_day,
    parse_paper_id,
    posted_note,
    source_down_text,
)
from bot.errors import UserInputError
from bot.filters import build_filter, check_window
from bot.render import escape, render_digest, render_paper, truncate
from bot.schedule import latest_complete_day
from bot.sources.registry import title as source_title

if TYPE_CHECKING:
    from bot.app.bot import HotPapersBot

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

    def __init__(self, bot: HotPapersBot) -> None:
        self.bot = bot
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
        day = parse_day(date, today=self.bot.clock().date())
        digests = self.bot.digests
        if day is not None:
            latest = latest_complete_day(self.bot.clock(), digests.lag_days)
            if day > latest and digests.source("default") is not None:
                raise UserInputError(
                    f"{day} is not complete yet; the latest complete day is {latest}."
                )
        self.hot_budget.charge(interaction)
        async with Reply(interaction) as reply:
            hot = await digests.hot("default", day, span, flt)
            if not hot:
                raise UserInputError(await self._missing(hot.end))
            if not hot.view.papers and hot.candidates:
                await reply.send(
                    [
                        {
                            "content": truncate(
                                f"None of the {hot.candidates} hot papers of "
                                f"{escape(truncate(hot.view.title, 300))} match "
                                f"{escape(truncate(flt.describe(), 1200))}.",
                                limits.CONTENT,
                            ),
                        }
                    ]
                )
                return
            payloads = render_digest(hot.view, "compact")
            if day is None:
                payloads = await self._stale_note(hot.end, payloads)
            await reply.send(payloads)

    async def _missing(self, day: object) -> str:
        """Why a day has no digest: the source is unreachable (since when), or it has none."""
        digests = self.bot.digests
        name = digests.resolve("default")
        if digests.source(name) is not None:
            health = await self.bot.store.source_health()
            if any(h.source == name and not h.ok for h in health):
                return source_down_text(name, health)
        return f"There is no digest for {day} yet (source: {name}). Try another date as YYYY-MM-DD."

    async def _stale_note(
        self, end: object, payloads: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Say so when the latest day could not be had and an older stored day is shown."""
        digests = self.bot.digests
        name = digests.resolve("default")
        latest = latest_complete_day(self.bot.clock(), digests.lag_days)
        if digests.source(name) is None or end == latest or not payloads:
            return payloads
        health = await self.bot.store.source_health()
        if not any(h.source == name and not h.ok for h in health):
            return payloads
        note = (
            f"-# {source_title(name)} cannot be reached right now, so this is the latest "
            f"stored day, not {latest}."
        )
        first = dict(payloads[0])
        first["content"] = truncate(f"{note}\n{first.get('content', '')}".strip(), limits.CONTENT)
        return [first, *payloads[1:]]

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
        arxiv_id = parse_paper_id(id)
        self.paper_budget.charge(interaction)
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
    @app_commands.allowed_installs(guilds=True, users=False)
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
            store, now = self.bot.store, self.bot.clock()
            sub = await store.get_subscription(channel_id)
            if sub is not None and sub.guild_id != interaction.guild_id:
                sub = None
            since = now.date() - timedelta(days=days + 2)
            posts = await store.list_posts(channel_id=channel_id, since=since)
            lines = window_days(
                sub,
                posts,
                now,
                days=days,
                lag_days=self.bot.digests.lag_days,
                grace=timedelta(hours=self.bot.config.schedule.catch_up_hours),
                guild_id=interaction.guild_id,
            )
            text = history_text(channel_id, days, lines, subscribed=sub is not None)
            await reply.send([{"content": text}])
