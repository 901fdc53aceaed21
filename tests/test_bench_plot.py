"""The growth curves drawn from benchmark lines (bench/_plot.py): which points, and a real PNG.

The lines are the shapes the benchmarks print (cut down to the fields the curves read);
a renamed field would leave a curve empty, which these tests would see.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import _plot

COMMANDS = [
    {"bench": "commands", "papers": 10000, "bot": {"cpu_ms_per_command": 2.9, "p99_ms": 1200.0},
     "floor": {"cpu_ms_per_command": 1.2, "p99_ms": 700.0}},
    {"bench": "commands", "papers": 100000, "bot": {"cpu_ms_per_command": 3.1, "p99_ms": 1300.0},
     "floor": {"cpu_ms_per_command": 1.3, "p99_ms": 720.0}},
    {"bench": "commands", "summary": True, "sizes": [10000, 100000]},
]  # fmt: skip


def test_commands_draw_cpu_and_p99_of_both_sides_against_papers() -> None:
    panels = _plot.curves(COMMANDS)
    assert [p.title for p in panels] == ["/hot: CPU per command", "/hot: p99 round trip"]
    assert panels[0].series == {
        "HotPapers": [(10000.0, 2.9), (100000.0, 3.1)],
        "floor": [(10000.0, 1.2), (100000.0, 1.3)],
    }
    assert panels[1].series["floor"] == [(10000.0, 700.0), (100000.0, 720.0)]


def test_fanout_draws_each_format_and_the_time_at_the_limit() -> None:
    lines = [
        {"bench": "fanout", "format": "compact", "global_limit": 50,
         "bot": {"requests": 200, "seconds": 5.0}},
        {"bench": "fanout", "format": "detailed", "global_limit": 50,
         "bot": {"requests": 1200, "seconds": 30.0}},
    ]  # fmt: skip
    (panel,) = _plot.curves(lines)
    assert panel.series == {
        "HotPapers, compact": [(200.0, 5.0)],
        "HotPapers, detailed": [(1200.0, 30.0)],
        "at the global limit": [(200.0, 4.0), (1200.0, 24.0)],
    }


@pytest.mark.parametrize(
    ("line", "label", "point"),
    [
        ({"bench": "memory", "guilds": 500, "peak_rss_mb": 80.0, "floor_peak_rss_mb": 48.0},
         "bare client peak RSS", (500.0, 48.0)),
        ({"bench": "imports", "papers": 10000, "store": {"papers_per_s": 9000},
          "plain": {"papers_per_s": 15000}}, "plain executemany", (10000.0, 15000.0)),
        ({"bench": "search", "papers": 10000, "broad": {"ms_median": 2.5}},
         "broad median", (10000.0, 2.5)),
    ],
)  # fmt: skip
def test_each_benchmark_has_its_curve(line: dict[str, Any], label: str, point: _plot.Point) -> None:
    (panel,) = _plot.curves([line])
    assert panel.series[label] == [point]


def test_missing_or_non_positive_figures_and_other_benchmarks_are_left_out() -> None:
    lines = [
        {"bench": "memory", "guilds": 500, "peak_rss_mb": None, "floor_peak_rss_mb": 0},
        {"bench": "memory", "guilds": 2500, "peak_rss_mb": True, "floor_peak_rss_mb": 55.0},
        {"bench": "imports", "papers": 10, "store": {"papers_per_s": 1}},
    ]
    (panel,) = _plot.curves(lines)
    assert panel.series == {"bare client peak RSS": [(2500.0, 55.0)]}
    assert _plot.curves([{"bench": "unknown", "x": 1}]) == []


def test_plot_writes_a_png_and_refuses_lines_without_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "deep" / "commands.png"
    assert _plot.plot(COMMANDS, out) is True
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _plot.plot([{"bench": "commands", "summary": True}], tmp_path / "none.png") is False
    assert not (tmp_path / "none.png").exists()
    assert "no per-size figures" in capsys.readouterr().err


def test_saved_lines_are_read_back_among_prose(tmp_path: Path) -> None:
    text = 'Prose.\n```json\n{"bench": "memory", "guilds": 500, "peak_rss_mb": 80}\n{broken\n```\n'
    saved = tmp_path / "lines.md"
    saved.write_text(text, encoding="utf-8")
    assert _plot.read_lines(text) == [{"bench": "memory", "guilds": 500, "peak_rss_mb": 80}]
    assert _plot.main([str(saved), str(tmp_path / "m.png")]) == 0
    assert (tmp_path / "m.png").stat().st_size > 0
    assert _plot.main([]) == 2
