"""Building the world as Discord would show it to the bot: guilds, channels and threads, roles,
members, permission overwrites, moderation of threads, deletion, and the sandbox's clock.

Every change the bot would see on Discord is announced over the gateway (GUILD_CREATE,
CHANNEL_CREATE, THREAD_CREATE, CHANNEL_UPDATE, ...).
"""

from __future__ import annotations

from collections.abc import Iterable

from sandbox.drive.base import ControlBase, SandboxError
from sandbox.flags import (
    ANNOUNCEMENT_THREAD,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM,
    GUILD_ANNOUNCEMENT,
    GUILD_TEXT,
    PUBLIC_THREAD,
    THREAD_ONLY_TYPES,
    THREAD_TYPES,
)
from sandbox.world import Channel, Guild, Member, Overwrite, Role


class WorldControl(ControlBase):
    """The world-building part of `Control`."""

    async def add_guild(
        self,
        name: str = "Sandbox Guild",
        channels: Iterable[str] = ("general",),
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        *,
        shard: tuple[int, int] | None = None,
        with_bot: bool = True,
    ) -> Guild:
        """A guild with text channels and a plain member "tester" (no roles); GUILD_CREATE
        (to the sessions of its shard). `shard` = (shard_id, num_shards) picks an id on it.

        `with_bot=False`: a server the app is not installed in. The bot hears nothing of it
        (no GUILD_CREATE, no events) and cannot read or post there (403 / 50001); its members
        reach the app only through their own user install (`install_app`)."""
        guild = self.state.add_guild(name, everyone_permissions, shard, with_bot=with_bot)
        for channel in channels:
            self.state.add_channel(guild.id, channel)
        self.state.add_member(guild.id, "tester")
        if with_bot:
            await self.gw.dispatch("GUILD_CREATE", guild.to_json())
        await self.state.notify()
        return guild

    async def add_channel(
        self,
        guild_id: int,
        name: str,
        type: int = GUILD_TEXT,
        *,
        parent_id: int | None = None,
        flags: int = 0,
        tags: Iterable[str] = (),
    ) -> Channel:
        """A new channel; CHANNEL_CREATE (THREAD_CREATE for a thread).

        A thread (type 10, 11, 12) gets a parent (`parent_id`, else the guild's first channel
        that can hold that thread type) and an owner (the sandbox owner), as every thread on
        Discord has. A forum or media channel (15, 16) may get `flags` (REQUIRE_TAG = 16) and
        available `tags` (names; ids are given).
        """
        guild = self._guild(guild_id)
        if type in THREAD_TYPES:
            parent = self._thread_parent(guild, type, parent_id)
            channel = self.state.add_channel(guild.id, name, type=type, parent_id=parent.id)
            channel.owner_id = self.state.owner.id
            await self.gw.dispatch("THREAD_CREATE", channel.to_json())
        else:
            channel = self.state.add_channel(guild.id, name, type=type, parent_id=parent_id)
            channel.flags = flags
            channel.available_tags = [
                {
                    "id": str(self.state.ids.next()),
                    "name": tag,
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": None,
                }
                for tag in tags
            ]
            await self.gw.dispatch("CHANNEL_CREATE", channel.to_json())
        await self.state.notify()
        return channel

    def _thread_parent(self, guild: Guild, type: int, parent_id: int | None) -> Channel:
        wanted: tuple[int, ...] = (
            (GUILD_ANNOUNCEMENT,) if type == ANNOUNCEMENT_THREAD else (GUILD_TEXT,)
        )
        if type == PUBLIC_THREAD:
            wanted = (GUILD_TEXT, *THREAD_ONLY_TYPES)
        if parent_id is not None:
            parent = self._channel(parent_id)
            if parent.guild_id != guild.id or parent.type not in wanted:
                raise SandboxError(f"channel {parent_id} cannot hold a thread of type {type}")
            return parent
        for channel in guild.channels.values():
            if channel.type in wanted:
                return channel
        raise SandboxError(f"guild {guild.id} has no channel for a thread of type {type}")

    async def set_overwrite(
        self,
        channel_id: int,
        target_id: int,
        *,
        allow: int = 0,
        deny: int = 0,
        type: int | None = None,
    ) -> Channel:
        """Set a channel's permission overwrite for a role or member (allow 0 and deny 0
        removes it); CHANNEL_UPDATE. `type` 0 role, 1 member (guessed from the id if None).

        E.g. let the bot post but not open threads: `set_overwrite(c, bot_id,
        deny=CREATE_PUBLIC_THREADS)`; hide a channel from everyone: `set_overwrite(c,
        guild_id, deny=VIEW_CHANNEL)` (the bot then gets 403 / 50001 there).
        """
        channel = self._channel(channel_id)
        if channel.is_thread:
            raise SandboxError("threads have no overwrites of their own (they inherit)")
        guild = self.state.guilds[channel.guild_id]
        if type is None:
            type = 0 if target_id in guild.roles else 1
        if (type == 0 and target_id not in guild.roles) or (
            type == 1 and target_id not in guild.members
        ):
            raise SandboxError(f"no {'role' if type == 0 else 'member'} {target_id}")
        if allow == 0 and deny == 0:
            channel.overwrites.pop(target_id, None)
        else:
            channel.overwrites[target_id] = Overwrite(target_id, type, allow, deny)
        await self.gw.dispatch("CHANNEL_UPDATE", channel.to_json())
        await self.state.notify()
        return channel

    async def set_thread(
        self, thread_id: int, *, archived: bool | None = None, locked: bool | None = None
    ) -> Channel:
        """Archive / lock a thread (as a moderator would); THREAD_UPDATE."""
        thread = self._channel(thread_id)
        if not thread.is_thread:
            raise SandboxError(f"channel {thread_id} is not a thread")
        if archived is not None and archived != thread.archived:
            thread.archived = archived
            thread.archive_timestamp = self.state.now()
            if not archived:
                thread.last_activity = thread.archive_timestamp
        if locked is not None:
            thread.locked = locked
        await self.gw.dispatch("THREAD_UPDATE", thread.to_json())
        await self.state.notify()
        return thread

    async def advance_clock(self, seconds: float) -> list[Channel]:
        """Move the sandbox's clock forward; threads idle past their auto_archive_duration
        archive (THREAD_UPDATE each). Returns them."""
        try:
            archived = self.state.advance_clock(seconds)
        except ValueError as exc:
            raise SandboxError(str(exc)) from None
        for thread in archived:
            await self.gw.dispatch("THREAD_UPDATE", thread.to_json())
        await self.state.notify()
        return archived

    async def add_role(
        self,
        guild_id: int,
        name: str,
        permissions: int = 0,
        *,
        mentionable: bool = False,
        position: int | None = None,
    ) -> Role:
        """A new role (above every other unless `position` is given); GUILD_ROLE_CREATE."""
        role = self.state.add_role(
            self._guild(guild_id).id, name, permissions, mentionable=mentionable, position=position
        )
        await self.gw.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.to_json()}
        )
        return role

    async def set_role(
        self,
        guild_id: int,
        role_id: int,
        *,
        mentionable: bool | None = None,
        permissions: int | None = None,
    ) -> Role:
        """A moderator makes a role mentionable or not, or changes its permissions;
        GUILD_ROLE_UPDATE."""
        guild = self._guild(guild_id)
        role = guild.roles.get(role_id)
        if role is None:
            raise SandboxError(f"no role {role_id} in guild {guild_id}")
        if mentionable is not None:
            role.mentionable = mentionable
        if permissions is not None:
            role.permissions = permissions
        await self.gw.dispatch(
            "GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": role.to_json()}
        )
        await self.state.notify()
        return role

    async def give_role(
        self, guild_id: int, member_id: int, role_id: int, give: bool = True
    ) -> Member:
        """A moderator gives a member (the bot too) a role, or takes it (`give=False`);
        GUILD_MEMBER_UPDATE to sessions with the GUILD_MEMBERS intent."""
        guild = self._guild(guild_id)
        member = guild.members.get(member_id)
        if member is None or role_id not in guild.roles or role_id == guild.id:
            raise SandboxError(f"no member {member_id} or role {role_id} in guild {guild_id}")
        if give and role_id not in member.role_ids:
            member.role_ids.append(role_id)
        elif not give and role_id in member.role_ids:
            member.role_ids.remove(role_id)
        payload = member.to_json()
        payload["guild_id"] = str(guild_id)
        await self.gw.dispatch("GUILD_MEMBER_UPDATE", payload)
        await self.state.notify()
        return member

    async def add_member(
        self,
        guild_id: int,
        username: str,
        permissions: int | None = None,
        role_ids: Iterable[int] = (),
    ) -> Member:
        """A new member; `permissions` gives them a role of their own with exactly those bits."""
        roles = list(role_ids)
        if permissions is not None:
            roles.append((await self.add_role(guild_id, f"{username}-role", permissions)).id)
        member = self.state.add_member(self._guild(guild_id).id, username, roles)
        payload = member.to_json()
        payload["guild_id"] = str(guild_id)
        await self.gw.dispatch("GUILD_MEMBER_ADD", payload)
        await self.state.notify()
        return member

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a channel (later requests to it get 404 / 10003); CHANNEL_DELETE, or for a
        thread THREAD_DELETE with its id, guild, parent and type (events/gateway-events.mdx:634
        "Sent when a thread relevant to the current user is deleted. The inner payload is a
        subset of the channel object, containing just the id, guild_id, parent_id, and type")."""
        try:
            channel = self.state.remove_channel(channel_id)
        except KeyError:
            raise SandboxError(f"no channel {channel_id}") from None
        if channel.type in THREAD_TYPES:
            await self.gw.dispatch(
                "THREAD_DELETE",
                {
                    "id": str(channel.id),
                    "guild_id": str(channel.guild_id),
                    "parent_id": str(channel.parent_id),
                    "type": channel.type,
                },
            )
        else:
            await self.gw.dispatch("CHANNEL_DELETE", channel.to_json())
        await self.state.notify()

    def install_app(self, user_id: int, installed: bool = True) -> None:
        """The user adds the app to their account (a user install: application.mdx:194), or
        removes it. Commands with USER_INSTALL then reach them everywhere (servers the bot is
        not in, DMs, private channels), and the bot may DM them."""
        user = self.state.user(int(user_id))
        if user is None:
            raise SandboxError(f"no user {user_id}")
        if installed:
            self.state.user_installs.add(user.id)
        else:
            self.state.user_installs.discard(user.id)

    def set_dms(self, user_id: int, open: bool) -> None:
        """The user opens or closes their DMs to the bot: closed, the bot's posts in their DM
        get 403 / 50007 "Cannot send messages to this user"."""
        user = self.state.user(int(user_id))
        if user is None:
            raise SandboxError(f"no user {user_id}")
        if open:
            self.state.dms_closed.discard(user.id)
        else:
            self.state.dms_closed.add(user.id)

    def dm_channel_of(self, user_id: int) -> int | None:
        """The id of the bot's DM with the user, if it was opened (by an interaction there or
        the bot's `POST /users/@me/channels`)."""
        channel = self.state.dm_channels.get((DM, int(user_id)))
        return channel.id if channel is not None else None

    def forbid_channel(self, channel_id: int, forbidden: bool = True) -> None:
        """Take (or give back) the bot's permission to write in a channel: 403 / 50013."""
        self._channel(channel_id).forbidden = forbidden

    def guilds(self) -> list[Guild]:
        """Every guild."""
        return list(self.state.guilds.values())
