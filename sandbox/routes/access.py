"""What the bot may see and do where: the channel or message a path names, and permissions.

Every channel route starts here: `channel(request)` is 404 / 10003 for a missing channel,
403 / 50001 where the bot cannot view it, 403 / 50013 for a write the control API forbade;
`require` and the `check_can_*` rules are the permission checks of permissions.mdx and
threads.mdx. `validate` is the spec check of a route's body (400 / 50035).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox import validation
from sandbox.flags import (
    ADD_REACTIONS,
    ATTACH_FILES,
    DM,
    EMBED_LINKS,
    GUILD_ANNOUNCEMENT,
    GUILD_STAGE_VOICE,
    GUILD_TEXT,
    GUILD_VOICE,
    MANAGE_THREADS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    THREAD_ONLY_TYPES,
    THREAD_TYPES,
    VIEW_CHANNEL,
)
from sandbox.records import Message
from sandbox.responses import ApiError, unknown_channel, unknown_message
from sandbox.routes.request import BODY
from sandbox.state import SandboxState
from sandbox.world import Channel

# Channels that hold plain messages (text in voice and stage included, and the bot's DMs).
MESSAGE_CHANNELS = (
    GUILD_TEXT,
    GUILD_ANNOUNCEMENT,
    GUILD_VOICE,
    GUILD_STAGE_VOICE,
    DM,
    *THREAD_TYPES,
)
# What the bot may do in its own DM with a user (a DM has no roles or overwrites): what any
# DM member may (view, send, embed, attach, react, read the history).
DM_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | ADD_REACTIONS
)


class Access:
    """Lookups and permission checks against one sandbox's state."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def validate(self, request: web.Request, spec_path: str) -> Any:
        """The request's body, or 400 / 50035 with Discord's error tree if it breaks a rule."""
        body = request.get(BODY)
        if self.state.settings.validate:
            problems = validation.validate_body(request.method, spec_path, body)
            if problems:
                raise ApiError(400, 50035, "Invalid Form Body", validation.errors_tree(problems))
        return body if body is not None else {}

    def channel(self, request: web.Request, writing: bool = False) -> Channel:
        """The channel in the path, as the bot may see it.

        404 / 10003 if missing or deleted; 403 / 50001 "Missing Access" if the bot cannot view
        it (its overwrites deny VIEW_CHANNEL); 403 / 50013 for a write to a channel the control
        API `forbid`s. A thread idle past its `auto_archive_duration` is archived first.
        """
        raw = request.match_info["channel_id"]
        channel = self.state.channels.get(int(raw)) if raw.isdigit() else None
        if channel is None:
            raise unknown_channel()
        if not self.bot_can(channel, VIEW_CHANNEL):
            raise ApiError(403, 50001, "Missing Access")
        if writing and channel.forbidden:
            raise ApiError(403, 50013, "Missing Permissions")
        self.state.refresh_thread(channel)  # Control.advance_clock announces THREAD_UPDATE
        return channel

    def message(self, request: web.Request, channel: Channel) -> Message:
        """The message in the path, which must belong to the channel."""
        raw = request.match_info["message_id"]
        message = self.state.messages.get(int(raw)) if raw.isdigit() else None
        if message is None or message.channel_id != channel.id:
            raise unknown_message()
        return message

    def bot_permissions(self, channel: Channel) -> int:
        """The bot's permissions in a channel, overwrites included.

        In its own DM with a user, `DM_PERMISSIONS`; in a DM between others, or in a server it
        is not a member of (a user install brought it there), none: every route is 403 / 50001
        "Missing Access" (the strict reading; the docs name no other answer).
        """
        if self.state.dm_recipient(channel) is not None:
            return DM_PERMISSIONS
        guild = self.state.guilds.get(channel.guild_id)
        bot = guild.members.get(self.state.bot_user.id) if guild is not None else None
        if guild is None or bot is None:
            return 0
        return guild.permissions_in(bot, channel)

    def bot_can(self, channel: Channel, bits: int) -> bool:
        """Whether the bot has all of `bits` in the channel."""
        return self.bot_permissions(channel) & bits == bits

    def require(self, channel: Channel, bits: int) -> None:
        """403 / 50013 unless the bot has all of `bits` in the channel."""
        if not self.bot_can(channel, bits):
            raise ApiError(403, 50013, "Missing Permissions")

    def check_can_post(self, channel: Channel) -> None:
        """Where and whether the bot may create a message (threads.mdx, permissions.mdx)."""
        if channel.type in THREAD_ONLY_TYPES:
            # threads.mdx:207 "Messages cannot be sent directly in forum channels."
            raise ApiError(400, 40058, "Cannot send a message in a forum channel")
        if channel.type not in MESSAGE_CHANNELS:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        recipient = self.state.dm_recipient(channel)
        if recipient is not None:
            if not self.state.accepts_dms(recipient.id):
                # opcodes-and-status-codes.mdx:265 50007 "Cannot send messages to this user"
                # (`SandboxState.accepts_dms`: who does).
                raise ApiError(403, 50007, "Cannot send messages to this user")
            return
        if channel.is_thread:
            # permissions.mdx:201 "users must have SEND_MESSAGES_IN_THREADS to send a message
            # in a thread"
            self.require(channel, SEND_MESSAGES_IN_THREADS)
            if channel.locked and not self.bot_can(channel, MANAGE_THREADS):
                # threads.mdx:59 "Sending a message will automatically unarchive the thread,
                # unless the thread has been locked by a moderator."; threads.mdx:51 users
                # without MANAGE_THREADS "won't be able to create or update messages in
                # locked threads"
                raise ApiError(403, 160005, "Thread is locked")
        else:
            # message.mdx:1067 "the current user must have the SEND_MESSAGES permission"
            self.require(channel, SEND_MESSAGES)

    def check_can_edit(self, channel: Channel) -> None:
        """threads.mdx:59 "Users cannot edit messages ... in archived threads"; locked: 160005."""
        if channel.is_thread and channel.locked and not self.bot_can(channel, MANAGE_THREADS):
            raise ApiError(403, 160005, "Thread is locked")
        if channel.is_thread and channel.archived:
            raise ApiError(400, 50083, "Thread is archived")
