"""`/digest subscribe`, `unsubscribe` and `list`: a server's daily digests, as plain data.

The cog reads the interaction into a `Where` (the server, the channel the command runs in and
what kind it is, the channel option, the bot's permissions in the target) and the options into
`Changes`; everything else is decided here, so it is tested without Discord.

Where a digest can go: a text or announcement channel. Without the channel option the command
targets the channel it runs in, and refuses, with what to do instead, a thread (Discord allows
no thread in a thread, which `detailed` opens), a voice or stage channel's chat, a forum or
media channel (future work), and anything else. Before saving, the bot's own permissions in
the target are checked: those every post needs, and for `detailed` those of its thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.config import is_iana_zone
from bot.delivery.targets import TARGETS, known
from bot.errors import UserInputError
from bot.filters import check_limit, check_min_score, parse_categories, parse_keywords
from bot.models import Subscription, stored_id
from bot.quoting import shown
from bot.schedule import Clock, Slot, format_hhmm, get_zone, parse_hhmm
from bot.services.outcomes import done_days, next_unposted
from bot.services.texts import (
    fit_lines,
    missing_permissions,
    no_subscription_text,
    permission_names,
    subscription_line,
    ts,
    which_subscription_text,
)
from bot.store.base import Store


class Kind(StrEnum):
    """What kind of channel a command runs in, as far as a digest is concerned."""

    TEXT = "text"  # a text or announcement channel: a digest can go there
    THREAD = "thread"
    VOICE = "voice"  # a voice or stage channel's chat
    FORUM = "forum"  # a forum or media channel
    OTHER = "other"
    UNKNOWN = "unknown"  # the bot has no channel object for it: taken as it is


@dataclass(frozen=True)
class Place:
    """The channel a command runs in: its kind, and a thread's parent channel."""

    kind: Kind = Kind.UNKNOWN
    parent_id: int | None = None


def refusal(place: Place, channel_id: int) -> str | None:
    """Why the channel a command runs in cannot take a digest, with what to do instead."""
    if place.kind is Kind.THREAD:
        parent = f" <#{place.parent_id}>" if place.parent_id else ""
        return (
            "A digest cannot be posted inside a thread (Discord allows no thread in a thread). "
            f"Run /digest subscribe in the parent channel{parent}, or pick a channel with the "
            "channel option."
        )
    if place.kind is Kind.VOICE:
        return (
            "A digest cannot be posted in a voice or stage channel's chat. Pick a text or "
            "announcement channel with the channel option."
        )
    if place.kind is Kind.FORUM:
        return (
            "Forum and media channels cannot take a digest yet. Pick a text or announcement "
            "channel with the channel option."
        )
    if place.kind is Kind.OTHER:
        return f"<#{channel_id}> cannot take a digest. Pick a text or announcement channel."
    return None


@dataclass(frozen=True)
class Where:
    """Where a `/digest` command points, read from the interaction.

    `granted` names the bot's permissions in the target channel (`view_channel`, …), or is
    None when the bot cannot tell (then the permission check is left to the first post).
    """

    guild_id: int
    here_id: int | None  # the channel the command runs in
    here: Place = Place()
    chosen_id: int | None = None  # the channel option
    chosen_guild_id: int | None = None  # the server the option's channel belongs to
    granted: frozenset[str] | None = None

    def channel_id(self) -> int:
        """The channel the command is about: the option's, else the one it runs in."""
        if self.chosen_id is not None:
            if self.chosen_guild_id != self.guild_id:
                raise UserInputError("Pick a channel of this server.")
            return self.chosen_id
        if self.here_id is None:
            raise UserInputError("Pick a channel with the channel option.")
        return self.here_id

    def target_id(self) -> int:
        """The channel to post in: the option's, or this one if it can take a digest."""
        channel_id = self.channel_id()
        if self.chosen_id is None:
            why = refusal(self.here, channel_id)
            if why is not None:
                raise UserInputError(why)
        return channel_id


def zone_name(text: str) -> str:
    """The IANA zone a moderator typed (spaces around it ignored); ValueError if it is none.

    Only the IANA database's names, as in the config: not the host's files such as
    `localtime` (the host's own zone), `posixrules` or the `right/…` copies."""
    name = text.strip()
    zone = get_zone(name).key  # the message for a name that does not load at all
    if not is_iana_zone(zone):
        raise ValueError(
            f"{shown(name)} is not an IANA time zone: use a name such as Europe/Berlin, "
            "America/New_York, Asia/Tokyo or UTC"
        )
    return zone


@dataclass(frozen=True)
class Changes:
    """The options of `/digest subscribe`, as typed; None means "keep as set"."""

    time: str | None = None
    timezone: str | None = None
    categories: str | None = None
    limit: int | None = None
    format: str | None = None
    min_score: float | None = None
    keywords: str | None = None
    post_empty: bool | None = None

    def validated(self) -> dict[str, Any]:
        """The subscription fields these options set; UserInputError for a bad one."""
        out: dict[str, Any] = {}
        try:
            if self.time is not None:
                out["post_time"] = format_hhmm(parse_hhmm(self.time))
            if self.timezone is not None:
                out["timezone"] = zone_name(self.timezone)
        except ValueError as exc:
            raise UserInputError(str(exc)) from None
        if self.categories is not None:
            include, exclude = parse_categories(self.categories)
            out["categories"] = [*include, *(f"-{c}" for c in exclude)]
        if self.limit is not None:
            out["limit"] = check_limit(self.limit)
        if self.format is not None:
            if not known(self.format):
                raise UserInputError(f"format must be {' or '.join(TARGETS)}.")
            out["format"] = self.format
        if self.min_score is not None:
            out["min_score"] = check_min_score(self.min_score)
        if self.keywords is not None:
            out["keywords"] = list(parse_keywords(self.keywords))
        if self.post_empty is not None:
            out["post_empty"] = self.post_empty
        return out


