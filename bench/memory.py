"""Memory benchmark: peak RSS of the bot after READY in many guilds, against a bare client's.

For each size in `--sizes` (guilds; default 500, 2,500, 10,000) a fresh sandbox (in this
process) holds that many guilds of text channels and sends one GUILD_CREATE per guild when a
client identifies; a SQLite store holds `--subscriptions-per-guild` subscriptions a guild
(seeded times and zones) and a year of digests. Two clients connect to the same sandbox, one
after the other, each in its own child process:

- **bot**: the real `HotPapersBot` (`_botproc.py`), measured after READY and one scheduler
  tick over every subscription (the tick finds no digest for the due day: nothing is posted);
  with `--no-tick`, after READY only (the difference is what the tick holds);
- **floor**: a bare `discord.Client` (`_floor.py`) with the same intents and cache options;
- with `--stack-floor`, also the **stack floor**: that client with pydantic (one model built),
  httpx and aiosqlite loaded (`_floor.py --stack`): what any bot on HotPapers' stack costs
  before its own code (an extra figure; the targets stay against the floor).

The figure is each process's kernel high-water mark (VmHWM). One JSON line per size, then a
summary line last: the peak ratio at each size, MB per 1,000 guilds (least-squares slope) of
each and their ratio, and the issue-16 targets.

    python bench/memory.py --sizes 500,2500,10000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from _botproc import HERE, start_bot, start_child
from _common import (
    add_plot_arg,
    emit,
    finish,
    fit,
    loglog_slope,
    machine,
    met,
    quiet,
    ratio,
    sizes_arg,
)

from bot.cli.preview import sample_digest
from bot.models import Subscription
from bot.store import open_store
from sandbox.testing import running_sandbox

NOW = datetime(2021, 3, 13, 12, 0, tzinfo=UTC)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=sizes_arg, default=[500, 2_500, 10_000], help="guilds (500,2500,10000)"
    )
    parser.add_argument("--guilds", type=int, help="one size only (same as --sizes N)")
    parser.add_argument(
        "--subscriptions-per-guild", type=float, default=4.0, help="(default 4: 10,000 at 2,500)"
    )
    parser.add_argument("--subscriptions", type=int, help="subscriptions at the first size")
    parser.add_argument(
        "--channels-per-guild", type=int, default=0, help="(default: enough for the subscriptions)"
    )
    parser.add_argument("--seed", type=int, default=1, help="subscription times and zones")
    parser.add_argument("--no-floor", action="store_true", help="only the bot (no ratios)")
    parser.add_argument(
        "--stack-floor",
        action="store_true",
        help="also a floor that loads pydantic, httpx and aiosqlite (_floor.py --stack)",
    )
    parser.add_argument(
        "--no-tick",
        action="store_true",
        help="the bot to READY only, no scheduler tick (what the subscriptions' tick adds)",
    )
    add_plot_arg(parser)
    args = parser.parse_args(argv)
    if args.guilds:
        args.sizes = [args.guilds]
    args.sizes = sorted(set(args.sizes))
    if args.subscriptions is not None:
        args.subscriptions_per_guild = args.subscriptions / args.sizes[0]
    return args


async def one_size(args: argparse.Namespace, guilds: int) -> dict[str, Any]:
    """Build the world for `guilds`, start the bot then the floor; returns the figures."""
    rng = random.Random(args.seed)
    subscriptions = round(guilds * args.subscriptions_per_guild)
    per_guild = args.channels_per_guild or max(1, -(-subscriptions // guilds) + 1)
    # Past 2,500 guilds Discord requires shards (the sandbox closes with 4011); it recommends
    # one per 1,000 guilds (GET /gateway/bot). Bot and floor run the same shards in one process.
    shards = -(-guilds // 1000) if guilds > 2500 else 1
    async with running_sandbox() as sandbox:
        channels: list[tuple[int, int]] = []  # (guild, channel)
        for g in range(guilds):
            guild = await sandbox.control.add_guild(
                f"Guild {g}", channels=[f"c{i}" for i in range(per_guild)]
            )
            channels.extend((guild.id, c) for c in guild.channels)
        if subscriptions > len(channels):
            raise SystemExit("more subscriptions than channels: raise --channels-per-guild")
        chosen = rng.sample(channels, subscriptions)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.sqlite3"
            async with open_store(path) as store:
                sample = sample_digest()
                for k in range(365):  # a year of digests, none for the day now due
                    day = date(2020, 3, 11) + timedelta(days=k)
                    await store.save_digest(sample.model_copy(update={"day": day}), final=True)
                for guild_id, channel_id in chosen:
                    await store.upsert_subscription(
                        Subscription(
                            guild_id=guild_id,
                            channel_id=channel_id,
                            id=channel_id,
                            post_time=f"{rng.randrange(24):02d}:{rng.choice((0, 30)):02d}",
                            timezone=rng.choice(ZONES),
                            # New subscriptions: a month-old one that never got a post
                            # makes the first tick settle a month of missed days for it
                            # (one write each; see docs/benchmarks.md), not what this
                            # benchmark measures.
                            created_at=NOW - timedelta(hours=1),
                        )
                    )
            started = time.perf_counter()
            bot = await start_bot(
                sandbox.api_base,
                sandbox.gateway_url,
                path,
                NOW,
                tick=not args.no_tick,
                all_shards=shards,
                ready_timeout=1_800,
            )
            ready_seconds = time.perf_counter() - started
            await bot.stop()
        floor: dict[str, Any] | None = None
        if not args.no_floor:
            urls = ["--api-base", sandbox.api_base, "--gateway", sandbox.gateway_url]
            urls += ["--shards", str(shards)]
            child = await start_child(HERE / "_floor.py", urls, ready_timeout=1_800)
            await child.stop()
            floor = child.ready
        stack: dict[str, Any] | None = None
        if args.stack_floor:
            urls = ["--api-base", sandbox.api_base, "--gateway", sandbox.gateway_url]
            urls += ["--shards", str(shards), "--stack"]
            child = await start_child(HERE / "_floor.py", urls, ready_timeout=1_800)
            await child.stop()
            stack = child.ready
    ready = bot.ready
    return {
        "bench": "memory",
        "guilds_wanted": guilds,
        "guilds": ready["guilds"],
        "channels": ready["channels"],
        "subscriptions": subscriptions,
        "tick": not args.no_tick,
        "tick_outcomes": ready.get("outcomes"),  # by status: what the tick did
        "shards": shards,
        "peak_rss_mb": ready["peak_rss_mb"],
        "rss_mb": ready["rss_mb"],
        "floor_peak_rss_mb": floor["peak_rss_mb"] if floor else None,
        "floor_rss_mb": floor["rss_mb"] if floor else None,
        "floor_guilds": floor["guilds"] if floor else None,
        "floor_channels": floor["channels"] if floor else None,
        "peak_ratio_to_floor": ratio(ready["peak_rss_mb"], floor["peak_rss_mb"] if floor else None),
        "peak_ratio_to_150mb": round(ready["peak_rss_mb"] / 150, 3),
        **(
            {
                "stack_floor_peak_rss_mb": stack["peak_rss_mb"],
                "peak_ratio_to_stack_floor": ratio(ready["peak_rss_mb"], stack["peak_rss_mb"]),
            }
            if stack
            else {}
        ),
        "seconds_to_ready": round(ready_seconds, 1),
        "machine": machine(),
    }


def summary(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Ratios by size, MB per 1,000 guilds of each (and their ratio), and the targets."""
    guilds = [float(line["guilds"]) for line in lines]
    slope = fit(guilds, [line["peak_rss_mb"] for line in lines])
    floors = [line["floor_peak_rss_mb"] for line in lines]
    floor_slope = fit(guilds, floors) if None not in floors else None
    bot_per_1000 = None if slope is None else round(slope * 1000, 2)
    floor_per_1000 = None if floor_slope is None else round(floor_slope * 1000, 2)
    at = min(range(len(lines)), key=lambda i: abs(lines[i]["guilds"] - 2_500))
    slope_ratio = ratio(bot_per_1000, floor_per_1000)
    # A size where the bot or the floor held fewer guilds than the world has is no figure.
    valid = [
        line["guilds"] == line["guilds_wanted"] and line["floor_guilds"] in (None, line["guilds"])
        for line in lines
    ]
    return {
        "bench": "memory",
        "summary": True,
        "sizes": [line["guilds"] for line in lines],
        "peak_rss_mb": {str(line["guilds"]): line["peak_rss_mb"] for line in lines},
        "floor_peak_rss_mb": {str(line["guilds"]): line["floor_peak_rss_mb"] for line in lines},
        "peak_ratio_to_floor": {str(line["guilds"]): line["peak_ratio_to_floor"] for line in lines},
        **(
            {
                "stack_floor_peak_rss_mb": {
                    str(line["guilds"]): line["stack_floor_peak_rss_mb"] for line in lines
                },
                "peak_ratio_to_stack_floor": {
                    str(line["guilds"]): line["peak_ratio_to_stack_floor"] for line in lines
                },
            }
            if all("stack_floor_peak_rss_mb" in line for line in lines)
            else {}
        ),
        "growth": {
            "mb_per_1000_guilds": bot_per_1000,
            "floor_mb_per_1000_guilds": floor_per_1000,
            "slope_ratio_to_floor": slope_ratio,
            "loglog_slope": loglog_slope(
                [line["guilds"] for line in lines], [line["peak_rss_mb"] for line in lines]
            ),
        },
        "targets": {
            "at_guilds": lines[at]["guilds"],
            "every_guild_held": all(valid),
            "peak_ratio_le_1.3": met(lines[at]["peak_ratio_to_floor"], 1.3, valid=valid[at]),
            "slope_ratio_le_1.3": met(slope_ratio, 1.3, valid=all(valid)),
        },
        "machine": machine(),
    }


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every size, one JSON line each; returns them."""
    lines = []
    for guilds in args.sizes:
        line = await one_size(args, guilds)
        emit(line)
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> None:
    """Run; one JSON line per size, then the summary line."""
    args = parse_args(argv)
    quiet()
    finish("memory", lambda: asyncio.run(run(args)), summary, plot=args.plot)


if __name__ == "__main__":
    main()
