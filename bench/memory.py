"""Memory benchmark: peak RSS of the bot process after READY in many guilds.

The sandbox (in this process) holds `--guilds` guilds of `--channels-per-guild` text channels
each, and sends one GUILD_CREATE per guild when the bot identifies; a SQLite store holds
`--subscriptions` subscriptions spread over those channels (seeded times and zones) and a
year of digests. The real `HotPapersBot` runs in a child process, so the figure is the bot's
alone: its peak resident set (VmHWM) after READY and one scheduler tick over every
subscription (the tick finds no digest for the due day, so nothing is posted).

    python bench/memory.py --guilds 2500 --subscriptions 10000
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

from _botproc import start_bot
from _common import emit, machine, quiet

from bot.cli.preview import sample_digest
from bot.models import Subscription
from bot.store import open_store
from sandbox.testing import running_sandbox

NOW = datetime(2021, 3, 13, 12, 0, tzinfo=UTC)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guilds", type=int, default=2_500, help="guilds (default 2500)")
    parser.add_argument(
        "--subscriptions", type=int, default=10_000, help="subscribed channels (default 10000)"
    )
    parser.add_argument(
        "--channels-per-guild", type=int, default=0, help="(default: enough for the subscriptions)"
    )
    parser.add_argument("--seed", type=int, default=1, help="subscription times and zones")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the world, start the bot in a child process, read its memory; returns figures."""
    rng = random.Random(args.seed)
    per_guild = args.channels_per_guild or max(1, -(-args.subscriptions // args.guilds) + 1)
    async with running_sandbox() as sandbox:
        channels: list[tuple[int, int]] = []  # (guild, channel)
        for g in range(args.guilds):
            guild = await sandbox.control.add_guild(
                f"Guild {g}", channels=[f"c{i}" for i in range(per_guild)]
            )
            channels.extend((guild.id, c) for c in guild.channels)
        if args.subscriptions > len(channels):
            raise SystemExit("more subscriptions than channels: raise --channels-per-guild")
        chosen = rng.sample(channels, args.subscriptions)
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
                            post_time=f"{rng.randrange(24):02d}:{rng.choice((0, 30)):02d}",
                            timezone=rng.choice(ZONES),
                            created_at=NOW - timedelta(days=30),
                        )
                    )
            started = time.perf_counter()
            bot = await start_bot(sandbox.api_base, sandbox.gateway_url, path, NOW, tick=True)
            ready_seconds = time.perf_counter() - started
            await bot.stop()
    ready = bot.ready
    return {
        "bench": "memory",
        "guilds": ready["guilds"],
        "channels": ready["channels"],
        "subscriptions": args.subscriptions,
        "peak_rss_mb": ready["peak_rss_mb"],
        "rss_mb": ready["rss_mb"],
        "peak_ratio_to_150mb": round(ready["peak_rss_mb"] / 150, 3),
        "seconds_to_ready": round(ready_seconds, 1),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    """Run and print the figures as one JSON line."""
    args = parse_args(argv)
    quiet()
    emit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
