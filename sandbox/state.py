"""`SandboxState`: all of the sandbox's mutable data, its clock and its change notification.

Guilds, channels, messages, synced commands, nonces and the request log live here; the REST,
gateway and control layers are handed this one object, so a test sees exactly what the bot did.

The data types themselves live below this module (`sandbox.world`: users, roles, channels,
guilds; `sandbox.records`: messages, commands, request records; `sandbox.settings`;
`sandbox.flags`: Discord's numbers); they are re-exported here, so `from sandbox.state import
Guild, EPHEMERAL, RequestRecord` keeps working.
"""

# `timeout=` parameters decide an outcome (e.g. "deferred"), not just when to give up.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from sandbox.feed import (
    CHANNEL_CREATE,
    CHANNEL_DELETE,
    MESSAGE_CREATE,
    MESSAGE_DELETE,
    MESSAGE_UPDATE,
    RESET,
    Change,
    Feed,
)
from sandbox.flags import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    ANNOUNCEMENT_THREAD,
    ATTACH_FILES,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM,
    EMBED_LINKS,
    EPHEMERAL,
    GROUP_DM,
    GUILD_ANNOUNCEMENT,
    GUILD_CATEGORY,
    GUILD_FORUM,
    GUILD_MEDIA,
    GUILD_STAGE_VOICE,
    GUILD_TEXT,
    GUILD_VOICE,
    LOADING,
    MANAGE_THREADS,
    PRIVATE_THREAD,
    PRIVILEGED_INTENTS,
    PUBLIC_THREAD,
    READ_MESSAGE_HISTORY,
    REQUIRE_TAG,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    THREAD_ONLY_TYPES,
    THREAD_TYPES,
    VIEW_CHANNEL,
)
from sandbox.primitives import DISCORD_EPOCH_MS, JSON, Snowflakes, iso
from sandbox.records import Command, Message, RequestRecord
from sandbox.settings import SandboxSettings
from sandbox.world import Channel, DMChannel, Guild, Member, Overwrite, Role, User

__all__ = [
    "ADMINISTRATOR",
    "ALL_PERMISSIONS",
    "ANNOUNCEMENT_THREAD",
    "ATTACH_FILES",
    "CREATE_PRIVATE_THREADS",
    "CREATE_PUBLIC_THREADS",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "DISCORD_EPOCH_MS",
    "EMBED_LINKS",
    "EPHEMERAL",
    "GUILD_ANNOUNCEMENT",
    "GUILD_CATEGORY",
    "GUILD_FORUM",
    "GUILD_MEDIA",
    "GUILD_STAGE_VOICE",
    "GUILD_TEXT",
    "GUILD_VOICE",
    "JSON",
    "LOADING",
    "MANAGE_THREADS",
    "PRIVATE_THREAD",
    "PRIVILEGED_INTENTS",
    "PUBLIC_THREAD",
    "READ_MESSAGE_HISTORY",
    "REQUIRE_TAG",
    "SEND_MESSAGES",
    "SEND_MESSAGES_IN_THREADS",
    "THREAD_ONLY_TYPES",
    "THREAD_TYPES",
    "VIEW_CHANNEL",
    "Channel",
    "Command",
    "DMChannel",
    "Guild",
    "Member",
    "Message",
    "Overwrite",
    "RequestRecord",
    "Role",
    "SandboxSettings",
    "SandboxState",
    "Snowflakes",
    "User",
    "iso",
]


