"""Channel routes: one channel (or thread) and a guild's channels, as the bot may see them, and
the bot's DM with a user (user.mdx "Create DM")."""

from __future__ import annotations

from aiohttp import web

from sandbox.responses import ApiError, json_response
from sandbox.routes.access import Access
from sandbox.state import SandboxState


class ChannelRoutes:
    """GET /channels/{id}, GET /guilds/{id}/channels and POST /users/@me/channels."""

    def __init__(self, state: SandboxState, access: Access) -> None:
        self.state = state
        self.access = access

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """The routes, named as in the OpenAPI spec."""
        return [
            web.get(prefix + "/channels/{channel_id}", self.get_channel),
            web.get(prefix + "/guilds/{guild_id}/channels", self.get_guild_channels),
            web.post(prefix + "/users/@me/channels", self.create_dm),
        ]

    async def create_dm(self, request: web.Request) -> web.Response:
        """POST /users/@me/channels {"recipient_id"}: the bot's DM with a user.

        user.mdx:323 "Create a new DM channel with a user. Returns a DM channel object (if one
        already exists, it will be returned instead)." Opening one is not sending: whether the
        user accepts the bot's messages is decided when it posts (403 / 50007,
        `Access.check_can_post`). An unknown user is 404 / 10013 "Unknown user"
        (opcodes-and-status-codes.mdx:153).
        """
        body = self.access.validate(request, "/users/@me/channels")
        raw = str(body.get("recipient_id") or "")
        user = self.state.user(int(raw)) if raw.isdigit() else None
        if user is None or user.bot:
            raise ApiError(404, 10013, "Unknown User")
        return json_response(self.state.dm_channel(user).to_json())

    async def get_channel(self, request: web.Request) -> web.Response:
        """GET /channels/{id}."""
        return json_response(self.access.channel(request).to_json())

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        """GET /guilds/{id}/channels."""
        guild = self.state.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        if not self.state.bot_in(guild.id):
            raise ApiError(403, 50001, "Missing Access")
        return json_response([c.to_json() for c in guild.channels.values()])
