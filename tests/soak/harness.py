"""The soak: a simulated month of the real scheduler, publisher and sender against the sandbox.

    report = await run_soak(SoakConfig(seed=7, faults=frozenset({"rate_limits", "restarts"})))
    print(report.table())
    assert report.ok, report.summary()

What runs is the real thing: `HotPapersBot` (its `Publisher`, its discord.py-backed
`DiscordSender`, its `DigestService`) logged in to the sandbox with the sandbox's rate limits
on, and a real SQLite store on a temporary path. Only the clock is simulated: the harness
calls `Scheduler.tick(now)` itself, on a 15-minute grid of simulated time, skipping ticks at
which nothing can be due. The digest source is `world.FakeSource` (normal, empty and missing
days; seeded faults), and slow upstreams are real HTTP against `world.Upstream`.

Real time is the constraint: the sandbox counts its rate limits in real seconds, so the soak
raises them (global 5000/s, 100 messages/s per channel) and the bot's pacing
(`discord.requests_per_second = 1000`, `max_concurrent_posts = 50`) while still injecting 429s
of every length.

Fault classes (`FAULT_CLASSES`), each switched on separately:

    source_exceptions  the source raises ValueError, KeyError, RuntimeError, UnicodeDecodeError,
                       TypeError, ZeroDivisionError, OSError, SourceError for some attempts
    slow_upstream      a day's first fetch meets an upstream dripping a byte every 50 ms
                       (never trips a per-read timeout) or one that never answers
    rate_limits_short  429s of 0.01-1.5 s on a channel's route, on all posts, and global
    rate_limits_long   429s of 20-300 s on one channel's route and global (must not stall others)
    server_errors      500/502/503/504 before the effect (the route does not run)
    server_errors_after  the message is created, then the answer is 502/503 (the effect happened)
    forbidden          403 on a channel for two days; then permissions are given back and a
                       moderator subscribes again
    deleted_channels   a channel is deleted (its later days are not expected)
    deleted_threads    a detailed post's thread is deleted right after it is opened
    gateway            drop, RECONNECT and INVALID_SESSION in the middle of a fan-out
    restarts           SIGKILL mid-fan-out (the process objects are abandoned, a fresh bot and
                       store start on the same file), with downtime from none to 14 h
    second_process     a second bot starts on the same store and ticks alongside for a while
    clock_jumps        the clock jumps forward 1-14 h, or back 5-30 min

DST changes are in every run (the month and zones are chosen for it).

At the end `check` compares, for every (channel, day) slot due in the month, the ledger with
the sandbox; `Report.violations` lists every broken promise by kind. `strict_outcomes` adds
the contract of issue 11 item 4 (`empty` and `missed` rows with reasons; no silently absent
day); without it a day whose digest never existed, or that fell into downtime beyond the
catch-up window, or into a failing channel's wait, may be absent (counted as "excused").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from bot.app.bot import HotPapersBot, intents
from bot.app.compose import build_bot
from bot.app.endpoints import configure_endpoints
from bot.app.lease import PosterLease
from bot.config import Config, parse_config
from bot.errors import SourceError
from bot.models import PostRecord, Subscription
from bot.schedule import ManualClock, Slot
from bot.store import connect
from bot.store.sqlite import SqliteStore
from sandbox.app import Sandbox
from sandbox.faults import Fault
from sandbox.testing import SANDBOX_TOKEN, running_sandbox, sandbox_bot_options
from tests.soak import world

log = logging.getLogger(__name__)

FAULT_CLASSES = (
    "source_exceptions",
    "slow_upstream",
    "rate_limits_short",
    "rate_limits_long",
    "server_errors",
    "server_errors_after",
    "forbidden",
    "deleted_channels",
    "deleted_threads",
    "gateway",
    "restarts",
    "second_process",
    "clock_jumps",
)
GRID = timedelta(minutes=15)
GRACE_HOURS = 12
ON_TIME = timedelta(minutes=30)  # a post within this of its slot is on time: grid + one retry
POST = "POST /channels/{channel_id}/messages"
THREAD = "POST /channels/{channel_id}/messages/{message_id}/threads"
MISSING_TYPES: tuple[Callable[[], BaseException], ...] = (
    lambda: ValueError("invalid literal for int() with base 10: 'n/a'"),
    lambda: KeyError("arxiv_id"),
    lambda: RuntimeError("parser state corrupted"),
    lambda: UnicodeDecodeError("utf-8", b"\xff\xfe", 0, 1, "invalid start byte"),
    lambda: TypeError("'NoneType' object is not subscriptable"),
    lambda: ZeroDivisionError("division by zero"),
    lambda: OSError(5, "Input/output error"),
    lambda: SourceError("hotpapers-md: HTTP 500 from upstream"),
)


@dataclass
class SoakConfig:
    """One soak run. `faults` names classes of `FAULT_CLASSES`; "all" in it means every one."""

    seed: int = 1
    days: int = 30
    channels: int = 200
    faults: frozenset[str] = frozenset()
    strict_outcomes: bool = False
    start: datetime = world.START
    nonce_window: float = 0.0  # the strictest sandbox: no nonce dedup to hide a duplicate
    tick_deadline: float = 60.0  # real seconds a tick may take before it counts as stalled
    # (a hang is forever; 60 s, not 10, so a loaded CI machine is not mistaken for one)
    max_stalls: int = 2  # after this many stalled ticks the run stops (the verdict is in)
    upstream_timeout: float = 0.5  # sources.timeout_seconds: per read today, total after the fix
    break_isolation: bool = False  # scratch: a source exception escapes its unit (see below)
    lease: bool = True  # give schedulers a poster lease when the code has one
    # scratch: the second process runs on a stale copy of the store (a backup restored beside
    # the live one), which no lease or claim can see: the damage the soak must report
    stale_copy: bool = False
    events_per_class: int = 4

    def enabled(self, name: str) -> bool:
        return "all" in self.faults or name in self.faults

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)


# --- what happened, and the verdict ---------------------------------------------------------


@dataclass
class Excuse:
    """A fault that may delay posts: of one channel, one source day, or everyone (None)."""

    kind: str
    start: datetime
    end: datetime
    channel_id: int | None = None
    day: date | None = None

    def applies(self, channel_id: int, day: date) -> bool:
        """Whether this fault concerns the post of (channel, day) at all."""
        if self.channel_id is not None and self.channel_id != channel_id:
            return False
        return self.day is None or self.day == day


def excused(
    excuses: list[Excuse], channel_id: int, day: date, due: datetime, posted: datetime
) -> bool:
    """Whether faults of this post's own (its channel, its source day, or everyone's) were
    active over the whole of its delay, from when it should have been on time until it went."""
    covered = due + ON_TIME
    for e in sorted((e for e in excuses if e.applies(channel_id, day)), key=lambda e: e.start):
        if e.start > covered:
            break
        covered = max(covered, e.end)
        if covered >= posted:
            return True
    return covered >= posted


@dataclass
class Report:
    """The verdict of one run: outcomes, faults injected, violations with examples."""

    config: SoakConfig
    outcomes: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    violations: dict[str, list[str]] = field(default_factory=dict)
    ticks: int = 0
    processes: int = 0
    aborted: str | None = None
    notes: dict[str, str] = field(default_factory=dict)

    def violate(self, kind: str, detail: str) -> None:
        self.violations.setdefault(kind, []).append(detail)

    @property
    def damage(self) -> int:
        """How many broken promises were found (0: the run passed)."""
        return sum(len(v) for v in self.violations.values())

    @property
    def ok(self) -> bool:
        return self.damage == 0

    def summary(self, examples: int = 3) -> str:
        lines = [
            f"{kind}: {len(items)}, e.g. {items[:examples]}"
            for kind, items in self.violations.items()
        ]
        head = f"seed {self.config.seed}: {self.damage} violations"
        if self.aborted:
            head += f" (run stopped: {self.aborted})"
        return "\n".join([head, *lines])

    def table(self) -> str:
        """Outcomes per kind, faults per class, violations per kind: the soak's printout."""
        cfg = self.config
        faults = ",".join(sorted(cfg.faults)) or "none"
        out = [
            f"soak seed={cfg.seed} days={cfg.days} channels={cfg.channels} faults={faults} "
            f"strict_outcomes={cfg.strict_outcomes}: "
            f"{self.ticks} ticks, {self.processes} processes",
            f"  {'outcome':<34}{'count':>7}",
        ]
        out += [f"  {k:<34}{v:>7}" for k, v in sorted(self.outcomes.items())]
        out.append(f"  {'fault injected':<34}{'count':>7}")
        out += [f"  {k:<34}{v:>7}" for k, v in sorted(self.faults.items())] or ["  (none)"]
        out.append(f"  {'violation':<34}{'count':>7}")
        out += [f"  {k:<34}{len(v):>7}" for k, v in sorted(self.violations.items())] or ["  (none)"]
        if self.aborted:
            out.append(f"  run stopped early: {self.aborted}")
        return "\n".join(out)


