"""Channel routes: one channel (or thread) and a guild's channels, as the bot may see them."""

from __future__ import annotations

from aiohttp import web

from sandbox.responses import ApiError, json_response
from sandbox.routes.access import Access
from sandbox.state import SandboxState


class ChannelRoutes:
    """GET /channels/{id} and GET /guilds/{id}/channels."""

    def __init__(self, state: SandboxState, access: Access) -> None:
        self.state = state
        self.access = access

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """The routes, named as in the OpenAPI spec."""
        return [
            web.get(prefix + "/channels/{channel_id}", self.get_channel),
            web.get(prefix + "/guilds/{guild_id}/channels", self.get_guild_channels),
        ]

    async def get_channel(self, request: web.Request) -> web.Response:
        """GET /channels/{id}."""
        return json_response(self.access.channel(request).to_json())

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        """GET /guilds/{id}/channels."""
        guild = self.state.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return json_response([c.to_json() for c in guild.channels.values()])
