"""Acting as a user: run a slash command, type into an autocomplete option, click a button.

Each action builds one INTERACTION_CREATE the way Discord would (who may see the command in
that context, the member's permissions in the channel with overwrites, the bot's
`app_permissions`), sends it to one gateway session, and waits for the bot's answer within the
interaction deadline and the caller's timeout. Every interaction is made by
`Interaction.start` from an `Origin` (a guild channel and a member, or a DM and a user).
"""

# `timeout=` parameters decide an outcome (e.g. "deferred"), not just when to give up.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sandbox.drive.base import ControlBase, SandboxError
from sandbox.drive.results import InteractionResult
from sandbox.flags import ADMINISTRATOR, ALL_PERMISSIONS
from sandbox.installs import (
    CONTEXT_BOT_DM,
    CONTEXT_GUILD,
    CONTEXTS,
    GUILD_INSTALL,
    USER_INSTALL,
    delivered_in,
    owners,
)
from sandbox.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    Interaction,
    Origin,
    allowed,
    build_data,
)
from sandbox.primitives import JSON
from sandbox.records import Command
from sandbox.world import Guild, Member


@dataclass(frozen=True)
class _Prepared:
    """A command ready to send: where from, which synced command, and the interaction data."""

    origin: Origin
    command: Command
    data: JSON


