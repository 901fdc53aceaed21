"""bench/callgrind.py's comparison with its baseline: a task with nothing to compare with is
not a pass (made-up counts; valgrind is not run)."""

from __future__ import annotations

from callgrind import compare, summarise


def test_a_task_within_the_threshold_meets_the_target() -> None:
    lines = compare({"render_compact": 1_020_000}, {"render_compact": 1_000_000}, 3.0)
    assert lines == [
        {
            "bench": "callgrind",
            "task": "render_compact",
            "instructions": 1_020_000,
            "baseline": 1_000_000,
            "change_percent": 2.0,
            "worse": False,
        }
    ]
    assert summarise(lines, 3.0)["targets"] == {
        "every_task_has_baseline": True,
        "none_worse_than_threshold": True,
    }


def test_a_worse_task_is_flagged() -> None:
    lines = compare({"rank_month": 1_050_000}, {"rank_month": 1_000_000}, 3.0)
    summary = summarise(lines, 3.0)
    assert (summary["worse"], summary["targets"]["none_worse_than_threshold"]) == (
        ["rank_month"],
        False,
    )


def test_a_task_without_a_baseline_count_is_no_pass() -> None:
    # e.g. `--baseline` naming a file that is not there, or a task added since the baseline
    lines = compare({"parse_hf": 900_000, "parse_arxiv": 500_000}, {"parse_hf": 900_000}, 3.0)
    summary = summarise(lines, 3.0)
    assert summary["no_baseline"] == ["parse_arxiv"]
    assert summary["targets"] == {
        "every_task_has_baseline": False,
        "none_worse_than_threshold": False,
    }
