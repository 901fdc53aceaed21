"""Search benchmark: `/search` and `/paper`'s autocomplete on SQLite as the store grows.

For each size (default 10k and 100k papers), a fresh SQLite store in a temporary folder is
filled through `Store.save_digest` (the synthetic papers of `commands.py`, seeded, `--per-day`
a day: the FTS5 index is filled by the store's own triggers), then timed, `--reads` times each:

- **broad**: one word found in ~1 paper in 6 (the synthetic titles and abstracts draw from a
  few dozen words), ranked and cut to 10 (`SearchQuery`): the worst case, every hit ranked;
- **narrow**: an author's name (`author 123`: a handful of papers);
- **complete**: `/paper`'s autocomplete for a title prefix of two words (`complete_papers`).

One JSON line per size (median and p95 milliseconds of one call), then a summary line, last,
with the ratios of the largest size over the smallest: 1.0 is flat, 10.0 linear in a 10x store.

    python bench/search.py --sizes 10k,100k --reads 50
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _common import add_plot_arg, emit, machine, percentile, quiet, ratio, sizes_arg
from commands import WORDS, synthetic_days

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.store import open_store  # noqa: E402
from bot.store.base import Store  # noqa: E402
from bot.store.search import SearchQuery, search_terms  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=sizes_arg, default=[10_000, 100_000], help="10k,100k")
    parser.add_argument("--per-day", type=int, default=500, help="papers a day (default 500)")
    parser.add_argument("--reads", type=int, default=50, help="calls timed per kind (50)")
    parser.add_argument("--seed", type=int, default=1, help="the synthetic papers")
    add_plot_arg(parser)
    return parser.parse_args(argv)


async def fill(store: Store, papers: int, per_day: int, seed: int) -> float:
    """Save `papers` synthetic papers; the papers per second."""
    start, saved = time.perf_counter(), 0
    for digest in synthetic_days(per_day, seed):
        batch = digest.papers[: papers - saved]
        await store.save_digest(digest.model_copy(update={"papers": batch}), final=True)
        saved += len(batch)
        if saved >= papers:
            break
    return papers / (time.perf_counter() - start)


async def timed(reads: int, call: Callable[[int], Awaitable[int]]) -> dict[str, float]:
    """Median and p95 milliseconds of `reads` calls, and the mean of what they returned."""
    times, sizes = [], []
    for i in range(reads):
        start = time.perf_counter()
        sizes.append(await call(i))
        times.append((time.perf_counter() - start) * 1000)
    return {
        "ms_median": round(statistics.median(times), 3),
        "ms_p95": round(percentile(times, 95), 3),
        "results": round(statistics.fmean(sizes), 1),
    }


async def one_size(papers: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Fill a store of `papers` papers and time the three kinds of call."""
    rng = random.Random(args.seed)
    async with open_store(folder / f"search-{papers}.sqlite3") as store:
        rate = await fill(store, papers, args.per_day, args.seed)

        async def broad(i: int) -> int:
            query = SearchQuery(search_terms(WORDS[i % len(WORDS)]), limit=10)
            return len(await store.search_papers(query))

        async def narrow(i: int) -> int:
            query = SearchQuery(search_terms(f"author {rng.randint(1, 50_000)}"), limit=10)
            return len(await store.search_papers(query))

        async def complete(i: int) -> int:
            first, second = WORDS[i % len(WORDS)], WORDS[(i * 7 + 3) % len(WORDS)]
            return len(await store.complete_papers(f"{first} {second[:3]}"))

        figures = {kind: await timed(args.reads, f) for kind, f in
                   (("broad", broad), ("narrow", narrow), ("complete", complete))}  # fmt: skip
        counts = await store.counts()
    return {"papers": papers, "stored_papers": counts["papers"], "import_papers_per_s":
            round(rate), **figures}  # fmt: skip


async def run(args: argparse.Namespace) -> int:
    """Every size in turn, one JSON line each, then the summary."""
    results = []
    with tempfile.TemporaryDirectory(prefix="hotpapers-search-") as tmp:
        for size in sorted(args.sizes):
            result = await one_size(size, args, Path(tmp))
            emit({"bench": "search", **result})
            results.append(result)
    if args.plot:
        from _plot import plot

        plot([{"bench": "search", **r} for r in results], args.plot)
    small, large = results[0], results[-1]
    emit(
        {
            "bench": "search",
            "summary": True,
            "sizes": [r["papers"] for r in results],
            "ratios_largest_over_smallest": {
                f"{kind}_ms_median": ratio(large[kind]["ms_median"], small[kind]["ms_median"])
                for kind in ("broad", "narrow", "complete")
            },
            "machine": machine(),
        }
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python bench/search.py`."""
    quiet()
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
