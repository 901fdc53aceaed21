"""Command benchmark: `/hot` round trips through the sandbox, against a floor, at growing stores.

For each size in `--sizes` (papers; default 10k, 100k, 1M), one SQLite store grows to that
many synthetic papers, `--per-day` a day (seeded; through `Store.save_digests`, 250 days a
transaction, the path `hotpapers import` uses), and in a fresh sandbox two bots answer the
same `--requests` `/hot` commands, run by `--concurrency` simulated users at once:

- **bot**: the real `HotPapersBot` (child process `_botproc.py`);
- **floor**: a bare discord.py bot (`_floor.py`: no store, one `/hot` with the same options
  that answers a constant message, the bot's own answer to a day: the same bytes on the wire).

The mix (seeded) is what members type: the latest day, a given day, a day and a category, a
week or a month ending on a given day. Latency is the sandbox's: from the INTERACTION_CREATE
it dispatches to the first visible answer (`latency_ms`; Discord allows 3,000 ms). Each child's
CPU time per command comes from /proc; this process is the sandbox and the users.

What survives a change of machine is the ratio of the two, measured side by side: HotPapers'
CPU per command, p50 and p99 over the floor's. One JSON line per size, then a summary line
(ratios, the growth from the smallest to the largest store, the slope of log cost over log
size, and the issue-16 targets) last.

    python bench/commands.py --sizes 10000,100000,1000000 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import random
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from _botproc import HERE, BotProcess, start_bot, start_child
from _common import (
    add_plot_arg,
    answered_all,
    cpu_seconds,
    emit,
    finish,
    loglog_slope,
    machine,
    met,
    percentile,
    quiet,
    ratio,
    sizes_arg,
)

from bot.app.bot import settle_gc
from bot.models import Digest, Paper, Tweet
from bot.store import open_store
from sandbox.testing import running_sandbox

DEFERRED = 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
SOURCE = "hotpapers-md"  # the config's default source, served from the store only
FIRST_DAY = date(2008, 1, 1)
FILL_BATCH = 250  # days a transaction while the store grows (`Store.save_digests`)
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
    parser.add_argument(
        "--sizes",
        type=sizes_arg,
        default=[10_000, 100_000, 1_000_000],
        help="store sizes in papers (default 10000,100000,1000000)",
    )
    parser.add_argument("--papers", type=int, help="one size only (same as --sizes N)")
    parser.add_argument("--per-day", type=int, default=20, help="papers a day (default 20)")
    parser.add_argument("--days", type=int, help="days of the first size (sets --per-day)")
    parser.add_argument("--concurrency", type=int, default=50, help="users at once (default 50)")
    parser.add_argument("--requests", type=int, default=2_000, help="commands (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="data and request mix")
    parser.add_argument("--no-floor", action="store_true", help="only the bot (no ratios)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs of each side, in ABBA order (default 2)"
    )
    parser.add_argument(
        "--floor-gc",
        choices=["settled", "default"],
        default="settled",
        help="the floor's garbage collector: settled after READY as the bot's (default), or"
        " CPython's defaults",
    )
    add_plot_arg(parser)
    args = parser.parse_args(argv)
    if args.papers:
        args.sizes = [args.papers]
    args.sizes = sorted(set(args.sizes))
    if args.days:
        args.per_day = max(1, -(-args.sizes[0] // args.days))
    return args


def paper_id(n: int) -> str:
    """The n-th distinct new-style arXiv id (from 1501.00001 on; 85 years of 99,999 a month)."""
    month, seq = divmod(n, 99_999)
    return f"{15 + month // 12:02d}{month % 12 + 1:02d}.{seq + 1:05d}"


def synthetic_days(per_day: int, seed: int) -> Iterator[Digest]:
    """An endless run of days of `per_day` distinct papers each, ranked by score (seeded).

    A generator: a million papers are made and saved a day at a time, never held at once.
    """
    rng = random.Random(seed)
    n = 0
    for d in itertools.count():
        items: list[Paper] = []
        for _ in range(per_day):
            cats = rng.sample(CATEGORIES, rng.randint(1, 3))
            retweets, likes = rng.randint(0, 900), rng.randint(0, 3000)
            items.append(
                Paper(
                    arxiv_id=paper_id(n),
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
            n += 1
        items.sort(key=lambda p: p.score or 0.0, reverse=True)
        day = FIRST_DAY + timedelta(days=d)
        yield Digest(day=day, source=SOURCE, papers=items, fetched_at=datetime.now(UTC))


def synthetic_digests(papers: int, days: int, seed: int) -> list[Digest]:
    """`papers` papers over `days` days (the first `days` of `synthetic_days`)."""
    per_day = max(1, -(-papers // days))
    return list(itertools.islice(synthetic_days(per_day, seed), days))


def request_mix(n: int, days: int, seed: int) -> list[dict[str, Any]]:
    """`n` seeded `/hot` option sets over the first `days` days."""
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


class Tally:
    """The pooled figures of one side (bot or floor) over its runs."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.by_kind: dict[str, list[float]] = {}
        self.statuses: Counter[str] = Counter()
        self.seconds = 0.0
        self.commands = 0
        self.cpu: dict[str, float | None] = {"bot": 0.0, "harness": 0.0}

    async def measure(
        self,
        sandbox: Any,
        child: BotProcess,
        mix: list[dict[str, Any]],
        concurrency: int,
        members: list[int],
    ) -> None:
        """Run the mix once against `child` (READY, warmed up) on a freshly reset sandbox."""
        # Forget the messages, requests and interactions of the runs before, so the harness
        # does the same work for either side, whichever runs first.
        await sandbox.control.reset()
        gc.unfreeze()
        settle_gc()
        pids = {"bot": child.proc.pid, "harness": os.getpid()}
        before = {k: cpu_seconds(pid) for k, pid in pids.items()}
        latencies, statuses, seconds, by_kind = await hammer(sandbox, mix, concurrency, members)
        for k, pid in pids.items():
            after, was, total = cpu_seconds(pid), before[k], self.cpu[k]
            if after is None or was is None or total is None:
                self.cpu[k] = None
            else:
                self.cpu[k] = total + after - was
        self.latencies += latencies
        for key, values in by_kind.items():
            self.by_kind.setdefault(key, []).extend(values)
        self.statuses.update(statuses)
        self.seconds += seconds
        self.commands += len(mix)

    def figures(self) -> dict[str, Any]:
        """Latency percentiles, throughput and CPU per command over every run."""
        lat = self.latencies
        cpu = {
            k: None if v is None or not self.commands else round(v * 1000 / self.commands, 3)
            for k, v in self.cpu.items()
        }
        return {
            "p50_ms": round(percentile(lat, 50), 2),
            "p99_ms": round(percentile(lat, 99), 2),
            "max_ms": round(max(lat), 2) if lat else None,
            "commands_per_s": round(len(lat) / self.seconds, 1) if self.seconds else None,
            "statuses": dict(sorted(self.statuses.items())),
            "complete": answered_all(self.statuses, self.commands),
            "p99_ms_by_kind": {
                kind: round(percentile(values, 99), 2)
                for kind, values in sorted(self.by_kind.items())
            },
            "cpu_ms_per_command": cpu["bot"],
            "harness_cpu_ms_per_command": cpu["harness"],
        }


