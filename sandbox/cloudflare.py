"""What sits in front of Discord's API: Cloudflare's invalid-request ban and its error pages.

Discord (developers/topics/rate-limits.mdx, "Invalid Request Limit aka Cloudflare bans"): an IP
that gets `invalid_request_limit` (10,000) answers of 401, 403 or 429 within
`invalid_request_window` (10 minutes) is temporarily restricted; a 429 with
`X-RateLimit-Scope: shared` does not count. The sandbox then answers every API request from
that client with Cloudflare's 429: an HTML page and no `Via` header (discord.py reads the
missing `Via` as a Cloudflare ban and raises instead of retrying), for `invalid_request_ban`
seconds. Clients are told apart by their remote address, as Discord does.

Cloudflare's own 502 and 504 pages (HTML, not Discord's JSON) are injectable faults:
`Cloudflare.add_fault(route, status=502, times=1)` (control API: `POST /_sandbox/cloudflare`).
They match routes as `sandbox.faults` does ("METHOD /template" or a concrete path glob).

Answers made here never reach the REST layer, so they are recorded in the request log here,
with `rate_limited="cloudflare"`.
"""

from __future__ import annotations

import fnmatch
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from aiohttp import web

from sandbox.primitives import JSON
from sandbox.state import RequestRecord, SandboxState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
API_PREFIX = "/api/"
INVALID_STATUSES = (401, 403, 429)

BAN_PAGE = """<!DOCTYPE html>
<html><head><title>Access denied | discord.com used Cloudflare to restrict access</title></head>
<body><h1>Error 1015</h1><h2>You are being rate limited</h2>
<p>The owner of this website (discord.com) has banned you temporarily from accessing this
website.</p><p>Cloudflare Ray ID: {ray}</p></body></html>
"""
ERROR_PAGE = """<!DOCTYPE html>
<html><head><title>discord.com | {status}: {reason}</title></head>
<body><h1>Error {status}</h1><h2>{reason}</h2>
<p>Cloudflare Ray ID: {ray}</p></body></html>
"""
REASONS = {502: "Bad gateway", 504: "Gateway time-out"}


@dataclass
class CloudflareFault:
    """An injected Cloudflare error page (502 or 504) for matching requests."""

    id: int
    route: str = "*"
    status: int = 502
    times: int | None = 1
    fired: int = 0

    def matches(self, route: str, concrete: str) -> bool:
        """Whether this fault applies to a request (and has firings left)."""
        if self.times is not None and self.fired >= self.times:
            return False
        return fnmatch.fnmatchcase(route, self.route) or fnmatch.fnmatchcase(concrete, self.route)

    def to_json(self) -> JSON:
        """The fault as JSON."""
        return asdict(self)


def html_response(status: int, page: str, headers: dict[str, str] | None = None) -> web.Response:
    """An HTML answer as Cloudflare sends it (never a `Via` header)."""
    response = web.Response(text=page, status=status, headers=headers)
    response.content_type = "text/html"
    return response


class Cloudflare:
    """The invalid-request counter per client, the bans, and the injected error pages."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.invalid: dict[str, deque[float]] = {}
        self.banned_until: dict[str, float] = {}
        self.faults: list[CloudflareFault] = []
        self._next_id = 1

    def reset(self) -> None:
        """Forget counts, bans and faults."""
        self.invalid.clear()
        self.banned_until.clear()
        self.faults.clear()

    def add_fault(
        self, route: str = "*", status: int = 502, times: int | None = 1
    ) -> CloudflareFault:
        """Answer the next `times` matching requests with Cloudflare's `status` page."""
        if status not in REASONS:
            raise ValueError(f"Cloudflare faults are 502 or 504, not {status}")
        fault = CloudflareFault(self._next_id, route, status, times)
        self._next_id += 1
        self.faults.append(fault)
        return fault

    def banned(self, client: str) -> bool:
        """Whether `client` is banned right now."""
        return self.banned_until.get(client, 0.0) > time.monotonic()

    def count(self, client: str, response: web.StreamResponse) -> None:
        """Count an answer against the client; ban it when it reaches the limit."""
        if response.status not in INVALID_STATUSES:
            return
        if response.status == 429 and response.headers.get("X-RateLimit-Scope") == "shared":
            return
        s = self.state.settings
        now = time.monotonic()
        seen = self.invalid.setdefault(client, deque())
        seen.append(now)
        while seen and seen[0] <= now - s.invalid_request_window:
            seen.popleft()
        if len(seen) >= s.invalid_request_limit:
            self.banned_until[client] = now + s.invalid_request_ban
            seen.clear()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Bans and Cloudflare error pages in front of every API request."""
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        client = request.remote or ""
        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else request.path
        route = f"{request.method} {template.removeprefix('/api/v10')}"
        concrete = f"{request.method} {request.path.removeprefix('/api/v10')}"
        ray = f"{self.state.ids.next():x}"[-16:]
        if self.banned(client):
            return self._record(request, route, html_response(429, BAN_PAGE.format(ray=ray)))
        fault = next((f for f in self.faults if f.matches(route, concrete)), None)
        if fault is not None:
            fault.fired += 1
            page = ERROR_PAGE.format(status=fault.status, reason=REASONS[fault.status], ray=ray)
            return self._record(request, route, html_response(fault.status, page))
        response = await handler(request)
        self.count(client, response)
        return response

    def _record(self, request: web.Request, route: str, response: web.Response) -> web.Response:
        self.state.requests.append(
            RequestRecord(
                method=request.method,
                path=request.path_qs,
                route=route,
                status=response.status,
                time=time.time(),
                duration_ms=0.0,
                body=None,
                rate_limited="cloudflare",
            )
        )
        return response
