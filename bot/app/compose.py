"""The composition root: the one place where a HotPapers bot is put together.

`build_bot` takes what the entry point opened (the store, the sources, the clock, the poster
lease) and builds, once each and in this order: Discord's health tracking and the global rate
limit (they go into discord.py's HTTP client), the `HotPapersBot` itself, the sender over its
HTTP client, the publisher, the scheduler, the command services and the cogs over them. The
bot gets all of it with `attach`; every cog gets only its own services.

Every way of running the bot builds it here: `hotpapers run` and `hotpapers demo`, the tests'
`running_app`, the soak harness and the benchmarks. So what they run is the same thing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.app.bot import HotPapersBot, Parts
from bot.app.cogs.digest import DigestCog
from bot.app.cogs.papers import PapersCog
from bot.app.cogs.scheduler import SchedulerCog
from bot.app.health import DiscordHealth
from bot.app.lease import PosterLease
from bot.app.scheduler import Scheduler
from bot.app.sender import DiscordSender, GlobalLimit, Pacer, stop_blind_resends
from bot.config import Config
from bot.publish import Publisher
from bot.schedule import Clock, utc_now
from bot.services.container import Services
from bot.services.digests import DigestService
from bot.services.history import HistoryService
from bot.services.papers import PapersService
from bot.services.posting import PostingService
from bot.services.status import LoopState, StatusService
from bot.services.subscriptions import SubscriptionService
from bot.sources.base import SourceFactory
from bot.store.base import Store

HEALTH_EVENTS = ("on_connect", "on_disconnect", "on_resumed")


def loop_state(scheduler: Scheduler) -> LoopState:
    """The scheduler's state as `/digest status` reports it, read now."""
    last = scheduler.last_tick
    return LoopState(
        running=scheduler.running,
        last_tick_at=last.at if last else None,
        waiting=tuple(last.waiting) if last else (),
        paused=scheduler.paused_reason(),
    )


def build_services(
    config: Config,
    store: Store,
    digests: DigestService,
    publisher: Publisher,
    scheduler: Scheduler,
    health: DiscordHealth,
    *,
    clock: Clock,
    lease: PosterLease | None,
) -> Services:
    """The command services over the parts they need (each gets only those)."""
    lag = config.sources.day_lag_days
    grace = timedelta(hours=config.schedule.catch_up_hours)
    return Services(
        subscriptions=SubscriptionService(
            store,
            clock=clock,
            lag_days=lag,
            default_time=config.schedule.default_time,
            default_timezone=config.schedule.default_timezone,
        ),
        posting=PostingService(store, digests, publisher, clock=clock, catch_up=grace, gate=lease),
        status=StatusService(
            store,
            digests,
            clock=clock,
            grace=grace,
            loop=lambda: loop_state(scheduler),
            discord_lines=health.lines,
            poster_line=lease.status_line if lease is not None else None,
        ),
        history=HistoryService(store, clock=clock, lag_days=lag, grace=grace),
        papers=PapersService(store, digests, clock=clock),
    )


def build_bot(
    config: Config,
    store: Store,
    *,
    factory: SourceFactory | None = None,
    clock: Clock = utc_now,
    lease: PosterLease | None = None,
    sync_commands: bool = True,
    run_scheduler: bool = True,
    post_attempts: int = 4,
    post_backoff_seconds: float = 1.0,
    **options: Any,
) -> HotPapersBot:
    """A HotPapers bot, wired and ready to `start`.

    `factory` builds the upstream sources (None: every source is served from the store only);
    `lease` gates posting on the poster lease (None: nothing is gated); `run_scheduler` False
    leaves the posting loop off (the caller ticks it); `options` go to discord.py's `Client`.
    """
    health = DiscordHealth(clock)  # Discord trouble since start, for /digest status
    global_limit = GlobalLimit(config.discord.max_ratelimit_seconds)  # 429s pause posting
    trace = stop_blind_resends(global_limit.attach(health.trace_config()))
    options.setdefault("http_trace", trace)
    # A rate-limit wait longer than this raises instead of holding the post (issue 11).
    options.setdefault("max_ratelimit_timeout", config.discord.max_ratelimit_seconds)
    bot = HotPapersBot(
        sync_commands=sync_commands, dev_guild_id=config.discord.dev_guild_id, **options
    )
    for event in HEALTH_EVENTS:
        bot.add_listener(getattr(health, event), event)
    if factory is not None:  # each crowd's outcomes into the source health, for /digest status
        factory.report_health(store.record_source_health)
    digests = DigestService(store, config, factory, clock=clock)
    sender = DiscordSender(
        bot.http,
        lambda: bot.user.id if bot.user else None,
        Pacer(config.discord.requests_per_second),
        global_limit,
    )
    publisher = Publisher(
        store, sender, clock=clock, attempts=post_attempts, backoff_seconds=post_backoff_seconds
    )
    scheduler = Scheduler(
        store,
        publisher,
        digests,
        config,
        clock=clock,
        lease=lease,
        global_limit=global_limit,
    )
    services = build_services(
        config, store, digests, publisher, scheduler, health, clock=clock, lease=lease
    )
    cogs = (
        PapersCog(services.papers, services.history),
        DigestCog(services.subscriptions, services.posting, services.status),
        SchedulerCog(scheduler, run=run_scheduler, ready=bot.wait_until_ready),
    )
    bot.attach(
        Parts(
            config=config,
            store=store,
            clock=clock,
            health=health,
            digests=digests,
            publisher=publisher,
            scheduler=scheduler,
            services=services,
            cogs=cogs,
            lease=lease,
        )
    )
    return bot
