"""`/digest …`: the moderators' settings. Manage Server is required twice: by Discord
(`default_permissions`, which a server can override) and by the bot itself (`interaction_check`).

Where a digest can go: a text or announcement channel (the `channel` option offers only
those). Run without the option, the command targets the channel it runs in, and refuses, with
what to do instead, a thread (Discord allows no thread in a thread, which `detailed` opens), a
voice or stage channel's chat, and anything else. Forum and media channels as targets (one
forum post per digest) are future work. Before saving, the bot checks its own permissions in
the target: those every post needs, and for `detailed` those of the thread it opens.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.outcomes import done_days, next_unposted, slot_of_day, window_days
from bot.app.replies import Reply
from bot.app.views import (
    category_list_choices,
    fit_lines,
    missing_permissions,
    parse_day,
    permission_names,
    post_now_text,
    source_down_text,
    status_text,
    subscription_line,
    ts,
    zone_choices,
)
from bot.errors import UserInputError
from bot.filters import check_limit, check_min_score, parse_categories, parse_keywords
from bot.models import Subscription
from bot.publish import compose, plan
from bot.render import empty_reason, escape
from bot.schedule import Slot, format_hhmm, get_zone, latest_complete_day, parse_hhmm

if TYPE_CHECKING:
    from bot.app.bot import HotPapersBot

Channel = discord.TextChannel  # text and announcement channels (discord.py maps both)
PREVIEW_MESSAGES = 5
STATUS_DAYS = 7  # /digest status shows each channel's last week


def refuse_here(channel: object, channel_id: int) -> str | None:
    """Why the channel a command runs in cannot take a digest, with what to do instead."""
    if isinstance(channel, discord.Thread):
        parent = f" <#{channel.parent_id}>" if channel.parent_id else ""
        return (
            "A digest cannot be posted inside a thread (Discord allows no thread in a thread). "
            f"Run /digest subscribe in the parent channel{parent}, or pick a channel with the "
            "channel option."
        )
    if isinstance(channel, discord.VoiceChannel | discord.StageChannel):
        return (
            "A digest cannot be posted in a voice or stage channel's chat. Pick a text or "
            "announcement channel with the channel option."
        )
    if isinstance(channel, discord.ForumChannel):
        return (
            "Forum and media channels cannot take a digest yet. Pick a text or announcement "
            "channel with the channel option."
        )
    if channel is not None and not isinstance(channel, discord.TextChannel):
        return f"<#{channel_id}> cannot take a digest. Pick a text or announcement channel."
    return None


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
            raise UserInputError("Pick a channel with the channel option.")
        return interaction.channel_id

    def _target(self, interaction: discord.Interaction[Any], channel: Channel | None) -> int:
        """The channel to post in: the option's, or this one if it can take a digest."""
        channel_id = self._channel(interaction, channel)
        if channel is None:
            why = refuse_here(interaction.channel, channel_id)
            if why is not None:
                raise UserInputError(why)
        return channel_id

    def _check_permissions(
        self, interaction: discord.Interaction[Any], channel_id: int, fmt: str
    ) -> None:
        """Refuse before saving when the bot could not post there (every channel kind taken)."""
        perms: discord.Permissions | None = None
        if channel_id == interaction.channel_id:
            perms = interaction.app_permissions  # Discord's own answer for this channel
        else:
            target = self.bot.get_channel(channel_id)
            guild = interaction.guild
            me = guild.me if guild is not None else None
            if isinstance(target, discord.abc.GuildChannel) and me is not None:
                perms = target.permissions_for(me)
        if perms is None:
            return
        missing = missing_permissions(perms, fmt)
        if missing:
            raise UserInputError(
                f"I cannot post in <#{channel_id}>: I am missing {permission_names(missing)}. "
                "Give me those permissions there and subscribe again."
            )

    async def _next_slots(self, subs: list[Subscription]) -> dict[int, Slot | None]:
        """Each subscription's next slot whose day is not posted yet."""
        now, lag = self.bot.clock(), self.bot.digests.lag_days
        since = now.date() - timedelta(days=4)
        out: dict[int, Slot | None] = {}
        posts = (
            await self.bot.store.list_posts(guild_id=subs[0].guild_id, since=since) if subs else []
        )
        for sub in subs:
            done = done_days(posts, sub.channel_id)
            out[sub.channel_id] = next_unposted(sub, now, lag_days=lag, done=done)
        return out

    async def _missing(self, source: str, day: date, channel_id: int, what: str) -> str:
        """Why a day has no digest to `what`: the source is unreachable, or it has none."""
        digests = self.bot.digests
        name = digests.resolve(source)
        if digests.source(name) is not None:
            health = await self.bot.store.source_health()
            if any(h.source == name and not h.ok for h in health):
                return source_down_text(name, health)
        return f"There is no digest of {day} to {what} <#{channel_id}>."

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
        channel_id = self._target(interaction, channel)
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
        self._check_permissions(interaction, channel_id, sub.format)
        saved = await self.bot.store.upsert_subscription(sub)
        slot = (await self._next_slots([saved]))[saved.channel_id]
        verb = "Updated" if old else "Subscribed"
        when = f" Next post {ts(slot.due_at)} (the digest of {slot.day})." if slot else ""
        # Within Discord's limits by construction: the change is saved, the reply must go out.
        text = fit_lines(
            [f"{verb} <#{channel_id}>: every day at {saved.post_time} {saved.timezone}.{when}"],
            [subscription_line(saved, slot)],
        )
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
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
            slots = await self._next_slots(subs)
            lines = [f"• {subscription_line(s, slots[s.channel_id])}" for s in subs]
            text = fit_lines(["**Daily digests in this server**"], lines)
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
                raise UserInputError(
                    await self._missing(sub.source, end, sub.channel_id, "preview for")
                )
            view = compose(sub, digest)
            in_channel, in_thread = plan(sub, view, candidates=len(digest.papers))
            payloads = (in_channel + in_thread)[:PREVIEW_MESSAGES]
            if not payloads:
                why = empty_reason(len(digest.papers))
                payloads = [
                    {
                        "content": f"Nothing would be posted for {end} ({escape(digest.title)}): "
                        f"{why}, and empty-day notices are off (post_empty)."
                    }
                ]
            await reply.send(payloads)

    @app_commands.command(name="post-now")
    @app_commands.describe(
        channel="where to post (default: this channel)",
        date="a day to post, YYYY-MM-DD, e.g. one that was missed (default: the latest day)",
    )
    async def post_now(
        self,
        interaction: discord.Interaction[Any],
        channel: Channel | None = None,
        date: str | None = None,
    ) -> None:
        """Post the latest digest (or a missed day's) to a channel now; never a day twice."""
        now, lag = self.bot.clock(), self.bot.digests.lag_days
        day = parse_day(date, today=now.date())
        if day is not None and day > (latest := latest_complete_day(now, lag)):
            raise UserInputError(f"{day} is not complete yet; the latest complete day is {latest}.")
        sub = await self._sub(interaction, channel)
        async with Reply(interaction, ephemeral=True) as reply:
            await reply.defer()
            if day is None:
                end, digest = await self.bot.digests.latest(sub.source)
            else:
                end, digest = day, await self.bot.digests.get(sub.source, day)
            if digest is None:
                raise UserInputError(
                    await self._missing(sub.source, end, sub.channel_id, "post to")
                )
            if not sub.enabled:
                await self.bot.store.set_enabled(sub.channel_id, True)
                sub = sub.model_copy(update={"enabled": True})
            grace = timedelta(hours=self.bot.config.schedule.catch_up_hours)
            late = now > slot_of_day(sub, digest.day, lag).due_at + grace
            if self.bot.lease is not None and not await self.bot.lease.holds():
                raise UserInputError(
                    "Nothing was posted: this bot process may not post right now (another "
                    "HotPapers process is posting from the same store, or the store cannot "
                    "be written). /digest status says which."
                )
            out = await self.bot.publisher.publish(sub, digest, late=late)
            record = await self.bot.store.get_post(sub.channel_id, out.day)
            text = post_now_text(interaction.guild_id or 0, sub, digest, out, record, late=late)
            await reply.send([{"content": text}])

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Last posts, failing channels and the health of the paper sources."""
        async with Reply(interaction, ephemeral=True) as reply:
            store, now = self.bot.store, self.bot.clock()
            subs = await store.list_subscriptions(interaction.guild_id)
            since = now.date() - timedelta(days=STATUS_DAYS + 2)
            posts = await store.list_posts(guild_id=interaction.guild_id, since=since)
            health = await store.source_health()
            sources = {self.bot.digests.resolve(s.source) for s in subs}
            last = self.bot.scheduler.last_tick
            grace = timedelta(hours=self.bot.config.schedule.catch_up_hours)
            days = {
                s.channel_id: window_days(
                    s,
                    [p for p in posts if p.channel_id == s.channel_id],
                    now,
                    days=STATUS_DAYS,
                    lag_days=self.bot.digests.lag_days,
                    grace=grace,
                    guild_id=s.guild_id,
                )
                for s in subs
            }
            text = status_text(
                subs,
                health,
                sources,
                posts=posts,
                days=days,
                next_slots=await self._next_slots(subs),
                scheduler_running=self.bot.scheduler.running,
                last_tick=last.at if last else None,
                waiting=last.waiting if last else (),
                discord_lines=[*self.bot.store_lines(ts), *self.bot.health.lines(ts)],
                paused=self.bot.scheduler.paused_reason(),
            )
            await reply.send([{"content": text}])
