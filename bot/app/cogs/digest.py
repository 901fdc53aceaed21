"""`/digest …`: the moderators' settings. Manage Server is required twice: by Discord
(`default_permissions`, which a server can override) and by the bot itself (`interaction_check`).

Thin: each command reads the interaction into plain data (`where`: the server, the channel it
runs in and its kind, the channel option, the bot's permissions in the target), makes one call
to a service (`bot.services.subscriptions`, `posting`, `status`) and sends what it returns.
Which channels can take a digest, what is checked before saving and every reply's wording are
the services'.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.autocomplete import category_list_choices, zone_choices
from bot.app.cogs.options import (
    NAME_OF_ONE,
    SUBSCRIBE_CHOICES,
    SUBSCRIBE_OPTIONS,
    WEEKDAY_CHOICES,
    describe,
    subscribe_options,
)
from bot.app.cogs.roles import role_lookup
from bot.app.replies import Reply
from bot.models import MAX_LATE_RISERS
from bot.services.posting import PostingService
from bot.services.status import StatusService
from bot.services.subscriptions import (
    Kind,
    Place,
    SubscriptionService,
    Where,
    refusal,
)
from bot.services.why import WhyService

Channel = discord.TextChannel  # text and announcement channels (discord.py maps both)


def place_of(channel: object) -> Place:
    """The kind of channel a command runs in, as discord.py built it (None: not cached)."""
    if isinstance(channel, discord.Thread):
        return Place(Kind.THREAD, channel.parent_id)
    if isinstance(channel, discord.VoiceChannel | discord.StageChannel):
        return Place(Kind.VOICE)
    if isinstance(channel, discord.ForumChannel):
        return Place(Kind.FORUM)
    if channel is None:
        return Place(Kind.UNKNOWN)
    if isinstance(channel, discord.TextChannel):
        return Place(Kind.TEXT)
    return Place(Kind.OTHER)


def refuse_here(channel: object, channel_id: int) -> str | None:
    """Why the channel a command runs in cannot take a digest, with what to do instead."""
    return refusal(place_of(channel), channel_id)


def granted(interaction: discord.Interaction[Any], channel_id: int) -> frozenset[str] | None:
    """The bot's permissions in a channel by name, or None when the bot cannot tell."""
    perms: discord.Permissions | None = None
    if channel_id == interaction.channel_id:
        perms = interaction.app_permissions  # Discord's own answer for this channel
    else:
        target = interaction.client.get_channel(channel_id)
        guild = interaction.guild
        me = guild.me if guild is not None else None
        if isinstance(target, discord.abc.GuildChannel) and me is not None:
            perms = target.permissions_for(me)
    if perms is None:
        return None
    # By every name Discord and discord.py give them (aliases such as view_channel included).
    return frozenset(name for name in discord.Permissions.VALID_FLAGS if getattr(perms, name))


def where(
    interaction: discord.Interaction[Any], channel: Channel | None, *, permissions: bool = False
) -> Where:
    """Where a command points, as plain data (with the bot's permissions there if asked)."""
    assert interaction.guild_id is not None  # `interaction_check` refused it otherwise
    target = channel.id if channel is not None else interaction.channel_id
    return Where(
        guild_id=interaction.guild_id,
        here_id=interaction.channel_id,
        here=place_of(interaction.channel),
        chosen_id=channel.id if channel is not None else None,
        chosen_guild_id=channel.guild.id if channel is not None else None,
        granted=granted(interaction, target) if permissions and target is not None else None,
        role=role_lookup(interaction.guild) if permissions else None,
    )


