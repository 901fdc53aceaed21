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
from typing import TYPE_CHECKING, Any

from discord.ext import commands

from bot.app.bot import HotPapersBot, Parts, ShardedHotPapersBot
from bot.app.buttons import handler
from bot.app.cogs.digest import DigestCog
from bot.app.cogs.me import MeCog
from bot.app.cogs.papers import PapersCog
from bot.app.cogs.roles import RolesCog
from bot.app.cogs.saved import SavedCog
from bot.app.cogs.scheduler import SchedulerCog
from bot.app.cogs.search import SearchCog
from bot.app.health import DiscordHealth
from bot.app.lease import holder_is_gone, new_holder
from bot.app.observing import completion_listener, observe_rate_limits
from bot.app.pacing import (
    GLOBAL_WINDOW_SECONDS,
    Pacer,
    pace_each_request,
    shared_rate,
    window_limit,
)
from bot.app.scheduler import Scheduler
from bot.app.sender import (
    DiscordSender,
    GlobalLimit,
    amortize_bucket_sweeps,
    stop_blind_resends,
)
from bot.app.shard_lease import AnyLease
from bot.app.tree import HotPapersTree
from bot.config import Config
from bot.delivery.followup import FollowUpPoster
from bot.observe import NO_OBSERVER, Observer
from bot.publish import Publisher
from bot.schedule import Clock, utc_now
from bot.services.container import Services
from bot.services.digests import DigestService
from bot.services.favourites import FavouritesService
from bot.services.fetching import FetchLocking
from bot.services.history import HistoryService
from bot.services.late_risers import LateRisers
from bot.services.marks import MarksService
from bot.services.papers import PapersService
from bot.services.personal import Mailbox, PersonalService
from bot.services.posting import PostingService
from bot.services.roles import RoleService
from bot.services.search import SearchService
from bot.services.status import LoopState, StatusService
from bot.services.subscriptions import SubscriptionService
from bot.services.why import WhyService
from bot.sharding import Shards
from bot.sources.base import SourceFactory
from bot.store.base import Store

if TYPE_CHECKING:
    from bot.ops.metrics import Metrics

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
    mailbox: Mailbox,
    *,
    clock: Clock,
    lease: AnyLease | None,
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
        roles=RoleService(store),
        marks=MarksService(store, clock=clock),
        favourites=FavouritesService(store, digests),
        personal=PersonalService(
            store,
            mailbox,  # opens the DM and greets there (bot.app.sender.DiscordSender)
            clock=clock,
            lag_days=lag,
            default_time=config.schedule.default_time,
            default_timezone=config.schedule.default_timezone,
        ),
        search=SearchService(store, clock=clock),
        why=WhyService(store, digests, clock=clock, grace=grace),
    )


def fetch_locking(config: Config, shards: Shards, lease: AnyLease | None) -> FetchLocking | None:
    """How a sharded process takes the store's fetch locks (None: one process, no locks).

    A lock outlives a killed holder by at most two fetch deadlines, and a holder on this host
    whose process is gone is taken over at once (as the poster lease is)."""
    if not shards.sharded:
        return None
    holder = lease.holder if lease is not None else new_holder()
    ttl = timedelta(seconds=2 * config.schedule.fetch_deadline_seconds)
    return FetchLocking(holder, ttl, dead=lambda h: holder_is_gone(h, me=holder))


