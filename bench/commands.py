"""Command benchmark: `/hot` round trips through the sandbox against a large store.

A temporary SQLite store is filled with `--papers` synthetic papers spread over `--days`
consecutive days (seeded; through `Store.save_digest`, the same path `hotpapers import` uses),
the real `HotPapersBot` connects to the sandbox, and `--requests` `/hot` commands are run by
`--concurrency` simulated users at once. The mix (seeded) is what members type: the latest
day, a given day, a given day and category, and a week or a month ending on a given day.

Latency is the sandbox's: from the INTERACTION_CREATE it dispatches to the bot's first visible
answer (`latency_ms`, Discord allows 3,000 ms). The bot runs in a child process
(`_botproc.py`); this process is the sandbox and the users. Both report the CPU time they
spent per command (`*_cpu_ms_per_command`, from /proc): steadier than latency on a shared
machine, and it says which side is the bottleneck.

    python bench/commands.py --papers 100000 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from _botproc import start_bot
from _common import cpu_seconds, emit, machine, percentile, quiet

from bot.app.bot import settle_gc
from bot.models import Digest, Paper, Tweet
from bot.store import open_store
from bot.store.base import Store
from sandbox.testing import running_sandbox

SOURCE = "hotpapers-md"  # the config's default source, served from the store only
FIRST_DAY = date(2008, 1, 1)
CATEGORIES = [
    "cs.CV", "cs.LG", "cs.CL", "cs.AI", "stat.ML", "cs.RO", "cs.NE", "eess.IV", "math.OC",
    "physics.comp-ph", "q-bio.NC", "astro-ph.CO", "cs.IR", "cs.CR", "quant-ph", "hep-th",
]  # fmt: skip
WORDS = [
    "neural", "sparse", "attention", "graph", "diffusion", "transformer", "robust", "scalable",
    "learning", "efficient", "quantum", "causal", "bayesian", "optimal", "adaptive", "latent",
    "contrastive", "federated", "reinforcement", "language", "vision", "protein", "galaxy",
    "manifold", "kernel", "gradient", "memory", "retrieval",
]  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=100_000, help="papers (default 100000)")
    parser.add_argument("--days", type=int, default=5_000, help="days (default 5000)")
    parser.add_argument("--concurrency", type=int, default=50, help="users at once (default 50)")
    parser.add_argument("--requests", type=int, default=2_000, help="commands (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="data and request mix")
    return parser.parse_args(argv)


def synthetic_digests(papers: int, days: int, seed: int) -> list[Digest]:
    """`papers` distinct papers over `days` days (as even as possible), ranked by score."""
    rng = random.Random(seed)
    per_day, extra = divmod(papers, days)
    out: list[Digest] = []
    month_seq: Counter[str] = Counter()
    for d in range(days):
        day = FIRST_DAY + timedelta(days=d)
        yymm = day.strftime("%y%m")
        items: list[Paper] = []
        for _ in range(per_day + (1 if d < extra else 0)):
            month_seq[yymm] += 1
            cats = rng.sample(CATEGORIES, rng.randint(1, 3))
            retweets, likes = rng.randint(0, 900), rng.randint(0, 3000)
            items.append(
                Paper(
                    arxiv_id=f"{yymm}.{month_seq[yymm]:05d}",
                    version=rng.randint(1, 3),
                    title=" ".join(rng.choices(WORDS, k=rng.randint(4, 10))).capitalize(),
                    authors=[f"Author {rng.randint(1, 50_000)}" for _ in range(rng.randint(1, 6))],
                    categories=cats,
                    abstract=" ".join(rng.choices(WORDS, k=rng.randint(30, 60))),
                    metrics={"retweets": retweets, "favorites": likes},
                    score=float(retweets * 2 + likes),
                    tweets=[
                        Tweet(
                            author=f"User {k}",
                            handle=f"user{k}",
                            url=f"https://twitter.com/user{k}/status/{rng.randint(1, 10**9)}",
                            text=" ".join(rng.choices(WORDS, k=12)),
                        )
                        for k in range(rng.randint(0, 2))
                    ],
                )
            )
        items.sort(key=lambda p: p.score, reverse=True)
        out.append(Digest(day=day, source=SOURCE, papers=items, fetched_at=datetime.now(UTC)))
    return out


async def fill(store: Store, digests: list[Digest]) -> None:
    """Save every digest through the Store API."""
    for digest in digests:
        await store.save_digest(digest, final=True)


def request_mix(n: int, days: int, seed: int) -> list[dict[str, Any]]:
    """`n` seeded `/hot` option sets."""
    rng = random.Random(seed + 1)
    out: list[dict[str, Any]] = []
    for _ in range(n):
        day = (FIRST_DAY + timedelta(days=rng.randrange(days))).isoformat()
        roll = rng.random()
        if roll < 0.35:
            out.append({})
        elif roll < 0.65:
            out.append({"date": day})
        elif roll < 0.9:
            out.append({"date": day, "category": rng.choice(CATEGORIES)})
        elif roll < 0.97:
            out.append({"date": day, "window": "week"})
        else:
            out.append({"date": day, "window": "month"})
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Fill the store, start the sandbox and the bot, run the commands; returns the figures."""
    digests = synthetic_digests(args.papers, args.days, args.seed)
    last_day = digests[-1].day
    mix = request_mix(args.requests, args.days, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        async with open_store(path) as store:
            started = time.perf_counter()
            await fill(store, digests)
            fill_seconds = time.perf_counter() - started
            counts = await store.counts()
        del digests
        now = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), UTC)
        async with running_sandbox(interaction_deadline=3.0) as sandbox:
            await sandbox.control.add_guild("Readers", channels=["papers"])
            bot = await start_bot(sandbox.api_base, sandbox.gateway_url, path, now)
            # This process is the stand-in for Discord and the users: its own garbage
            # collections (it logs every request) must not show up as the bot's latency, so it
            # settles its collector the way the bot does after READY.
            settle_gc()
            try:
                # One untimed command first: imports, caches and the first connection are
                # not the figure.
                await sandbox.control.invoke("hot", {})
                pids = {"bot": bot.proc.pid, "harness": os.getpid()}
                cpu_before = {k: cpu_seconds(pid) for k, pid in pids.items()}
                latencies, statuses, seconds, by_kind = await hammer(sandbox, mix, args.concurrency)
                cpu_after = {k: cpu_seconds(pid) for k, pid in pids.items()}
            finally:
                await bot.stop()
    cpu_ms = {
        k: round((after - before) * 1000 / len(mix), 3)
        for k, after in cpu_after.items()
        if after is not None and (before := cpu_before[k]) is not None
    }
    return {
        "bench": "commands",
        "papers": counts.get("papers"),
        "days": counts.get("digests"),
        "concurrency": args.concurrency,
        "requests": len(mix),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2) if latencies else None,
        "p99_ratio_to_3s_deadline": round(percentile(latencies, 99) / 3000, 4),
        "commands_per_s": round(len(latencies) / seconds, 1) if seconds else None,
        "statuses": dict(sorted(statuses.items())),
        "p99_ms_by_kind": {
            kind: round(percentile(values, 99), 2) for kind, values in sorted(by_kind.items())
        },
        "bot_cpu_ms_per_command": cpu_ms.get("bot"),
        "harness_cpu_ms_per_command": cpu_ms.get("harness"),
        "fill_seconds": round(fill_seconds, 1),
        "machine": machine(),
    }


def kind(options: dict[str, Any]) -> str:
    """Which part of the mix a command is (latest, day, category, week, month)."""
    if "window" in options:
        return str(options["window"])
    if "category" in options:
        return "category"
    return "day" if "date" in options else "latest"


async def hammer(
    sandbox: Any, mix: list[dict[str, Any]], concurrency: int
) -> tuple[list[float], Counter[str], float, dict[str, list[float]]]:
    """Run the commands with `concurrency` users at once.

    Returns (latencies, statuses, seconds, latencies by kind of command).
    """
    queue = list(reversed(mix))
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    statuses: Counter[str] = Counter()

    async def user() -> None:
        while queue:
            options = queue.pop()
            result = await sandbox.control.invoke("hot", options, timeout=10)
            statuses[result.status] += 1
            if result.latency_ms is not None:
                latencies.append(result.latency_ms)
                by_kind.setdefault(kind(options), []).append(result.latency_ms)

    started = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(concurrency)))
    return latencies, statuses, time.perf_counter() - started, by_kind


def main(argv: list[str] | None = None) -> None:
    """Run and print the figures as one JSON line."""
    args = parse_args(argv)
    quiet()
    emit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
