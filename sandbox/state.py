"""The sandbox's world: settings, guilds, channels, members, messages, commands and the request log.

Everything here is plain data plus the small amount of logic that Discord itself owns (snowflakes,
permission arithmetic, the JSON shapes discord.py parses). The REST, gateway and control layers all
read and write one `SandboxState`, so a test sees exactly what the bot did.
"""

# `timeout=` parameters decide an outcome (e.g. "deferred"), not just when to give up.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits used by the sandbox (Discord's values).
ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 51) - 1
# What a fresh guild's @everyone role gets on Discord (view channel, send messages, history, ...).
DEFAULT_EVERYONE_PERMISSIONS = 2_248_473_465_835_073
# Privileged gateway intents: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT.
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)

# More permission bits (permissions.mdx "Bitwise Permission Flags").
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38

# Channel types.
GUILD_TEXT = 0
GUILD_VOICE = 2
GUILD_CATEGORY = 4
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
GUILD_STAGE_VOICE = 13
GUILD_FORUM = 15
GUILD_MEDIA = 16
THREAD_TYPES = (ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)
THREAD_ONLY_TYPES = (GUILD_FORUM, GUILD_MEDIA)  # posts (threads) only, no plain messages
# Channel flags.
REQUIRE_TAG = 1 << 4

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7


def iso(ts: float) -> str:
    """An epoch timestamp as Discord's ISO-8601 string."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


@dataclass
class SandboxSettings:
    """Every knob of the sandbox; all can be changed at runtime through the control API.

    Durations are in seconds. Defaults follow Discord, except that any bot token is accepted and
    the heartbeat interval is shorter, so a zombie connection is noticed quickly.
    """

    token: str | None = None  # None: accept any non-empty bot token
    bot_name: str = "HotPapers"
    allowed_intents: int = 0  # privileged intents enabled "in the developer portal"
    heartbeat_interval: float = 41.25
    interaction_deadline: float = 3.0
    token_lifetime: float = 900.0
    nonce_window: float = 120.0
    validate: bool = True
    rate_limits: bool = True
    global_limit: int = 50
    global_window: float = 1.0
    route_limit: int = 50
    route_window: float = 1.0
    # "METHOD /template" -> (limit, window); Discord's message bucket is 5 per 5 s per channel.
    route_limits: dict[str, tuple[int, float]] = field(
        default_factory=lambda: {"POST /channels/{channel_id}/messages": (5, 5.0)}
    )
    # Gateway rules (sandbox/gateway.py; docs/sandbox.md cites the doc line of each).
    heartbeat_tolerance: float = 1.1  # close (4009) after interval × this without a heartbeat
    heartbeat_ack_delay: float = 0.02  # a real round trip; an instant ACK races discord.py
    max_concurrency: int = 1  # IDENTIFYs per `identify_window`; more get op 9
    identify_window: float = 5.0
    identify_budget: int = 1000  # session starts per `identify_budget_window`; then token reset
    identify_budget_window: float = 86_400.0
    gateway_send_limit: int = 120  # frames a client may send per `gateway_send_window`; then 4008
    gateway_send_window: float = 60.0
    session_ttl: float = 120.0  # a detached session can be RESUMEd this long ("a few minutes")
    # The invalid-request limit (sandbox/cloudflare.py): this many 401/403/429 answers to one
    # client within `invalid_request_window` ban it for `invalid_request_ban` seconds.
    invalid_request_limit: int = 10_000
    invalid_request_window: float = 600.0
    invalid_request_ban: float = 3600.0

    def update(self, **changes: Any) -> None:
        """Change settings by name; an unknown name is a `KeyError`, not silently ignored."""
        names = {f.name for f in fields(self)}
        for key, value in changes.items():
            if key not in names:
                raise KeyError(f"unknown sandbox setting: {key}")
            if key == "route_limits":
                value = {k: (int(v[0]), float(v[1])) for k, v in dict(value).items()}
            setattr(self, key, value)

    def to_json(self) -> JSON:
        """The settings as JSON (for the control API)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["route_limits"] = {k: list(v) for k, v in self.route_limits.items()}
        return out


