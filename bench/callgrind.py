"""Instruction counts of the pure core under callgrind: figures that do not move with the load.

Each task is one call into the core on real recorded inputs (see `bench/data/README.md`):

- `render_compact`, `render_detailed`: the bundled day (2021-03-12, 16 papers) rendered;
- `rank_month`: a month window (30 days, the two real blog days in turn) merged, ranked, cut;
- `parse_hotpapers`: a day of the blog's markdown parsed (the bundled day);
- `parse_hf`: a Hugging Face Daily Papers page of 50 items parsed;
- `parse_arxiv`: an arXiv Atom answer of 20 entries parsed (one enrichment request).

The script re-runs itself under `valgrind --tool=callgrind` (collection off, except inside
`ffi_call`: each task is called once through a ctypes callback, and callgrind dumps its count
when the call returns), after calling every task twice outside collection (lazy imports,
compiled regexes and caches are not the figure). `PYTHONHASHSEED=0`; the counts repeat to a
few instructions in a thousand from run to run, on any load.

With a baseline (`bench/baseline.json`, written by `--write-baseline`) each task also shows its
change in percent, and a change worse than `--threshold` (3 %) is flagged (`"worse": true`)
and makes the exit status 1 with `--check`; so does a task the baseline has no count for
(nothing to compare is not a pass). One JSON line per task, then a summary line, last, with
the targets `every_task_has_baseline` and `none_worse_than_threshold`.

    python bench/callgrind.py [--tasks render_compact,parse_hf] [--write-baseline] [--check]
"""

from __future__ import annotations

import argparse
import copy
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
BASELINE = HERE / "baseline.json"
HF_FIXTURE = ROOT / "tests" / "sources" / "fixtures" / "hf_daily_papers_2025-03-31.json"
TASKS = (
    "render_compact",
    "render_detailed",
    "rank_month",
    "parse_hotpapers",
    "parse_hf",
    "parse_arxiv",
)


def build_tasks(names: list[str]) -> dict[str, Callable[[], object]]:
    """The named tasks as callables of no arguments, their inputs already in memory.

    Only what the named tasks need is imported and built (under callgrind, every import
    costs seconds).
    """
    tasks: dict[str, Callable[[], object]] = {}
    wanted = set(names)
    if wanted & {"render_compact", "render_detailed", "rank_month"}:
        from bot.cli.preview import sample_digest
        from bot.render import render_digest

        day = sample_digest()
        tasks["render_compact"] = lambda: render_digest(day, "compact")
        tasks["render_detailed"] = lambda: render_digest(day, "detailed")
        if "rank_month" in wanted:
            from bot.filters import build_filter, select
            from bot.sources.hotpapers_md import load_path

            other = load_path(DATA / "hot-papers-2021-04-20.md")
            month = [
                (day if k % 2 else other).model_copy(update={"day": day.day - timedelta(days=k)})
                for k in range(30)
            ]
            flt = build_filter(limit=10)
            tasks["rank_month"] = lambda: select(month, flt, end=day.day, window="month")
    if "parse_hotpapers" in wanted:
        from bot.sources.hotpapers_md import parse_digest

        markdown = (ROOT / "bot" / "data" / "hot-papers-2021-03-12.md").read_text(encoding="utf-8")
        tasks["parse_hotpapers"] = lambda: parse_digest(markdown, "hot-papers-2021-03-12.md")
    if "parse_hf" in wanted:
        from bot.sources.hf import parse_page
        from bot.sources.http import Fetched

        template = json.loads(HF_FIXTURE.read_text(encoding="utf-8"))[0]
        items = []
        for i in range(50):
            item = copy.deepcopy(template)
            item["paper"]["id"] = f"2503.{10000 + i:05d}"
            item["paper"]["upvotes"] = 500 - i * 3
            item["paper"]["title"] = item["title"] = f"{template['title']} ({i})"
            items.append(item)
        hf = Fetched(
            url="https://huggingface.co/api/daily_papers?date=2025-03-31",
            status=200,
            headers={"content-type": "application/json"},
            content=json.dumps(items).encode(),
        )
        tasks["parse_hf"] = lambda: parse_page(hf)
    if "parse_arxiv" in wanted:
        from bot.sources.arxiv import parse_feed
        from bot.sources.http import Fetched

        feed = (DATA / "arxiv-2104.12255v1.xml").read_text(encoding="utf-8")
        head, rest = feed.split("<entry>", 1)
        entry, tail = rest.split("</entry>", 1)
        entries = "".join(
            "<entry>" + entry.replace("2104.12255", f"2104.{12255 + i:05d}") + "</entry>"
            for i in range(20)
        )
        atom = Fetched(
            url="https://export.arxiv.org/api/query?id_list=...",
            status=200,
            headers={"content-type": "application/atom+xml"},
            content=(head + entries + tail).encode(),
        )
        tasks["parse_arxiv"] = lambda: parse_feed(atom)
    return {name: tasks[name] for name in names}


