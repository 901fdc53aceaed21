"""The discord.py `Bot`: no privileged intents, no pings by default, resources in `setup_hook`.

The entry point (`hotpapers run`, the demo, tests) opens the store and the HTTP client with
`async with` and passes them in; `setup_hook` builds the publisher and the scheduler, loads the
cogs and syncs the commands (globally, or to `discord.dev_guild_id` for instant updates while
developing). `close()` first lets the posts in flight finish, then gives up the poster lease.

One poster per store: given a `PosterLease` (`hotpapers run` acquires one before it connects,
and refuses to start without it), the bot renews it while running and the scheduler posts only
while it holds it. Without one (tests, the demo, benchmarks) nothing is gated.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import discord
from discord.ext import commands

from bot.app.digests import DigestService
from bot.app.health import DiscordHealth
from bot.app.lease import PosterLease
from bot.app.scheduler import Scheduler
from bot.app.sender import DiscordSender, GlobalLimit, Pacer, stop_blind_resends
from bot.app.tree import HotPapersTree
from bot.config import Config
from bot.publish import Publisher
from bot.schedule import Clock, utc_now
from bot.sources.base import SourceFactory
from bot.store.base import Store

log = logging.getLogger(__name__)


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


class HotPapersBot(commands.Bot):
    """HotPapers on Discord: `/hot`, `/paper`, `/history`, `/digest …` and the daily posts."""

    def __init__(
        self,
        *,
        config: Config,
        store: Store,
        factory: SourceFactory | None = None,
        clock: Clock = utc_now,
        sync_commands: bool = True,
        run_scheduler: bool = True,
        post_attempts: int = 4,
        post_backoff_seconds: float = 1.0,
        lease: PosterLease | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("intents", intents())
        options.setdefault("chunk_guilds_at_startup", False)
        options.setdefault("max_messages", None)
        health = DiscordHealth(clock)  # Discord trouble since start, for /digest status
        global_limit = GlobalLimit(
            config.discord.max_ratelimit_seconds
        )  # Discord's global 429s pause posting, visibly
        trace = stop_blind_resends(global_limit.attach(health.trace_config()))
        options.setdefault("http_trace", trace)
        # A rate-limit wait longer than this raises instead of holding the post (issue 11).
        options.setdefault("max_ratelimit_timeout", config.discord.max_ratelimit_seconds)
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=HotPapersTree,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.health = health
        for event in ("on_connect", "on_disconnect", "on_resumed"):
            self.add_listener(getattr(health, event), event)
        self.config = config
        self.store = store
        self.clock = clock
        self.sync_commands = sync_commands
        self.run_scheduler = run_scheduler
        self.digests = DigestService(store, config, factory, clock=clock)
        self.publisher = Publisher(
            store,
            DiscordSender(
                self.http,
                lambda: self.user.id if self.user else None,
                Pacer(config.discord.requests_per_second),
                global_limit,
            ),
            clock=clock,
            attempts=post_attempts,
            backoff_seconds=post_backoff_seconds,
        )
        self.lease = lease
        self.scheduler = Scheduler(
            store,
            self.publisher,
            self.digests,
            config,
            clock=clock,
            lease=lease,
            global_limit=global_limit,
        )
        self.synced: list[discord.app_commands.AppCommand] = []

    async def setup_hook(self) -> None:
        """Load the cogs and sync the commands (before the gateway connects)."""
        from bot.app.cogs import digest, papers, scheduler

        await self.add_cog(papers.PapersCog(self))
        await self.add_cog(digest.DigestCog(self))
        await self.add_cog(scheduler.SchedulerCog(self))
        if self.lease is not None:
            self.lease.start()
        if self.sync_commands:
            await self.sync_tree()

    async def sync_tree(self) -> None:
        """Sync globally, or only to the development guild when one is configured."""
        dev = self.config.discord.dev_guild_id
        if dev is not None:
            guild = discord.Object(id=dev)
            self.tree.copy_global_to(guild=guild)
            self.synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(self.synced), dev)
        else:
            self.synced = await self.tree.sync()
            log.info("synced %d global commands", len(self.synced))

    async def on_ready(self) -> None:
        """Log who we are and where; then settle the garbage collector (see `settle_gc`)."""
        log.info("ready as %s in %d guilds", self.user, len(self.guilds))
        settle_gc()

    def store_lines(self, ts: Callable[[datetime], str]) -> list[str]:
        """Status lines about the store and the poster lease (for `/digest status`)."""
        lines = [self.store.write_health().line(ts)]
        if self.lease is not None:
            lines.append(f"Poster: {self.lease.status_line()}")
        return lines

    async def close(self) -> None:
        """Finish the posts in flight, give up the poster lease, then disconnect."""
        await self.scheduler.stop()
        if self.lease is not None:
            await self.lease.stop(release=True)
        await super().close()
