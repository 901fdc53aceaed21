"""The cog that owns the ops endpoint (`bot.ops`): started in `cog_load`, stopped in `cog_unload`.

So it lives exactly as long as the bot's parts: up before the gateway connects (a starting bot
answers 503 "gateway not connected" rather than nothing), down when the bot closes. Starting
it can fail (the port is taken) without stopping the bot: `OpsServer.start` logs and returns.
"""

from __future__ import annotations

from discord.ext import commands

from bot.app.lease import new_holder
from bot.app.observing import gateway_part, lease_part
from bot.app.shard_lease import AnyLease
from bot.ops.health import Health
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer
from bot.schedule import Clock
from bot.store.base import Store


class OpsCog(commands.Cog):
    """Serves `/healthz` and `/metrics` while the bot runs."""

    def __init__(self, server: OpsServer) -> None:
        self.server = server

    async def cog_load(self) -> None:
        """Start serving (a failure is logged; the bot goes on without the endpoint)."""
        await self.server.start()

    async def cog_unload(self) -> None:
        """Stop serving."""
        await self.server.stop()


def build_ops(
    bot: commands.Bot,
    address: tuple[str, int],
    metrics: Metrics,
    store: Store,
    *,
    lease: AnyLease | None,
    clock: Clock,
) -> OpsCog:
    """The endpoint over this bot's gateway, store and lease, with its metrics."""
    health = Health(
        store,
        gateway=lambda: gateway_part(bot),
        lease=lease_part(lease) if lease is not None else None,
        holder=lease.holder if lease is not None else new_holder(),
        clock=clock,
    )
    host, port = address
    return OpsCog(OpsServer(health, metrics, host, port))