@dataclass
class User:
    """A Discord user (the bot itself or a test member)."""

    id: int
    username: str
    bot: bool = False

    def to_json(self) -> JSON:
        """The user object discord.py parses."""
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": None if self.bot else self.username,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int
    position: int = 0

    def to_json(self) -> JSON:
        """The role object discord.py parses."""
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Member:
    """A user's membership of a guild."""

    user: User
    role_ids: list[int] = field(default_factory=list)
    joined_at: float = field(default_factory=time.time)

    def to_json(self) -> JSON:
        """The guild member object discord.py parses (`flags` is required)."""
        return {
            "user": self.user.to_json(),
            "roles": [str(r) for r in self.role_ids],
            "joined_at": iso(self.joined_at),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
        }


@dataclass
class Overwrite:
    """A channel's permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def to_json(self) -> JSON:
        """The overwrite object (permissions as strings, as in API v8+)."""
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class Channel:
    """A guild channel (text, announcement, voice, forum, ...) or thread."""

    id: int
    guild_id: int
    name: str
    type: int = GUILD_TEXT
    position: int = 0
    parent_id: int | None = None
    owner_id: int | None = None
    auto_archive_duration: int = 1440
    forbidden: bool = False  # the bot lacks permission here: writes get 403 / 50013
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    flags: int = 0  # REQUIRE_TAG for forum / media channels, PINNED for posts
    available_tags: list[JSON] = field(default_factory=list)  # forum / media: [{"id", "name"}]
    applied_tags: list[int] = field(default_factory=list)  # a forum / media post's tags
    archived: bool = False
    locked: bool = False
    archive_timestamp: float = field(default_factory=time.time)
    last_activity: float = field(default_factory=time.time)  # sandbox clock, for auto-archive

    @property
    def is_thread(self) -> bool:
        """Whether this is a thread (announcement, public or private)."""
        return self.type in THREAD_TYPES

    def to_json(self) -> JSON:
        """The channel (or thread) object discord.py parses."""
        out: JSON = {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [o.to_json() for o in self.overwrites.values()],
            "nsfw": False,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": self.flags,
        }
        if self.parent_id:  # absent, not null, when there is none (discord-api-types)
            out["parent_id"] = str(self.parent_id)
        if self.type in THREAD_ONLY_TYPES:  # forum and media (required by discord-api-types)
            out["available_tags"] = self.available_tags
            out["default_reaction_emoji"] = None
            out["default_sort_order"] = None
            out["default_forum_layout"] = 0
        if self.type in (2, 13):  # voice and stage chats (channel.mdx: channel object fields)
            out["bitrate"] = 64000
            out["user_limit"] = 0
            out["rtc_region"] = None
        if self.type in THREAD_TYPES:
            out.pop("permission_overwrites")  # threads inherit their parent's
            out.pop("position")
            out.update(
                owner_id=str(self.owner_id) if self.owner_id else None,
                message_count=0,
                member_count=1,
                total_message_sent=0,
                applied_tags=[str(t) for t in self.applied_tags],
                thread_metadata={
                    "archived": self.archived,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": iso(self.archive_timestamp),
                    "locked": self.locked,
                },
            )
        return out


@dataclass
class Guild:
    """A guild with its roles, channels and members (the bot is always a member)."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)

    def permissions_of(self, member: Member) -> int:
        """Base permissions of a member: owner and administrators get everything."""
        if member.user.id == self.owner_id:
            return ALL_PERMISSIONS
        perms = self.roles[self.id].permissions if self.id in self.roles else 0
        for role_id in member.role_ids:
            role = self.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def permissions_in(self, member: Member, channel: Channel) -> int:
        """A member's permissions in a channel: base, then overwrites, as permissions.mdx
        "Permission Overwrites" computes them (@everyone, then roles, then the member).

        A thread has its parent's permissions (permissions.mdx:201 "Threads inherit
        permissions from the parent channel"). Without VIEW_CHANNEL nothing else counts
        (permissions.mdx:191 "Denying ... VIEW_CHANNEL on a channel implicitly denies other
        permissions"), and without SEND_MESSAGES neither do EMBED_LINKS, ATTACH_FILES, ...
        (permissions.mdx:193); the bits stay as computed, the routes check the implications.
        """
        base = self.permissions_of(member)
        if base & ADMINISTRATOR or base == ALL_PERMISSIONS:
            return ALL_PERMISSIONS
        source = channel
        if channel.is_thread and channel.parent_id is not None:
            source = self.channels.get(channel.parent_id, channel)
        perms = base
        everyone = source.overwrites.get(self.id)
        if everyone is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.role_ids:
            ow = source.overwrites.get(role_id)
            if ow is not None and ow.type == 0:
                allow |= ow.allow
                deny |= ow.deny
        perms = (perms & ~deny) | allow
        own = source.overwrites.get(member.user.id)
        if own is not None and own.type == 1:
            perms = (perms & ~own.deny) | own.allow
        return perms

    def to_json(self) -> JSON:
        """The GUILD_CREATE payload: everything discord.py needs to cache the guild."""
        return {
            "id": str(self.id),
            "name": self.name,
            "unavailable": False,
            "owner_id": str(self.owner_id),
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "features": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "large": False,
            "joined_at": iso(time.time()),
            "member_count": len(self.members),
            "roles": [r.to_json() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "channels": [c.to_json() for c in self.channels.values() if c.type not in THREAD_TYPES],
            "threads": [c.to_json() for c in self.channels.values() if c.type in THREAD_TYPES],
            "members": [m.to_json() for m in self.members.values()],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            # Required by discord-api-types (the contract check, tests/contract/).
            "application_id": None,
            "vanity_url_code": None,
            "system_channel_flags": 0,
            "safety_alerts_channel_id": None,
            "premium_progress_bar_enabled": False,
            "soundboard_sounds": [],
            "incidents_data": None,
            "hub_type": None,
        }


@dataclass
class Message:
    """A message as stored: the JSON discord.py sees, plus what was asked of Discord."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[JSON] = field(default_factory=list)
    allowed_mentions: JSON | None = None
    nonce: str | None = None
    flags: int = 0
    type: int = 0
    tts: bool = False
    created_at: float = field(default_factory=time.time)
    edited_at: float | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    message_reference: JSON | None = None
    thread_id: int | None = None

    def to_json(self) -> JSON:
        """The message object discord.py parses (`channel_id` and `author` are required)."""
        out: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": self.type,
            "content": self.content,
            "author": self.author.to_json(),
            "embeds": self.embeds,
            "components": self.components,
            "attachments": self.attachments,
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": self.tts,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "flags": self.flags,
        }
        if self.guild_id:  # None or 0 (a DM: sandbox.interactions.DMChannel)
            out["guild_id"] = str(self.guild_id)
        if self.nonce is not None:
            out["nonce"] = self.nonce
        if self.webhook_id is not None:
            out["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            out["application_id"] = str(self.application_id)
        if self.message_reference is not None:
            out["message_reference"] = self.message_reference
        if self.allowed_mentions is not None:
            # Not part of Discord's message object: recorded so tests can check what was asked.
            out["allowed_mentions"] = self.allowed_mentions
        return out


@dataclass
class Command:
    """An application command as synced by the bot (global when guild_id is None)."""

    id: int
    application_id: int
    guild_id: int | None
    version: int
    payload: JSON

    @property
    def name(self) -> str:
        """The command's name."""
        return str(self.payload["name"])

    @property
    def type(self) -> int:
        """1 chat input, 2 user, 3 message."""
        return int(self.payload.get("type") or 1)

    @property
    def default_member_permissions(self) -> int | None:
        """The permission bits a member needs to see and use the command (None: everyone)."""
        value = self.payload.get("default_member_permissions")
        return None if value is None else int(value)

    def to_json(self) -> JSON:
        """The command object Discord returns from a sync."""
        out = dict(self.payload)
        out.setdefault("type", 1)
        out.setdefault("description", "")
        out.setdefault("options", [])
        out.setdefault("default_member_permissions", None)
        out.setdefault("nsfw", False)
        # Discord answers with the resolved values: permissions as a string, installs defaulted.
        if out["default_member_permissions"] is not None:
            out["default_member_permissions"] = str(out["default_member_permissions"])
        if out.get("integration_types") is None:
            out["integration_types"] = [0]
        out.update(
            id=str(self.id),
            application_id=str(self.application_id),
            version=str(self.version),
        )
        if self.guild_id is not None:
            out["guild_id"] = str(self.guild_id)
        return out


@dataclass
class RequestRecord:
    """One REST request as the sandbox saw it, for tests and benchmarks to count."""

    method: str
    path: str
    route: str  # "METHOD /template", e.g. "POST /channels/{channel_id}/messages"
    status: int
    time: float
    duration_ms: float
    body: Any
    rate_limited: str | None = None  # None, "user" (route bucket), "global" or "injected"

    def to_json(self) -> JSON:
        """The record as JSON."""
        return {
            "method": self.method,
            "path": self.path,
            "route": self.route,
            "status": self.status,
            "time": self.time,
            "duration_ms": round(self.duration_ms, 3),
            "body": self.body,
            "rate_limited": self.rate_limited,
        }


class Snowflakes:
    """Discord-style ids: milliseconds since 2015 shifted left 22 bits, plus a counter."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next(self) -> int:
        """A new, strictly increasing id."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


class SandboxState:
    """All mutable sandbox data, plus a condition tests can wait on for any change."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.ids = Snowflakes()
        self.application_id = self.ids.next()
        self.bot_user = User(self.application_id, settings.bot_name, bot=True)
        self.owner = User(self.ids.next(), "sandbox-owner")
        self._changed = asyncio.Event()
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
        self, name: str, everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS
    ) -> Guild:
        """A new guild owned by the sandbox owner, with the bot as a member."""
        guild = Guild(self.ids.next(), name, owner_id=self.owner.id)
        guild.roles[guild.id] = Role(guild.id, "@everyone", everyone_permissions)
        guild.members[self.owner.id] = Member(self.owner)
        guild.members[self.bot_user.id] = Member(self.bot_user)
        self.guilds[guild.id] = guild
        return guild

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
        return channel

    def add_role(self, guild_id: int, name: str, permissions: int) -> Role:
        """A new role in a guild."""
        guild = self.guilds[guild_id]
        role = Role(self.ids.next(), name, permissions, position=len(guild.roles))
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
        self.guilds[channel.guild_id].channels.pop(channel_id, None)
        return channel

    # -- messages ------------------------------------------------------------------------------

    def store_message(self, message: Message) -> Message:
        """Keep a message and index it under its channel."""
        self.messages[message.id] = message
        self.channel_messages.setdefault(message.channel_id, []).append(message.id)
        return message

    def delete_message(self, message_id: int) -> None:
        """Forget a message."""
        message = self.messages.pop(message_id, None)
        if message is not None:
            ids = self.channel_messages.get(message.channel_id, [])
            if message_id in ids:
                ids.remove(message_id)

    def messages_in(self, channel_id: int) -> list[Message]:
        """A channel's messages, oldest first."""
        return [self.messages[i] for i in self.channel_messages.get(channel_id, [])]

    def guild_commands(self, guild_id: int | None) -> list[Command]:
        """The commands synced for one guild, or the global ones when guild_id is None."""
        return [c for c in self.commands.values() if c.guild_id == guild_id]