def build_bot(
    config: Config,
    store: Store,
    *,
    factory: SourceFactory | None = None,
    clock: Clock = utc_now,
    lease: AnyLease | None = None,
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

    With `[discord] shard_count` the bot is a `ShardedHotPapersBot` on `shard_ids`, the
    scheduler posts only for those shards' guilds, each source is fetched by one process at a
    time (the store's fetch lock, `DigestService`), and posting is paced at this process's
    `global_rate_share` of `requests_per_second`. Without it, one unsharded process as ever.
    """
    health = DiscordHealth(clock)  # Discord trouble since start, for /digest status
    global_limit = GlobalLimit(config.discord.max_ratelimit_seconds)  # 429s pause posting
    address = config.ops.address  # the ops endpoint, when configured: metrics fed by hooks
    metrics: Metrics | None = None
    if address is not None:
        # Imported only for a bot with an ops endpoint (off by default): prometheus-client and
        # aiohttp's server are ~3 MB resident that a bot without one never uses. Still at
        # start, in this function, so a broken install fails before the gateway connects.
        from bot.ops.metrics import Metrics

        metrics = Metrics(lag_days=config.sources.day_lag_days)
    observer: Observer = metrics if metrics is not None else NO_OBSERVER
    watched = observe_rate_limits(global_limit.attach(health.trace_config()), observer)
    # The pacer's slot is freed before a blind resend is stopped (that hook raises).
    trace = stop_blind_resends(pace_each_request(watched))
    options.setdefault("http_trace", trace)
    # A rate-limit wait longer than this raises instead of holding the post (issue 11).
    options.setdefault("max_ratelimit_timeout", config.discord.max_ratelimit_seconds)
    shards = Shards.of(config.discord.shard_count, config.discord.shard_ids)
    bot_cls = HotPapersBot
    if shards.sharded:
        bot_cls = ShardedHotPapersBot
        options.setdefault("shard_count", shards.count)
        options.setdefault("shard_ids", list(shards.ids))
    bot = bot_cls(sync_commands=sync_commands, dev_guild_id=config.discord.dev_guild_id, **options)
    for event in HEALTH_EVENTS:
        bot.add_listener(getattr(health, event), event)
    tree = bot.tree
    assert isinstance(tree, HotPapersTree)  # the bot is built with it (tree_cls)
    tree.observer = observer
    bot.add_listener(completion_listener(observer), "on_app_command_completion")
    if factory is not None:  # each crowd's outcomes into the source health, for /digest status
        factory.report_health(store.record_source_health)
        factory.observer = observer
    digests = DigestService(
        store, config, factory, clock=clock, fetch_locking=fetch_locking(config, shards, lease)
    )
    amortize_bucket_sweeps(bot.http)  # a fan-out meets a new bucket per channel
    rate = shared_rate(config.discord.requests_per_second, config.discord.rate_share)
    sender = DiscordSender(
        bot.http,
        lambda: bot.user.id if bot.user else None,
        Pacer(rate, window=(window_limit(config.discord.rate_share), GLOBAL_WINDOW_SECONDS)),
        global_limit,
        each_request=True,  # the trace has pace_each_request
    )
    publisher = Publisher(
        store,
        sender,
        clock=clock,
        attempts=post_attempts,
        backoff_seconds=post_backoff_seconds,
        observer=observer,
    )
    late_risers = LateRisers(
        store,
        FollowUpPoster(store, sender, publisher.policy, clock=clock),
        default_source=config.sources.default,
        clock=clock,
    )
    scheduler = Scheduler(
        store,
        publisher,
        digests,
        config,
        clock=clock,
        lease=lease,
        global_limit=global_limit,
        observer=observer,
        shards=shards,
        late_risers=late_risers,
    )
    services = build_services(
        config, store, digests, publisher, scheduler, health, sender, clock=clock, lease=lease
    )
    clicks = handler(services.marks)  # every click on a post's buttons, after restarts too
    cogs: tuple[commands.Cog, ...] = (
        PapersCog(services.papers, services.history, services.search, services.favourites),
        SearchCog(services.search),
        SavedCog(services.marks, clicks),
        DigestCog(services.subscriptions, services.posting, services.status, why=services.why),
        MeCog(services.personal),
        SchedulerCog(scheduler, run=run_scheduler, ready=bot.wait_until_ready),
        RolesCog(bot, services.roles),
    )
    if address is not None and metrics is not None:
        from bot.app.cogs.ops import build_ops  # with `Metrics` above: only with an endpoint

        cogs += (build_ops(bot, address, metrics, store, lease=lease, clock=clock),)
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
            dynamic_items=(clicks,),
        )
    )
    return bot
