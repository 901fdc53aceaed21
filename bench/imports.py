"""Import benchmark: papers per second through `Store.save_digests`, against a plain executemany.

For each size in `--sizes` (papers; default 10k and 1M), synthetic days of `--per-day` papers
(the generator of `commands.py`, seeded) are written twice, a chunk of `--chunk-days` days at a
time, one chunk to each side in turn so both see the same machine at the same moment:

- **store**: `Store.save_digests(chunk, final=True)`, into a fresh SQLite store: the path
  `hotpapers import` takes (one transaction a chunk, each day's paper upserts and entries);
- **daily** (`--daily`): `Store.save_digest(digest, final=True)` for every day, into a third
  fresh store: one transaction a day, the path of the daily fetch (and of the import before
  it saved in batches), so the batch's gain is measured in the same run;
- **plain**: the same rows (the same columns, JSON-encoded the same way) into a second, fresh
  store file with the same schema and pragmas (WAL, `synchronous = NORMAL`), with stdlib
  `sqlite3`: one `executemany` a table per chunk and one commit: what SQLite itself costs.

Only the writes are timed (wall clock, and this process's CPU time: on a loaded machine the
store's thread hand-offs wait for a core, so both are given); building the synthetic papers
and the plain side's tuples is not. One JSON line per size (papers/s of each and their
ratio), then a summary line, last: the ratio at each size, the growth of each side's time
(slope of log time over log papers: 1 is linear, i.e. constant throughput), and the issue-16
target (store ≥ 0.5 × plain).

    python bench/imports.py --sizes 10000,1000000 [--daily]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from _common import add_plot_arg, emit, finish, loglog_slope, machine, quiet, ratio, sizes_arg
from commands import synthetic_days

from bot.models import Digest
from bot.store import open_store


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=sizes_arg, default=[10_000, 1_000_000], help="papers (10000,1000000)"
    )
    parser.add_argument("--per-day", type=int, default=20, help="papers a day (default 20)")
    parser.add_argument("--chunk-days", type=int, default=250, help="days per turn (250)")
    parser.add_argument("--seed", type=int, default=1, help="the synthetic papers")
    parser.add_argument(
        "--daily", action="store_true", help="also one save_digest (transaction) a day"
    )
    add_plot_arg(parser)
    args = parser.parse_args(argv)
    args.sizes = sorted(set(args.sizes))
    return args


def _json(value: Any, option: int = 0) -> str:
    """A JSON column as the store spells it (`bot.store.rows`: compact, UTF-8)."""
    return orjson.dumps(value, option=option).decode()


def plain_rows(digests: list[Digest]) -> tuple[list[tuple[Any, ...]], ...]:
    """The rows `save_digest` writes for these days: papers, digests, entries."""
    papers, days, entries = [], [], []
    for d in digests:
        day = d.day.isoformat()
        digest_hash = hashlib.sha256(day.encode()).hexdigest()
        fetched = d.fetched_at.isoformat() if d.fetched_at else ""
        days.append((d.source, day, d.title, fetched, 1, digest_hash))
        for rank, p in enumerate(d.papers, start=1):
            papers.append(
                (
                    p.arxiv_id,
                    p.version,
                    p.title,
                    _json(p.authors),
                    _json(p.categories),
                    p.abstract,
                    p.abs_url,
                    p.pdf_url,
                )
            )
            entries.append(
                (
                    d.source,
                    day,
                    rank,
                    p.arxiv_id,
                    p.score,
                    _json(p.metrics, orjson.OPT_SORT_KEYS),
                    _json([t.model_dump() for t in p.tweets]),
                )
            )
    return papers, days, entries


def plain_write(db: sqlite3.Connection, rows: tuple[list[tuple[Any, ...]], ...]) -> None:
    """One executemany a table, one commit."""
    papers, days, entries = rows
    db.executemany("INSERT INTO papers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", papers)
    db.executemany(
        "INSERT INTO digests (source, day, title, fetched_at, final, content_hash)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        days,
    )
    db.executemany(
        "INSERT INTO digest_entries (source, day, rank, arxiv_id, score, metrics, tweets)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        entries,
    )
    db.commit()


async def one_size(args: argparse.Namespace, papers: int) -> dict[str, Any]:
    """Both sides at one size; returns the figures."""
    days_wanted = -(-papers // args.per_day)
    stream = synthetic_days(args.per_day, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        store_path, plain_path = Path(tmp) / "store.sqlite3", Path(tmp) / "plain.sqlite3"
        daily_path = Path(tmp) / "daily.sqlite3"
        async with open_store(plain_path):
            pass  # the schema, the migrations and the WAL journal, as the store makes them
        plain = sqlite3.connect(plain_path)
        plain.execute("PRAGMA synchronous = NORMAL")
        plain.execute("PRAGMA foreign_keys = ON")
        seconds = {"store": 0.0, "daily": 0.0, "plain": 0.0}
        cpu_s = dict.fromkeys(seconds, 0.0)
        written = 0
        async with open_store(store_path) as store, open_store(daily_path) as daily:
            while written < days_wanted:
                chunk = list(itertools.islice(stream, min(args.chunk_days, days_wanted - written)))
                written += len(chunk)
                started, cpu = time.perf_counter(), time.process_time()
                await store.save_digests(chunk, final=True)
                seconds["store"] += time.perf_counter() - started
                cpu_s["store"] += time.process_time() - cpu
                if args.daily:
                    started, cpu = time.perf_counter(), time.process_time()
                    for digest in chunk:
                        await daily.save_digest(digest, final=True)
                    seconds["daily"] += time.perf_counter() - started
                    cpu_s["daily"] += time.process_time() - cpu
                rows = plain_rows(chunk)
                started, cpu = time.perf_counter(), time.process_time()
                plain_write(plain, rows)
                seconds["plain"] += time.perf_counter() - started
                cpu_s["plain"] += time.process_time() - cpu
            counts = await store.counts()
            daily_papers = (await daily.counts()).get("papers", 0)
        (plain_papers,) = plain.execute("SELECT count(*) FROM papers").fetchone()
        plain.close()
    n = counts.get("papers", 0)
    store_seconds, plain_seconds, store_cpu, plain_cpu = (
        seconds["store"],
        seconds["plain"],
        cpu_s["store"],
        cpu_s["plain"],
    )
    store_rate = n / store_seconds if store_seconds else None
    plain_rate = plain_papers / plain_seconds if plain_seconds else None
    daily_rate = daily_papers / seconds["daily"] if seconds["daily"] else None
    return {
        "bench": "imports",
        "papers": n,
        "days": counts.get("digests"),
        "store": {
            "seconds": round(store_seconds, 2),
            "papers_per_s": round(store_rate) if store_rate else None,
            "cpu_ms_per_paper": round(store_cpu * 1000 / n, 4) if n else None,
        },
        "plain": {
            "seconds": round(plain_seconds, 2),
            "papers": plain_papers,
            "papers_per_s": round(plain_rate) if plain_rate else None,
            "cpu_ms_per_paper": round(plain_cpu * 1000 / plain_papers, 4) if plain_papers else None,
        },
        "daily": {
            "seconds": round(seconds["daily"], 2),
            "papers_per_s": round(daily_rate) if daily_rate else None,
            "cpu_ms_per_paper": round(cpu_s["daily"] * 1000 / daily_papers, 4)
            if daily_papers
            else None,
            "ratio_to_plain": ratio(daily_rate, plain_rate),
        }
        if args.daily
        else None,
        "ratio_to_plain": ratio(store_rate, plain_rate),
        # CPU time of this process (both threads: the loop and aiosqlite's) per paper: on a
        # loaded machine the store's many thread hand-offs wait for a core; this does not.
        "cpu_ratio_plain_over_store": ratio(plain_cpu / plain_papers, store_cpu / n)
        if n and plain_papers and store_cpu
        else None,
        "machine": machine(),
    }


def summary(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The ratio at every size, each side's growth, and the target."""
    sizes = [line["papers"] for line in lines]
    return {
        "bench": "imports",
        "summary": True,
        "sizes": sizes,
        "ratio_to_plain": {str(x["papers"]): x["ratio_to_plain"] for x in lines},
        "cpu_ratio_plain_over_store": {
            str(x["papers"]): x["cpu_ratio_plain_over_store"] for x in lines
        },
        "papers_per_s": {str(x["papers"]): x["store"]["papers_per_s"] for x in lines},
        "daily_ratio_to_plain": {
            str(x["papers"]): x["daily"]["ratio_to_plain"] for x in lines if x["daily"]
        },
        "plain_papers_per_s": {str(x["papers"]): x["plain"]["papers_per_s"] for x in lines},
        "growth": {
            "store_seconds_loglog_slope": loglog_slope(
                sizes, [x["store"]["seconds"] for x in lines]
            ),
            "plain_seconds_loglog_slope": loglog_slope(
                sizes, [x["plain"]["seconds"] for x in lines]
            ),
        },
        "targets": {
            "ratio_ge_0.5_everywhere": all((x["ratio_to_plain"] or 0) >= 0.5 for x in lines)
        },
        "machine": machine(),
    }


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every size, one JSON line each; returns them."""
    lines = []
    for papers in args.sizes:
        line = await one_size(args, papers)
        emit(line)
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> None:
    """Run; one JSON line per size, then the summary line."""
    args = parse_args(argv)
    quiet()
    finish("imports", lambda: asyncio.run(run(args)), summary, plot=args.plot)


if __name__ == "__main__":
    main()
