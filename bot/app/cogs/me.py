"""`/me …`: a user's own digests, delivered by direct message.

Offered wherever the user has the app: servers the bot is in, DMs with it, private channels
and servers it is not in (their own user install: `allowed_installs`, `allowed_contexts`).
Every answer is private. Thin: the options go to `bot.services.personal`, which opens the DM,
checks the user accepts it, and words every reply.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.autocomplete import category_list_choices, zone_choices
from bot.app.cogs.options import (
    CADENCE_CHOICES,
    WEEKDAY_CHOICES,
    describe,
    subscribe_options,
)
from bot.app.replies import Reply
from bot.delivery.targets import TARGETS
from bot.models import MAX_LATE_RISERS
from bot.services.personal import DM_FORMATS, PERSONAL_OPTIONS, PersonalService

# A DM takes only the formats that open no thread (`DM_FORMATS`).
FORMAT_CHOICES = [app_commands.Choice(name=name, value=name) for name in DM_FORMATS]
DESCRIBED = {
    **describe(PERSONAL_OPTIONS),
    "name": "a short name for it, e.g. daily or cv-weekly (default daily)",
    "time": "when to send it, HH:MM in 24-hour time (default 09:00)",
    "format": "; ".join(f"{n}: {TARGETS[n].summary}" for n in DM_FORMATS),
    "post_empty": "send a short notice on a day without papers (default yes)",
}
NAME = "which of your digests (may be left out when you have one)"


async def say(interaction: discord.Interaction[Any], work: Awaitable[str]) -> None:
    """A private answer (never a mention), deferred if the work is slow (each opens the DM
    with a request to Discord, and subscribing sends a first message there)."""
    async with Reply(interaction, ephemeral=True) as reply:
        await reply.send([{"content": await work}])


@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class MeCog(commands.GroupCog, group_name="me"):
    """Your own paper digests, sent to you by direct message."""

    def __init__(self, personal: PersonalService) -> None:
        self.personal = personal
        super().__init__()

    @app_commands.command(name="subscribe")
    @app_commands.choices(format=FORMAT_CHOICES, cadence=CADENCE_CHOICES)
    @app_commands.choices(weekday=WEEKDAY_CHOICES)
    @app_commands.describe(**DESCRIBED)
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        name: app_commands.Range[str, 1, 32] | None = None,
        cadence: app_commands.Choice[str] | None = None,
        weekday: app_commands.Choice[int] | None = None,
        time: str | None = None,
        timezone: str | None = None,
        categories: str | None = None,
        limit: app_commands.Range[int, 1, 25] | None = None,
        format: app_commands.Choice[str] | None = None,
        min_score: app_commands.Range[float, 0] | None = None,
        keywords: str | None = None,
        post_empty: bool | None = None,
        late_risers: app_commands.Range[int, 0, MAX_LATE_RISERS] | None = None,
    ) -> None:
        """Get a digest of papers by direct message; options not given stay as set."""
        options = subscribe_options(
            name=name,
            cadence=cadence,
            weekday=weekday,
            time=time,
            timezone=timezone,
            categories=categories,
            limit=limit,
            format=format,
            min_score=min_score,
            keywords=keywords,
            post_empty=post_empty,
            late_risers=late_risers,
        )
        await say(interaction, self.personal.subscribe(interaction.user.id, options))

    @subscribe.autocomplete("timezone")
    async def _zone(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)

    @subscribe.autocomplete("categories")
    async def _categories(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return category_list_choices(current)

    @app_commands.command(name="unsubscribe")
    @app_commands.describe(name=NAME)
    async def unsubscribe(
        self, interaction: discord.Interaction[Any], name: str | None = None
    ) -> None:
        """Stop one of your digests (what was sent stays)."""
        await say(interaction, self.personal.unsubscribe(interaction.user.id, name))

    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """Your digests, each with its next message or why it stopped."""
        await say(interaction, self.personal.listing(interaction.user.id))

    @app_commands.command(name="pause")
    @app_commands.describe(name=NAME)
    async def pause(self, interaction: discord.Interaction[Any], name: str | None = None) -> None:
        """Pause one of your digests until you resume it."""
        await say(interaction, self.personal.pause(interaction.user.id, name))

    @app_commands.command(name="resume")
    @app_commands.describe(name=NAME)
    async def resume(self, interaction: discord.Interaction[Any], name: str | None = None) -> None:
        """Resume a paused digest, or one stopped because I could not message you."""
        await say(interaction, self.personal.resume(interaction.user.id, name))
