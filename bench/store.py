"""Store benchmark: SQLite against PostgreSQL on the same work, as a ratio.

For each backend, a fresh store (a SQLite file in a temporary folder; a schema of a PostgreSQL
server started for the run, as the tests start theirs: tests/pgserver.py), then:

- **import**: `--days` synthetic days of `--per-day` papers (the generator of `commands.py`,
  seeded) through `Store.save_digest(final=True)`, the path `hotpapers import` takes:
  papers per second;
- **/hot**: `--reads` store reads of `/hot`'s month (`bot.services.digests` `ranked`: the
  window's entries, `pick` of the top 10, their papers), ending on days spread over the store:
  the median and p95 milliseconds of one read, and reads per second.

Both backends run in this process, one after the other, on the same machine and data. One
JSON line per backend, then a summary line, last, with PostgreSQL / SQLite ratios (import
throughput, read time). PostgreSQL runs with the test server's settings (fsync off), so its
write figures are an upper bound for a durable server; a networked server adds a round trip
per statement. With no PostgreSQL binaries, the PostgreSQL side is skipped and said so.

    python bench/store.py --days 200 --reads 200
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import emit, machine, percentile, quiet, ratio
from commands import synthetic_days

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.filters import PaperFilter, pick  # noqa: E402
from bot.models import Digest  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.store.base import Store  # noqa: E402
from tests import pgserver  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=200, help="days imported (default 200)")
    parser.add_argument("--per-day", type=int, default=20, help="papers a day (default 20)")
    parser.add_argument("--reads", type=int, default=200, help="/hot reads timed (200)")
    parser.add_argument("--seed", type=int, default=1, help="the synthetic papers")
    return parser.parse_args(argv)


async def hot_read(store: Store, source: str, end: Any) -> int:
    """One `/hot` month read, as `DigestService.ranked` does it; the papers shown."""
    start = end - timedelta(days=29)
    _, entries = await store.window_entries(source, start, end, categories=False)
    chosen, _ = pick(entries, PaperFilter(limit=10))
    return len(await store.entry_papers(source, chosen))


async def measure(location: str, days: list[Digest], reads: int) -> dict[str, Any]:
    """Import `days` into a fresh store at `location`, then time `reads` /hot reads."""
    async with open_store(location) as store:
        started = time.perf_counter()
        for digest in days:
            await store.save_digest(digest, final=True)
        imported = time.perf_counter() - started
        source = days[0].source
        ends = [days[(i * 7919) % len(days)].day for i in range(reads)]
        times: list[float] = []
        shown = 0
        for end in ends:
            t = time.perf_counter()
            shown += await hot_read(store, source, end)
            times.append(time.perf_counter() - t)
        counts = await store.counts()
    papers = sum(len(d.papers) for d in days)
    return {
        "papers": papers,
        "stored_papers": counts["papers"],
        "import_seconds": round(imported, 3),
        "import_papers_per_s": round(papers / imported, 1),
        "hot_reads": reads,
        "hot_papers_shown": shown,
        "hot_ms_median": round(statistics.median(times) * 1000, 3),
        "hot_ms_p95": round(percentile(times, 95) * 1000, 3),
        "hot_reads_per_s": round(reads / sum(times), 1),
    }


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    days = list(itertools.islice(synthetic_days(args.per_day, args.seed), args.days))
    lines: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = await measure(str(Path(tmp) / "bench.sqlite3"), days, args.reads)
        lines.append({"bench": "store", "backend": "sqlite", **sqlite})
    postgres: dict[str, Any] | None = None
    bindir = pgserver.find_bindir()
    if bindir is not None:
        server = pgserver.PgServer(bindir)
        try:
            server.start()
            postgres = await measure(server.url(server.schema("bench")), days, args.reads)
            lines.append({"bench": "store", "backend": "postgresql", **postgres})
        finally:
            server.stop()
    summary: dict[str, Any] = {
        "bench": "store",
        "summary": True,
        "postgresql": "measured" if postgres else pgserver.NO_SERVER,
        "ratios_postgresql_over_sqlite": {
            key: ratio(postgres[key] if postgres else None, sqlite[key])
            for key in ("import_papers_per_s", "hot_ms_median", "hot_ms_p95")
        },
        "machine": machine(),
    }
    lines.append(summary)
    return lines


def main(argv: list[str] | None = None) -> int:
    quiet()
    for figures in asyncio.run(run(parse_args(argv))):
        emit(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
