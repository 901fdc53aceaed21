"""`WebView`: the sandbox in a browser, on the same port as its API.

    GET /                          the page (static/index.html); `?channel=ID&thread=ID` opens one
    GET /web/static/{name}         its CSS and JavaScript (package data, no build step, no CDN)
    GET /web/state                 guilds, channels and threads, members, synced commands
    GET /web/channels/{id}         one channel's (or thread's) messages as the page renders them
    GET /web/events                server-sent events: every message and channel change, live

The page acts through the control API that already exists: a slash command or its
autocomplete is `POST /_sandbox/interactions`, a button `POST /_sandbox/click`, so what a
person does on the page is exactly what a test does.

Every answer carries a Content-Security-Policy that allows scripts, styles and connections
only from the sandbox itself: digest text is untrusted, and even if the renderer let markup
through, no inline script could run and nothing could be loaded from elsewhere (images in
embeds excepted, as Discord shows them).
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from sandbox.interactions import InteractionBook
from sandbox.responses import json_response
from sandbox.state import SandboxState
from sandbox.web.readout import channel_json, channel_messages, world_json
from sandbox.web.stream import EventStream

PREFIX = "/web"
STATIC = {
    "app.js": "text/javascript",
    "markdown.js": "text/javascript",
    "render.js": "text/javascript",
    "command.js": "text/javascript",
    "style.css": "text/css",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _asset(name: str) -> bytes:
    return resources.files("sandbox.web").joinpath("static", name).read_bytes()


class WebView:
    """The page, its assets, the JSON read-out and the live stream of one sandbox."""

    def __init__(self, state: SandboxState, interactions: InteractionBook) -> None:
        self.state = state
        self.interactions = interactions
        self.stream = EventStream(state, interactions, HEADERS)

    def routes(self) -> list[web.RouteDef]:
        """The page's routes (mounted beside REST, the Gateway and the control API)."""
        return [
            web.get("/", self.page),
            web.get("/favicon.ico", self.no_icon),
            web.get(PREFIX + "/static/{name}", self.static),
            web.get(PREFIX + "/state", self.world),
            web.get(PREFIX + "/channels/{channel_id}", self.channel),
            web.get(PREFIX + "/events", self.stream.handle),
        ]

    async def page(self, request: web.Request) -> web.Response:
        """GET /: the page itself."""
        return web.Response(
            body=_asset("index.html"), content_type="text/html", charset="utf-8", headers=HEADERS
        )

    async def no_icon(self, request: web.Request) -> web.Response:
        """GET /favicon.ico: none (so the browser does not log a 404)."""
        return web.Response(status=204, headers=HEADERS)

    async def static(self, request: web.Request) -> web.Response:
        """GET /web/static/{name}: one of the page's files, by name from a fixed list."""
        name = request.match_info["name"]
        if name not in STATIC:  # answered here, so even the 404 carries the CSP
            return web.Response(status=404, text="404: Not Found", headers=HEADERS)
        return web.Response(
            body=_asset(name), content_type=STATIC[name], charset="utf-8", headers=HEADERS
        )

    async def world(self, request: web.Request) -> web.Response:
        """GET /web/state: guilds, channels, members and commands."""
        return json_response(world_json(self.state), headers=HEADERS)

    async def channel(self, request: web.Request) -> web.Response:
        """GET /web/channels/{id}: the channel and its messages, oldest first."""
        raw = request.match_info["channel_id"]
        # A snowflake: ASCII digits, at most 20 ("²".isdigit() is true but int() refuses it,
        # and int() refuses more than 4300 digits: either was a 500 without the headers).
        snowflake = raw.isascii() and raw.isdigit() and len(raw) <= 20
        channel = self.state.channels.get(int(raw)) if snowflake else None
        if channel is None:
            return json_response({"error": f"no channel {raw}"}, status=404, headers=HEADERS)
        return json_response(
            {
                "channel": channel_json(channel),
                "messages": channel_messages(channel.id, self.state, self.interactions),
            },
            headers=HEADERS,
        )

    def close(self) -> None:
        """End the open event streams (the sandbox is stopping)."""
        self.stream.close()
