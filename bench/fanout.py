"""Fan-out benchmark: one day's digest to N sandbox channels under Discord's real rate limits.

The sandbox enforces Discord's limits (50 requests/s global, 5 messages per 5 s per channel,
429 with `retry_after`) and adds `--rtt-ms` to every REST request (a latency fault on every
route). For each size in `--sizes` (channels; default 200, 2,000, 10,000) and each format in
`--formats` (compact: one message a channel; detailed: one per few papers), a fresh sandbox
and store, and:

- **bot**: the real path in a child process (`_botproc.py --tick`): `HotPapersBot` with its
  default config, N subscriptions in a SQLite store, the clock at their post time, one
  `Scheduler.tick()` (scheduler → publisher → ledger → `DiscordSender`). This process samples
  the child's resident set every 50 ms during the tick: memory should stay flat, whatever N;
- **naive** (sizes up to `--naive-max`, compact): a bare discord.py client in this process,
  one `await channel.send(...)` after another, same payload, to N other channels.

Figures per size and format (one JSON line each): requests/s achieved (successful bot-token
requests over the tick's wall time) and that over the global limit, 429s, duplicates and
misses (by the messages each channel ends up with), seconds per request, the memory during
the tick, and the speed-up over the naive loop. Then a summary line, last: the ratio to the
global limit at every size and format, the slope of log time over log requests (1 is time ∝
requests, i.e. held at the limit), and the issue-16 targets.

With `--processes N` (issue 15) the bot side is N child processes on one store, the sandbox
sharded in N (guilds spread over the shards), each child running one shard at
`global_rate_share` 1/N; all tick at once (a barrier). The figures are their combined
requests/s against the one global limit (Discord's is per bot, not per process), 429s,
duplicates and misses, plus each child's own rate (`processes`).

    python bench/fanout.py --sizes 200,2000,10000 --formats compact,detailed --rtt-ms 50
    python bench/fanout.py --sizes 2000 --formats compact --processes 2 --skip-naive

`--store postgresql` keeps the bot's store in a PostgreSQL server started for the run
(tests/pgserver.py; fsync off, so an upper bound for a durable server) instead of a SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
from _botproc import memory_mb, start_bot
from _common import add_plot_arg, emit, finish, loglog_slope, machine, met, quiet, sizes_arg
from _sandboxproc import RemoteSandbox

from bot.app.bot import intents
from bot.cli.preview import sample_digest
from bot.models import Subscription
from bot.render import render_digest
from bot.store import open_store
from sandbox.app import Sandbox
from sandbox.state import RequestRecord
from sandbox.testing import running_bot, running_sandbox, sandbox_bot_options

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/pgserver.py
from tests import pgserver

POST_TIME = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)  # the sample (2021-03-12) is complete
CHANNELS_PER_GUILD = 50
FORMATS = ("compact", "detailed")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=sizes_arg, default=[200, 2_000, 10_000], help="channels (200,2000,10000)"
    )
    parser.add_argument("--channels", type=int, help="one size only (same as --sizes N)")
    parser.add_argument(
        "--formats", default="compact,detailed", help="compact,detailed (default both)"
    )
    parser.add_argument(
        "--rtt-ms", type=float, default=50.0, help="round trip per REST request (default 50)"
    )
    parser.add_argument("--global-limit", type=int, default=50, help="requests/s (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="order of the subscriptions")
    parser.add_argument(
        "--naive-max", type=int, default=200, help="the naive loop at sizes up to this (200)"
    )
    parser.add_argument("--skip-naive", action="store_true", help="no naive loop at all")
    parser.add_argument(
        "--processes", type=int, default=1, help="bot processes, one shard each (default 1)"
    )
    parser.add_argument(
        "--sandbox-process",
        action="store_true",
        help="run the sandbox in a process of its own (default: in this one); no naive loop",
    )
    parser.add_argument(
        "--store",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the bot's store: a SQLite file, or PostgreSQL (a server started for the run)",
    )
    add_plot_arg(parser)
    args = parser.parse_args(argv)
    if args.channels:
        args.sizes = [args.channels]
    args.sizes = sorted(set(args.sizes))
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not set(args.formats) <= set(FORMATS):
        parser.error(f"formats are {', '.join(FORMATS)}")
    return args


async def add_channels(sandbox: Sandbox, prefix: str, n: int, shards: int = 1) -> list[int]:
    """N text channels in guilds of at most CHANNELS_PER_GUILD (spread over `shards`)."""
    ids: list[int] = []
    for start in range(0, n, CHANNELS_PER_GUILD):
        names = [f"{prefix}{i:05d}" for i in range(start, min(n, start + CHANNELS_PER_GUILD))]
        shard = ((start // CHANNELS_PER_GUILD) % shards, shards) if shards > 1 else None
        guild = await sandbox.control.add_guild(f"{prefix} {start}", channels=names, shard=shard)
        ids.extend(c.id for c in guild.channels.values() if c.name.startswith(prefix))
    return ids


def window(records: list[RequestRecord], since: float, until: float) -> list[RequestRecord]:
    """Bot-token requests (those the global limit counts) recorded in [since, until]."""
    return [
        r
        for r in records
        if since <= r.time <= until
        and not r.route.split(" ", 1)[1].startswith(("/webhooks/", "/inter"))
    ]


def tally(
    sandbox: Sandbox, channels: list[int], since: float, until: float, limit: int, per: int
) -> dict[str, Any]:
    """What one fan-out achieved, from the sandbox's request log and its channels.

    `per` is the number of messages each channel (with its threads) should end up with.
    """
    seconds = until - since
    reqs = window(sandbox.control.requests(), since, until)
    ok = [r for r in reqs if 200 <= r.status < 300]
    threads: dict[int, list[int]] = {}  # a detailed post's papers are in a thread on it
    for ch in sandbox.state.channels.values():
        if ch.is_thread and ch.parent_id is not None:
            threads.setdefault(ch.parent_id, []).append(ch.id)
    counts = [
        sum(len(sandbox.control.messages(c)) for c in (cid, *threads.get(cid, ())))
        for cid in channels
    ]
    rate = len(ok) / seconds if seconds > 0 else 0.0
    return {
        **timeline([r.time for r in ok], since, until, limit),
        "seconds": round(seconds, 3),
        "requests": len(ok),
        "requests_per_s": round(rate, 2),
        "global_ratio": round(rate / limit, 3),
        "ms_per_request": round(seconds * 1000 / len(ok), 2) if ok else None,
        "http_429": len([r for r in reqs if r.status == 429]),
        "http_429_by_scope": dict(Counter(r.rate_limited for r in reqs if r.status == 429)),
        "duplicates": sum(c - per for c in counts if c > per),
        "misses": sum(per - c for c in counts if c < per),
    }


def timeline(answered: list[float], since: float, until: float, limit: int) -> dict[str, Any]:
    """Where the tick's wall time went, from the times the sandbox answered each request.

    `first_answer_s`: from the tick's start to the first answer (preparing the tick, one
    round trip); `tail_s`: from the last answer to the tick's end; between them, the gaps
    between answers: `idle_s` sums what every gap longer than two pacing intervals (2/limit)
    spent beyond one interval. `between_ratio` is the rate between the first and the last
    answer over the limit: how close the pacing itself comes, printed beside (not instead
    of) `global_ratio`, which counts the whole tick.
    """
    times = sorted(answered)
    if len(times) < 2:
        return {"timeline": None}
    gaps = [b - a for a, b in itertools.pairwise(times)]
    ordered = sorted(gaps)
    step = 1.0 / limit
    span = times[-1] - times[0]
    return {
        "timeline": {
            "first_answer_s": round(times[0] - since, 3),
            "tail_s": round(until - times[-1], 3),
            "span_s": round(span, 3),
            "between_ratio": round((len(times) - 1) / span / limit, 3) if span > 0 else None,
            "gap_ms": {
                "median": round(ordered[len(ordered) // 2] * 1000, 1),
                "p90": round(ordered[int(len(ordered) * 0.9)] * 1000, 1),
                "max": round(ordered[-1] * 1000, 1),
            },
            "idle_s": round(sum(g - step for g in gaps if g > 2 * step), 3),
        }
    }


async def sample_rss(pid: int, samples: list[tuple[float, float]], stop: asyncio.Event) -> None:
    """A child's resident set every 50 ms until `stop`, as (time.time(), MB)."""
    while not stop.is_set():
        try:
            samples.append((time.time(), memory_mb(pid)["rss_mb"]))
        except (OSError, KeyError):
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


