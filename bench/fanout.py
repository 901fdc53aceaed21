"""Fan-out benchmark: one day's digest to N sandbox channels under Discord's real rate limits.

The sandbox enforces Discord's limits (50 requests/s global, 5 messages per 5 s per channel,
429 with `retry_after`) and adds `--rtt-ms` to every REST request (a latency fault on every
route). Two ways of posting the same digest are timed in one run, each to its own N channels:

- **bot**: the real path: `HotPapersBot` with its default config, N subscriptions in a SQLite
  store, the clock at the subscriptions' post time, one `Scheduler.tick()` (scheduler →
  publisher → ledger → `DiscordSender`, at most `discord.max_concurrent_posts` in flight);
- **naive**: one `await channel.send(...)` after another through discord.py, same payload.

Figures (one JSON line, last): requests/s achieved by each (successful bot-token requests
divided by wall time) and that divided by the global limit, 429s, duplicates and misses (by
the messages each channel ends up with), and the bot's speed-up over the naive loop.

    python bench/fanout.py --channels 200 --rtt-ms 50
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
from _common import FakeClock, emit, machine, make_config, quiet

from bot.app.bot import intents
from bot.app.compose import build_bot
from bot.cli.preview import sample_digest
from bot.models import Subscription
from bot.render import render_digest
from bot.store import open_store
from sandbox.app import Sandbox
from sandbox.state import RequestRecord
from sandbox.testing import running_bot, running_sandbox, sandbox_bot_options

POST = "POST /channels/{channel_id}/messages"
POST_TIME = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)  # the sample (2021-03-12) is complete
CHANNELS_PER_GUILD = 50


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=200, help="channels (default 200)")
    parser.add_argument(
        "--rtt-ms", type=float, default=50.0, help="round trip per REST request (default 50)"
    )
    parser.add_argument("--global-limit", type=int, default=50, help="requests/s (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="order of the subscriptions")
    parser.add_argument("--skip-naive", action="store_true", help="only the bot's fan-out")
    return parser.parse_args(argv)


async def add_channels(sandbox: Sandbox, prefix: str, n: int) -> list[int]:
    """N text channels in guilds of at most CHANNELS_PER_GUILD."""
    ids: list[int] = []
    for start in range(0, n, CHANNELS_PER_GUILD):
        names = [f"{prefix}{i:04d}" for i in range(start, min(n, start + CHANNELS_PER_GUILD))]
        guild = await sandbox.control.add_guild(f"{prefix} {start}", channels=names)
        ids.extend(c.id for c in guild.channels.values() if c.name.startswith(prefix))
    return ids


def window(records: list[RequestRecord], since: float) -> list[RequestRecord]:
    """Bot-token requests (those the global limit counts) recorded after `since`."""
    return [
        r
        for r in records
        if r.time >= since and not r.route.split(" ", 1)[1].startswith(("/webhooks/", "/inter"))
    ]


def tally(
    sandbox: Sandbox, channels: list[int], since: float, seconds: float, limit: int
) -> dict[str, Any]:
    """What one fan-out achieved, from the sandbox's request log and its channels."""
    reqs = window(sandbox.control.requests(), since)
    ok = [r for r in reqs if 200 <= r.status < 300]
    counts = [len(sandbox.control.messages(c)) for c in channels]
    rate = len(ok) / seconds if seconds > 0 else 0.0
    return {
        "seconds": round(seconds, 3),
        "requests": len(ok),
        "requests_per_s": round(rate, 2),
        "global_ratio": round(rate / limit, 3),
        "http_429": len([r for r in reqs if r.status == 429]),
        "duplicates": sum(c - 1 for c in counts if c > 1),
        "misses": sum(1 for c in counts if c == 0),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Both fan-outs against one sandbox; returns the figures."""
    rng = random.Random(args.seed)
    digest = sample_digest()
    payload = render_digest(digest, "compact")[0]
    config = make_config()
    async with running_sandbox(global_limit=args.global_limit) as sandbox:
        bot_channels = await add_channels(sandbox, "b", args.channels)
        naive_channels = await add_channels(sandbox, "n", args.channels)
        rng.shuffle(bot_channels)
        with tempfile.TemporaryDirectory() as tmp:
            async with open_store(Path(tmp) / "bench.sqlite3") as store:
                await store.save_digest(digest, final=True)
                for cid in bot_channels:
                    guild_id = sandbox.state.channels[cid].guild_id
                    await store.upsert_subscription(
                        Subscription(
                            guild_id=guild_id,
                            channel_id=cid,
                            post_time="09:00",
                            created_at=POST_TIME,
                        )
                    )
                clock = FakeClock(POST_TIME)
                bot = build_bot(
                    config,
                    store,
                    clock=clock,
                    run_scheduler=False,
                    **sandbox_bot_options(intents=intents()),
                )
                async with running_bot(sandbox, bot, ready_timeout=60):
                    sandbox.control.inject_fault("*", latency_ms=args.rtt_ms, times=None)
                    await asyncio.sleep(1.1)  # a fresh global window for each run
                    naive: dict[str, Any] | None = None
                    if not args.skip_naive:
                        since = time.time()
                        started = time.perf_counter()
                        await naive_loop(bot, naive_channels, payload)
                        seconds = time.perf_counter() - started
                        naive = tally(sandbox, naive_channels, since, seconds, args.global_limit)
                        await asyncio.sleep(1.1)
                    since = time.time()
                    started = time.perf_counter()
                    report = await bot.scheduler.tick()
                    seconds = time.perf_counter() - started
                    fanout = tally(sandbox, bot_channels, since, seconds, args.global_limit)
                    fanout["outcomes"] = {
                        s: sum(1 for o in report.outcomes if o.status == s)
                        for s in sorted({o.status for o in report.outcomes})
                    }
    figures: dict[str, Any] = {
        "bench": "fanout",
        "channels": args.channels,
        "rtt_ms": args.rtt_ms,
        "global_limit": args.global_limit,
        "max_concurrent_posts": config.discord.max_concurrent_posts,
        "global_ratio": fanout["global_ratio"],
        "http_429": fanout["http_429"],
        "duplicates": fanout["duplicates"],
        "misses": fanout["misses"],
        "bot": fanout,
        "naive": naive,
        "speedup": round(naive["seconds"] / fanout["seconds"], 2) if naive else None,
        "machine": machine(),
    }
    return figures


async def naive_loop(bot: discord.Client, channels: list[int], payload: dict[str, Any]) -> None:
    """One `await channel.send` after another: what a first version of a bot does."""
    embeds = [discord.Embed.from_dict(e) for e in payload.get("embeds", [])]
    for cid in channels:
        channel = bot.get_channel(cid)
        assert isinstance(channel, discord.TextChannel), cid
        await channel.send(content=payload.get("content"), embeds=embeds)


def main(argv: list[str] | None = None) -> None:
    """Run and print the figures as one JSON line."""
    args = parse_args(argv)
    quiet()
    emit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
