"""Helpers for end-to-end tests: a running sandbox, and a real discord.py bot connected to it.

    from sandbox.testing import running_bot, running_sandbox, sandbox_bot_options

    async def test_ping() -> None:
        async with running_sandbox(interaction_deadline=1.0) as sandbox:
            guild = await sandbox.control.add_guild("Lab", channels=["general"])
            bot = make_my_bot(**sandbox_bot_options())        # a commands.Bot with a tree
            async with running_bot(sandbox, bot):             # logged in, on_ready fired
                await bot.tree.sync()
                result = await sandbox.control.invoke("ping")
                assert result.status == "answered" and result.content == "pong"

A pytest fixture is one `async with` away (see tests/sandbox/conftest.py). Nothing here imports
pytest, so the module ships with the package.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import discord
import discord.gateway
import discord.http

from bot.app.endpoints import configure_endpoints
from sandbox.app import Sandbox

ClientT = TypeVar("ClientT", bound=discord.Client)

SANDBOX_TOKEN = "sandbox-token"


@contextlib.asynccontextmanager
async def running_sandbox(**settings: Any) -> AsyncIterator[Sandbox]:
    """A started sandbox on 127.0.0.1 and a free port; keyword arguments are its settings.

    The object has `.api_base`, `.gateway_url`, `.control_url`, `.port` and `.control` (the
    in-process `sandbox.control.Control`).
    """
    sandbox = Sandbox(**settings)
    await sandbox.start("127.0.0.1", 0)
    try:
        yield sandbox
    finally:
        await sandbox.stop()


def sandbox_bot_options(**overrides: Any) -> dict[str, Any]:
    """Client options that keep tests fast: `on_ready` 50 ms after the last guild, no chunking."""
    options: dict[str, Any] = {
        "intents": discord.Intents.default(),
        "guild_ready_timeout": 0.05,
        "chunk_guilds_at_startup": False,
    }
    options.update(overrides)
    return options


def _identify_when_allowed(sandbox: Sandbox) -> Callable[..., Awaitable[None]]:
    """A `before_identify_hook` that waits exactly until the sandbox accepts an IDENTIFY.

    discord.py's own hook sleeps 5 s before every re-IDENTIFY, which is Discord's
    `max_concurrency` window; this one sleeps only as long as the sandbox's window demands
    (`identify_window`, 5 s by default), so the concurrency rule holds and tests stay fast.
    """

    async def hook(shard_id: int | None, *, initial: bool = False) -> None:
        while (wait := sandbox.gateway.identify_wait()) > 0:
            await asyncio.sleep(wait)

    return hook


@contextlib.asynccontextmanager
async def running_bot(
    sandbox: Sandbox,
    client: ClientT,
    *,
    token: str = SANDBOX_TOKEN,
    ready_timeout: float = 10.0,
    fast_reidentify: bool = True,
) -> AsyncIterator[ClientT]:
    """Start `client` against `sandbox`, wait for `on_ready`, yield it, then close it.

    discord.py's endpoints are pointed at the sandbox for the duration and restored after.
    With `fast_reidentify`, an IDENTIFY waits only as long as the sandbox's `identify_window`
    demands, not discord.py's fixed 5 s. If the
    client fails to start (bad token, disallowed intents, ...) its exception is raised here.
    """
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    configure_endpoints(sandbox.api_base, sandbox.gateway_url)
    if fast_reidentify:
        client.before_identify_hook = _identify_when_allowed(sandbox)  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(client.start(token), name="sandbox-bot")
    try:
        async with asyncio.timeout(ready_timeout):
            while not client.is_ready():
                if task.done():
                    task.result()  # raises the start-up error
                    raise RuntimeError("the client stopped before it was ready")
                await asyncio.sleep(0.01)
        yield client
    finally:
        await client.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
