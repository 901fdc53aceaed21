"""Point discord.py at a Discord other than discord.com (the local sandbox, or a proxy).

discord.py builds every REST URL, webhooks and interaction callbacks included, from the class
attribute `discord.http.Route.BASE`, and opens the Gateway at
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` (a plain `Client`/`Bot` never asks
`GET /gateway/bot`). Setting those two attributes is the one override that redirects everything
without editing discord.py. They are process-wide: call this once, before the client logs in.
"""

from __future__ import annotations

import logging

import discord.gateway
import discord.http
import yarl

log = logging.getLogger(__name__)


def configure_endpoints(api_base: str | None, gateway_url: str | None) -> None:
    """Use `api_base` (e.g. "http://127.0.0.1:8765/api/v10") and `gateway_url`
    (e.g. "ws://127.0.0.1:8765/gateway") instead of Discord's; None leaves that one unchanged.
    """
    if api_base is not None:
        discord.http.Route.BASE = api_base.rstrip("/")
        log.info("discord.py REST base: %s", discord.http.Route.BASE)
    if gateway_url is not None:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        log.info("discord.py gateway: %s", gateway_url)
