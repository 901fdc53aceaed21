"""Growth curves as small PNGs (issue 16 §5): each benchmark's `--plot FILE.png`, or afterwards.

Every benchmark prints one JSON line per size; `curves(lines)` turns the lines of one benchmark
into the curves worth seeing (HotPapers next to its floor, against the size, on log axes: a
straight line is a power law, flat is the goal where the work is an indexed read), and
`plot(lines, path)` draws them with matplotlib. matplotlib is an optional extra (`pip install
-e '.[bench]'`; the dev extra has it): without it `--plot` says so on stderr and the benchmark's
figures are unchanged. The curves can also be drawn again from saved lines:

    python bench/_plot.py results.jsonl docs/benchmarks/commands.png

Lines of other benchmarks, summary lines and sizes without a figure are left out, so a
partial run still draws what it measured.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Line = dict[str, Any]
Point = tuple[float, float]


@dataclass(frozen=True)
class Curves:
    """One figure: a title, the axes' names and the named series of (size, value) points."""

    title: str
    xlabel: str
    ylabel: str
    series: dict[str, list[Point]] = field(default_factory=dict)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value > 0 else None


def _dig(line: Line, path: str) -> Any:
    here: Any = line
    for part in path.split("."):
        if not isinstance(here, dict):
            return None
        here = here.get(part)
    return here


def _series(lines: Iterable[Line], x: str, ys: dict[str, str]) -> dict[str, list[Point]]:
    out: dict[str, list[Point]] = {}
    for label, path in ys.items():
        points = []
        for line in lines:
            xv, yv = _num(_dig(line, x)), _num(_dig(line, path))
            if xv is not None and yv is not None:
                points.append((xv, yv))
        if points:
            out[label] = sorted(points)
    return out


def _commands(lines: list[Line]) -> list[Curves]:
    cpu = {"HotPapers": "bot.cpu_ms_per_command", "floor": "floor.cpu_ms_per_command"}
    p99 = {"HotPapers": "bot.p99_ms", "floor": "floor.p99_ms"}
    return [
        Curves("/hot: CPU per command", "papers in the store", "ms", _series(lines, "papers", cpu)),
        Curves("/hot: p99 round trip", "papers in the store", "ms", _series(lines, "papers", p99)),
    ]


def _memory(lines: list[Line]) -> list[Curves]:
    ys = {"HotPapers peak RSS": "peak_rss_mb", "bare client peak RSS": "floor_peak_rss_mb"}
    return [
        Curves(
            "Memory against a bare discord.py client", "guilds", "MB", _series(lines, "guilds", ys)
        )
    ]


def _fanout(lines: list[Line]) -> list[Curves]:
    series: dict[str, list[Point]] = {}
    for line in lines:
        requests, seconds = _num(_dig(line, "bot.requests")), _num(_dig(line, "bot.seconds"))
        limit = _num(line.get("global_limit"))
        if requests is None or seconds is None:
            continue
        series.setdefault(f"HotPapers, {line.get('format')}", []).append((requests, seconds))
        if limit is not None:
            series.setdefault("at the global limit", []).append((requests, requests / limit))
    for points in series.values():
        points.sort()
    return [Curves("Fan-out against Discord's global limit", "requests", "seconds", series)]


def _imports(lines: list[Line]) -> list[Curves]:
    ys = {"store (save_digests)": "store.papers_per_s", "plain executemany": "plain.papers_per_s"}
    return [
        Curves(
            "Import against a plain executemany", "papers", "papers/s", _series(lines, "papers", ys)
        )
    ]


def _search(lines: list[Line]) -> list[Curves]:
    ys = {f"{kind} median": f"{kind}.ms_median" for kind in ("broad", "narrow", "complete")}
    return [Curves("/search and autocomplete", "papers", "ms", _series(lines, "papers", ys))]


MAKERS: dict[str, Callable[[list[Line]], list[Curves]]] = {
    "commands": _commands,
    "memory": _memory,
    "fanout": _fanout,
    "imports": _imports,
    "search": _search,
}


def curves(lines: Iterable[Line]) -> list[Curves]:
    """The panels of the first benchmark named in `lines` (its per-size lines only); those
    with no points are left out."""
    sized = [x for x in lines if isinstance(x, dict) and not x.get("summary")]
    names = [x.get("bench") for x in sized if x.get("bench") in MAKERS]
    if not names:
        return []
    name = str(names[0])
    return [c for c in MAKERS[name]([x for x in sized if x.get("bench") == name]) if c.series]


def plot(lines: Iterable[Line], path: str | Path) -> bool:
    """Draw `lines`' curves into the PNG at `path`; False (and why, on stderr) when it cannot."""
    panels = curves(lines)
    if not panels:
        print(f"--plot: no per-size figures to draw into {path}", file=sys.stderr)
        return False
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        print("--plot needs matplotlib: pip install -e '.[bench]'", file=sys.stderr)
        return False
    fig, axes = pyplot.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), dpi=100)
    try:
        for ax, panel in zip([axes] if len(panels) == 1 else list(axes), panels, strict=True):
            for label, points in panel.series.items():
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, marker="o", label=label)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(panel.title, fontsize="medium")
            ax.set_xlabel(panel.xlabel)
            ax.set_ylabel(panel.ylabel)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize="small")
        fig.tight_layout()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        pyplot.close(fig)
    return True


def read_lines(text: str) -> list[Line]:
    """The JSON objects of `text`, one a line; anything else (prose, fences) is skipped."""
    out = []
    for raw in text.splitlines():
        raw = raw.strip()
        if not raw.startswith("{"):
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def main(argv: list[str] | None = None) -> int:
    """`python bench/_plot.py LINES.jsonl OUT.png`: draw saved lines again."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] in {"-h", "--help"}:
        print(__doc__.strip().splitlines()[0])
        print("usage: python bench/_plot.py LINES.jsonl OUT.png")
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    return 0 if plot(read_lines(Path(args[0]).read_text(encoding="utf-8")), args[1]) else 1


if __name__ == "__main__":
    sys.exit(main())
