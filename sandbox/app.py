"""`Sandbox`: one aiohttp application serving REST, the Gateway and the control API on one port.

    async with Sandbox(interaction_deadline=1.0) as sandbox:   # binds 127.0.0.1 on a free port
        guild = await sandbox.control.add_guild("Lab", channels=["general"])
        configure_endpoints(sandbox.api_base, sandbox.gateway_url)
        ...

The server binds its own socket, so port 0 gives a free port that is known before anything
connects (`sandbox.port`).

`Sandbox` is the composition root: it builds each piece (state, gateway, rate limiter, fault
books, interactions, REST, control, the web view) and hands every one exactly the pieces it
uses, so no module below reaches through the sandbox (sandbox/README.md, "Layout").
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from sandbox import observe
from sandbox.cloudflare import Cloudflare
from sandbox.control import Control
from sandbox.control_http import ControlApi
from sandbox.faults import FaultBook
from sandbox.gateway import Gateway
from sandbox.interactions import InteractionBook
from sandbox.ratelimit import RateLimiter
from sandbox.responses import ApiError
from sandbox.rest import API_PREFIX, RestApi
from sandbox.state import SandboxSettings, SandboxState
from sandbox.web.site import WebView

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Sandbox:
    """A local stand-in for Discord. Keyword arguments are `SandboxSettings` fields."""

    def __init__(self, settings: SandboxSettings | None = None, **overrides: Any) -> None:
        self.settings = settings or SandboxSettings()
        self.settings.update(**overrides)
        self.state = SandboxState(self.settings)
        self.gateway = Gateway(self.state)
        self.limiter = RateLimiter(self.settings)
        self.faults = FaultBook()
        self.interactions = InteractionBook()
        self.cloudflare = Cloudflare(self.state)
        self.control = Control(
            self.state, self.gateway, self.interactions, self.faults, self.cloudflare, self.limiter
        )
        self.rest = RestApi(self.state, self.gateway, self.interactions, self.faults, self.limiter)
        self.control_api = ControlApi(self.control)
        self.web = WebView(self.state, self.interactions)
        # Outermost first: Cloudflare, then the token and the observers, then Discord itself.
        self.app = web.Application(
            middlewares=[
                self.cloudflare.middleware,
                self._edge,
                self.rest.middleware,
                self._revoked_token,
                self.control_api.middleware,
            ]
        )
        self.app.add_routes([web.get("/gateway", self.gateway.handle)])
        self.app.add_routes(self.rest.routes())
        self.app.add_routes(self.control_api.routes())
        self.app.add_routes(self.web.routes())
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None

    @web.middleware
    async def _edge(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Successful JSON answers go to the observers (`sandbox.observe`)."""
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        response = await handler(request)
        if (
            response.status < 300
            and response.content_type == "application/json"
            and isinstance(response, web.Response)
            and isinstance(response.body, bytes)
        ):
            resource = request.match_info.route.resource
            template = resource.canonical if resource is not None else request.path
            route = f"{request.method} {template.removeprefix(API_PREFIX)}"
            observe.emit("rest", route, json.loads(response.body))
        return response

    @web.middleware
    async def _revoked_token(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """After the IDENTIFY budget is exceeded the token is reset: 401 for every bot request."""
        if self.gateway.token_reset and request.headers.get("Authorization", "").startswith("Bot"):
            raise ApiError(401, 0, "401: Unauthorized")
        return await handler(request)

    @property
    def base_url(self) -> str:
        """http://host:port"""
        return f"http://{self.host}:{self.port}"

    @property
    def web_url(self) -> str:
        """The web view: the sandbox in a browser (`sandbox.web`)."""
        return f"{self.base_url}/"

    @property
    def api_base(self) -> str:
        """The REST base discord.py should use (its `Route.BASE`)."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The Gateway URL discord.py should use (its `DEFAULT_GATEWAY`)."""
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def control_url(self) -> str:
        """The root of the HTTP control API."""
        return f"{self.base_url}/_sandbox"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0: a free port, then in `self.port`)."""
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.setblocking(False)
        self.host, self.port = host, sock.getsockname()[1]
        self._runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        log.info("sandbox listening on %s", self.base_url)

    async def stop(self) -> None:
        """Close gateway connections and open pages' event streams, and stop serving."""
        self.web.close()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start(self.host, self.port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
