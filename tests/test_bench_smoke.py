"""The benchmark scripts still run: each at a tiny size, ending with one JSON line of figures.

No timing is asserted (timings are the benchmarks' business, see docs/benchmarks.md); only
that each script runs, prints its figures, and counts no 429, duplicate or miss where the
fan-out is concerned.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# Each benchmark runs as its own process: the slow tier.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def run_bench(name: str, *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    last = proc.stdout.strip().splitlines()[-1]
    figures: dict[str, Any] = json.loads(last)
    assert figures["bench"] == name
    assert {"nproc", "mem_gib", "python"} <= set(figures["machine"])
    return figures


def test_fanout_smoke() -> None:
    figures = run_bench("fanout", "--channels", "5", "--rtt-ms", "5")
    assert {"global_ratio", "http_429", "duplicates", "misses", "speedup"} <= set(figures)
    assert figures["bot"]["requests"] == 5 and figures["naive"]["requests"] == 5
    assert (figures["http_429"], figures["duplicates"], figures["misses"]) == (0, 0, 0)


def test_commands_smoke() -> None:
    figures = run_bench(
        "commands", "--papers", "200", "--days", "10", "--requests", "20", "--concurrency", "5"
    )
    assert {"p50_ms", "p99_ms", "requests", "concurrency"} <= set(figures)
    assert figures["papers"] == 200 and figures["days"] == 10
    assert figures["statuses"] == {"answered": 20}
    if sys.platform == "linux":  # CPU time per command comes from /proc
        assert figures["bot_cpu_ms_per_command"] > 0
        assert figures["harness_cpu_ms_per_command"] > 0


def test_memory_smoke() -> None:
    figures = run_bench("memory", "--guilds", "20", "--subscriptions", "40")
    assert {"peak_rss_mb", "rss_mb", "guilds"} <= set(figures)
    assert figures["guilds"] == 20 and figures["peak_rss_mb"] > 0


@pytest.mark.parametrize("name", ["fanout", "commands", "memory"])
def test_help(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0 and "usage:" in proc.stdout