def floor_answer(sample: Any) -> dict[str, Any]:
    """What the floor answers: the bot's own public answer to a day, byte for byte.

    Raises unless the bot answered that day publicly: a floor answering "?" or an error
    message would be a floor doing less work than the bot (the ratios would flatter nothing
    but would not be the ratios either).
    """
    if sample.status != "answered" or sample.ephemeral or not sample.messages:
        raise RuntimeError(f"the bot did not answer the sample /hot publicly: {sample.status}")
    message = sample.messages[0]
    return {"content": message.get("content"), "embeds": message.get("embeds") or []}


def order(rounds: int, floor: bool) -> str:
    """Which side runs when: B (bot) and F (floor) in ABBA rounds (BF, FB, BF, …)."""
    if not floor:
        return "B" * rounds
    return "".join("BF" if r % 2 == 0 else "FB" for r in range(rounds))


async def one_size(
    args: argparse.Namespace, path: Path, days: int, last_day: date, tmp: Path
) -> dict[str, Any]:
    """The bot and the floor, in ABBA rounds, in one fresh sandbox, on the store at `path`."""
    mix = request_mix(args.requests, days, args.seed)
    now = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), UTC)
    tallies = {"B": Tally(), "F": Tally()}
    answer: dict[str, Any] | None = None
    answer_path = tmp / "answer.json"
    async with running_sandbox(interaction_deadline=3.0) as sandbox:
        guild = await sandbox.control.add_guild("Readers", channels=["papers"])
        members = [
            (await sandbox.control.add_member(guild.id, f"reader{i}")).user.id
            for i in range(len(mix))
        ]
        urls = ["--api-base", sandbox.api_base, "--gateway", sandbox.gateway_url]
        running: tuple[str, BotProcess] | None = None
        try:
            for side in order(args.rounds, not args.no_floor):
                if running is None or running[0] != side:
                    if running is not None:
                        await running[1].stop()
                        running = None
                    if side == "B":
                        child = await start_bot(sandbox.api_base, sandbox.gateway_url, path, now)
                    else:
                        assert answer is not None
                        floor_args = [*urls, "--answer", str(answer_path)]
                        if args.floor_gc == "default":
                            floor_args.append("--default-gc")
                        child = await start_child(HERE / "_floor.py", floor_args)
                    running = (side, child)
                    # Untimed commands first: imports, caches and the first connection are
                    # not the figure.
                    await sandbox.control.invoke("hot", {})
                    if side == "B" and answer is None:
                        # The bot's answer to a day is what the floor answers, byte for byte.
                        sample = await sandbox.control.invoke("hot", {"date": last_day.isoformat()})
                        answer = floor_answer(sample)
                        answer_path.write_text(json.dumps(answer))
                await tallies[side].measure(sandbox, running[1], mix, args.concurrency, members)
        finally:
            if running is not None:
                await running[1].stop()
    bot_figures = tallies["B"].figures()
    figures: dict[str, Any] = {
        "bot": bot_figures,
        "floor": None,
        "order": order(args.rounds, not args.no_floor),
    }
    if not args.no_floor:
        floor_figures = tallies["F"].figures()
        floor_figures["answer_bytes"] = len(json.dumps(answer).encode())
        floor_figures["gc"] = args.floor_gc
        figures["floor"] = floor_figures
        figures["ratios"] = {
            "cpu_per_command": ratio(
                bot_figures["cpu_ms_per_command"], floor_figures["cpu_ms_per_command"]
            ),
            "p50": ratio(bot_figures["p50_ms"], floor_figures["p50_ms"]),
            "p99": ratio(bot_figures["p99_ms"], floor_figures["p99_ms"]),
        }
    return figures


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Grow the store size by size; at each, the bot and the floor. Returns the JSON lines."""
    lines: list[dict[str, Any]] = []
    stream = synthetic_days(args.per_day, args.seed)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "bench.sqlite3"
        days = 0
        last_day = FIRST_DAY
        for size in args.sizes:
            async with open_store(path) as store:
                saved, fill_seconds = 0, 0.0
                target_days = -(-size // args.per_day)
                while days < target_days:
                    batch = list(itertools.islice(stream, min(FILL_BATCH, target_days - days)))
                    started = time.perf_counter()
                    await store.save_digests(batch, final=True)
                    fill_seconds += time.perf_counter() - started
                    saved += sum(len(d.papers) for d in batch)
                    days += len(batch)
                    last_day = batch[-1].day
                counts = await store.counts()
            figures = await one_size(args, path, days, last_day, tmp)
            line: dict[str, Any] = {
                "bench": "commands",
                "papers": counts.get("papers"),
                "days": counts.get("digests"),
                "concurrency": args.concurrency,
                "requests": args.requests,
                "rounds": args.rounds,
                # the bot's figures also at the top level, under their former names
                "p50_ms": figures["bot"]["p50_ms"],
                "p99_ms": figures["bot"]["p99_ms"],
                "statuses": figures["bot"]["statuses"],
                "bot_cpu_ms_per_command": figures["bot"]["cpu_ms_per_command"],
                "harness_cpu_ms_per_command": figures["bot"]["harness_cpu_ms_per_command"],
                "p99_ratio_to_3s_deadline": round(figures["bot"]["p99_ms"] / 3000, 4),
                **figures,
                "import_papers_per_s": round(saved / fill_seconds) if fill_seconds else None,
                "fill_seconds": round(fill_seconds, 1),
                "machine": machine(),
            }
            lines.append(line)
            emit(line)
    return lines


def summary(args: argparse.Namespace, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Ratios by size, growth from the smallest store to the largest, and the targets."""
    sizes = [line["papers"] for line in lines]
    bot = [line["bot"] for line in lines]
    ratios = [line.get("ratios") or {} for line in lines]
    first, last = 0, len(lines) - 1
    growth = {
        "p99_largest_over_smallest": ratio(bot[last]["p99_ms"], bot[first]["p99_ms"]),
        "p99_ratio_largest_over_smallest": ratio(ratios[last].get("p99"), ratios[first].get("p99")),
        "cpu_largest_over_smallest": ratio(
            bot[last]["cpu_ms_per_command"], bot[first]["cpu_ms_per_command"]
        ),
        "cpu_ratio_largest_over_smallest": ratio(
            ratios[last].get("cpu_per_command"), ratios[first].get("cpu_per_command")
        ),
        "p99_loglog_slope": loglog_slope(sizes, [b["p99_ms"] for b in bot]),
        "cpu_loglog_slope": loglog_slope(sizes, [b["cpu_ms_per_command"] or 0 for b in bot]),
    }
    # The targets are set at 100k papers: the size nearest to it in this run. A size where
    # either side left a command unanswered (or refused it) meets no target (`met`).
    at = min(range(len(sizes)), key=lambda i: abs(sizes[i] - 100_000))
    valid = [
        line["bot"]["complete"] and (line["floor"] or {}).get("complete", True) for line in lines
    ]
    targets = {
        "at_papers": sizes[at],
        "every_command_answered": all(valid),
        "cpu_ratio_le_1.5": met(ratios[at].get("cpu_per_command"), 1.5, valid=valid[at]),
        "p99_ratio_le_2": met(ratios[at].get("p99"), 2.0, valid=valid[at]),
        "largest_within_1.2x_smallest": met(
            growth["p99_ratio_largest_over_smallest"], 1.2, valid=all(valid)
        )
        if len(lines) > 1
        else None,
    }
    return {
        "bench": "commands",
        "summary": True,
        "concurrency": args.concurrency,
        "requests": args.requests,
        "sizes": sizes,
        "ratios": {str(s): r for s, r in zip(sizes, ratios, strict=True)},
        "p99_ms": {str(s): b["p99_ms"] for s, b in zip(sizes, bot, strict=True)},
        "floor_p99_ms": {
            str(s): (line["floor"] or {}).get("p99_ms")
            for s, line in zip(sizes, lines, strict=True)
        },
        "cpu_ms_per_command": {
            str(s): b["cpu_ms_per_command"] for s, b in zip(sizes, bot, strict=True)
        },
        "floor_cpu_ms_per_command": {
            str(s): (line["floor"] or {}).get("cpu_ms_per_command")
            for s, line in zip(sizes, lines, strict=True)
        },
        "growth": growth,
        "targets": targets,
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
    sandbox: Any, mix: list[dict[str, Any]], concurrency: int, members: list[int]
) -> tuple[list[float], Counter[str], float, dict[str, list[float]]]:
    """Run the commands with `concurrency` users at once, the i-th as member `members[i]`.

    Every command comes from its own member: `/hot` has a per-member budget (5 a minute), and
    one member sending 2,000 would be answered "slow down" 1,995 times, which is not the
    figure. An answer that is only visible to its member (an error or a refusal) counts as
    `ephemeral`, not `answered`; one that came after a defer (the bot defers a command not
    answered within 1.5 s: one more request) as `answered_after_defer`.
    Returns (latencies, statuses, seconds, latencies by kind).
    """
    queue = list(reversed(list(zip(mix, members, strict=False))))
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    statuses: Counter[str] = Counter()

    async def user() -> None:
        while queue:
            options, member = queue.pop()
            result = await sandbox.control.invoke("hot", options, user_id=member, timeout=10)
            status = result.status
            if status == "answered" and result.ephemeral:
                status = "ephemeral"
            elif status == "answered" and result.response_type == DEFERRED:
                status = "answered_after_defer"  # one more request: the bot was slow
            statuses[status] += 1
            if result.latency_ms is not None:
                latencies.append(result.latency_ms)
                by_kind.setdefault(kind(options), []).append(result.latency_ms)

    started = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(concurrency)))
    return latencies, statuses, time.perf_counter() - started, by_kind


def main(argv: list[str] | None = None) -> None:
    """Run; print one JSON line per size, then the summary line."""
    args = parse_args(argv)
    quiet()
    finish(
        "commands",
        lambda: asyncio.run(run(args)),
        lambda lines: summary(args, lines),
        plot=args.plot,
    )


if __name__ == "__main__":
    main()
