"""The in-process control API: what a test (or the HTTP control API) does to the sandbox.

Build the world (guilds, channels, roles, members), act as a user (run a slash command or type
into an autocomplete option) and read back what the bot did (its answer with latency, channel
messages, every request), inject faults, change settings, reset. Everything that the bot would
see on Discord is announced over the gateway (GUILD_CREATE, CHANNEL_CREATE, ...).
"""

# `timeout=` parameters decide an outcome (e.g. "deferred"), not just when to give up.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.cloudflare import CloudflareFault
from sandbox.faults import Fault
from sandbox.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    CONTEXT_BOT_DM,
    CONTEXT_GUILD,
    CONTEXTS,
    GUILD_INSTALL,
    MESSAGE_COMPONENT,
    USER_INSTALL,
    Interaction,
    allowed,
    build_data,
    delivered_in,
)
from sandbox.state import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    ANNOUNCEMENT_THREAD,
    DEFAULT_EVERYONE_PERMISSIONS,
    EPHEMERAL,
    GUILD_ANNOUNCEMENT,
    GUILD_TEXT,
    JSON,
    PUBLIC_THREAD,
    THREAD_ONLY_TYPES,
    THREAD_TYPES,
    Channel,
    Command,
    Guild,
    Member,
    Overwrite,
    RequestRecord,
    Role,
    User,
)

if TYPE_CHECKING:
    from sandbox.app import Sandbox


class SandboxError(Exception):
    """A control request that cannot be carried out (unknown guild, no bot connected, ...)."""


@dataclass
class InteractionResult:
    """What the bot answered to one interaction.

    `status` is one of:
      "answered"     the bot responded (message, autocomplete choices or modal), and, after a
                     defer, edited the original or sent a follow-up;
      "deferred"     the bot deferred but never completed within the timeout;
      "no_response"  nothing within the interaction deadline (Discord: "did not respond");
      "denied"       the member lacks the command's default_member_permissions: Discord does not
                     deliver the command at all, so the bot never saw it;
      "unavailable"  Discord does not offer the command in that context (a guild command in a
                     DM, a command without USER_INSTALL in a private channel, `contexts`);
      "unknown_command" no synced command has that name (Discord would not offer it).
    """

    status: str
    command: str
    interaction_id: int | None = None
    response_type: int | None = None
    response: JSON | None = None
    original: JSON | None = None
    followups: list[JSON] = field(default_factory=list)
    choices: list[JSON] | None = None
    ephemeral: bool = False
    ack_latency_ms: float | None = None
    latency_ms: float | None = None

    @property
    def messages(self) -> list[JSON]:
        """The original response message (if any) followed by the follow-ups."""
        return ([self.original] if self.original else []) + self.followups

    @property
    def content(self) -> str:
        """The text of the first message the user sees ("" if none)."""
        return str(self.messages[0].get("content", "")) if self.messages else ""

    @property
    def embeds(self) -> list[JSON]:
        """The embeds of every message, in order."""
        return [e for m in self.messages for e in m.get("embeds", [])]

    def to_json(self) -> JSON:
        """The result as JSON (for the HTTP control API)."""
        return {
            "status": self.status,
            "command": self.command,
            "interaction_id": str(self.interaction_id) if self.interaction_id else None,
            "response_type": self.response_type,
            "response": self.response,
            "original": self.original,
            "followups": self.followups,
            "choices": self.choices,
            "ephemeral": self.ephemeral,
            "ack_latency_ms": self.ack_latency_ms,
            "latency_ms": self.latency_ms,
        }


