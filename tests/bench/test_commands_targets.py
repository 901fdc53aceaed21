"""bench/commands.py's summary: a target is met only by a run in which every command was
answered publicly, on both sides (no timing: the figures are made up)."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

import pytest
from _common import ratio
from commands import Tally, floor_answer, summary

from sandbox.drive.results import InteractionResult


def side(latencies: list[float], statuses: dict[str, int], cpu_s: float) -> dict[str, Any]:
    tally = Tally()
    tally.latencies = latencies
    tally.statuses = Counter(statuses)
    tally.commands = sum(statuses.values())
    tally.seconds = 1.0
    tally.cpu = {"bot": cpu_s, "harness": 0.01}
    return tally.figures()


def line(papers: int, bot: dict[str, Any], floor: dict[str, Any]) -> dict[str, Any]:
    """A size's line as `one_size` and `run` make it."""
    return {
        "papers": papers,
        "bot": bot,
        "floor": floor,
        "ratios": {
            "cpu_per_command": ratio(bot["cpu_ms_per_command"], floor["cpu_ms_per_command"]),
            "p50": ratio(bot["p50_ms"], floor["p50_ms"]),
            "p99": ratio(bot["p99_ms"], floor["p99_ms"]),
        },
    }


ARGS = argparse.Namespace(concurrency=5, requests=100)
FLOOR = side([20.0] * 100, {"answered": 100}, 0.1)


def targets(*lines: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = summary(ARGS, list(lines))["targets"]
    return result


def test_a_clean_run_meets_the_targets() -> None:
    bot = side([25.0] * 100, {"answered": 100}, 0.12)
    assert targets(line(100, bot, FLOOR), line(200, bot, FLOOR)) == {
        "at_papers": 200,
        "every_command_answered": True,
        "cpu_ratio_le_1.5": True,
        "p99_ratio_le_2": True,
        "largest_within_1.2x_smallest": True,
    }


def test_a_command_with_no_answer_meets_no_target() -> None:
    # 2 of 100 never answered: no latency, so they drop out of the p99, which looks fine.
    bot = side([25.0] * 98, {"answered": 98, "no_response": 2}, 0.12)
    assert bot["p99_ms"] == 25.0
    assert targets(line(100, bot, FLOOR)) == {
        "at_papers": 100,
        "every_command_answered": False,
        "cpu_ratio_le_1.5": False,
        "p99_ratio_le_2": False,
        "largest_within_1.2x_smallest": None,
    }


def test_refusals_meet_no_target() -> None:
    # A bot that answers every command with a quick private error is cheap and fast.
    bot = side([5.0] * 100, {"ephemeral": 100}, 0.05)
    result = targets(line(100, bot, FLOOR))
    assert (result["cpu_ratio_le_1.5"], result["p99_ratio_le_2"]) == (False, False)


def test_an_unanswered_size_fails_the_growth_target() -> None:
    bot = side([25.0] * 100, {"answered": 100}, 0.12)
    late = side([25.0] * 99, {"answered": 99, "deferred": 1}, 0.12)
    result = targets(line(100_000, bot, FLOOR), line(1_000_000, late, FLOOR))
    assert result["cpu_ratio_le_1.5"] is True  # at 100k every command was answered
    assert result["largest_within_1.2x_smallest"] is False


def test_a_floor_that_failed_meets_no_target() -> None:
    bot = side([25.0] * 100, {"answered": 100}, 0.12)
    floor = side([20.0] * 99, {"answered": 99, "no_response": 1}, 0.1)
    assert targets(line(100, bot, floor))["p99_ratio_le_2"] is False


def test_no_cpu_at_all_is_no_ratio_to_meet() -> None:
    bot = side([25.0] * 100, {"answered": 100}, 0.0)
    assert targets(line(100, bot, FLOOR))["cpu_ratio_le_1.5"] is False


def test_the_floor_answers_only_with_a_public_answer() -> None:
    message = {"content": "Hot papers", "embeds": [{"title": "A paper"}]}
    good = InteractionResult("answered", "hot", original=message)
    assert floor_answer(good) == {"content": "Hot papers", "embeds": [{"title": "A paper"}]}
    for bad in (
        InteractionResult("no_response", "hot"),
        InteractionResult("answered", "hot", original=message, ephemeral=True),
        InteractionResult("answered", "hot"),
    ):
        with pytest.raises(RuntimeError, match="did not answer the sample /hot publicly"):
            floor_answer(bad)
