"""`/digest …`: the moderators' settings. Manage Server is required twice: by Discord
(`default_permissions`, which a server can override) and by the bot itself (`interaction_check`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.replies import Reply
from bot.app.views import (
    category_list_choices,
    message_link,
    status_text,
    subscription_line,
    ts,
    zone_choices,
)
from bot.errors import UserInputError
from bot.filters import check_limit, check_min_score, parse_categories, parse_keywords
from bot.models import Subscription
from bot.publish import compose, plan
from bot.schedule import format_hhmm, get_zone, next_slot, parse_hhmm

if TYPE_CHECKING:
    from bot.app.bot import HotPapersBot

Channel = discord.TextChannel
PREVIEW_MESSAGES = 5


def _need(perms: discord.Permissions, fmt: str) -> list[str]:
    needed = ["view_channel", "send_messages", "embed_links", "read_message_history"]
    if fmt == "detailed":
        needed += ["create_public_threads", "send_messages_in_threads"]
    return [n for n in needed if not getattr(perms, n)]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class DigestCog(commands.GroupCog, group_name="digest"):
    """Set up and check this server's daily digests (needs Manage Server)."""

    def __init__(self, bot: HotPapersBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """The bot's own Manage Server check (a server may have relaxed Discord's)."""
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    def _channel(self, interaction: discord.Interaction[Any], channel: Channel | None) -> int:
        if channel is not None:
            if channel.guild.id != interaction.guild_id:
                raise UserInputError("Pick a channel of this server.")
            return channel.id
        if interaction.channel_id is None:
            raise UserInputError("Pick a channel.")
        return interaction.channel_id

    async def _sub(
        self, interaction: discord.Interaction[Any], channel: Channel | None
    ) -> Subscription:
        channel_id = self._channel(interaction, channel)
        sub = await self.bot.store.get_subscription(channel_id)
        if sub is None or sub.guild_id != interaction.guild_id:
            raise UserInputError(
                f"<#{channel_id}> has no digest subscription. /digest subscribe sets one up; "
                "/digest list shows this server's."
            )
        return sub

    @app_commands.command(name="subscribe")
    @app_commands.describe(
        channel="where to post (default: this channel)",
        time="when to post, HH:MM in 24-hour time (default 09:00)",
        timezone="an IANA time zone such as Europe/Berlin (default UTC)",
        categories="arXiv categories, comma-separated; prefix - to exclude, e.g. cs.CV, -cs.RO",
        limit="how many papers per post, 1 to 25 (default 10)",
        format="compact: one message; detailed: a header and a thread with one embed per paper",
        min_score="only papers scoring at least this (default 0)",
        keywords="only papers whose title or abstract has one of these, comma-separated",
        post_empty="post a short notice on a day without papers (default yes)",
    )
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        channel: Channel | None = None,
        time: str | None = None,
        timezone: str | None = None,
        categories: str | None = None,
        limit: app_commands.Range[int, 1, 25] | None = None,
        format: Literal["compact", "detailed"] | None = None,
        min_score: app_commands.Range[float, 0] | None = None,
        keywords: str | None = None,
        post_empty: bool | None = None,
    ) -> None:
        """Post the daily digest in a channel at a local time; options not given stay as set."""
        assert interaction.guild_id is not None
        channel_id = self._channel(interaction, channel)
        old = await self.bot.store.get_subscription(channel_id)
        defaults = self.bot.config.schedule
        base = old or Subscription(
            guild_id=interaction.guild_id,
            channel_id=channel_id,
            post_time=defaults.default_time,
            timezone=defaults.default_timezone,
            created_at=self.bot.clock(),  # slots before this moment are not due
        )
        changes: dict[str, Any] = {"guild_id": interaction.guild_id, "enabled": True}
        changes["failing_reason"] = None
        try:
            if time is not None:
                changes["post_time"] = format_hhmm(parse_hhmm(time))
            if timezone is not None:
                changes["timezone"] = get_zone(timezone.strip()).key
        except ValueError as exc:
            raise UserInputError(str(exc)) from None
        if categories is not None:
            include, exclude = parse_categories(categories)
            changes["categories"] = [*include, *(f"-{c}" for c in exclude)]
        if limit is not None:
            changes["limit"] = check_limit(limit)
        if format is not None:
            if format not in ("compact", "detailed"):
                raise UserInputError("format must be compact or detailed.")
            changes["format"] = format
        if min_score is not None:
            changes["min_score"] = check_min_score(min_score)
        if keywords is not None:
            changes["keywords"] = list(parse_keywords(keywords))
        if post_empty is not None:
            changes["post_empty"] = post_empty
        sub = base.model_copy(update=changes)
        target = self.bot.get_channel(channel_id)
        if isinstance(target, discord.abc.GuildChannel) and interaction.guild is not None:
            me = interaction.guild.me
            if me is not None:
                missing = _need(target.permissions_for(me), sub.format)
                if missing:
                    names = ", ".join(m.replace("_", " ").title() for m in missing)
                    raise UserInputError(
                        f"I cannot post in <#{channel_id}>: I am missing {names}. "
                        "Give me those permissions there and subscribe again."
                    )
        saved = await self.bot.store.upsert_subscription(sub)
        slot = next_slot(saved, self.bot.clock(), lag_days=self.bot.digests.lag_days)
        verb = "Updated" if old else "Subscribed"
        await interaction.response.send_message(
            f"{verb} <#{channel_id}>: every day at {saved.post_time} {saved.timezone}. "
            f"Next post {ts(slot.due_at)} (the digest of {slot.day}).\n"
            + subscription_line(saved, self.bot.clock(), self.bot.digests.lag_days),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

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
    @app_commands.describe(channel="the channel to stop posting in (default: this channel)")
    async def unsubscribe(
        self, interaction: discord.Interaction[Any], channel: Channel | None = None
    ) -> None:
        """Stop the daily digest in a channel (what was posted stays)."""
        sub = await self._sub(interaction, channel)
        await self.bot.store.delete_subscription(sub.channel_id)
        await interaction.response.send_message(
            f"Unsubscribed <#{sub.channel_id}>: no more daily digests there.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """This server's subscriptions, with each one's next post time."""
        subs = await self.bot.store.list_subscriptions(interaction.guild_id)
        if not subs:
            text = "No subscriptions in this server yet. /digest subscribe sets one up."
        else:
            now, lag = self.bot.clock(), self.bot.digests.lag_days
            lines = [subscription_line(s, now, lag) for s in subs]
            text = "**Daily digests in this server**\n" + "\n".join(f"• {line}" for line in lines)
            if len(text) > 2000:
                text = text[:1990].rsplit("\n", 1)[0] + "\n…"
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @app_commands.command(name="preview")
    @app_commands.describe(channel="whose subscription to preview (default: this channel)")
    async def preview(
        self, interaction: discord.Interaction[Any], channel: Channel | None = None
    ) -> None:
        """Show (only to you) what the channel's next digest looks like, with its settings."""
        sub = await self._sub(interaction, channel)
        async with Reply(interaction, ephemeral=True) as reply:
            end, digest = await self.bot.digests.latest(sub.source)
            if digest is None:
                raise UserInputError(f"There is no digest for {end} yet to preview.")
            in_channel, in_thread = plan(sub, compose(sub, digest))
            payloads = (in_channel + in_thread)[:PREVIEW_MESSAGES]
            if not payloads:
                payloads = [{"content": f"Nothing would be posted for {end}: no papers match."}]
            await reply.send(payloads)

    @app_commands.command(name="post-now")
    @app_commands.describe(channel="where to post (default: this channel)")
    async def post_now(
        self, interaction: discord.Interaction[Any], channel: Channel | None = None
    ) -> None:
        """Post the latest digest to a channel now (never twice: a posted day is not reposted)."""
        sub = await self._sub(interaction, channel)
        async with Reply(interaction, ephemeral=True) as reply:
            await reply.defer()
            end, digest = await self.bot.digests.latest(sub.source)
            if digest is None:
                raise UserInputError(f"There is no digest for {end} yet to post.")
            if not sub.enabled:
                await self.bot.store.set_enabled(sub.channel_id, True)
                sub = sub.model_copy(update={"enabled": True})
            out = await self.bot.publisher.publish(sub, digest)
            guild = interaction.guild_id or 0
            first = (
                f" ({message_link(guild, sub.channel_id, out.message_ids[0])})"
                if out.message_ids
                else ""
            )
            texts = {
                "sent": f"Posted the digest of {out.day} to <#{sub.channel_id}>{first}.",
                "already": f"The digest of {out.day} was already posted in <#{sub.channel_id}>"
                f"{first}; it is never posted twice.",
                "forbidden": f"I may not post in <#{sub.channel_id}>: {out.error}.",
                "gone": f"<#{sub.channel_id}> no longer exists; its subscription is disabled.",
                "rejected": f"Discord refused the message: {out.error}.",
                "failed": f"Discord is not answering right now ({out.error}); the scheduler "
                "will try again shortly.",
            }
            await reply.send([{"content": texts[out.status]}])

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Last posts, failing channels and the health of the paper sources."""
        async with Reply(interaction, ephemeral=True) as reply:
            store = self.bot.store
            subs = await store.list_subscriptions(interaction.guild_id)
            posts = await store.list_posts(guild_id=interaction.guild_id)
            health = await store.source_health()
            sources = {self.bot.digests.resolve(s.source) for s in subs}
            last = self.bot.scheduler.last_tick
            text = status_text(
                subs,
                posts,
                health,
                sources,
                scheduler_running=self.bot.scheduler.running,
                last_tick=last.at if last else None,
                waiting=last.waiting if last else (),
                discord_lines=self.bot.health.lines(ts),
            )
            await reply.send([{"content": text}])