# --- one bot process ------------------------------------------------------------------------


def soak_config(cfg: SoakConfig) -> Config:
    """The bot's settings for the soak: fast pacing, a 15-minute tick, short upstream timeouts."""
    return parse_config(
        {
            "sources": {
                "default": world.SOURCE,
                "timeout_seconds": cfg.upstream_timeout,
                "max_retries": 0,
                # a slow-drip upstream is cut off by the total deadline, well inside the
                # harness's stalled-tick bound (tick_deadline)
                "request_deadline_seconds": 2.0,
            },
            "discord": {"requests_per_second": 1000.0, "max_concurrent_posts": 50},
            "schedule": {
                "tick_seconds": GRID.total_seconds(),
                "catch_up_hours": GRACE_HOURS,
                "fetch_deadline_seconds": 4.0,
            },
        },
        env={},
    )


def lease_for(store: SqliteStore, holder: str, clock: ManualClock) -> PosterLease:
    """The poster lease of one simulated process (issue 11 item 3), on the soak's clock."""
    return PosterLease(store, holder=holder, clock=clock)


class Process:
    """One bot "process": its own store connection, discord.py client, scheduler."""

    def __init__(self, name: str, bot: HotPapersBot, store: SqliteStore) -> None:
        self.name = name
        self.bot = bot
        self.store = store
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls,
        name: str,
        sandbox: Sandbox,
        db: Path,
        cfg: SoakConfig,
        factory: Any,
        clock: ManualClock,
    ) -> Process:
        store = await connect(db)
        assert isinstance(store, SqliteStore)
        config = soak_config(cfg)
        bot = build_bot(
            config,
            store,
            factory=factory,
            clock=clock,
            sync_commands=False,
            run_scheduler=False,
            post_attempts=3,
            post_backoff_seconds=0.01,
            lease=lease_for(store, name, clock) if cfg.lease else None,
            **sandbox_bot_options(intents=intents()),
        )
        if bot.scheduler.global_limit is not None:
            # Discord's global wait, like everything else here, runs on the simulated clock:
            # measured in real seconds, a 300 s limit would span dozens of simulated ticks.
            bot.scheduler.global_limit.clock = lambda: clock().timestamp()
        proc = cls(name, bot, store)

        async def _no_wait(shard_id: int | None, *, initial: bool = False) -> None:
            return None

        bot.before_identify_hook = _no_wait  # type: ignore[method-assign]
        proc.task = asyncio.create_task(bot.start(SANDBOX_TOKEN), name=f"soak-{name}")
        async with asyncio.timeout(30):
            while not bot.is_ready():
                if proc.task.done():
                    proc.task.result()
                    raise RuntimeError(f"{name} stopped before it was ready")
                await asyncio.sleep(0.01)
        return proc

    async def abandon(self) -> None:
        """As after SIGKILL: nothing more of this process runs; its connections are dropped.

        `commands.Bot.close` is called past `HotPapersBot.close`, so the scheduler does not
        get to finish anything.
        """
        with contextlib.suppress(Exception):
            await asyncio.wait_for(super(HotPapersBot, self.bot).close(), 5)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self.task, 5)
        with contextlib.suppress(Exception):
            await self.store.close()


