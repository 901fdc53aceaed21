"""`_common.finish`: the summary line comes last, even when a size fails, and a failed run
meets no target (made-up figures; no timing)."""

from __future__ import annotations

import json
from typing import Any

import _common
import pytest
from _common import emit, finish
from memory import summary


@pytest.fixture(autouse=True)
def fresh_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "_EMITTED", [])


def size(guilds: int) -> dict[str, Any]:
    return {
        "bench": "memory",
        "guilds_wanted": guilds,
        "guilds": guilds,
        "floor_guilds": guilds,
        "peak_rss_mb": 60.0 + guilds / 1000,
        "floor_peak_rss_mb": 50.0 + guilds / 1000,
        "peak_ratio_to_floor": round((60.0 + guilds / 1000) / (50.0 + guilds / 1000), 3),
    }


def printed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_run_that_finished_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    def run() -> list[dict[str, Any]]:
        lines = [size(500), size(2500)]
        for line in lines:
            emit(line)
        return lines

    finish("memory", run, summary)
    *sizes, last = printed(capsys)
    assert [x["guilds"] for x in sizes] == [500, 2500]
    assert last["summary"] is True and "error" not in last
    assert last["targets"] == {
        "at_guilds": 2500,
        "every_guild_held": True,
        "peak_ratio_le_1.3": True,
        "slope_ratio_le_1.3": True,
        "every_size_ran": True,
    }


def test_a_size_that_fails_still_ends_with_a_summary_meeting_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def run() -> list[dict[str, Any]]:
        emit(size(500))
        emit(size(2500))
        raise RuntimeError("the bot child exited (1) before READY")

    with pytest.raises(SystemExit) as stop:
        finish("memory", run, summary)
    assert stop.value.code == 1
    *sizes, last = printed(capsys)
    assert [x["guilds"] for x in sizes] == [500, 2500]
    assert last["summary"] is True and last["sizes"] == [500, 2500]
    assert last["error"] == "RuntimeError: the bot child exited (1) before READY"
    assert last["targets"] == {
        "at_guilds": 2500,
        "every_guild_held": False,
        "peak_ratio_le_1.3": False,
        "slope_ratio_le_1.3": False,
        "every_size_ran": False,
    }


def test_a_first_size_that_fails_ends_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    def run() -> list[dict[str, Any]]:
        raise TimeoutError("no READY")

    with pytest.raises(SystemExit):
        finish("memory", run, summary)
    (last,) = printed(capsys)
    assert (last["bench"], last["summary"], last["error"]) == (
        "memory",
        True,
        "TimeoutError: no READY",
    )
    assert last["targets"] == {"every_size_ran": False}
