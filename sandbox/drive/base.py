"""What every part of `Control` is handed, `SandboxError`, and the lookups they share.

`ControlBase` holds the sandbox's pieces the control API drives, passed in one by one by the
composition root (`sandbox.app.Sandbox`), so no part reaches through the whole sandbox.
"""

from __future__ import annotations

from sandbox.cloudflare import Cloudflare
from sandbox.faults import FaultBook
from sandbox.flags import THREAD_TYPES
from sandbox.gateway import Gateway
from sandbox.interactions import InteractionBook
from sandbox.primitives import JSON
from sandbox.ratelimit import RateLimiter
from sandbox.records import Command
from sandbox.state import SandboxState
from sandbox.world import Channel, Guild, Member, User


class SandboxError(Exception):
    """A control request that cannot be carried out (unknown guild, no bot connected, ...)."""


class ControlBase:
    """The pieces of one sandbox that the control API drives, and lookups over them."""

    def __init__(
        self,
        state: SandboxState,
        gateway: Gateway,
        interactions: InteractionBook,
        faults: FaultBook,
        cloudflare: Cloudflare,
        limiter: RateLimiter,
    ) -> None:
        self.state = state
        self.gw = gateway  # not `gateway`: `Control.gateway(action)` is a control route
        self.interactions = interactions
        self.fault_book = faults
        self.cloudflare = cloudflare
        self.limiter = limiter
        self.denied: list[JSON] = []  # commands Discord would not deliver (permissions)

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