class SandboxState:
    """All mutable sandbox data, plus a condition tests can wait on for any change."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.ids = Snowflakes()
        self.application_id = self.ids.next()
        self.bot_user = User(self.application_id, settings.bot_name, bot=True)
        self.owner = User(self.ids.next(), "sandbox-owner")
        self._changed = asyncio.Event()
        self.feed = Feed()  # every message and channel change, for live watchers (sandbox.feed)
        self.clock_offset = 0.0  # seconds the sandbox's clock is ahead of the wall clock
        self.clear()

    # -- the sandbox's clock -------------------------------------------------------------------

    def now(self) -> float:
        """The sandbox's time (epoch seconds): the wall clock plus what tests advanced it by.

        Thread auto-archiving runs on this clock, so a test advances it instead of waiting.
        """
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> list[Channel]:
        """Move the sandbox's clock forward; returns the threads that auto-archived."""
        if seconds < 0:
            raise ValueError("the sandbox's clock only moves forward")
        self.clock_offset += seconds
        return [c for c in list(self.channels.values()) if self.refresh_thread(c)]

    def refresh_thread(self, channel: Channel) -> bool:
        """Archive a thread idle for its `auto_archive_duration` (minutes); True if it just did.

        threads.mdx:65 "Threads automatically archive after a period of inactivity";
        "Activity" is sending a message, unarchiving, or changing the duration.
        """
        if not channel.is_thread or channel.archived:
            return False
        if self.now() - channel.last_activity < channel.auto_archive_duration * 60:
            return False
        channel.archived = True
        channel.archive_timestamp = channel.last_activity + channel.auto_archive_duration * 60
        return True

    def clear(self) -> None:
        """Forget every guild, message, command and request (the bot user stays the same)."""
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.commands: dict[int, Command] = {}
        self.nonces: dict[tuple[int, str], tuple[float, int]] = {}
        self.requests: list[RequestRecord] = []
        # The people's side (sandbox/README.md, "Installations and DMs"): who installed the
        # app to their account, who closed their DMs, and the DM channels by (type, user id).
        self.user_installs: set[int] = set()
        self.dms_closed: set[int] = set()
        self.dm_channels: dict[tuple[int, int], DMChannel] = {}
        self.feed.emit(Change(RESET))

    # -- change notification -------------------------------------------------------------------

    async def notify(self) -> None:
        """Wake everyone waiting in `wait_for` (each then re-checks its predicate).

        A fresh event per change: setting the old one wakes its waiters at once, with no lock
        for them to queue on (with 50 commands in flight, a shared condition's lock made every
        change wake the waiters one after another).
        """
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """Wait until `predicate()` is truthy and return its value; `TimeoutError` otherwise.

        Woken by every sandbox change, and every 20 ms as well, so the predicate may also look
        at things the sandbox does not own (such as the bot's cache).
        """
        async with asyncio.timeout(timeout):
            while not (value := predicate()):
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.02):
                        await self._changed.wait()
            return value

    # -- guilds and channels -------------------------------------------------------------------

    def add_guild(
        self,
        name: str,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        shard: tuple[int, int] | None = None,
        with_bot: bool = True,
    ) -> Guild:
        """A new guild owned by the sandbox owner, with the bot as a member (unless not
        `with_bot`: a server the app is not installed in, reached only through a member's
        user install); with `shard` (shard_id, num_shards), its id puts it on that shard."""
        guild = Guild(self.ids.next(shard=shard), name, owner_id=self.owner.id)
        guild.roles[guild.id] = Role(guild.id, "@everyone", everyone_permissions)
        guild.members[self.owner.id] = Member(self.owner)
        if with_bot:
            guild.members[self.bot_user.id] = Member(self.bot_user)
        self.guilds[guild.id] = guild
        return guild

    def bot_in(self, guild_id: int) -> bool:
        """Whether the bot is a member of the guild (the app is installed there)."""
        guild = self.guilds.get(guild_id)
        return guild is not None and self.bot_user.id in guild.members

    def bot_guild_ids(self) -> list[int]:
        """The guilds the bot is in: the only ones the gateway tells it about."""
        return [g.id for g in self.guilds.values() if self.bot_user.id in g.members]

    # -- people: installs and DMs --------------------------------------------------------------

    def user(self, user_id: int) -> User | None:
        """A user by id, among every guild's members (the bot's guilds or not)."""
        for guild in self.guilds.values():
            member = guild.members.get(user_id)
            if member is not None:
                return member.user
        return None

    def shares_guild_with_bot(self, user_id: int) -> bool:
        """Whether the user is in a guild the bot is in (the app is guild-installed there)."""
        return any(
            user_id in g.members and self.bot_user.id in g.members for g in self.guilds.values()
        )

    def accepts_dms(self, user_id: int) -> bool:
        """Whether the bot may send the user a DM; otherwise 403 / 50007.

        opcodes-and-status-codes.mdx: 50007 "Cannot send messages to this user". The docs do
        not say when; the sandbox takes the strict reading: only a user who shares a server
        with the bot or installed the app to their account (application.mdx:196 user installs
        are "visible across all of an authorizing user's servers, DMs"), and who has not
        closed their DMs (`Control.set_dms`).
        """
        if user_id in self.dms_closed:
            return False
        return user_id in self.user_installs or self.shares_guild_with_bot(user_id)

    def dm_channel(self, user: User, private: bool = False) -> DMChannel:
        """The DM between `user` and the bot (user.mdx:323 Create DM: "if one already exists,
        it will be returned instead"), or, `private`, a DM of the user with someone else."""
        key = (GROUP_DM if private else DM, user.id)
        channel = self.dm_channels.get(key)
        if channel is None:
            other = User(self.ids.next(), "friend") if private else None
            channel = DMChannel(
                self.ids.next(),
                0,
                "",
                type=DM,
                recipients=[user, other] if other is not None else [user],
                with_bot=not private,
            )
            self.dm_channels[key] = channel
            self.channels[channel.id] = channel
            self.channel_messages.setdefault(channel.id, [])
        return channel

    def dm_recipient(self, channel: Channel) -> User | None:
        """The user of the bot's DM `channel` (None for any other channel)."""
        if isinstance(channel, DMChannel) and channel.with_bot and channel.recipients:
            return channel.recipients[0]
        return None

    def add_channel(
        self,
        guild_id: int,
        name: str,
        type: int = GUILD_TEXT,
        parent_id: int | None = None,
        id: int | None = None,
    ) -> Channel:
        """A new channel (or thread; a thread started from a message takes the message's id)."""
        guild = self.guilds[guild_id]
        channel = Channel(
            id or self.ids.next(), guild_id, name, type=type, position=len(guild.channels)
        )
        channel.parent_id = parent_id
        channel.last_activity = channel.archive_timestamp = self.now()
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        self.channel_messages.setdefault(channel.id, [])
        self.feed.emit(Change(CHANNEL_CREATE, channel=channel))
        return channel

    def add_role(
        self,
        guild_id: int,
        name: str,
        permissions: int,
        *,
        mentionable: bool = False,
        position: int | None = None,
    ) -> Role:
        """A new role in a guild, above every other unless `position` says where."""
        guild = self.guilds[guild_id]
        at = len(guild.roles) if position is None else position
        role = Role(self.ids.next(), name, permissions, position=at, mentionable=mentionable)
        guild.roles[role.id] = role
        return role

    def add_member(self, guild_id: int, username: str, role_ids: list[int] | None = None) -> Member:
        """A new (human) member of a guild."""
        member = Member(User(self.ids.next(), username), list(role_ids or []))
        self.guilds[guild_id].members[member.user.id] = member
        return member

    def remove_channel(self, channel_id: int) -> Channel:
        """Delete a channel: later requests to it get 404 / 10003."""
        channel = self.channels.pop(channel_id)
        if channel.guild_id in self.guilds:
            self.guilds[channel.guild_id].channels.pop(channel_id, None)
        self.feed.emit(Change(CHANNEL_DELETE, channel=channel))
        return channel

    # -- messages ------------------------------------------------------------------------------

    def store_message(self, message: Message) -> Message:
        """Keep a message and index it under its channel."""
        self.messages[message.id] = message
        self.channel_messages.setdefault(message.channel_id, []).append(message.id)
        self.feed.emit(Change(MESSAGE_CREATE, message=message))
        return message

    def message_edited(self, message: Message) -> None:
        """Announce that a stored message changed (an edit, a thread opened on it)."""
        self.feed.emit(Change(MESSAGE_UPDATE, message=message))

    def delete_message(self, message_id: int) -> None:
        """Forget a message."""
        message = self.messages.pop(message_id, None)
        if message is not None:
            ids = self.channel_messages.get(message.channel_id, [])
            if message_id in ids:
                ids.remove(message_id)
            self.feed.emit(Change(MESSAGE_DELETE, message=message))

    def forgot_messages(self) -> None:
        """Announce that every message was forgotten at once (a reset that keeps the world)."""
        self.feed.emit(Change(RESET))

    def messages_in(self, channel_id: int) -> list[Message]:
        """A channel's messages, oldest first."""
        return [self.messages[i] for i in self.channel_messages.get(channel_id, [])]

    def guild_commands(self, guild_id: int | None) -> list[Command]:
        """The commands synced for one guild, or the global ones when guild_id is None."""
        return [c for c in self.commands.values() if c.guild_id == guild_id]
