"""bench/fanout.py's summary: a fan-out meets its targets only if every channel got its
messages once (the figures are made up: no timing)."""

from __future__ import annotations

import argparse
from typing import Any

from fanout import line_of, summary, tick_memory

ARGS = argparse.Namespace(
    processes=1, store="sqlite", sandbox_process=False, rtt_ms=5.0, global_limit=50
)


def line(channels: int, requests: int, misses: int = 0, duplicates: int = 0) -> dict[str, Any]:
    """One compact size's line, as `one` makes it (one message a channel)."""
    seconds = max(requests, 1) / 49
    fanout = {
        "seconds": seconds,
        "requests": requests,
        "requests_per_s": requests / seconds,
        "global_ratio": round(requests / seconds / 50, 3),
        "ms_per_request": seconds * 1000 / requests if requests else None,
        "http_429": 0,
        "duplicates": duplicates,
        "misses": misses,
        "memory": {"growth_during_mb": 0.5},
    }
    return line_of(ARGS, channels, "compact", 1, fanout, None)


def test_a_whole_fan_out_meets_the_targets() -> None:
    assert summary([line(200, 200), line(2000, 2000)])["targets"] == {
        "every_channel_posted_once": True,
        "global_ratio_ge_0.95_everywhere": True,
        "zero_429": True,
    }


def test_a_fan_out_that_posted_nothing_meets_no_target() -> None:
    # Nothing sent: no 429 either.
    assert summary([line(200, 0, misses=200)])["targets"] == {
        "every_channel_posted_once": False,
        "global_ratio_ge_0.95_everywhere": False,
        "zero_429": False,
    }


def test_a_fan_out_that_missed_channels_meets_no_target() -> None:
    # At the limit, no 429, but a tenth of the channels got nothing (e.g. 403s, sent fast).
    assert summary([line(2000, 2000), line(200, 180, misses=20)])["targets"] == {
        "every_channel_posted_once": False,
        "global_ratio_ge_0.95_everywhere": False,
        "zero_429": False,
    }


def test_a_fan_out_that_posted_twice_meets_no_target() -> None:
    targets = summary([line(200, 210, duplicates=10)])["targets"]
    assert targets["every_channel_posted_once"] is False and targets["zero_429"] is False


def test_the_memory_during_the_tick_is_sampled_during_the_tick() -> None:
    report = {
        "tick_started": 100.0,
        "tick_ended": 102.0,
        "rss_before_tick_mb": 70.0,
        "rss_mb": 71.0,
        "peak_rss_mb": 90.0,
    }
    # 90 MB while importing and connecting, before the tick: not the fan-out's.
    samples = [(95.0, 90.0), (99.9, 70.0), (100.5, 71.5), (101.5, 72.0), (103.0, 71.0)]
    assert tick_memory(samples, report) == {
        "rss_before_tick_mb": 70.0,
        "rss_max_during_mb": 72.0,
        "growth_during_mb": 2.0,
        "peak_rss_mb": 90.0,
        "samples": 2,
    }
    # A tick shorter than one sample: the resident set after it.
    assert tick_memory([(95.0, 90.0)], report)["growth_during_mb"] == 1.0
