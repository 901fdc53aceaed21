"""The guild world: users, roles, members, permission overwrites, channels and guilds.

Plain data plus the logic Discord itself owns for them (permission arithmetic with overwrites,
the JSON shapes discord.py parses). No I/O, no clock of its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sandbox.flags import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    GROUP_DM,
    GUILD_TEXT,
    THREAD_ONLY_TYPES,
    THREAD_TYPES,
)
from sandbox.primitives import JSON, iso


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
    mentionable: bool = False  # anyone may ping it (else only with MENTION_EVERYONE)

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
            "mentionable": self.mentionable,
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
class DMChannel(Channel):
    """A DM (type 1) or group DM (type 3): no guild (`guild_id` 0), recipients instead.

    `with_bot`: the bot's own DM with a user (it may post there, if the user accepts DMs from
    it); otherwise a private channel between people, which the bot cannot see (it reaches
    one only through an interaction's token).
    """

    recipients: list[User] = field(default_factory=list)
    with_bot: bool = False

    def to_json(self) -> JSON:
        """The (partial) DM channel object discord.py parses (`recipients` is needed; it lists
        the other users, never the current one: channel.mdx "recipients: the recipients of the
        DM")."""
        out: JSON = {
            "id": str(self.id),
            "type": self.type,
            "last_message_id": None,
            "flags": 0,
            "recipients": [u.to_json() for u in self.recipients],
        }
        if self.type == GROUP_DM:
            out["name"] = self.name
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

    def top_position(self, member: Member) -> int:
        """The position of a member's highest role (@everyone's is 0): permissions.mdx:110
        "A bot's or user's highest role is its role that has the greatest position value"."""
        return max((self.roles[r].position for r in member.role_ids if r in self.roles), default=0)

    def members_with(self, role_id: int) -> list[int]:
        """The ids of the members holding a role (every member for @everyone)."""
        return [
            uid for uid, m in self.members.items() if role_id == self.id or role_id in m.role_ids
        ]

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