@dataclass(frozen=True)
class Saved:
    """What `subscribe` saved, its next post, and the reply saying so."""

    subscription: Subscription
    next_slot: Slot | None
    created: bool  # a new subscription (else an existing one was updated)
    text: str


def check_permissions(granted: frozenset[str] | None, channel_id: int, fmt: str) -> None:
    """A UserInputError naming what the bot lacks in the channel to post there."""
    if granted is None:
        return
    missing = missing_permissions(granted, fmt)
    if missing:
        raise UserInputError(
            f"I cannot post in <#{channel_id}>: I am missing {permission_names(missing)}. "
            "Give me those permissions there and subscribe again."
        )


async def find(store: Store, where: Where, name: str | None = None) -> Subscription:
    """The subscription of the channel a command is about, by `name` (may be left out when
    the channel has one); a UserInputError if there is none (or it belongs to another
    server), or several and no name."""
    channel_id = where.channel_id()
    subs = [
        s
        for s in await store.list_subscriptions(channel_id=channel_id)
        if s.guild_id == where.guild_id
    ]
    if name is not None:
        subs = [s for s in subs if s.name == name.strip().lower()]
    if not subs:
        raise UserInputError(no_subscription_text(channel_id, name))
    if len(subs) > 1:
        raise UserInputError(which_subscription_text(channel_id, [s.name for s in subs]))
    return subs[0]


async def next_slots(
    store: Store, subs: Sequence[Subscription], *, clock: Clock, lag_days: int
) -> dict[int, Slot | None]:
    """Each subscription's next slot whose day is not posted yet, by subscription id."""
    now = clock()
    since = now.date() - timedelta(days=4)
    out: dict[int, Slot | None] = {}
    posts = await store.list_posts(guild_id=subs[0].guild_id, since=since) if subs else []
    for sub in subs:
        done = done_days(posts, sub.id)
        out[stored_id(sub)] = next_unposted(sub, now, lag_days=lag_days, done=done)
    return out


class SubscriptionService:
    """Set up, change, stop and list a server's daily digests."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        lag_days: int,
        default_time: str,
        default_timezone: str,
    ) -> None:
        self.store = store
        self.clock = clock
        self.lag_days = lag_days
        self.default_time = default_time
        self.default_timezone = default_timezone

    async def subscribe(self, where: Where, changes: Changes) -> Saved:
        """Post the daily digest in a channel at a local time; options not given stay as set.

        Subscribing again re-enables a disabled or failing subscription. A new one is due
        from now on (earlier slots of the day are not posted)."""
        channel_id = where.target_id()
        old = await self.store.find_subscription(channel_id, "daily")
        if old is not None and old.guild_id != where.guild_id:
            raise UserInputError("Pick a channel of this server.")  # never another's row
        base = old or Subscription(
            guild_id=where.guild_id,
            channel_id=channel_id,
            post_time=self.default_time,
            timezone=self.default_timezone,
            created_at=self.clock(),  # slots before this moment are not due
        )
        update = {"guild_id": where.guild_id, "enabled": True, "failing_reason": None}
        sub = base.model_copy(update={**update, **changes.validated()})
        check_permissions(where.granted, channel_id, sub.format)
        saved = await self.store.upsert_subscription(sub)
        slot = (await self.next_slots([saved]))[stored_id(saved)]
        verb = "Updated" if old else "Subscribed"
        when = f" Next post {ts(slot.due_at)} (the digest of {slot.day})." if slot else ""
        # Within Discord's limits by construction: the change is saved, the reply must go out.
        text = fit_lines(
            [f"{verb} <#{channel_id}>: every day at {saved.post_time} {saved.timezone}.{when}"],
            [subscription_line(saved, slot)],
        )
        return Saved(subscription=saved, next_slot=slot, created=old is None, text=text)

    async def unsubscribe(self, where: Where) -> str:
        """Stop the daily digest in a channel (what was posted stays); the reply."""
        sub = await self.find(where)
        await self.store.delete_subscription(stored_id(sub))
        return f"Unsubscribed <#{sub.channel_id}>: no more daily digests there."

    async def listing(self, guild_id: int) -> str:
        """This server's subscriptions, with each one's next post time."""
        subs = await self.store.list_subscriptions(guild_id)
        if not subs:
            return "No subscriptions in this server yet. /digest subscribe sets one up."
        slots = await self.next_slots(subs)
        lines = [f"• {subscription_line(s, slots[stored_id(s)])}" for s in subs]
        return fit_lines(["**Daily digests in this server**"], lines)

    async def find(self, where: Where) -> Subscription:
        """The subscription of the channel a command is about (see `find`)."""
        return await find(self.store, where)

    async def next_slots(self, subs: Sequence[Subscription]) -> dict[int, Slot | None]:
        """Each subscription's next slot whose day is not posted yet (see `next_slots`)."""
        return await next_slots(self.store, subs, clock=self.clock, lag_days=self.lag_days)
