"""The discord.py `Bot`: its lifecycle only. No privileged intents, no pings by default.

Everything the bot runs (store, digests, publisher, scheduler, services, cogs) is built by the
one composition root, `bot.app.compose.build_bot`, and handed over with `attach` before the bot
starts. The bot then only does what discord.py asks of it: `setup_hook` loads the cogs, starts
renewing the poster lease and syncs the commands (globally, or to `discord.dev_guild_id` for
instant updates while developing); `close()` first lets the posts in flight finish, then gives
up the poster lease, then disconnects.

One poster per store: given a `PosterLease` (`hotpapers run` acquires one before it connects,
and refuses to start without it), the bot renews it while running and the scheduler posts only
while it holds it. Without one (tests, the demo, benchmarks) nothing is gated. A sharded
process (`ShardedHotPapersBot`, an `AutoShardedBot`) holds one lease per shard instead
(`bot.app.shard_lease`).
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from typing import Any

import discord
from discord.ext import commands

from bot.app.gateway_guard import GatewayGuard, ShardQueue
from bot.app.health import DiscordHealth
from bot.app.scheduler import Scheduler
from bot.app.shard_lease import AnyLease
from bot.app.tree import HotPapersTree
from bot.config import Config
from bot.publish import Publisher
from bot.schedule import Clock
from bot.services.container import Services
from bot.services.digests import DigestService
from bot.store.base import Store

log = logging.getLogger(__name__)


def server_only_installs() -> discord.app_commands.AppInstallationType:
    """The tree's default installation contexts: the server install only.

    A command synced without `integration_types` gets the app's configured contexts
    (discord-api-docs application-commands.mdx:38 "Defaults to your app's configured
    contexts"), and HotPapers is configured for user installs too: without this default,
    `/digest` and `/history` would reach anyone who added the app to their account, in servers
    the bot is not in. Commands that work anywhere (`/hot`, `/paper`, `/search`, `/me`) say so
    with `allowed_installs` themselves.
    """
    return discord.app_commands.AppInstallationType(guild=True, user=False)


def server_only_contexts() -> discord.app_commands.AppCommandContext:
    """The tree's default interaction contexts: servers only (application-commands.mdx:1372:
    a command without `contexts` is offered in every context, DMs included)."""
    return discord.app_commands.AppCommandContext(
        guild=True, dm_channel=False, private_channel=False
    )


def intents() -> discord.Intents:
    """Guilds only: slash commands need no message content, members or presences."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


GC_GEN0_THRESHOLD = 50_000


def settle_gc() -> None:
    """Keep the cyclic garbage collector off the long-lived caches built at READY.

    After READY the process holds every guild, channel and role (discord.py's cache) and they
    live as long as the bot. With CPython's default thresholds, the young objects of each
    command (a digest's papers, the payload) trigger collections that walk those caches again
    and again: at 50 `/hot` commands in flight that was a quarter of the bot's CPU
    (bench/commands.py). `gc.freeze()` moves what exists now out of the collector's sight,
    and a larger first-generation threshold makes collections rarer; garbage is still
    collected. Called on every READY (a fresh session rebuilds the caches).
    """
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


@dataclass(frozen=True)
class Parts:
    """What the composition root built for one bot. The bot keeps it for its lifecycle (the
    cogs to load, the lease to renew, the scheduler to stop) and shows it to those who inspect
    a running bot (tests, the error handler's source health); the cogs get only their own
    services, in their constructors."""

    config: Config
    store: Store
    clock: Clock
    health: DiscordHealth
    digests: DigestService
    publisher: Publisher
    scheduler: Scheduler
    services: Services
    cogs: tuple[commands.Cog, ...]
    lease: AnyLease | None = None
    # Persistent component handlers (`bot.app.buttons`): a post's buttons work after a restart.
    dynamic_items: tuple[type[discord.ui.DynamicItem[Any]], ...] = ()


