"""Member role routes: the bot gives a member a role, or takes it back.

guild.mdx "Add Guild Member Role" / "Remove Guild Member Role" (:1110-1126): PUT / DELETE
/guilds/{guild}/members/{user}/roles/{role}, "Requires the MANAGE_ROLES permission. Returns
a 204 empty response on success. Fires a Guild Member Update Gateway event" (to sessions with
the GUILD_MEMBERS intent). The role hierarchy applies (permissions.mdx:112 "A bot can grant
roles to other users that are of a lower position than its own highest role"); the sandbox
holds removal to the same rule. Errors: 404 / 10004 unknown guild, 10007 unknown member,
10011 unknown role (@everyone included: it is every member's and cannot be given or taken),
403 / 50013 without MANAGE_ROLES or for a role not below the bot's highest.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.flags import MANAGE_ROLES
from sandbox.gateway import Gateway
from sandbox.responses import ApiError
from sandbox.state import SandboxState
from sandbox.world import Guild, Member, Role


class RoleRoutes:
    """PUT and DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}."""

    def __init__(self, state: SandboxState, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """The routes, named as in the OpenAPI spec."""
        path = prefix + "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
        return [web.put(path, self.add_role), web.delete(path, self.remove_role)]

    def _target(self, request: web.Request) -> tuple[Guild, Member, Role]:
        """The guild, member and role of the path, checked as Discord checks them."""
        info = request.match_info
        guild = self.state.guilds.get(int(info["guild_id"])) if info["guild_id"].isdigit() else None
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        raw_user, raw_role = info["user_id"], info["role_id"]
        member = guild.members.get(int(raw_user)) if raw_user.isdigit() else None
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        role = guild.roles.get(int(raw_role)) if raw_role.isdigit() else None
        if role is None or role.id == guild.id:
            raise ApiError(404, 10011, "Unknown Role")
        bot = guild.members[self.state.bot_user.id]
        if not guild.permissions_of(bot) & MANAGE_ROLES:
            raise ApiError(403, 50013, "Missing Permissions")
        if role.position >= guild.top_position(bot):
            raise ApiError(403, 50013, "Missing Permissions")
        return guild, member, role

    async def add_role(self, request: web.Request) -> web.Response:
        """PUT: give the member the role (already held: nothing changes); 204."""
        guild, member, role = self._target(request)
        if role.id not in member.role_ids:
            member.role_ids.append(role.id)
            await self._announce(guild, member)
        return web.Response(status=204)

    async def remove_role(self, request: web.Request) -> web.Response:
        """DELETE: take the role from the member (not held: nothing changes); 204."""
        guild, member, role = self._target(request)
        if role.id in member.role_ids:
            member.role_ids.remove(role.id)
            await self._announce(guild, member)
        return web.Response(status=204)

    async def _announce(self, guild: Guild, member: Member) -> None:
        payload = member.to_json()
        payload["guild_id"] = str(guild.id)
        await self.gateway.dispatch("GUILD_MEMBER_UPDATE", payload)
        await self.state.notify()
