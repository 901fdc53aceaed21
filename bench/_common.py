"""Shared by the benchmark scripts: the machine, a fake clock, the config, the one JSON line.

The scripts are run as `python bench/NAME.py` from the repository root with the project
installed (`pip install -e .`); this module sits beside them, so it is importable as `_common`.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import statistics
import sys
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.config import Config, parse_config


class FakeClock:
    """A clock the bot and its scheduler read; the benchmark sets it (no waiting for 09:00)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_config(**sections: dict[str, Any]) -> Config:
    """The bot's config as a deployment would have it, served from the store only."""
    data: dict[str, Any] = {"sources": {"default": "hotpapers-md"}}
    for key, value in sections.items():
        data.setdefault(key, {}).update(value)
    return parse_config(data, env={})


def machine() -> dict[str, Any]:
    """What ran the benchmark: cores, memory, Python."""
    mem_gib = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                    break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "mem_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation, like numpy's default."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=1000, method="inclusive")
    index = round(q * 10) - 1
    return cuts[min(max(index, 0), len(cuts) - 1)]


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) used so far by process `pid`; None where /proc is absent."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quiet() -> None:
    """Only warnings from the bot and discord.py: the JSON line is the output."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("discord").setLevel(logging.ERROR)


_EMITTED: list[dict[str, Any]] = []  # the lines printed so far (`finish` sums them up)


def emit(figures: dict[str, Any]) -> None:
    """Print the figures as one JSON line, last."""
    sys.stdout.flush()
    print(json.dumps(figures, sort_keys=False), flush=True)
    _EMITTED.append(figures)


def finish(
    bench: str,
    run: Callable[[], list[dict[str, Any]]],
    summary: Callable[[list[dict[str, Any]]], dict[str, Any]],
    plot: str | None = None,
) -> None:
    """Run every size, then print the summary line, last, even when a size fails.

    With `plot` (`--plot FILE.png`), the sizes that ran are also drawn as growth curves
    (`_plot.plot`; what it says goes to stderr, so the summary stays the last line).

    A size that raises ends the run (its traceback on stderr, exit status 1), but the last
    line is still the summary, of the sizes that ran, with `"error"` and every target false
    (`every_size_ran` among them): whoever reads only the last line cannot take a broken
    run for a pass, nor a missing summary for the last size's figures.
    """
    try:
        lines, error = run(), None
    except Exception as exc:
        traceback.print_exc()
        lines = [x for x in _EMITTED if x.get("bench") == bench and not x.get("summary")]
        error = f"{type(exc).__name__}: {exc}"
    figures: dict[str, Any] = {"bench": bench, "summary": True, "targets": {}}
    if plot and lines:
        from _plot import plot as draw

        draw(lines, plot)
    if lines:
        try:
            figures = summary(lines)
        except Exception as exc:  # the sizes that ran may not make a summary
            if error is None:
                raise
            figures["summary_error"] = f"{type(exc).__name__}: {exc}"
    targets = dict(figures.get("targets") or {})
    if error is not None:
        figures["error"] = error
        targets = {k: False if v is None or isinstance(v, bool) else v for k, v in targets.items()}
    targets["every_size_ran"] = error is None
    figures["targets"] = targets
    figures.setdefault("machine", machine())
    emit(figures)
    if error is not None:
        raise SystemExit(1)


def add_plot_arg(parser: argparse.ArgumentParser) -> None:
    """`--plot FILE.png`: the growth curves of the run, drawn with matplotlib (optional)."""
    parser.add_argument(
        "--plot",
        metavar="FILE.png",
        help="also draw the sizes' growth curves (HotPapers beside its floor, log axes) into "
        "this PNG; needs matplotlib (pip install -e '.[bench]')",
    )


def sizes_arg(text: str) -> list[int]:
    """`--sizes 10000,100000,1000000` (also 10k, 1m) → [10000, 100000, 1000000]."""
    out: list[int] = []
    for part in text.replace("_", "").split(","):
        part = part.strip().lower()
        if not part:
            continue
        scale = {"k": 1_000, "m": 1_000_000}.get(part[-1], 1)
        try:
            value = int(float(part[:-1] if scale > 1 else part) * scale)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not a size: {part!r}") from exc
        if value <= 0:
            raise argparse.ArgumentTypeError(f"a size must be positive: {part!r}")
        out.append(value)
    if not out:
        raise argparse.ArgumentTypeError("no sizes given")
    return out


def fit(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of ys over xs; None with fewer than two distinct xs."""
    if len(set(xs)) < 2 or len(xs) != len(ys):
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den


def loglog_slope(sizes: list[int], costs: list[float]) -> float | None:
    """The growth exponent: slope of log(cost) over log(size) (0 flat, 1 linear)."""
    pairs = [(s, c) for s, c in zip(sizes, costs, strict=True) if s > 0 and c and c > 0]
    slope = fit([math.log(s) for s, _ in pairs], [math.log(c) for _, c in pairs])
    return None if slope is None else round(slope, 3)


def answered_all(statuses: dict[str, int], commands: int) -> bool:
    """Every one of `commands` answered publicly (`answered`, or `answered_after_defer`).

    Only such a run's figures mean anything: a command with no answer (`no_response`,
    `deferred`) has no latency, so it drops out of the percentiles, and an `ephemeral`
    refusal or error is cheap; either would flatter a bot that fails.
    """
    good = statuses.get("answered", 0) + statuses.get("answered_after_defer", 0)
    return commands > 0 and good == commands == sum(statuses.values())


def met(
    value: float | None, limit: float, *, at_least: bool = False, valid: bool = True
) -> bool | None:
    """An issue-16 target: `value` ≤ `limit` (≥ with `at_least`); None where not measured.

    False, never True, where the run that measured it is not `valid` (commands unanswered,
    channels missed, guilds missing) or where an at-most ratio is 0 or less (a side that did
    no work at all, e.g. a bot that answered nothing, has no CPU per command to speak of).
    """
    if not valid:
        return False
    if value is None:
        return None
    if at_least:
        return value >= limit
    return 0 < value <= limit


def ratio(a: float | None, b: float | None, digits: int = 3) -> float | None:
    """a / b, rounded; None when either is missing or b is 0."""
    if a is None or b is None or b == 0:
        return None
    return round(a / b, digits)