class HotPapersBot(commands.Bot):
    """HotPapers on Discord: `/hot`, `/paper`, `/history`, `/digest …` and the daily posts."""

    def __init__(
        self, *, sync_commands: bool = True, dev_guild_id: int | None = None, **options: Any
    ) -> None:
        options.setdefault("intents", intents())
        options.setdefault("chunk_guilds_at_startup", False)
        options.setdefault("max_messages", None)
        options.setdefault("allowed_installs", server_only_installs())
        options.setdefault("allowed_contexts", server_only_contexts())
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=HotPapersTree,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.sync_commands = sync_commands
        self.dev_guild_id = dev_guild_id
        self._parts: Parts | None = None
        self.synced: list[discord.app_commands.AppCommand] = []
        self.gateway_guard = GatewayGuard()

    def attach(self, parts: Parts) -> None:
        """Take what the composition root built; once, before the bot starts."""
        if self._parts is not None:
            raise RuntimeError("this bot's parts are attached already")
        self._parts = parts

    @property
    def parts(self) -> Parts:
        """What the bot runs (see `Parts`)."""
        if self._parts is None:
            raise RuntimeError("build the bot with bot.app.compose.build_bot")
        return self._parts

    @property
    def config(self) -> Config:
        """The validated settings."""
        return self.parts.config

    @property
    def store(self) -> Store:
        """The store (the error handler reads the sources' health from it)."""
        return self.parts.store

    @property
    def clock(self) -> Clock:
        """The clock every part reads."""
        return self.parts.clock

    @property
    def health(self) -> DiscordHealth:
        """Trouble with Discord since start."""
        return self.parts.health

    @property
    def digests(self) -> DigestService:
        """Digests and papers, from the store and upstream."""
        return self.parts.digests

    @property
    def publisher(self) -> Publisher:
        """Posts one (subscription, day) exactly once."""
        return self.parts.publisher

    @property
    def scheduler(self) -> Scheduler:
        """Decides who is due and hands (subscription, day) to the publisher."""
        return self.parts.scheduler

    @property
    def services(self) -> Services:
        """What the commands do."""
        return self.parts.services

    @property
    def lease(self) -> AnyLease | None:
        """The poster lease, when this process must hold one to post."""
        return self.parts.lease

    async def setup_hook(self) -> None:
        """Load the cogs, register the posts' button handlers and sync the commands (before
        the gateway connects)."""
        for cog in self.parts.cogs:
            await self.add_cog(cog)
        self.add_dynamic_items(*self.parts.dynamic_items)
        if self.lease is not None:
            self.lease.start()
        if self.sync_commands:
            await self.sync_tree()

    async def sync_tree(self) -> None:
        """Sync globally, or only to the development guild when one is configured."""
        dev = self.dev_guild_id
        if dev is not None:
            guild = discord.Object(id=dev)
            self.tree.copy_global_to(guild=guild)
            self.synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(self.synced), dev)
        else:
            self.synced = await self.tree.sync()
            log.info("synced %d global commands", len(self.synced))

    async def connect(self, *, reconnect: bool = True) -> None:
        """discord.py's gateway loop, reconnected after an event it could not read
        (`bot.app.gateway_guard`): one odd frame costs a connection, not the bot."""
        if not reconnect:
            await super().connect(reconnect=False)
            return
        await self.gateway_guard.run(self, lambda: super(HotPapersBot, self).connect())

    async def on_ready(self) -> None:
        """Log who we are and where; then settle the garbage collector (see `settle_gc`)."""
        log.info("ready as %s in %d guilds", self.user, len(self.guilds))
        settle_gc()

    async def close(self) -> None:
        """Finish the posts in flight, give up the poster lease, then disconnect."""
        if self._parts is not None:
            await self.scheduler.stop()
            if self.lease is not None:
                await self.lease.stop(release=True)
        await super().close()


class ShardedHotPapersBot(HotPapersBot, commands.AutoShardedBot):
    """HotPapers on some of the bot's shards (`[discord] shard_count`, `shard_ids`).

    discord.py's `AutoShardedBot` opens one gateway session per shard id, each identified as
    `[shard_id, shard_count]`, so Discord sends this process only those shards' guilds and
    their interactions. Everything else is `HotPapersBot`'s (the same lifecycle); built by
    `bot.app.compose.build_bot` when the config names a shard count.
    """

    async def _async_setup_hook(self) -> None:
        """discord.py's setup, then the shards' event queue behind the gateway guard
        (`bot.app.gateway_guard.ShardQueue`): one unreadable frame costs one shard's
        connection, not every shard (`AutoShardedClient.connect` closes all on `terminate`)."""
        await super()._async_setup_hook()
        self._AutoShardedClient__queue = ShardQueue(self, self.gateway_guard)
