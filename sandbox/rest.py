"""The REST API under /api/v10: the middleware every request passes, and the routes' table.

One middleware wraps every API request, in the order Discord effectively applies things:
injected faults (latency, then an error), authentication (bot routes need `Bot <token>`;
interaction callbacks and webhooks carry their token in the path), the global and per-route rate
limits, then the route itself (`sandbox.routes`: one module per resource), which validates the
body against the OpenAPI spec. Every request is recorded with its status, whatever happened.
Answers are built by `responses.json_response` (exact Content-Type).

`RestApi` is handed what it uses (state, gateway, interaction book, fault book, rate limiter),
not the whole sandbox.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.faults import Fault, FaultBook
from sandbox.gateway import Gateway
from sandbox.interactions import InteractionBook
from sandbox.ratelimit import RateLimiter, Verdict, retry_after_header
from sandbox.records import RequestRecord
from sandbox.responses import ApiError, json_response
from sandbox.routes.access import Access
from sandbox.routes.channels import ChannelRoutes
from sandbox.routes.commands import CommandRoutes
from sandbox.routes.identity import IdentityRoutes
from sandbox.routes.interactions import InteractionRoutes
from sandbox.routes.messages import MessageRoutes
from sandbox.routes.posting import Posting
from sandbox.routes.request import API_PREFIX, BODY, FILES, read_body
from sandbox.routes.roles import RoleRoutes
from sandbox.routes.threads import ThreadRoutes
from sandbox.state import SandboxState

__all__ = [
    "API_PREFIX",
    "BODY",
    "FILES",
    "VIA",
    "RestApi",
    "drop_connection",
    "injected_response",
    "too_many",
]

VIA = "1.1 google"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RestApi:
    """The REST middleware and routes of one sandbox."""

    def __init__(
        self,
        state: SandboxState,
        gateway: Gateway,
        interactions: InteractionBook,
        faults: FaultBook,
        limiter: RateLimiter,
    ) -> None:
        self.state = state
        self.faults = faults
        self.limiter = limiter
        self.access = Access(state)
        self.posting = Posting(state, gateway, self.access)
        self.groups = (
            IdentityRoutes(state, gateway),
            CommandRoutes(state, self.access),
            ChannelRoutes(state, self.access),
            MessageRoutes(state, gateway, self.access, self.posting),
            ThreadRoutes(state, gateway, self.access, self.posting),
            InteractionRoutes(state, interactions, self.access, self.posting),
            RoleRoutes(state, gateway),
        )

    def routes(self) -> list[web.RouteDef]:
        """Every REST route, named exactly as in the OpenAPI spec's paths."""
        return [route for group in self.groups for route in group.routes(API_PREFIX)]

    # -- the middleware ------------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Faults, auth, rate limits and recording around every /api/v10 request."""
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        started = time.perf_counter()
        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else request.path
        route = f"{request.method} {template.removeprefix(API_PREFIX)}"
        concrete = f"{request.method} {request.path.removeprefix(API_PREFIX)}"
        body: Any = None
        limited: str | None = None
        try:
            body = await read_body(request)
            request[BODY] = body
            response, limited = await self._guarded(request, handler, route, concrete)
        except ApiError as exc:
            response = exc.response()
        self.state.requests.append(
            RequestRecord(
                method=request.method,
                path=request.path_qs,
                route=route,
                status=response.status,
                time=time.time(),
                duration_ms=(time.perf_counter() - started) * 1000,
                body=body,
                rate_limited=limited,
            )
        )
        await self.state.notify()
        return response

    async def _guarded(
        self, request: web.Request, handler: Handler, route: str, concrete: str
    ) -> tuple[web.StreamResponse, str | None]:
        fired = self.faults.take(route, concrete)
        before = [f for f in fired if not f.after]
        after = [f for f in fired if f.after]
        delay = sum(f.latency_ms for f in before) / 1000
        if delay:
            await asyncio.sleep(delay)
        if any(f.drop for f in before):
            return drop_connection(request), None
        failing = next((f for f in before if f.status is not None), None)
        if failing is not None:
            return injected_response(failing), "injected" if failing.status == 429 else None
        if after:
            response, limited = await self._routed(request, handler, route)
            await self.state.notify()
            delay = sum(f.latency_ms for f in after) / 1000
            if delay:
                await asyncio.sleep(delay)
            if any(f.drop for f in after):
                return drop_connection(request), limited
            failing = next((f for f in after if f.status is not None), None)
            if failing is not None and response.status < 400:
                return injected_response(failing), "injected" if failing.status == 429 else None
            return response, limited
        return await self._routed(request, handler, route)

    async def _routed(
        self, request: web.Request, handler: Handler, route: str
    ) -> tuple[web.StreamResponse, str | None]:
        """Auth, rate limits, then the route itself."""
        bot_route = not route.split(" ", 1)[1].startswith(("/webhooks/", "/interactions/"))
        if bot_route and not self._authorized(request):
            raise ApiError(401, 0, "401: Unauthorized")
        verdict = self.limiter.check(route, dict(request.match_info), counts_globally=bot_route)
        if not verdict.allowed:
            return too_many(verdict), verdict.scope
        try:
            response = await handler(request)
        except ApiError as exc:
            response = exc.response()
        except web.HTTPNotFound:
            response = ApiError(404, 0, "404: Not Found").response()
        except web.HTTPMethodNotAllowed:
            response = ApiError(405, 0, "405: Method Not Allowed").response()
        response.headers.update(verdict.headers)
        return response, None

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bot ") or len(header) <= 4:
            return False
        expected = self.state.settings.token
        return expected is None or header == f"Bot {expected}"


def drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the client's connection without an answer (the response returned is never sent)."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=499)


def injected_response(fault: Fault) -> web.Response:
    """The answer of an injected error fault (a 429 gets `Via` and `Retry-After`)."""
    headers: dict[str, str] = {}
    if fault.status == 429:
        headers = {
            "Via": VIA,
            "Retry-After": retry_after_header(fault.retry_after),
            "X-RateLimit-Scope": "global" if fault.is_global else "user",
        }
        if fault.is_global:
            headers["X-RateLimit-Global"] = "true"
    return json_response(fault.error_body(), status=fault.status or 500, headers=headers)


def too_many(verdict: Verdict) -> web.Response:
    """A real 429 from the limiter."""
    headers = dict(verdict.headers)
    headers["Via"] = VIA
    headers["Retry-After"] = retry_after_header(verdict.retry_after or 0.0)
    return json_response(verdict.body(), status=429, headers=headers)