def worker(names: list[str]) -> None:
    """Inside callgrind: warm every task up, then call each once through `ffi_call`."""
    tasks = build_tasks(names)
    callback = ctypes.CFUNCTYPE(None)
    calls = []
    for name in names:
        task = tasks[name]
        task()
        task()
        calls.append(callback(task))
    for call in calls:
        call()  # collected: callgrind counts ffi_call and what it calls, and dumps after


def measure(names: list[str], valgrind: str) -> dict[str, int]:
    """Run the worker under callgrind; instructions per task."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.out"
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        proc = subprocess.run(
            [
                valgrind,
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                "--collect-atstart=no",
                "--toggle-collect=ffi_call",
                "--dump-after=ffi_call",
                "--dump-instr=no",
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                ",".join(names),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )
        if proc.returncode != 0:
            raise SystemExit(f"callgrind failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        dumps = sorted(Path(tmp).glob("cg.out.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
        counts = [_total(p) for p in dumps]
    if len(counts) != len(names):
        raise SystemExit(f"expected {len(names)} dumps, got {len(counts)}")
    return dict(zip(names, counts, strict=True))


def _total(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise SystemExit(f"no totals in {path}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated (default all)")
    parser.add_argument("--baseline", type=Path, default=BASELINE, help="(bench/baseline.json)")
    parser.add_argument("--write-baseline", action="store_true", help="store these counts")
    parser.add_argument("--threshold", type=float, default=3.0, help="percent worse (3)")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a task is worse (or has no baseline)"
    )
    parser.add_argument(
        "--valgrind",
        default=shutil.which("valgrind") or "/usr/bin/valgrind",
        help="the valgrind to run (default: the one on PATH)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = set(args.tasks) - set(TASKS)
    if unknown:
        parser.error(f"unknown tasks: {', '.join(sorted(unknown))} (known: {', '.join(TASKS)})")
    return args


def main(argv: list[str] | None = None) -> None:
    """Measure, compare with the baseline, print one line per task and the summary."""
    args = parse_args(argv)
    if args.worker is not None:
        worker(args.worker.split(","))
        return
    sys.path.insert(0, str(HERE))
    from _common import emit, machine

    counts = measure(args.tasks, args.valgrind)
    base: dict[str, int] = {}
    if args.baseline.exists():
        base = json.loads(args.baseline.read_text())["instructions"]
    lines = compare(counts, base, args.threshold)
    for line in lines:
        emit(line)
    if args.write_baseline:
        merged = {**base, **counts}
        args.baseline.write_text(
            json.dumps({"instructions": merged, "machine": machine()}, indent=2) + "\n"
        )
    summary = summarise(lines, args.threshold)
    summary["baseline"] = str(args.baseline) if base else None
    summary["machine"] = machine()
    emit(summary)
    if args.check and not summary["targets"]["none_worse_than_threshold"]:
        sys.exit(1)


def compare(counts: dict[str, int], base: dict[str, int], threshold: float) -> list[dict[str, Any]]:
    """One line per task: its count, the baseline's, the change in %, and whether it is worse
    than `threshold` percent."""
    lines = []
    for name, count in counts.items():
        before = base.get(name)
        change = None if not before else round((count - before) * 100 / before, 2)
        lines.append(
            {
                "bench": "callgrind",
                "task": name,
                "instructions": count,
                "baseline": before,
                "change_percent": change,
                "worse": change is not None and change > threshold,
            }
        )
    return lines


def summarise(lines: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    """The counts, their changes, and the target: no task worse than `threshold` percent,
    which only a task with a baseline count can meet (a task the baseline lacks, or a
    missing baseline file, is not a pass: `--check` fails on it too)."""
    worse = [x["task"] for x in lines if x["worse"]]
    unbased = [x["task"] for x in lines if x["baseline"] is None]
    return {
        "bench": "callgrind",
        "summary": True,
        "instructions": {x["task"]: x["instructions"] for x in lines},
        "change_percent": {x["task"]: x["change_percent"] for x in lines},
        "threshold_percent": threshold,
        "worse": worse,
        "no_baseline": unbased,
        "targets": {
            "every_task_has_baseline": not unbased,
            "none_worse_than_threshold": not worse and not unbased,
        },
    }


if __name__ == "__main__":
    main()
