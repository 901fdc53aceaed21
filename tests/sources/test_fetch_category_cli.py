"""`hotpapers fetch --date D --category C --json` with the `hot` source, end to end over one
local HTTP server standing in for arXiv's API, Hugging Face and Hacker News (Bluesky is off:
no credentials). A past day's listing comes from arXiv's API; the ranked category comes back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

from .test_arxiv_listing import atom
from .test_fetch_cli import LocalServer

DAY = "2026-05-13"  # a Wednesday: Tuesday evening's listing
MATH = [("2605.20001", ["math.AG"]), ("2605.20002", ["math.AG", "math.NT"]),
        ("2605.20003", ["hep-th", "math.AG"]), ("2605.20004", ["math.NT"])]  # fmt: skip
HN_HITS = [
    {"objectID": "41000001", "url": "https://arxiv.org/abs/2605.20002v1", "points": 40,
     "num_comments": 7, "title": "A new proof of an old lemma", "author": "pg",
     "created_at_i": 1778700000},
    {"objectID": "41000002", "url": "https://arxiv.org/pdf/2605.20001", "points": 3,
     "num_comments": 0, "title": "Moduli", "author": "tptacek", "created_at_i": 1778700100},
]  # fmt: skip


def respond(path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
    if path == "/api/query":
        q = query["search_query"][0]
        start, size = int(query["start"][0]), int(query["max_results"][0])
        entries = MATH if "cat:math." in q else []
        return 200, "application/atom+xml", atom(entries[start : start + size])
    if path == "/api/daily_papers":
        return 200, "application/json", b"[]"
    if path.startswith("/api/v1/search"):
        body = {"hits": HN_HITS if query.get("page", ["0"]) == ["0"] else [], "nbPages": 1}
        return 200, "application/json", json.dumps(body).encode()
    return 404, "text/plain", b"not found"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    s = LocalServer(respond)
    s.start()
    yield s
    s.stop()


def config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[store]
path = "{tmp_path / "hotpapers.sqlite3"}"
[sources]
default = "hot"
max_retries = 0
[sources.arxiv]
base_url = "{base}"
rss_base_url = "{base}"
min_interval_seconds = 0
[sources.hf]
base_url = "{base}"
[sources.hn]
base_url = "{base}"
""",
        encoding="utf-8",
    )
    return path


def test_fetch_a_category_ranks_it_from_the_announcement_and_the_crowds(
    tmp_path: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["fetch", "--date", DAY, "--category", "math.AG", "--json"]
    assert main([*argv, "--config", str(config(tmp_path, server.base_url))]) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert out["source"] == "hot" and out["title"].endswith("math.AG")
    got = [(p["arxiv_id"], p["score"], p["score_label"]) for p in out["papers"]]
    assert got == [
        ("2605.20002", 100.0, "40 points HN · 7 comments HN"),
        ("2605.20001", 37.33, "3 points HN"),  # ln 4 / ln 41: within math.AG
        ("2605.20003", None, "no discussion yet"),  # a cross-list into math.AG, undiscussed
    ]
    api = [p for p in server.paths if p.startswith("/api/query")]
    assert len(api) == 1  # one listing request for the one archive asked for (math)
    assert out["messages"][0]["embeds"][0]["footer"]["text"].startswith(
        "Ranked by Hugging Face + Hacker News within each category"
    )