class UserControl(ControlBase):
    """The acting-as-a-user part of `Control`."""

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
        bounds: bool = True,
    ) -> InteractionResult:
        """Run `/command` (subcommands separated by spaces) and return the bot's answer.

        A number outside its option's `min_value`/`max_value`, a string outside its
        `min_length`/`max_length` and a value not among an option's `choices` are refused
        (OptionError), as Discord's client holds them there; `bounds=False` sends them anyway,
        to test the bot's own check. NaN, infinities and numbers beyond 2^53 are refused
        always (JSON cannot carry the first two; Discord's number types stop at 2^53).

        `context` is "guild" (the default), "dm" (BOT_DM: the user's DM with the bot) or
        "private" (PRIVATE_CHANNEL: a DM with someone else, through a user install); outside a
        guild the interaction has `user` and no `member`, and a command Discord would not offer
        there is "unavailable".

        The member is `user_id` or the guild's "tester"; `permissions` overrides their computed
        permissions. Waits for the first response (up to the interaction deadline), then, after
        a defer, for an edit or follow-up, and for at least `followups` follow-ups, all within
        `timeout`; then `settle` seconds more for stragglers.
        """
        if context not in CONTEXTS:
            raise SandboxError(f"unknown context {context!r}: guild, dm or private")
        prepared = (
            self._in_guild(
                command, options or {}, None, guild_id, channel_id, user_id, permissions, bounds
            )
            if context == "guild"
            else self._outside(command, options or {}, None, user_id, context, bounds)
        )
        if isinstance(prepared, InteractionResult):
            return prepared
        inter = self._start(APPLICATION_COMMAND, prepared)
        return await self._deliver(inter, command, followups, timeout, settle)

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
        prepared = self._in_guild(
            command, options, focused, guild_id, channel_id, user_id, permissions
        )
        if isinstance(prepared, InteractionResult):
            return prepared
        inter = self._start(AUTOCOMPLETE, prepared)
        return await self._deliver(inter, command, 0, timeout, 0.0)

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
        dm = next((c for c in self.state.dm_channels.values() if c.id == message.channel_id), None)
        if dm is not None:
            user = dm.recipients[0]
            # receiving-and-responding.mdx:82-85: each installation that reaches the DM.
            keys: dict[str, str] = {}
            if self.state.shares_guild_with_bot(user.id):
                keys[str(GUILD_INSTALL)] = "0"
            if user.id in self.state.user_installs:
                keys[str(USER_INSTALL)] = str(user.id)
            origin = Origin.in_dm(dm, user, CONTEXT_BOT_DM, keys)
        else:
            channel = self._channel(message.channel_id)
            guild = self._guild(channel.guild_id)
            member = self._member(guild, user_id)
            origin = Origin.in_guild(guild, channel, member, guild.permissions_in(member, channel))
        inter = Interaction.start(
            self.state.ids, MESSAGE_COMPONENT, origin, data, message_id=message.id
        )
        return await self._deliver(inter, custom_id, 0, timeout, 0.0)

    # -- building ------------------------------------------------------------------------------

    def _in_guild(
        self,
        command_name: str,
        options: dict[str, Any],
        focused: str | None,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int | None,
        permissions: int | None,
        bounds: bool = True,
    ) -> _Prepared | InteractionResult:
        """Where a command runs in a guild, and its data; or why Discord would not send it."""
        guild = self._guild(guild_id)
        channel = self._channel(channel_id) if channel_id else self._default_channel(guild)
        if channel.guild_id != guild.id:
            # Discord sends an interaction from a channel of the guild it happened in.
            raise SandboxError(f"channel {channel.id} is not in guild {guild.id}")
        member = self._member(guild, user_id)
        # The member's permissions in the channel, overwrites included (receiving-and-
        # responding.mdx: member "permissions" are "in the channel, including overwrites").
        if permissions is not None and (permissions < 0 or permissions & ~ALL_PERMISSIONS):
            # A bitfield of Discord's flags: -1 would be every bit, Administrator included.
            raise SandboxError(f"permissions {permissions} is not a set of Discord's flags")
        perms = guild.permissions_in(member, channel) if permissions is None else permissions
        if perms & ADMINISTRATOR:
            perms = ALL_PERMISSIONS
        name, *path = command_name.split()
        command = self._command(guild, name)
        if command is None:
            return InteractionResult("unknown_command", command_name)
        if not delivered_in(command, CONTEXT_GUILD):
            return InteractionResult("unavailable", command_name)
        keys = owners(
            command,
            CONTEXT_GUILD,
            guild_id=guild.id,
            guild_installed=self.state.bot_in(guild.id),
            user_id=member.user.id,
            user_installed=member.user.id in self.state.user_installs,
        )
        if not keys:  # the app is neither in this server nor installed to this member
            return InteractionResult("unavailable", command_name)
        if not allowed(command, perms):
            self.denied.append(
                {"command": command_name, "user_id": str(member.user.id), "permissions": str(perms)}
            )
            return InteractionResult("denied", command_name)
        data = build_data(command, path, options, guild, self.state, focused, bounds=bounds)
        return _Prepared(Origin.in_guild(guild, channel, member, perms, keys), command, data)

    def _outside(
        self,
        command_name: str,
        options: dict[str, Any],
        focused: str | None,
        user_id: int | None,
        context: str,
        bounds: bool = True,
    ) -> _Prepared | InteractionResult:
        """A command from a DM with the bot or a private channel (no guild, no member)."""
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
        # receiving-and-responding.mdx:82-90: GUILD_INSTALL ("0") from a DM with the bot when
        # the user can reach the bot through a server; USER_INSTALL (the user's id) when they
        # installed the app to their account. Neither: Discord offers nothing there.
        keys = owners(
            command,
            code,
            guild_id=None,
            guild_installed=self.state.shares_guild_with_bot(user.id),
            user_id=user.id,
            user_installed=user.id in self.state.user_installs,
        )
        if not keys:
            return InteractionResult("unavailable", command_name)
        data = build_data(command, path, options, None, self.state, focused, bounds=bounds)
        channel = self.interactions.dm_channel(self.state, user, private=code != CONTEXT_BOT_DM)
        return _Prepared(Origin.in_dm(channel, user, code, keys), command, data)

    def _start(self, kind: int, prepared: _Prepared) -> Interaction:
        return Interaction.start(
            self.state.ids, kind, prepared.origin, prepared.data, command=prepared.command
        )

    # -- delivering and waiting ----------------------------------------------------------------

    async def _deliver(
        self, inter: Interaction, name: str, followups: int, timeout: float, settle: float
    ) -> InteractionResult:
        self.interactions.add(inter)
        payload = inter.to_gateway_json(self.state)
        if inter.guild is not None and inter.member is not None:
            payload = self._with_channel_permissions(payload, inter.guild, inter.member)
        if not await self.gw.dispatch_one("INTERACTION_CREATE", payload):
            raise SandboxError("no bot is connected to the gateway")
        return await self._await_answer(inter, name, followups, timeout, settle)

    def _with_channel_permissions(self, payload: JSON, guild: Guild, member: Member) -> JSON:
        """Permissions in INTERACTION_CREATE as Discord computes them, overwrites included.

        receiving-and-responding.mdx:37 `app_permissions`: "permissions the app has in the
        source location of the interaction" (the bot's, in the channel); resolved channels
        (receiving-and-responding.mdx:184) carry `permissions` (the invoker's) and
        `app_permissions` (the bot's) in that channel.
        """
        bot = guild.members.get(self.state.bot_user.id)
        if bot is None:  # a user install where the bot is not: the user's own (Interaction)
            return payload
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
            return InteractionResult.of("no_response", name, inter, self.state)
        status = "answered"

        def complete() -> bool:
            return inter.completed_at is not None and len(inter.followup_ids) >= followups

        try:
            await inter.wait_for(complete, max(0.0, timeout - inter.age()))
        except TimeoutError:
            status = "deferred" if inter.completed_at is None else "answered"
        if settle:
            await asyncio.sleep(settle)
        return InteractionResult.of(status, name, inter, self.state)
