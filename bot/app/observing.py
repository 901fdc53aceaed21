"""The discord.py side of observing the bot: 429s by scope, command latency, gateway and lease.

What only discord.py can see is turned into the plain `bot.observe.Observer` hooks and the
`bot.ops.health` parts here, so `bot.ops` itself stays free of discord.py:

- every 429 Discord answers, read off discord.py's own HTTP session (an aiohttp trace, as
  `bot.app.health` does), by scope: `X-RateLimit-Scope` `user` is per-route, `global` (or
  `X-RateLimit-Global: true`) global, `shared` shared (a resource's limit, not ours), and a
  429 without a `Via` header is Cloudflare's ban page (discord.py raises on it);
- each slash command's latency: stamped when the tree takes the interaction
  (`HotPapersTree.interaction_check`), ended by `app_command_completion` or the tree's error
  handler;
- the gateway part of `/healthz`: ready, not closed, the websocket open, and its latency;
- the lease part: `holds()` of the poster lease, or of every shard's (the same gate the
  scheduler posts through).
"""

from __future__ import annotations

import math
import time
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.app.shard_lease import AnyLease
from bot.observe import Observer
from bot.ops.health import Part

STARTED = "hotpapers.started"  # the key in `Interaction.extras`


def scope_of(headers: Any) -> str:
    """The scope of a 429 from its headers (see the module docstring)."""
    if "Via" not in headers:
        return "cloudflare"
    scope = str(headers.get("X-RateLimit-Scope", "")).lower()
    if scope == "shared":
        return "shared"
    if scope == "global" or str(headers.get("X-RateLimit-Global", "")).lower() == "true":
        return "global"
    return "per-route"


def observe_rate_limits(trace: aiohttp.TraceConfig, observer: Observer) -> aiohttp.TraceConfig:
    """Add the 429 count to discord.py's session trace (the `http_trace` option)."""

    async def end(_s: Any, _ctx: Any, p: aiohttp.TraceRequestEndParams) -> None:
        if p.response.status == 429:
            observer.rate_limited(scope_of(p.response.headers))

    trace.on_request_end.append(end)
    return trace


def command_started(interaction: discord.Interaction[Any]) -> None:
    """Stamp the moment the tree took a slash command (not autocomplete: no reply to time)."""
    if interaction.type is discord.InteractionType.application_command:
        interaction.extras[STARTED] = time.monotonic()


def command_done(interaction: discord.Interaction[Any], observer: Observer, *, ok: bool) -> None:
    """Report a stamped command's latency (autocomplete and unstamped ones: nothing)."""
    started = interaction.extras.pop(STARTED, None)
    command = interaction.command
    if started is None or command is None:
        return
    observer.command_finished(command.qualified_name, time.monotonic() - started, ok=ok)


def completion_listener(observer: Observer) -> Any:
    """An `on_app_command_completion` listener reporting successful commands."""

    async def on_app_command_completion(
        interaction: discord.Interaction[Any],
        _command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        command_done(interaction, observer, ok=True)

    return on_app_command_completion


def gateway_part(bot: commands.Bot) -> Part:
    """Connected to the gateway now: ready, not closed, websocket open; with its latency."""
    if isinstance(bot, commands.AutoShardedBot):
        # One session per shard (bot.ws is none of them): connected when every shard is.
        shards = list(bot.shards.values())
        sessions_open = bool(shards) and all(not s.is_closed() for s in shards)
    else:
        ws = bot.ws
        sessions_open = ws is not None and ws.open
    connected = bot.is_ready() and not bot.is_closed() and sessions_open
    latency = bot.latency
    return Part(
        connected,
        {
            "connected": connected,
            "latency_ms": round(latency * 1000, 1) if math.isfinite(latency) else None,
        },
    )


def lease_part(lease: AnyLease) -> Any:
    """The lease part: whether this process holds the poster lease (and may post)."""

    async def check() -> Part:
        held = await lease.holds()
        return Part(held, {"required": True, "held": held, "status": lease.status_line()})

    return check
