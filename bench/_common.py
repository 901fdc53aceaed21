"""Shared by the benchmark scripts: the machine, a fake clock, the config, the one JSON line.

The scripts are run as `python bench/NAME.py` from the repository root with the project
installed (`pip install -e .`); this module sits beside them, so it is importable as `_common`.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import sys
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


def emit(figures: dict[str, Any]) -> None:
    """Print the figures as one JSON line, last."""
    sys.stdout.flush()
    print(json.dumps(figures, sort_keys=False), flush=True)
