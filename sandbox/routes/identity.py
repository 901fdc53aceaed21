"""Login routes: who the bot is, its application, and where the Gateway is."""

from __future__ import annotations

from aiohttp import web

from sandbox.gateway import Gateway
from sandbox.responses import json_response
from sandbox.shards import recommended_shards
from sandbox.state import SandboxState


class IdentityRoutes:
    """GET /users/@me, /oauth2/applications/@me, /applications/@me, /gateway, /gateway/bot."""

    def __init__(self, state: SandboxState, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """The routes, named as in the OpenAPI spec."""
        return [
            web.get(prefix + "/users/@me", self.get_me),
            web.get(prefix + "/oauth2/applications/@me", self.get_application),
            web.get(prefix + "/applications/@me", self.get_application),
            web.get(prefix + "/gateway", self.get_gateway),
            web.get(prefix + "/gateway/bot", self.get_gateway),
        ]

    async def get_me(self, request: web.Request) -> web.Response:
        """GET /users/@me: the bot user (login)."""
        return json_response(self.state.bot_user.to_json())

    async def get_application(self, request: web.Request) -> web.Response:
        """GET /oauth2/applications/@me: the application (login reads its id)."""
        s = self.state
        return json_response(
            {
                "id": str(s.application_id),
                "name": s.bot_user.username,
                "description": "HotPapers sandbox application",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": s.owner.to_json(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "flags_new": "0",
                "summary": "",
                "bot": s.bot_user.to_json(),
                # application.mdx:50: one key per supported installation context.
                "integration_types_config": {
                    str(kind): {} for kind in sorted(set(s.settings.install_contexts))
                },
            }
        )

    async def get_gateway(self, request: web.Request) -> web.Response:
        """GET /gateway and /gateway/bot (only AutoShardedClient asks)."""
        return json_response(
            {
                "url": f"ws://{request.host}/gateway",
                "shards": recommended_shards(
                    len(self.state.guilds), self.state.settings.guilds_per_recommended_shard
                ),
                "session_start_limit": self.gateway.session_start_limit(),
            }
        )