class Control:
    """Drive one sandbox from Python; every method mirrors a route of the HTTP control API."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.state = sandbox.state
        self.denied: list[JSON] = []

    # -- the world -----------------------------------------------------------------------------

    async def add_guild(
        self,
        name: str = "Sandbox Guild",
        channels: Iterable[str] = ("general",),
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
    ) -> Guild:
        """A guild with text channels and a plain member "tester" (no roles); GUILD_CREATE."""
        guild = self.state.add_guild(name, everyone_permissions)
        for channel in channels:
            self.state.add_channel(guild.id, channel)
        self.state.add_member(guild.id, "tester")
        await self.sb.gateway.dispatch("GUILD_CREATE", guild.to_json())
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
            await self.sb.gateway.dispatch("THREAD_CREATE", channel.to_json())
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
            await self.sb.gateway.dispatch("CHANNEL_CREATE", channel.to_json())
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
        await self.sb.gateway.dispatch("CHANNEL_UPDATE", channel.to_json())
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
        await self.sb.gateway.dispatch("THREAD_UPDATE", thread.to_json())
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
            await self.sb.gateway.dispatch("THREAD_UPDATE", thread.to_json())
        await self.state.notify()
        return archived

    async def add_role(self, guild_id: int, name: str, permissions: int) -> Role:
        """A new role; GUILD_ROLE_CREATE."""
        role = self.state.add_role(self._guild(guild_id).id, name, permissions)
        await self.sb.gateway.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.to_json()}
        )
        return role

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
        await self.sb.gateway.dispatch("GUILD_MEMBER_ADD", payload)
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
            await self.sb.gateway.dispatch(
                "THREAD_DELETE",
                {
                    "id": str(channel.id),
                    "guild_id": str(channel.guild_id),
                    "parent_id": str(channel.parent_id),
                    "type": channel.type,
                },
            )
        else:
            await self.sb.gateway.dispatch("CHANNEL_DELETE", channel.to_json())
        await self.state.notify()

    def forbid_channel(self, channel_id: int, forbidden: bool = True) -> None:
        """Take (or give back) the bot's permission to write in a channel: 403 / 50013."""
        self._channel(channel_id).forbidden = forbidden

    def guilds(self) -> list[Guild]:
        """Every guild."""
        return list(self.state.guilds.values())

    # -- acting as a user ----------------------------------------------------------------------

    async def invoke(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        permissions: int | None = None,
        followups: int = 0,
        timeout: float = 10.0,
        settle: float = 0.0,
        context: str = "guild",
    ) -> InteractionResult:
        """Run `/command` (subcommands separated by spaces) and return the bot's answer.

        `context` is "guild" (the default), "dm" (BOT_DM: the user's DM with the bot) or
        "private" (PRIVATE_CHANNEL: a DM with someone else, through a user install); outside a
        guild the interaction has `user` and no `member`, and a command Discord would not offer
        there is "unavailable".

        The member is `user_id` or the guild's "tester"; `permissions` overrides their computed
        permissions. Waits for the first response (up to the interaction deadline), then, after
        a defer, for an edit or follow-up, and for at least `followups` follow-ups, all within
        `timeout`; then `settle` seconds more for stragglers.
        """
        return await self._interact(
            APPLICATION_COMMAND,
            command,
            options or {},
            None,
            guild_id,
            channel_id,
            user_id,
            permissions,
            followups,
            timeout,
            settle,
            context,
        )

    async def autocomplete(
        self,
        command: str,
        options: dict[str, Any],
        focused: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        permissions: int | None = None,
        timeout: float = 10.0,
    ) -> InteractionResult:
        """Type into option `focused` of `/command`; the result's `choices` are the suggestions."""
        return await self._interact(
            AUTOCOMPLETE,
            command,
            options,
            focused,
            guild_id,
            channel_id,
            user_id,
            permissions,
            0,
            timeout,
            0.0,
        )

    async def _interact(
        self,
        kind: int,
        command_name: str,
        options: dict[str, Any],
        focused: str | None,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int | None,
        permissions: int | None,
        followups: int,
        timeout: float,
        settle: float,
        context: str = "guild",
    ) -> InteractionResult:
        if context not in CONTEXTS:
            raise SandboxError(f"unknown context {context!r}: guild, dm or private")
        if context != "guild":
            return await self._interact_outside(
                kind, command_name, options, focused, user_id, context, followups, timeout, settle
            )
        guild = self._guild(guild_id)
        channel = self._channel(channel_id) if channel_id else self._default_channel(guild)
        if channel.guild_id != guild.id:
            # Discord sends an interaction from a channel of the guild it happened in.
            raise SandboxError(f"channel {channel.id} is not in guild {guild.id}")
        member = self._member(guild, user_id)
        # The member's permissions in the channel, overwrites included (receiving-and-
        # responding.mdx: member "permissions" are "in the channel, including overwrites").
        perms = guild.permissions_in(member, channel) if permissions is None else permissions
        if perms & ADMINISTRATOR:
            perms = ALL_PERMISSIONS
        name, *path = command_name.split()
        command = self._command(guild, name)
        if command is None:
            return InteractionResult("unknown_command", command_name)
        if not delivered_in(command, CONTEXT_GUILD):
            return InteractionResult("unavailable", command_name)
        if not allowed(command, perms):
            self.denied.append(
                {"command": command_name, "user_id": str(member.user.id), "permissions": str(perms)}
            )
            return InteractionResult("denied", command_name)
        data = build_data(command, path, options, guild, self.state, focused)
        inter = Interaction(
            id=self.state.ids.next(),
            token=secrets.token_urlsafe(48),
            type=kind,
            guild=guild,
            channel=channel,
            member=member,
            permissions=perms,
            command=command,
            data=data,
            owners={str(GUILD_INSTALL): str(guild.id)},
        )
        return await self._deliver(inter, command_name, followups, timeout, settle)

    async def _interact_outside(
        self,
        kind: int,
        command_name: str,
        options: dict[str, Any],
        focused: str | None,
        user_id: int | None,
        context: str,
        followups: int,
        timeout: float,
        settle: float,
    ) -> InteractionResult:
        """An interaction from a DM with the bot or a private channel (no guild, no member)."""
        user = self._user(user_id)
        code = CONTEXTS[context]
        name, *path = command_name.split()
        command = next(
            (c for c in self.state.guild_commands(None) if c.name == name and c.type == 1), None
        )
        if command is None:
            return InteractionResult("unknown_command", command_name)
        if not delivered_in(command, code):
            return InteractionResult("unavailable", command_name)
        data = build_data(command, path, options, None, self.state, focused)
        channel = self.sb.interactions.dm_channel(self.state, user, private=code != CONTEXT_BOT_DM)
        # receiving-and-responding.mdx:86-90: GUILD_INSTALL is "0" from a DM with the bot;
        # USER_INSTALL is the authorizing user's id.
        owners: dict[str, str] = {}
        installs = command.payload.get("integration_types") or [GUILD_INSTALL]
        if GUILD_INSTALL in installs and code == CONTEXT_BOT_DM:
            owners[str(GUILD_INSTALL)] = "0"
        if USER_INSTALL in installs:
            owners[str(USER_INSTALL)] = str(user.id)
        inter = Interaction(
            id=self.state.ids.next(),
            token=secrets.token_urlsafe(48),
            type=kind,
            guild=None,
            channel=channel,
            member=None,
            permissions=0,
            command=command,
            data=data,
            user=user,
            context=code,
            owners=owners,
        )
        return await self._deliver(inter, command_name, followups, timeout, settle)

    async def click(
        self,
        message_id: int,
        custom_id: str,
        *,
        user_id: int | None = None,
        component_type: int = 2,
        values: list[str] | None = None,
        timeout: float = 10.0,
    ) -> InteractionResult:
        """Click the button (or pick `values` in the select) `custom_id` on a message.

        The interaction is type 3 with `data.custom_id`, `data.component_type` and the
        `message`; in a guild the clicker is `user_id` or the guild's "tester", in a DM the
        DM's user. The result's `response_type` is 4, 5, 6 (deferred update) or 7 (update).
        """
        message = self.state.messages.get(int(message_id))
        if message is None:
            raise SandboxError(f"no message {message_id}")
        if not any(
            c.get("custom_id") == custom_id
            for row in message.components
            for c in (row.get("components") or [])
        ):
            raise SandboxError(f"message {message_id} has no component {custom_id!r}")
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        dm = next(
            (c for c in self.sb.interactions.dm_channels.values() if c.id == message.channel_id),
            None,
        )
        if dm is not None:
            user = dm.recipients[0]
            inter = Interaction(
                id=self.state.ids.next(),
                token=secrets.token_urlsafe(48),
                type=MESSAGE_COMPONENT,
                guild=None,
                channel=dm,
                member=None,
                permissions=0,
                command=None,
                data=data,
                user=user,
                context=CONTEXT_BOT_DM,
                owners={str(GUILD_INSTALL): "0"},
                message_id=message.id,
            )
        else:
            channel = self._channel(message.channel_id)
            guild = self._guild(channel.guild_id)
            member = self._member(guild, user_id)
            inter = Interaction(
                id=self.state.ids.next(),
                token=secrets.token_urlsafe(48),
                type=MESSAGE_COMPONENT,
                guild=guild,
                channel=channel,
                member=member,
                permissions=guild.permissions_in(member, channel),
                command=None,
                data=data,
                owners={str(GUILD_INSTALL): str(guild.id)},
                message_id=message.id,
            )
        return await self._deliver(inter, custom_id, 0, timeout, 0.0)

    async def _deliver(
        self, inter: Interaction, name: str, followups: int, timeout: float, settle: float
    ) -> InteractionResult:
        self.sb.interactions.add(inter)
        payload = inter.to_gateway_json(self.state)
        if inter.guild is not None and inter.member is not None:
            payload = self._with_channel_permissions(payload, inter.guild, inter.member)
        if not await self.sb.gateway.dispatch_one("INTERACTION_CREATE", payload):
            raise SandboxError("no bot is connected to the gateway")
        return await self._await_answer(inter, name, followups, timeout, settle)

    def _with_channel_permissions(self, payload: JSON, guild: Guild, member: Member) -> JSON:
        """Permissions in INTERACTION_CREATE as Discord computes them, overwrites included.

        receiving-and-responding.mdx:37 `app_permissions`: "permissions the app has in the
        source location of the interaction" (the bot's, in the channel); resolved channels
        (receiving-and-responding.mdx:184) carry `permissions` (the invoker's) and
        `app_permissions` (the bot's) in that channel.
        """
        bot = guild.members[self.state.bot_user.id]
        source = self.state.channels.get(int(payload["channel_id"]))
        if source is not None:
            payload["app_permissions"] = str(guild.permissions_in(bot, source))
        resolved = (payload.get("data") or {}).get("resolved") or {}
        for channel_id, partial in (resolved.get("channels") or {}).items():
            channel = self.state.channels.get(int(channel_id))
            if channel is not None and channel.guild_id == guild.id:
                partial["permissions"] = str(guild.permissions_in(member, channel))
                partial["app_permissions"] = str(guild.permissions_in(bot, channel))
        return payload

    async def _await_answer(
        self, inter: Interaction, name: str, followups: int, timeout: float, settle: float
    ) -> InteractionResult:
        deadline = self.state.settings.interaction_deadline
        try:
            await inter.wait_for(lambda: inter.response_type is not None, deadline)
        except TimeoutError:
            return self._result("no_response", name, inter)
        status = "answered"

        def complete() -> bool:
            return inter.completed_at is not None and len(inter.followup_ids) >= followups

        try:
            await inter.wait_for(complete, max(0.0, timeout - inter.age()))
        except TimeoutError:
            status = "deferred" if inter.completed_at is None else "answered"
        if settle:
            await asyncio.sleep(settle)
        return self._result(status, name, inter)

    def _result(self, status: str, name: str, inter: Interaction) -> InteractionResult:
        def ms(at: float | None) -> float | None:
            return None if at is None else round((at - inter.created_at) * 1000, 3)

        original = self.state.messages.get(inter.original_id) if inter.original_id else None
        choices = None
        if inter.response_type == 8 and inter.response_data is not None:
            choices = list(inter.response_data.get("choices") or [])
        return InteractionResult(
            status=status,
            command=name,
            interaction_id=inter.id,
            response_type=inter.response_type,
            response=inter.response_data,
            original=original.to_json() if original else None,
            followups=[
                self.state.messages[i].to_json()
                for i in inter.followup_ids
                if i in self.state.messages
            ],
            choices=choices,
            ephemeral=bool(original and original.flags & EPHEMERAL),
            ack_latency_ms=ms(inter.responded_at),
            latency_ms=ms(inter.completed_at),
        )

    # -- reading what the bot did --------------------------------------------------------------

    def messages(self, channel_id: int, include_ephemeral: bool = True) -> list[JSON]:
        """A channel's messages, oldest first."""
        return [
            m.to_json()
            for m in self.state.messages_in(channel_id)
            if include_ephemeral or not m.flags & EPHEMERAL
        ]

    async def wait_for_messages(
        self, channel_id: int, count: int = 1, timeout: float = 5.0
    ) -> list[JSON]:
        """Wait until a channel holds at least `count` messages; returns them all."""
        await self.state.wait_for(
            lambda: len(self.state.channel_messages.get(channel_id, [])) >= count, timeout
        )
        return self.messages(channel_id)

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """The commands the bot synced (global, or of one guild)."""
        return [c.to_json() for c in self.state.guild_commands(guild_id)]

    def requests(
        self, route: str | None = None, status: int | None = None, method: str | None = None
    ) -> list[RequestRecord]:
        """Recorded requests, filtered by exact route template, status and method."""
        return [
            r
            for r in self.state.requests
            if (route is None or r.route == route)
            and (status is None or r.status == status)
            and (method is None or r.method == method)
        ]

    # -- faults and settings -------------------------------------------------------------------

    def inject_fault(self, route: str = "*", **spec: Any) -> Fault:
        """Add a REST fault; see `sandbox.faults` (status, code, latency_ms, times, ...)."""
        return self.sb.faults.add(route=route, **spec)

    def cloudflare_fault(
        self, route: str = "*", status: int = 502, times: int | None = 1
    ) -> CloudflareFault:
        """Answer matching requests with Cloudflare's HTML 502 or 504 page (see cloudflare.py)."""
        try:
            return self.sb.cloudflare.add_fault(route, status, times)
        except ValueError as exc:
            raise SandboxError(str(exc)) from None

    def clear_faults(self, fault_id: int | None = None) -> None:
        """Remove one fault, or all."""
        self.sb.faults.remove(fault_id)

    def configure(self, **settings: Any) -> JSON:
        """Change settings (names of `SandboxSettings`); returns them all."""
        try:
            self.state.settings.update(**settings)
        except KeyError as exc:
            raise SandboxError(str(exc.args[0])) from None
        return self.state.settings.to_json()

    async def gateway(self, action: str, resumable: bool = False) -> int:
        """ "reconnect" (op 7), "invalid_session" (op 9), "drop" or "silence" the connections."""
        gw = self.sb.gateway
        if action == "reconnect":
            return await gw.send_reconnect()
        if action == "invalid_session":
            return await gw.send_invalid_session(resumable)
        if action == "drop":
            return await gw.drop_connections()
        if action == "silence":
            return gw.silence()
        raise SandboxError(f"unknown gateway action {action!r}")

    async def wait_for_gateway(
        self, identifies: int = 0, resumes: int = 0, timeout: float = 10.0
    ) -> None:
        """Wait until the bot has identified / resumed that many times and is connected."""

        def reached() -> bool:
            s = self.sb.gateway.stats
            connected = any(
                c.session is not None and not c.silent for c in self.sb.gateway.connections
            )
            return s.identifies >= identifies and s.resumes >= resumes and connected

        await self.state.wait_for(reached, timeout)

    async def reset(self, full: bool = False) -> None:
        """Forget messages, requests, faults, interactions and rate-limit counts.

        With `full`, also forget guilds, commands and gateway sessions, as a fresh sandbox.
        """
        s = self.state
        if full:
            s.clear()
            self.sb.gateway.reset()
            await self.sb.gateway.close_all(4000)
        else:
            s.messages.clear()
            s.nonces.clear()
            s.requests.clear()
            for ids in s.channel_messages.values():
                ids.clear()
        self.sb.faults.remove()
        self.sb.cloudflare.reset()
        self.sb.limiter.reset()
        self.sb.interactions.clear()
        self.denied.clear()
        await s.notify()

    def snapshot(self) -> JSON:
        """Everything at a glance: bot, guilds with channels and members, commands, counters."""
        s = self.state
        return {
            "application_id": str(s.application_id),
            "bot": s.bot_user.to_json(),
            "guilds": [
                {
                    "id": str(g.id),
                    "name": g.name,
                    "channels": [
                        {"id": str(c.id), "name": c.name, "type": c.type, "forbidden": c.forbidden}
                        for c in g.channels.values()
                    ],
                    "members": [
                        {
                            "id": str(m.user.id),
                            "username": m.user.username,
                            "permissions": str(g.permissions_of(m)),
                        }
                        for m in g.members.values()
                    ],
                }
                for g in s.guilds.values()
            ],
            "commands": [c.to_json() for c in s.commands.values()],
            "gateway": self.sb.gateway.stats.to_json(),
            "requests": len(s.requests),
            "rate_limited": sum(1 for r in s.requests if r.status == 429),
            "denied": self.denied,
            "faults": [f.to_json() for f in self.sb.faults.faults],
            "settings": s.settings.to_json(),
            "time": time.time(),
        }

    # -- lookups -------------------------------------------------------------------------------

    def _guild(self, guild_id: int | None) -> Guild:
        if guild_id is None:
            if not self.state.guilds:
                raise SandboxError("the sandbox has no guild; add one first")
            return next(iter(self.state.guilds.values()))
        guild = self.state.guilds.get(int(guild_id))
        if guild is None:
            raise SandboxError(f"no guild {guild_id}")
        return guild

    def _channel(self, channel_id: int) -> Channel:
        channel = self.state.channels.get(int(channel_id))
        if channel is None:
            raise SandboxError(f"no channel {channel_id}")
        return channel

    def _default_channel(self, guild: Guild) -> Channel:
        for channel in guild.channels.values():
            if channel.type not in THREAD_TYPES:
                return channel
        raise SandboxError(f"guild {guild.id} has no channel")

    def _member(self, guild: Guild, user_id: int | None) -> Member:
        if user_id is not None:
            member = guild.members.get(int(user_id))
            if member is None:
                raise SandboxError(f"no member {user_id} in guild {guild.id}")
            return member
        for member in guild.members.values():
            if member.user.username == "tester":
                return member
        raise SandboxError(f"guild {guild.id} has no member 'tester'; pass user_id")

    def _user(self, user_id: int | None) -> User:
        """A user by id among every guild's members, or the first guild's "tester"."""
        if user_id is None:
            return self._member(self._guild(None), None).user
        for guild in self.state.guilds.values():
            member = guild.members.get(int(user_id))
            if member is not None:
                return member.user
        raise SandboxError(f"no user {user_id}")

    def _command(self, guild: Guild, name: str) -> Command | None:
        for command in self.state.guild_commands(guild.id) + self.state.guild_commands(None):
            if command.name == name and command.type == 1:
                return command
        return None