async def say(interaction: discord.Interaction[Any], text: str) -> None:
    """A short private answer, sent at once."""
    await interaction.response.send_message(
        text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class DigestCog(commands.GroupCog, group_name="digest"):
    """Set up and check this server's digests (needs Manage Server)."""

    def __init__(
        self,
        subscriptions: SubscriptionService,
        posting: PostingService,
        status: StatusService,
        *,
        why: WhyService,
    ) -> None:
        self.subscriptions = subscriptions
        self.posting = posting
        self.status_service = status
        self.why_service = why
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """The bot's own Manage Server check (a server may have relaxed Discord's)."""
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @app_commands.command(name="subscribe")
    @app_commands.choices(**SUBSCRIBE_CHOICES)
    @app_commands.choices(weekday=WEEKDAY_CHOICES)
    @app_commands.describe(**describe(SUBSCRIBE_OPTIONS))
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        channel: Channel | None = None,
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
        role: discord.Role | None = None,
        ping: app_commands.Choice[str] | None = None,
        ping_min_score: app_commands.Range[float, 0] | None = None,
        self_roles: bool | None = None,
        late_risers: app_commands.Range[int, 0, MAX_LATE_RISERS] | None = None,
        server_votes: bool | None = None,
    ) -> None:
        """Post a digest in a channel at a local time; a new name adds another digest there."""
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
            role=role,
            ping=ping,
            ping_min_score=ping_min_score,
            self_roles=self_roles,
            late_risers=late_risers,
            server_votes=server_votes,
        )
        saved = await self.subscriptions.subscribe(
            where(interaction, channel, permissions=True), options
        )
        await say(interaction, saved.text)

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

    async def _names(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The names of the digests of the channel the command is about."""
        chosen = getattr(interaction.namespace, "channel", None)
        channel_id = getattr(chosen, "id", None) or interaction.channel_id
        if interaction.guild_id is None:
            return []
        names = await self.subscriptions.names(interaction.guild_id, channel_id, current)
        return [app_commands.Choice(name=n, value=n) for n in names]

    @app_commands.command(name="unsubscribe")
    @app_commands.describe(
        channel="the channel to stop posting in (default: this channel)", name=NAME_OF_ONE
    )
    async def unsubscribe(
        self,
        interaction: discord.Interaction[Any],
        channel: Channel | None = None,
        name: str | None = None,
    ) -> None:
        """Stop a digest in a channel (what was posted stays)."""
        reply = await self.subscriptions.unsubscribe(where(interaction, channel), name)
        await say(interaction, reply)

    @app_commands.command(name="pause")
    @app_commands.describe(
        channel="whose digest to pause (default: this channel)", name=NAME_OF_ONE
    )
    async def pause(
        self,
        interaction: discord.Interaction[Any],
        channel: Channel | None = None,
        name: str | None = None,
    ) -> None:
        """Stop posting a digest until /digest resume; the days in between are skipped."""
        await say(interaction, await self.subscriptions.pause(where(interaction, channel), name))

    @app_commands.command(name="resume")
    @app_commands.describe(
        channel="whose digest to resume (default: this channel)", name=NAME_OF_ONE
    )
    async def resume(
        self,
        interaction: discord.Interaction[Any],
        channel: Channel | None = None,
        name: str | None = None,
    ) -> None:
        """Post a paused digest again from its next time (paused days are not posted late)."""
        await say(interaction, await self.subscriptions.resume(where(interaction, channel), name))

    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """This server's digests, with each one's name, cadence and next post time."""
        assert interaction.guild_id is not None  # `interaction_check` refused it otherwise
        await say(interaction, await self.subscriptions.listing(interaction.guild_id))

    @app_commands.command(name="preview")
    @app_commands.choices(**SUBSCRIBE_CHOICES)
    @app_commands.choices(weekday=WEEKDAY_CHOICES)
    @app_commands.describe(**describe(SUBSCRIBE_OPTIONS))
    async def preview(
        self,
        interaction: discord.Interaction[Any],
        channel: Channel | None = None,
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
        role: discord.Role | None = None,
        ping: app_commands.Choice[str] | None = None,
        ping_min_score: app_commands.Range[float, 0] | None = None,
        self_roles: bool | None = None,
        late_risers: app_commands.Range[int, 0, MAX_LATE_RISERS] | None = None,
        server_votes: bool | None = None,
    ) -> None:
        """Show only to you the next post as these options would make it (nothing is saved)."""
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
            role=role,
            ping=ping,
            ping_min_score=ping_min_score,
            self_roles=self_roles,
            late_risers=late_risers,
            server_votes=server_votes,
        )
        sub = await self.subscriptions.draft(where(interaction, channel, permissions=True), options)
        async with Reply(interaction, ephemeral=True) as reply:
            await reply.send(await self.posting.preview(sub))

    @preview.autocomplete("timezone")
    async def _preview_zone(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)

    @preview.autocomplete("categories")
    async def _preview_categories(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return category_list_choices(current)

    @app_commands.command(name="post-now")
    @app_commands.describe(
        channel="where to post (default: this channel)",
        date="a day to post, YYYY-MM-DD, e.g. one that was missed (default: the latest day)",
        name=NAME_OF_ONE,
    )
    async def post_now(
        self,
        interaction: discord.Interaction[Any],
        channel: Channel | None = None,
        date: str | None = None,
        name: str | None = None,
    ) -> None:
        """Post the latest digest (or a missed day's) to a channel now; never a day twice."""
        request = await self.posting.check(where(interaction, channel), date, name)
        async with Reply(interaction, ephemeral=True) as reply:
            await reply.defer()  # fetching and posting take longer than Discord's 3 seconds
            posted = await self.posting.post_now(request)
            await reply.send([{"content": posted.text}])

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Last posts, failing channels and the health of the paper sources."""
        assert interaction.guild_id is not None  # `interaction_check` refused it otherwise
        async with Reply(interaction, ephemeral=True) as reply:
            await reply.send([{"content": await self.status_service.status(interaction.guild_id)}])

    @app_commands.command(name="why")
    @app_commands.describe(
        paper="an arXiv id such as 2103.06874, or an arxiv.org link",
        day="the digest day to look at, YYYY-MM-DD (default: the days the paper was listed)",
        name="which of the channel's digests (default: every one)",
        channel="whose digests to ask about (default: this channel)",
    )
    async def why(
        self,
        interaction: discord.Interaction[Any],
        paper: str,
        day: str | None = None,
        name: str | None = None,
        channel: Channel | None = None,
    ) -> None:
        """Why a paper was or was not posted by a channel's digests (only you see the answer)."""
        text = await self.why_service.why(where(interaction, channel), paper, day, name)
        await say(interaction, text)

    @why.autocomplete("paper")
    async def _why_paper(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        name = getattr(interaction.namespace, "name", None)
        found = await self.why_service.suggest(where(interaction, None), current, name)
        return [app_commands.Choice(name=label, value=value) for label, value in found]

    for _command in (unsubscribe, pause, resume, post_now, why):
        _command.autocomplete("name")(_names)
    del _command
