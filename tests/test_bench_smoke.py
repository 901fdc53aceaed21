"""The benchmark scripts still run: each at tiny sizes, ending with its summary JSON line.

No timing is asserted (timings are the benchmarks' business, see docs/benchmarks.md); only
that each script runs, prints one line per size and its ratios and growth last, answers every
command (no refusal counted as an answer), and counts no 429, duplicate or miss where the
fan-out is concerned.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# Each benchmark runs as its own process: the slow tier.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def run_bench(name: str, *args: str, timeout: float = 180) -> list[dict[str, Any]]:
    """Every JSON line the script printed; the last is its summary."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.strip().splitlines()]
    for figures in lines:
        assert figures["bench"] == name
    assert lines[-1]["summary"] is True
    assert {"nproc", "mem_gib", "python"} <= set(lines[-1]["machine"])
    return lines


def test_fanout_smoke() -> None:
    lines = run_bench(
        "fanout", "--sizes", "3,6", "--formats", "compact,detailed", "--rtt-ms", "5",
        "--naive-max", "3",
    )  # fmt: skip
    *sizes, summary = lines
    assert [(x["channels"], x["format"]) for x in sizes] == [
        (3, "compact"), (3, "detailed"), (6, "compact"), (6, "detailed"),
    ]  # fmt: skip
    for x in sizes:
        assert (x["http_429"], x["duplicates"], x["misses"]) == (0, 0, 0)
        assert x["bot"]["requests"] >= x["channels"] * x["messages_per_channel"]
        assert x["bot"]["memory"]["peak_rss_mb"] > 0
    assert sizes[0]["naive"]["requests"] == 3 and sizes[0]["speedup"] is not None
    assert set(summary["growth"]) == {"compact", "detailed"}
    assert summary["targets"]["zero_429"] is True
    assert summary["targets"]["every_channel_posted_once"] is True


def test_fanout_with_two_processes_smoke() -> None:
    """`--processes 2`: two sharded children on one store, their combined rate reported."""
    lines = run_bench(
        "fanout", "--sizes", "120", "--formats", "compact", "--rtt-ms", "5", "--skip-naive",
        "--processes", "2",
    )  # fmt: skip
    (x, summary) = lines
    assert x["processes"] == summary["processes"] == 2
    assert (x["http_429"], x["duplicates"], x["misses"]) == (0, 0, 0)
    children = x["bot"]["processes"]
    assert [c["shard"] for c in children] == [0, 1]
    assert [c["guilds"] for c in children] == [2, 1]  # three guilds of 50, 50, 20 channels
    assert [c["outcomes"] for c in children] == [{"sent": 70}, {"sent": 50}]
    assert x["bot"]["requests"] >= 120


def test_commands_smoke() -> None:
    lines = run_bench(
        "commands", "--sizes", "100,200", "--per-day", "10", "--requests", "20",
        "--concurrency", "5",
    )  # fmt: skip
    *sizes, summary = lines
    assert [(x["papers"], x["days"]) for x in sizes] == [(100, 10), (200, 20)]
    for x in sizes:
        assert x["bot"]["statuses"] == {"answered": 40}  # 2 rounds of 20, none refused
        assert x["floor"]["statuses"] == {"answered": 40}
        assert x["bot"]["complete"] is x["floor"]["complete"] is True
        assert x["floor"]["answer_bytes"] > 1000  # a real /hot answer, embeds and all
        assert set(x["ratios"]) == {"cpu_per_command", "p50", "p99"}
        if sys.platform == "linux":  # CPU time per command comes from /proc
            assert x["bot"]["cpu_ms_per_command"] > 0
            assert x["floor"]["cpu_ms_per_command"] > 0
    assert summary["sizes"] == [100, 200]
    assert {"p99_loglog_slope", "p99_ratio_largest_over_smallest"} <= set(summary["growth"])
    assert summary["targets"]["every_command_answered"] is True


def test_memory_smoke() -> None:
    lines = run_bench("memory", "--sizes", "10,20", "--subscriptions-per-guild", "2")
    *sizes, summary = lines
    assert [x["guilds"] for x in sizes] == [10, 20]
    for x in sizes:
        assert x["peak_rss_mb"] > 0 and x["floor_peak_rss_mb"] > 0
        assert x["floor_guilds"] == x["guilds"] == x["guilds_wanted"]
        assert x["tick_outcomes"] == {}  # the due day has no digest: the tick posts nothing
    assert summary["targets"]["every_guild_held"] is True
    assert {"mb_per_1000_guilds", "floor_mb_per_1000_guilds"} <= set(summary["growth"])


def test_imports_smoke() -> None:
    lines = run_bench("imports", "--sizes", "100,200", "--per-day", "10", "--chunk-days", "3")
    *sizes, summary = lines
    for x, n in zip(sizes, (100, 200), strict=True):
        assert x["papers"] == n and x["plain"]["papers"] == n
        assert x["ratio_to_plain"] > 0
    assert set(summary["ratio_to_plain"]) == {"100", "200"}


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_callgrind_smoke(tmp_path: Path) -> None:
    # One run under valgrind (it is slow): a stored baseline of 1,000 instructions makes any
    # real count far more than 3 % worse, so the task is flagged and --check fails; then
    # --write-baseline stores the new count.
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"instructions": {"render_compact": 1_000}}))
    proc = subprocess.run(
        [
            sys.executable, str(ROOT / "bench" / "callgrind.py"), "--tasks", "render_compact",
            "--baseline", str(baseline), "--check", "--write-baseline",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-2000:]
    task, summary = (json.loads(line) for line in proc.stdout.splitlines())
    assert task["task"] == "render_compact" and task["instructions"] > 100_000
    assert task["worse"] is True and task["change_percent"] > 3
    assert summary["worse"] == ["render_compact"]
    stored = json.loads(baseline.read_text())["instructions"]["render_compact"]
    assert stored == task["instructions"]


@pytest.mark.parametrize("name", ["fanout", "commands", "memory", "imports", "callgrind", "search"])
def test_help(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0 and "usage:" in proc.stdout


def test_store_smoke() -> None:
    *backends, summary = run_bench("store", "--days", "5", "--reads", "5")
    assert [b["backend"] for b in backends] in (["sqlite"], ["sqlite", "postgresql"])
    for b in backends:
        assert b["papers"] == b["stored_papers"] == 100 and b["hot_papers_shown"] == 50
    ratios = summary["ratios_postgresql_over_sqlite"]
    assert set(ratios) == {"import_papers_per_s", "hot_ms_median", "hot_ms_p95"}
    assert (summary["postgresql"] == "measured") == (len(backends) == 2)


def test_search_smoke() -> None:
    *sizes, summary = run_bench("search", "--sizes", "500,1000", "--reads", "3", "--per-day", "100")
    assert [s["papers"] for s in sizes] == [s["stored_papers"] for s in sizes] == [500, 1000]
    for s in sizes:
        assert s["broad"]["results"] == 10 and 0 < s["complete"]["results"] <= 25
    assert set(summary["ratios_largest_over_smallest"]) == {
        "broad_ms_median",
        "narrow_ms_median",
        "complete_ms_median",
    }