class LocalSandbox:
    """The sandbox in this process, with `RemoteSandbox`'s methods (the default mode)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.api_base = sandbox.api_base
        self.gateway_url = sandbox.gateway_url

    async def add_channels(self, prefix: str, n: int, shards: int = 1) -> list[tuple[int, int]]:
        """N text channels (`add_channels`): (channel id, guild id) each."""
        ids = await add_channels(self.sandbox, prefix, n, shards)
        return [(c, self.sandbox.state.channels[c].guild_id) for c in ids]

    async def latency(self, ms: float) -> None:
        """A latency fault on every route, until the end."""
        self.sandbox.control.inject_fault("*", latency_ms=ms, times=None)

    async def tally(
        self, channels: list[int], since: float, until: float, limit: int, per: int
    ) -> dict[str, Any]:
        """`tally` of this sandbox."""
        return tally(self.sandbox, channels, since, until, limit, per)


async def one(args: argparse.Namespace, channels: int, fmt: str) -> dict[str, Any]:
    """One size and format: the bot's fan-out (and the naive loop's); returns the figures."""
    many = args.processes > 1
    # Several children IDENTIFY at once: the concurrency window is not what is measured.
    settings: dict[str, Any] = {"identify_window": 0.05} if many else {}
    if args.sandbox_process:
        remote = await RemoteSandbox.start(global_limit=args.global_limit, **settings)
        try:
            return await fan_out(args, remote, channels, fmt)
        finally:
            await remote.stop()
    async with running_sandbox(global_limit=args.global_limit, **settings) as sandbox:
        return await fan_out(args, LocalSandbox(sandbox), channels, fmt)


async def fan_out(
    args: argparse.Namespace, world: LocalSandbox | RemoteSandbox, channels: int, fmt: str
) -> dict[str, Any]:
    """The bot's fan-out (and, in-process only, the naive loop's) in a fresh sandbox."""
    rng = random.Random(args.seed)
    digest = sample_digest()
    payloads = render_digest(digest, fmt)  # type: ignore[arg-type]
    # What each channel gets: the day cut to a subscription's default limit, in `fmt`.
    limit = Subscription.model_fields["limit"].default
    shown = digest.model_copy(update={"papers": digest.papers[:limit]})
    per_channel = len(render_digest(shown, fmt))  # type: ignore[arg-type]
    naive_wanted = (
        isinstance(world, LocalSandbox)
        and not args.skip_naive
        and fmt == "compact"
        and channels <= args.naive_max
    )
    many = args.processes > 1
    pairs = await world.add_channels("b", channels, args.processes)
    guild_of = dict(pairs)
    bot_channels = [c for c, _ in pairs]
    naive_channels = [c for c, _ in await world.add_channels("n", channels)] if naive_wanted else []
    rng.shuffle(bot_channels)
    await world.latency(args.rtt_ms)
    naive: dict[str, Any] | None = None
    if naive_wanted:
        assert isinstance(world, LocalSandbox)
        client = discord.Client(**sandbox_bot_options(intents=intents(), max_messages=None))
        async with running_bot(world.sandbox, client, ready_timeout=120):
            await asyncio.sleep(1.1)  # a fresh global window
            since = time.time()
            await naive_loop(client, naive_channels, payloads[0])
            naive = await world.tally(naive_channels, since, time.time(), args.global_limit, 1)
        await asyncio.sleep(1.1)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.location(tmp, channels, fmt)
        async with open_store(path) as store:
            await store.save_digest(digest, final=True)
            for cid in bot_channels:
                await store.upsert_subscription(
                    Subscription(
                        guild_id=guild_of[cid],
                        channel_id=cid,
                        id=cid,
                        post_time="09:00",
                        format=fmt,
                        created_at=POST_TIME,
                    )
                )
        # The child ticks 1.1 s after READY (a fresh global window); this process samples
        # its memory meanwhile. Its READY line comes after the tick.
        samples: list[tuple[float, float]] = []
        stop = asyncio.Event()
        samplers: list[asyncio.Task[None]] = []

        def watch(pid: int) -> None:
            samplers.append(asyncio.create_task(sample_rss(pid, samples, stop)))

        if many:
            processes = await fan_out_processes(args, world, path, watch)
            stop.set()
            await asyncio.gather(*samplers)
            report = merged(processes)
            fanout = await world.tally(
                bot_channels,
                report["tick_started"],
                report["tick_ended"],
                args.global_limit,
                per_channel,
            )
            fanout["processes"] = processes
            fanout["outcomes"] = report["outcomes"]
            fanout["memory"] = {"peak_rss_mb": report["peak_rss_mb"], "samples": len(samples)}
            return line_of(args, channels, fmt, per_channel, fanout, naive)
        bot = await start_bot(
            world.api_base,
            world.gateway_url,
            path,
            POST_TIME,
            tick=True,
            tick_delay=1.1,
            ready_timeout=3_600,
            on_spawn=watch,
        )
        stop.set()
        await asyncio.gather(*samplers)
        report = bot.ready
        await bot.stop()
        fanout = await world.tally(
            bot_channels,
            report["tick_started"],
            report["tick_ended"],
            args.global_limit,
            per_channel,
        )
    fanout["outcomes"] = report.get("outcomes")
    fanout["memory"] = tick_memory(samples, report)
    return line_of(args, channels, fmt, per_channel, fanout, naive)


def tick_memory(samples: list[tuple[float, float]], report: dict[str, Any]) -> dict[str, Any]:
    """The child's memory during its tick: the samples taken between its start and end only
    (the sampler runs from the child's spawn: its imports and READY are not the fan-out),
    or, for a tick shorter than one sample, its resident set after the tick."""
    during = [mb for t, mb in samples if report["tick_started"] <= t <= report["tick_ended"]]
    most = max(during or [report["rss_mb"]])
    return {
        "rss_before_tick_mb": report.get("rss_before_tick_mb"),
        "rss_max_during_mb": most,
        "growth_during_mb": round(most - report.get("rss_before_tick_mb", most), 1),
        "peak_rss_mb": report["peak_rss_mb"],
        "samples": len(during),
    }


def line_of(
    args: argparse.Namespace,
    channels: int,
    fmt: str,
    per_channel: int,
    fanout: dict[str, Any],
    naive: dict[str, Any] | None,
) -> dict[str, Any]:
    """One size and format's JSON line."""
    return {
        "bench": "fanout",
        "channels": channels,
        "format": fmt,
        "processes": args.processes,
        "store": args.store,
        "sandbox": "process" if args.sandbox_process else "in-process",
        "messages_per_channel": per_channel,
        "rtt_ms": args.rtt_ms,
        "global_limit": args.global_limit,
        "global_ratio": fanout["global_ratio"],
        "http_429": fanout["http_429"],
        "duplicates": fanout["duplicates"],
        "misses": fanout["misses"],
        "bot": fanout,
        "naive": naive,
        "speedup": round(naive["seconds"] / fanout["seconds"], 2) if naive else None,
        "machine": machine(),
    }


async def fan_out_processes(
    args: argparse.Namespace,
    sandbox: LocalSandbox | RemoteSandbox,
    store: str,
    watch: Callable[[int], None],
) -> list[dict[str, Any]]:
    """`--processes N`: N children on one store, shard i of N each, ticking together; each
    child's report with the requests it made in its own tick window."""
    n = args.processes
    children = await asyncio.gather(
        *(
            start_bot(
                sandbox.api_base,
                sandbox.gateway_url,
                store,
                POST_TIME,
                tick=True,
                tick_delay=1.1,
                barrier=True,
                shard=(i, n),
                ready_timeout=3_600,
                on_spawn=watch,
            )
            for i in range(n)
        )
    )
    for child in children:
        await child.go()
    reports = [await child.report(3_600) for child in children]
    for child in children:
        await child.stop()
    return [
        {
            "shard": i,
            "guilds": r["guilds"],
            "tick_started": r["tick_started"],
            "tick_ended": r["tick_ended"],
            "seconds": round(r["tick_ended"] - r["tick_started"], 3),
            "outcomes": r["outcomes"],
            "peak_rss_mb": r["peak_rss_mb"],
        }
        for i, r in enumerate(reports)
    ]


def merged(processes: list[dict[str, Any]]) -> dict[str, Any]:
    """The children's ticks as one: from the first start to the last end, outcomes summed."""
    outcomes: dict[str, int] = {}
    for p in processes:
        for status, count in p["outcomes"].items():
            outcomes[status] = outcomes.get(status, 0) + count
    return {
        "tick_started": min(p["tick_started"] for p in processes),
        "tick_ended": max(p["tick_ended"] for p in processes),
        "outcomes": outcomes,
        "peak_rss_mb": max(p["peak_rss_mb"] for p in processes),
    }


async def naive_loop(client: discord.Client, channels: list[int], payload: dict[str, Any]) -> None:
    """One `await channel.send` after another: what a first version of a bot does."""
    embeds = [discord.Embed.from_dict(e) for e in payload.get("embeds", [])]
    for cid in channels:
        channel = client.get_channel(cid)
        assert isinstance(channel, discord.TextChannel), cid
        await channel.send(content=payload.get("content"), embeds=embeds)


def posted_once(line: dict[str, Any]) -> bool:
    """Every channel got its messages, once each: the fan-out did its whole job."""
    wanted: int = line["channels"] * line["messages_per_channel"]
    requests: int = line["bot"]["requests"]
    return line["misses"] == line["duplicates"] == 0 and requests >= wanted > 0


def summary(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Ratios to the global limit everywhere, the growth of time with requests, the targets."""
    growth: dict[str, Any] = {}
    for fmt in sorted({line["format"] for line in lines}):
        mine = [line for line in lines if line["format"] == fmt]
        growth[fmt] = {
            "seconds_vs_requests_loglog_slope": loglog_slope(
                [line["bot"]["requests"] for line in mine],
                [line["bot"]["seconds"] for line in mine],
            ),
            "ms_per_request": {str(x["channels"]): x["bot"]["ms_per_request"] for x in mine},
            "memory_growth_during_mb": {
                str(x["channels"]): x["bot"]["memory"].get("growth_during_mb") for x in mine
            },
        }
    return {
        "bench": "fanout",
        "summary": True,
        "processes": lines[0]["processes"] if lines else 1,
        "global_ratio": {f"{x['channels']}/{x['format']}": x["global_ratio"] for x in lines},
        "http_429": sum(x["http_429"] for x in lines),
        "duplicates": sum(x["duplicates"] for x in lines),
        "misses": sum(x["misses"] for x in lines),
        "speedup": next((x["speedup"] for x in lines if x["speedup"]), None),
        "growth": growth,
        # A fan-out that missed or doubled a channel (or posted nothing: no 429 either) meets
        # no target, however fast it went.
        "targets": {
            "every_channel_posted_once": all(posted_once(x) for x in lines),
            "global_ratio_ge_0.95_everywhere": all(
                met(x["global_ratio"], 0.95, at_least=True, valid=posted_once(x)) for x in lines
            ),
            "zero_429": all(x["http_429"] == 0 and posted_once(x) for x in lines),
        },
        "machine": machine(),
    }


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every size and format, one JSON line each; returns them."""
    lines = []
    server: pgserver.PgServer | None = None
    if args.store == "postgresql":  # as the tests start theirs (fsync off: an upper bound)
        bindir = pgserver.find_bindir()
        if bindir is None:
            raise SystemExit(pgserver.NO_SERVER)
        server = pgserver.PgServer(bindir)
        server.start()

    def location(tmp: str, channels: int, fmt: str) -> str:
        if server is None:
            return str(Path(tmp) / "bench.sqlite3")
        return server.url(server.schema(f"fan{channels}{fmt[0]}"))

    args.location = location
    try:
        for channels in args.sizes:
            for fmt in args.formats:
                line = await one(args, channels, fmt)
                emit(line)
                lines.append(line)
    finally:
        if server is not None:
            server.stop()
    return lines


def main(argv: list[str] | None = None) -> None:
    """Run; one JSON line per size and format, then the summary line."""
    args = parse_args(argv)
    quiet()
    finish("fanout", lambda: asyncio.run(run(args)), summary, plot=args.plot)


if __name__ == "__main__":
    main()
