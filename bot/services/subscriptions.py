"""`/digest subscribe`, `unsubscribe`, `pause`, `resume` and `list`: a server's digests, as
plain data. A channel may hold several (a daily one and a weekly one), told apart by name.

The cog reads the interaction into a `Where` (the server, the channel the command runs in and
what kind it is, the channel option, the bot's permissions in the target) and the options into
`SubscribeOptions` (`bot.services.subscribe_options`); everything else is decided here, so it
is tested without Discord. A command about one digest names it (`name`), or may leave it out
when the channel has one; with several and none named, the reply lists them.

Where a digest can go: a text or announcement channel. Without the channel option the command
targets the channel it runs in, and refuses, with what to do instead, a thread (Discord allows
no thread in a thread, which `detailed` opens), a voice or stage channel's chat, a forum or
media channel (future work), and anything else. Before saving, the bot's own permissions in
the target are checked: those every post needs, and for `detailed` those of its thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.errors import UserInputError
from bot.models import Subscription, stored_id
from bot.schedule import Clock, Slot
from bot.services.outcomes import done_days, next_unposted
from bot.services.roles import RoleLookup, check_role
from bot.services.subscribe_options import MAX_PER_CHANNEL, SubscribeOptions, subscription_name
from bot.services.texts import (
    fit_lines,
    missing_permissions,
    no_subscription_text,
    paused_text,
    permission_names,
    resumed_text,
    subscribed_text,
    subscription_line,
    too_many_text,
    unsubscribed_text,
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
    role: RoleLookup | None = None  # the server's roles as the bot sees them (`check_role`)

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


Changes = SubscribeOptions  # the options of `/digest subscribe` (the older name)


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
    if name is not None and name.strip():  # a blank name is one left out
        # A name no digest can have is said to be one, not echoed whole (the name option of
        # these commands is free text, up to Discord's 6000 characters).
        wanted = subscription_name(name)
        subs = [s for s in subs if s.name == wanted]
        name = wanted
    else:
        name = None
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
    """Set up, change, pause, stop and list a server's digests (several per channel)."""

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
        self._creating = asyncio.Lock()

    async def subscribe(self, where: Where, changes: SubscribeOptions) -> Saved:
        """Post a digest in a channel at a local time; options not given stay as set.

        `changes.name` picks the channel's digest (default `daily`): the same name updates
        it, a new one adds a digest there (at most `MAX_PER_CHANNEL`). Subscribing again
        re-enables a disabled or failing subscription (a paused one stays paused). A new one
        is due from now on (earlier slots of the day are not posted)."""
        channel_id = where.target_id()
        name = subscription_name(changes.name)
        # The cap is counted and the new digest saved under one lock: two subscribes at once
        # (two moderators, a double click) would both count 9 and make 11. One process takes
        # a server's commands (its shard's), so a lock of this service is enough.
        async with self._creating:
            return await self._subscribe(where, changes, channel_id, name)

    async def _subscribe(
        self, where: Where, changes: SubscribeOptions, channel_id: int, name: str
    ) -> Saved:
        old = await self.store.find_subscription(channel_id, name)
        if old is not None and old.guild_id != where.guild_id:
            raise UserInputError("Pick a channel of this server.")  # never another's row
        if old is None:
            await self.room_for_one_more(channel_id)
        base = old or Subscription(
            guild_id=where.guild_id,
            channel_id=channel_id,
            name=name,
            post_time=self.default_time,
            timezone=self.default_timezone,
            created_at=self.clock(),  # slots before this moment are not due
        )
        update = {"guild_id": where.guild_id, "enabled": True, "failing_reason": None}
        sub = changes.apply(base.model_copy(update=update), guild_id=where.guild_id)
        check_permissions(where.granted, channel_id, sub.format)
        check_role(sub, where.role, where.granted)
        saved = await self.store.upsert_subscription(sub)
        slot = (await self.next_slots([saved]))[stored_id(saved)]
        text = subscribed_text(saved, slot, updated=old is not None)
        return Saved(subscription=saved, next_slot=slot, created=old is None, text=text)

    async def room_for_one_more(self, channel_id: int) -> None:
        """A UserInputError when the channel already holds `MAX_PER_CHANNEL` digests."""
        present = await self.store.list_subscriptions(channel_id=channel_id)
        if len(present) >= MAX_PER_CHANNEL:
            raise UserInputError(too_many_text(channel_id, [s.name for s in present]))

    async def draft(self, where: Where, changes: SubscribeOptions) -> Subscription:
        """The subscription `subscribe` would save with these options, saved nowhere: the
        channel's digest of that name with the options applied, or a new one, for
        `/digest preview`, refused as `subscribe` refuses it (a full channel, a missing
        permission)."""
        channel_id = where.target_id()
        name = subscription_name(changes.name)
        old = await self.store.find_subscription(channel_id, name)
        if old is not None and old.guild_id != where.guild_id:
            raise UserInputError("Pick a channel of this server.")  # never another's row
        if old is None:  # refused as subscribe refuses it: a preview of what cannot be saved
            await self.room_for_one_more(channel_id)
        base = old or Subscription(
            guild_id=where.guild_id,
            channel_id=channel_id,
            name=name,
            post_time=self.default_time,
            timezone=self.default_timezone,
            created_at=self.clock(),
        )
        sub = changes.apply(base, guild_id=where.guild_id)
        check_permissions(where.granted, channel_id, sub.format)  # as subscribe refuses it
        return sub

    async def unsubscribe(self, where: Where, name: str | None = None) -> str:
        """Stop a digest in a channel (what was posted stays); the reply."""
        sub = await self.find(where, name)
        await self.store.delete_subscription(stored_id(sub))
        return unsubscribed_text(sub)

    async def pause(self, where: Where, name: str | None = None) -> str:
        """Stop posting a digest until it is resumed; the days in between are skipped."""
        sub = await self.find(where, name)
        if not sub.paused:
            await self.store.set_paused(stored_id(sub), True)
        return paused_text(sub, already=sub.paused)

    async def resume(self, where: Where, name: str | None = None) -> str:
        """Post a paused digest again from its next slot (paused days are not posted late)."""
        sub = await self.find(where, name)
        was_paused = sub.paused
        if was_paused:
            await self.store.set_paused(stored_id(sub), False, at=self.clock())
            sub = await self.store.get_subscription(stored_id(sub)) or sub
        slot = (await self.next_slots([sub]))[stored_id(sub)]
        return resumed_text(sub, slot if sub.active else None, already=not was_paused)

    async def listing(self, guild_id: int) -> str:
        """This server's digests, each with its name, cadence, state and next post time."""
        subs = await self.store.list_subscriptions(guild_id)
        if not subs:
            return "No subscriptions in this server yet. /digest subscribe sets one up."
        slots = await self.next_slots(subs)
        lines = [f"• {subscription_line(s, slots[stored_id(s)])}" for s in subs]
        return fit_lines(["**Digests in this server**"], lines)

    async def names(self, guild_id: int, channel_id: int | None, current: str) -> list[str]:
        """The names of a channel's digests starting with `current` (autocomplete)."""
        if channel_id is None:
            return []
        typed = current.strip().lower()
        subs = await self.store.list_subscriptions(guild_id, channel_id)
        return [s.name for s in subs if s.name.startswith(typed)][:25]

    async def find(self, where: Where, name: str | None = None) -> Subscription:
        """The subscription of the channel a command is about (see `find`)."""
        return await find(self.store, where, name)

    async def next_slots(self, subs: Sequence[Subscription]) -> dict[int, Slot | None]:
        """Each subscription's next slot whose day is not posted yet (see `next_slots`)."""
        return await next_slots(self.store, subs, clock=self.clock, lag_days=self.lag_days)