# --- sandbox additions: faults after the effect, threads deleted under the bot ---------------


class SandboxTricks:
    """Two faults the sandbox's fault book cannot express, wrapped around its REST guard.

    - after the effect: the route runs (the message exists), then the bot is answered 5xx;
    - thread deletion: a thread opened on a message is deleted before the bot can use it.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.after: list[list[Any]] = []  # [route glob, status, times left]
        self.delete_threads = 0
        self.deleted_threads: list[int] = []
        self._inner = sandbox.rest._guarded
        sandbox.rest._guarded = self._guarded  # type: ignore[method-assign]

    async def _guarded(
        self, request: web.Request, handler: Any, route: str, concrete: str
    ) -> tuple[web.StreamResponse, str | None]:
        response, limited = await self._inner(request, handler, route, concrete)
        if response.status < 300:
            if route == THREAD and self.delete_threads > 0:
                self.delete_threads -= 1
                thread_id = int(request.match_info["message_id"])  # a thread takes its id
                with contextlib.suppress(Exception):
                    await self.sb.control.delete_channel(thread_id)
                    self.deleted_threads.append(thread_id)
            for spec in self.after:
                if spec[2] > 0 and Fault(0, route=spec[0]).matches(route, concrete):
                    spec[2] -= 1
                    fault = Fault(0, route=spec[0], status=spec[1])
                    from sandbox.rest import injected_response

                    return injected_response(fault), None
        return response, limited


# --- the plan --------------------------------------------------------------------------------


@dataclass
class Event:
    at: datetime
    kind: str
    args: dict[str, Any] = field(default_factory=dict)


def plan_events(
    cfg: SoakConfig,
    rng: random.Random,
    channels: list[int],
    detailed: list[int],
    instants: list[datetime],
) -> list[Event]:
    """Seeded fault events over the month, `events_per_class` of each enabled class, each at
    an instant when posts are due (so it meets a fan-out)."""
    n = cfg.events_per_class
    inside = [t for t in instants if cfg.start + timedelta(hours=6) <= t < cfg.end - GRID * 8]

    def when() -> datetime:
        return rng.choice(inside)

    ev: list[Event] = []
    if cfg.enabled("rate_limits_short"):
        for _ in range(n):
            ra = rng.choice((0.01, 0.05, 0.3, 1.0, 1.5))
            target = rng.choice(("one", "all", "global"))
            ev.append(
                Event(
                    when(), "429", {"retry_after": ra, "target": target, "times": rng.randint(1, 3)}
                )
            )
    if cfg.enabled("rate_limits_long"):
        for i in range(max(2, n // 2)):
            ra = rng.choice((20.0, 45.0, 120.0, 300.0))
            ev.append(
                Event(
                    when(),
                    "429",
                    {"retry_after": ra, "target": ("one", "global")[i % 2], "times": 1},
                )
            )
    if cfg.enabled("server_errors"):
        for _ in range(n):
            ev.append(
                Event(
                    when(),
                    "5xx",
                    {
                        "status": rng.choice((500, 502, 503, 504)),
                        "times": rng.randint(1, 4),
                        "target": rng.choice(("one", "all")),
                    },
                )
            )
    if cfg.enabled("server_errors_after"):
        for _ in range(n):
            ev.append(
                Event(
                    when(),
                    "5xx_after",
                    {"status": rng.choice((502, 503)), "times": rng.randint(1, 3)},
                )
            )
    if cfg.enabled("forbidden"):
        for _ in range(max(1, n // 2)):
            ev.append(
                Event(
                    when(),
                    "forbid",
                    {"channel": rng.choice(channels), "hours": rng.choice((6, 30, 50))},
                )
            )
    if cfg.enabled("deleted_channels"):
        for _ in range(max(1, n // 2)):
            ev.append(Event(when(), "delete_channel", {"channel": rng.choice(channels)}))
    if cfg.enabled("deleted_threads") and detailed:
        for _ in range(n):
            ev.append(Event(when(), "delete_threads", {"count": rng.randint(1, 2)}))
    if cfg.enabled("gateway"):
        for _ in range(n):
            ev.append(
                Event(
                    when(),
                    "gateway",
                    {
                        "action": rng.choice(("drop", "reconnect", "invalid_session")),
                        "after": rng.randint(0, 40),
                    },
                )
            )
    if cfg.enabled("restarts"):
        for _ in range(n):
            down = rng.choice((0, 0, 1, 3, 14))
            ev.append(Event(when(), "kill", {"after": rng.randint(0, 60), "down_hours": down}))
    if cfg.enabled("second_process"):
        for _ in range(max(1, n // 2)):
            ev.append(Event(when(), "second", {"ticks": rng.randint(2, 6)}))
    if cfg.enabled("clock_jumps"):
        for _ in range(n):
            if rng.random() < 0.5:
                ev.append(Event(when(), "jump", {"minutes": rng.choice((60, 180, 420, 840))}))
            else:
                ev.append(Event(when(), "jump", {"minutes": -rng.choice((5, 15, 30))}))
    ev.sort(key=lambda e: e.at)
    return ev


def plan_source_faults(
    cfg: SoakConfig, rng: random.Random, days: list[date]
) -> dict[date, list[Any]]:
    """Per source day, what its first fetch attempts meet (then it answers normally)."""
    out: dict[date, list[Any]] = {}
    if cfg.enabled("source_exceptions"):
        for day in rng.sample(days, min(len(days), cfg.events_per_class + 2)):
            out[day] = [rng.choice(MISSING_TYPES)() for _ in range(rng.randint(1, 4))]
    if cfg.enabled("slow_upstream"):
        for day in rng.sample(days, min(len(days), max(2, cfg.events_per_class // 2))):
            out.setdefault(day, []).insert(0, rng.choice(("drip", "stall")))
    return out


# --- the run ---------------------------------------------------------------------------------


class Soak:
    """The state of one run: world, sandbox, processes, clock, and what was done to them."""

    def __init__(
        self,
        cfg: SoakConfig,
        sandbox: Sandbox,
        db: Path,
        upstream: world.Upstream,
        client: httpx.AsyncClient,
    ) -> None:
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        self.sandbox = sandbox
        self.db = db
        self.clock = ManualClock(cfg.start)
        self.report = Report(cfg)
        self.excuses: list[Excuse] = []
        self.deleted: dict[int, datetime] = {}
        self.failing_windows: list[tuple[int, datetime, datetime]] = []
        self.tricks = SandboxTricks(sandbox)
        self.procs: list[Process] = []
        self.second: tuple[Process, int] | None = None
        self.current_tick: asyncio.Task[Any] | None = None
        first = (cfg.start - timedelta(days=3)).date()
        last = (cfg.end + timedelta(days=1)).date()
        self.days = world.Days.generate(self.rng, first, last)
        self.source_faults = plan_source_faults(cfg, self.rng, sorted(self.days.kinds))
        # The scratch run poisons one normal day for good: every fetch of it raises.
        self.poisoned: set[date] = set()
        if cfg.break_isolation:
            normal = [
                d
                for d, k in sorted(self.days.kinds.items())
                if k == "normal"
                and self.days.kinds.get(d + timedelta(days=1)) == "normal"
                and cfg.start.date() - timedelta(days=1) <= d < cfg.end.date() - timedelta(days=2)
            ]
            self.poisoned.add(self.rng.choice(normal))
            self.report.notes["poisoned"] = f"day {min(self.poisoned)}"
        self.source = world.FakeSource(
            self.days,
            self._source_fault,
            world.upstream_http(client, cfg.upstream_timeout),
            upstream.url,
        )
        if cfg.break_isolation:
            self.source.on_raise = self._escape
        self.factory = world.FakeFactory(self.source)
        self.subs: dict[int, Subscription] = {}
        self.slots: dict[tuple[int, date], Slot] = {}

    # -- the source's faults ---------------------------------------------------------------

    def _source_fault(self, day: date, attempt: int) -> BaseException | str | None:
        planned = self.source_faults.get(day, [])
        if day in self.poisoned:
            planned = [KeyError("arxiv_id")] * (attempt + 1)
        if attempt < len(planned):
            fault: BaseException | str = planned[attempt]
            self.report.faults[
                f"source: {fault if isinstance(fault, str) else type(fault).__name__}"
            ] += 1
            self.excuses.append(
                Excuse("source", self.clock(), self.clock() + timedelta(hours=3), day=day)
            )
            return fault
        return None

    def _escape(self) -> None:
        """The broken component: the exception escapes the unit and takes the whole tick down
        (a cancellation no `except Exception` boundary can hold), as a scheduler whose only
        boundary is `except SourceError` does with a ValueError."""
        if self.current_tick is not None:
            self.current_tick.cancel()

    # -- setting up ------------------------------------------------------------------------

    async def build_world(self) -> None:
        cfg = self.cfg
        per_guild = -(-cfg.channels // world.GUILDS)
        pairs: list[tuple[int, int]] = []
        for g in range(world.GUILDS):
            count = min(per_guild, cfg.channels - len(pairs))
            guild = await self.sandbox.control.add_guild(
                f"Soak {g}", channels=[f"papers-{g}-{i:02d}" for i in range(count)]
            )
            pairs += [(guild.id, c.id) for c in guild.channels.values()]
        created = cfg.start - timedelta(minutes=1)
        store = await connect(self.db)
        try:
            for sub in world.subscriptions(pairs, created):
                await store.upsert_subscription(sub)
                self.subs[sub.channel_id] = sub
        finally:
            await store.close()
        lag = soak_config(cfg).sources.day_lag_days
        for sub in self.subs.values():
            for slot in world.expected_slots(sub, cfg.start, cfg.end, lag):
                self.slots[(sub.channel_id, slot.day)] = slot
        detailed = [c for c, s in self.subs.items() if s.format == "detailed"]
        instants = self._due_instants()
        self.events = plan_events(cfg, self.rng, sorted(self.subs), detailed, instants)

    async def new_process(self, name: str = "bot", *, db: Path | None = None) -> Process:
        self.report.processes += 1
        return await Process.start(
            f"{name}-{self.report.processes}",
            self.sandbox,
            self.db if db is None else db,
            self.cfg,
            self.factory,
            self.clock,
        )

    # -- ticking ---------------------------------------------------------------------------

    def _messages(self) -> int:
        return len(self.sandbox.state.messages)

    async def _tick(self, proc: Process, now: datetime, mid: list[Event]) -> bool:
        """One tick of `proc` at `now` with mid-tick events; False if the process was lost."""
        task = asyncio.create_task(proc.bot.scheduler.tick(now))
        self.current_tick = task
        base = self._messages()
        lost = False
        try:
            for ev in sorted(mid, key=lambda e: e.args.get("after", 0)):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.shield(self._arrived(base + ev.args.get("after", 0), task)),
                        self.cfg.tick_deadline,
                    )
                if ev.kind == "gateway":
                    self.report.faults[f"gateway {ev.args['action']}"] += 1
                    with contextlib.suppress(Exception):
                        await self.sandbox.control.gateway(ev.args["action"])
                elif ev.kind == "kill":
                    self.report.faults[f"SIGKILL (down {ev.args['down_hours']} h)"] += 1
                    task.cancel()
                    lost = True
                    break
            if not lost:
                try:
                    await asyncio.wait_for(asyncio.shield(task), self.cfg.tick_deadline)
                except TimeoutError:
                    self.report.violate(
                        "stalled-tick",
                        f"{proc.name} tick at {now} still running after "
                        f"{self.cfg.tick_deadline:g}s (real)",
                    )
                    task.cancel()
                    lost = True
                except asyncio.CancelledError:
                    if task.cancelled() and not asyncio.current_task().cancelling():  # type: ignore[union-attr]
                        self.report.violate(
                            "tick-aborted",
                            f"{proc.name} tick at {now}: a unit's failure stopped the tick",
                        )
                    else:
                        raise
                except Exception as exc:
                    self.report.violate(
                        "tick-raised", f"{proc.name} tick at {now}: {type(exc).__name__}: {exc}"
                    )
        finally:
            self.current_tick = None
        if lost:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 5)
        return not lost

    async def _arrived(self, count: int, task: asyncio.Task[Any]) -> None:
        await self.sandbox.state.wait_for(lambda: self._messages() >= count or task.done(), 3600)

    # -- events ----------------------------------------------------------------------------

    async def apply(self, ev: Event, now: datetime) -> None:
        a = ev.args
        ctl = self.sandbox.control
        rep = self.report
        if ev.kind == "429":
            channel = self.rng.choice(sorted(set(self.subs) - set(self.deleted)))
            route = {"one": f"POST /channels/{channel}/messages", "all": POST, "global": "*"}[
                a["target"]
            ]
            ctl.inject_fault(
                route,
                status=429,
                retry_after=a["retry_after"],
                times=a["times"],
                **({"global": True} if a["target"] == "global" else {}),
            )
            rep.faults[f"429 {a['target']} {'long' if a['retry_after'] >= 20 else 'short'}"] += 1
            self._excuse(
                "429",
                now,
                None if a["target"] != "one" else channel,
                hours=2 if a["retry_after"] >= 20 else 1,
            )
        elif ev.kind == "5xx":
            channel = self.rng.choice(sorted(set(self.subs) - set(self.deleted)))
            route = POST if a["target"] == "all" else f"POST /channels/{channel}/messages"
            ctl.inject_fault(route, status=a["status"], times=a["times"])
            rep.faults[f"{a['status']} before the effect"] += 1
            self._excuse("5xx", now, None if a["target"] == "all" else channel)
        elif ev.kind == "5xx_after":
            self.tricks.after.append([POST, a["status"], a["times"]])
            rep.faults[f"{a['status']} after the effect"] += 1
            self._excuse("5xx", now, None)
        elif ev.kind == "forbid":
            channel = a["channel"]
            if channel in self.deleted:
                return
            ctl.forbid_channel(channel, True)
            until = now + timedelta(hours=a["hours"])
            self.events.append(Event(until, "unforbid", {"channel": channel}))
            self.events.sort(key=lambda e: e.at)
            self.failing_windows.append((channel, now, until + GRID))
            rep.faults["403 on a channel"] += 1
            self.excuses.append(Excuse("403", now, until + timedelta(hours=1), channel_id=channel))
        elif ev.kind == "unforbid":
            channel = a["channel"]
            if channel in self.deleted:
                return
            ctl.forbid_channel(channel, False)
            store = self.procs[0].store if self.procs else None
            if store is not None:  # a moderator subscribes again, as /digest subscribe does
                sub = await store.find_subscription(channel, "daily")
                if sub is not None:
                    await store.upsert_subscription(
                        sub.model_copy(update={"failing_reason": None, "enabled": True})
                    )
        elif ev.kind == "delete_channel":
            channel = a["channel"]
            if channel in self.deleted:
                return
            with contextlib.suppress(Exception):
                await ctl.delete_channel(channel)
            self.deleted[channel] = now
            rep.faults["channel deleted"] += 1
        elif ev.kind == "delete_threads":
            self.tricks.delete_threads += a["count"]
            rep.faults["thread deleted under the bot"] += a["count"]
        elif ev.kind == "jump":
            minutes = a["minutes"]
            rep.faults[f"clock jump {'+' if minutes > 0 else ''}{minutes} min"] += 1
            target = now + timedelta(minutes=minutes)
            if minutes > 0:
                self.excuses.append(Excuse("jump", now, target + timedelta(hours=1)))
            self.clock.set(target)

    def _excuse(self, kind: str, now: datetime, channel: int | None, hours: float = 1) -> None:
        self.excuses.append(Excuse(kind, now, now + timedelta(hours=hours), channel_id=channel))

    # -- the month -------------------------------------------------------------------------

    def _due_instants(self) -> list[datetime]:
        return sorted({s.due_at for s in self.slots.values()})

    async def run(self) -> Report:
        cfg = self.cfg
        await self.build_world()
        self.procs = [await self.new_process()]
        instants = self._due_instants()
        settle_end = cfg.end + timedelta(hours=GRACE_HOURS + 2)
        while self.clock() <= settle_end and self.report.aborted is None:
            now = self.clock()
            due_now = [e for e in self.events if e.at <= now]
            self.events = [e for e in self.events if e.at > now]
            mid = [e for e in due_now if e.kind in ("gateway", "kill")]
            for ev in due_now:
                if ev.kind == "second" and self.second is None:
                    self.report.faults["second process on the store"] += 1
                    db = self._stale_copy() if cfg.stale_copy else None
                    self.second = (await self.new_process("second", db=db), ev.args["ticks"])
                elif ev.kind not in ("gateway", "kill", "second"):
                    await self.apply(ev, now)
            if self.clock() != now:  # a clock jump: the next tick is at the new time
                continue
            await self._one_tick(now, mid)
            self.report.ticks += 1
            if self.clock() != now:  # downtime after a kill
                continue
            step = GRID if self.second is not None else await self._open(now)
            self.clock.set(self._next_tick(now, instants, step, settle_end))
        await self._stop_all()
        return self.report

    def _stale_copy(self) -> Path:
        """A consistent copy of the store as it is now (SQLite's online backup)."""
        copy = self.db.with_name(f"stale-{self.report.processes}.sqlite3")
        with (
            contextlib.closing(sqlite3.connect(self.db)) as live,
            contextlib.closing(sqlite3.connect(copy)) as stale,
        ):
            live.backup(stale)
        return copy

    async def _open(self, now: datetime) -> timedelta | None:
        """How soon to tick again for the expected slots due, in their window and unsettled:
        on the grid in a slot's first two hours, hourly after (the scheduler's longest
        backoff); None when there are none. Without strict outcomes a day the source never
        had is not waited for (today's code never settles it: it is absent, excused)."""
        grace = timedelta(hours=GRACE_HOURS)
        window = [
            s
            for s in self.slots.values()
            if s.due_at <= now <= s.due_at + grace + GRID
            and s.channel_id not in self.deleted
            and (self.cfg.strict_outcomes or self.days.kinds.get(s.day) != "missing")
        ]
        if not window:
            return None
        since = min(s.day for s in window)
        settled = {
            (p.channel_id, p.day)
            for p in await self.procs[0].store.list_posts(since=since)
            if p.status in ("sent", "empty", "missed")
        }
        open_ = [s for s in window if (s.channel_id, s.day) not in settled]
        if not open_:
            return None
        fresh = any(now - s.due_at < timedelta(hours=2) for s in open_)
        return GRID if fresh else timedelta(hours=1)

    def _next_tick(
        self, now: datetime, instants: list[datetime], step: timedelta | None, settle_end: datetime
    ) -> datetime:
        """The next grid tick while something is open, else the next slot or event."""
        nxt = now + (step or GRID)
        nxt -= timedelta(minutes=nxt.minute % 15, seconds=nxt.second, microseconds=nxt.microsecond)
        if nxt <= now:
            nxt += GRID
        later = [t for t in instants if t > now][:1] + [e.at for e in self.events if e.at > now]
        if step is not None:
            return min([nxt, *later])
        return min([*later, max(settle_end, nxt)])

    async def _one_tick(self, now: datetime, mid: list[Event]) -> None:
        proc = self.procs[0]
        runs: list[Awaitable[bool]] = [self._tick(proc, now, mid)]
        if self.second is not None:
            second, left = self.second
            runs.append(self._tick(second, now, []))
            self.second = (second, left - 1) if left > 1 else None
            if self.second is None:
                runs_done = await asyncio.gather(*runs)
                await second.abandon()
                await self._after_tick(runs_done[0], mid, now)
                return
        alive = (await asyncio.gather(*runs))[0]
        await self._after_tick(alive, mid, now)

    async def _after_tick(self, alive: bool, mid: list[Event], now: datetime) -> None:
        self.sandbox.control.clear_faults()
        self.tricks.after.clear()
        if alive:
            return
        kill = next((e for e in mid if e.kind == "kill"), None)
        await self.procs[0].abandon()
        if len(self.report.violations.get("stalled-tick", [])) >= self.cfg.max_stalls:
            self.report.aborted = f"{self.cfg.max_stalls} stalled ticks"
            return
        if kill is not None and kill.args["down_hours"]:
            back = now + timedelta(hours=kill.args["down_hours"])
            self.excuses.append(Excuse("down", now, back + timedelta(hours=1)))
            self.clock.set(back)
        self.procs = [await self.new_process()]

    async def _stop_all(self) -> None:
        for proc in self.procs:
            await proc.abandon()
        if self.second is not None:
            await self.second[0].abandon()
            self.second = None

    # -- the verdict -----------------------------------------------------------------------

    async def check(self) -> Report:
        store = await connect(self.db)
        try:
            posts = await store.list_posts()
            subs = await store.list_subscriptions()
        finally:
            await store.close()
        check_ledger(self, posts)
        check_recovered(self, subs)
        return self.report


def check_recovered(soak: Soak, subs: list[Subscription]) -> None:
    """At the end every channel that still exists and may be written to is posting again
    (issue 11 item 6: a deleted thread or lost-then-restored permission is recovered from)."""
    state = soak.sandbox.state
    for sub in subs:
        channel = state.channels.get(sub.channel_id)
        if channel is None or channel.forbidden:
            continue
        if not sub.enabled or sub.failing_reason:
            soak.report.violate(
                "channel-stuck",
                f"channel {sub.channel_id} exists and is writable but is "
                f"{'disabled' if not sub.enabled else 'failing'}: {sub.failing_reason}",
            )


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def check_ledger(soak: Soak, posts: list[PostRecord]) -> None:
    """Every (channel, day) against the ledger and the sandbox; violations into the report."""
    rep = soak.report
    cfg = soak.cfg
    state = soak.sandbox.state
    me = state.bot_user.id
    ledger = {(p.channel_id, p.day): p for p in posts}
    # Every bot message by channel; a thread's messages count for the channel it hangs on.
    owner: dict[int, int] = {}
    for m in state.messages.values():
        if m.thread_id is not None:
            owner[m.thread_id] = m.channel_id
    bot_msgs: dict[int, list[Any]] = {}
    for m in state.messages.values():
        if m.author.id == me and m.interaction_id is None:
            bot_msgs.setdefault(owner.get(m.channel_id, m.channel_id), []).append(m)
    recorded: dict[int, set[int]] = {}
    p: PostRecord | None  # a post below, then the ledger's row for a slot (if any)
    for p in posts:
        recorded.setdefault(p.channel_id, set()).update(p.message_ids)
    # 1. Every bot message in a channel is in the ledger; no nonce twice (a duplicate).
    for channel, msgs in bot_msgs.items():
        for m in msgs:
            if m.id not in recorded.get(channel, set()):
                rep.violate(
                    "message-not-in-ledger", f"channel {channel} message {m.id} nonce {m.nonce}"
                )
        nonces = Counter(m.nonce for m in msgs if m.nonce)
        for nonce, n in nonces.items():
            if n > 1:
                rep.violate("duplicate", f"channel {channel}: {n} messages with nonce {nonce}")
    # 2. Every recorded message exists (unless its thread or channel was deleted under it).
    deleted_threads = set(soak.tricks.deleted_threads)
    for p in posts:
        gone = p.channel_id in soak.deleted or (p.thread_id in deleted_threads)
        for mid in p.message_ids:
            if mid not in state.messages and not gone:
                rep.violate("ledger-message-missing", f"channel {p.channel_id} day {p.day}: {mid}")
    # 3. One terminal outcome per expected (channel, day), on time unless it says why.
    grace = timedelta(hours=GRACE_HOURS)
    for (channel, day), slot in sorted(soak.slots.items(), key=lambda kv: kv[1].due_at):
        deleted_at = soak.deleted.get(channel)
        if deleted_at is not None and slot.due_at >= deleted_at:
            continue  # the channel is gone; its subscription is disabled
        p = ledger.get((channel, day))
        kind = soak.days.kinds.get(day, "normal")
        if p is None or p.status == "pending":
            why = excused_absence(soak, channel, day, slot)
            if why and not cfg.strict_outcomes:
                rep.outcomes[f"absent (excused: {why})"] += 1
            else:
                rep.outcomes["absent"] += 1
                rep.violate(
                    "no-outcome",
                    f"channel {channel} day {day} ({kind}) due {slot.due_at:%m-%d %H:%M}: "
                    f"{p.status if p else 'no row'}",
                )
            continue
        if p.status == "sent":
            if not p.message_ids:
                rep.outcomes["sent (no message)"] += 1
                if cfg.strict_outcomes:
                    rep.violate(
                        "sent-without-message",
                        f"channel {channel} day {day} ({kind}): should be `empty` with a reason",
                    )
                continue
            posted = _utc(p.posted_at) or slot.due_at
            delay = posted - slot.due_at
            if delay < timedelta(0) - GRID:
                rep.violate(
                    "posted-before-due", f"channel {channel} day {day}: {posted} < {slot.due_at}"
                )
            if delay <= ON_TIME:
                rep.outcomes["sent on time"] += 1
            elif delay > grace + GRID and not p.late:
                rep.outcomes["sent after the window"] += 1
                rep.violate(
                    "late-beyond-window",
                    f"channel {channel} day {day}: {delay} late, not marked late",
                )
            elif p.late or excused(soak.excuses, channel, day, slot.due_at, posted):
                rep.outcomes["sent late (excused)"] += 1
            else:
                rep.outcomes["sent late"] += 1
                rep.violate(
                    "late-unexcused",
                    f"channel {channel} day {day}: {delay} after its slot, no fault of its own",
                )
            continue
        rep.outcomes[f"{p.status}"] += 1
        if not p.error:
            rep.violate("outcome-without-reason", f"channel {channel} day {day}: {p.status}")
        if p.status == "failed" and not cfg.strict_outcomes:
            continue


def excused_absence(soak: Soak, channel: int, day: date, slot: Slot) -> str | None:
    """Why today's code may leave this (channel, day) without a row (lenient mode only)."""
    if soak.days.kinds.get(day) == "missing":
        return "the source never had the day"
    for ch, start, end in soak.failing_windows:
        if ch == channel and start - timedelta(hours=GRACE_HOURS) <= slot.due_at <= end:
            return "channel failing (403)"
    for e in soak.excuses:
        if (
            e.kind in ("down", "jump")
            and e.start - timedelta(hours=GRACE_HOURS) <= slot.due_at <= e.end
        ):
            return "downtime or clock jump past the window"
    return None


async def run_soak(cfg: SoakConfig, workdir: Path | None = None) -> Report:
    """Run one soak and return its report (the sandbox, upstream and store are its own)."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-")))
        async with (
            running_sandbox(
                nonce_window=cfg.nonce_window,
                global_limit=5000,
                route_limit=200,
                route_limits={POST: (100, 1.0)},
            ) as sandbox,
            world.Upstream().running() as upstream,
            httpx.AsyncClient() as client,
        ):
            saved = _endpoints()
            configure_endpoints(sandbox.api_base, sandbox.gateway_url)
            try:
                soak = Soak(cfg, sandbox, workdir / "soak.sqlite3", upstream, client)
                await soak.run()
                return await soak.check()
            finally:
                _restore_endpoints(saved)


def _endpoints() -> tuple[Any, Any]:
    import discord.gateway
    import discord.http

    return discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


def _restore_endpoints(saved: tuple[Any, Any]) -> None:
    import discord.gateway
    import discord.http

    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
