"""`hotpapers fetch` end to end against local HTTP servers standing in for HF and arXiv."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.cli import main
from bot.models import Digest
from bot.store import open_store

from .conftest import atom_feed, hf_day

DAY = date(2025, 3, 31)

Respond = Callable[[str, dict[str, list[str]]], tuple[int, str, bytes]]


@dataclass
class LocalServer:
    """A real HTTP server on 127.0.0.1 (a free port) that logs request paths."""

    respond: Respond
    paths: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.paths.append(self.path)
                split = urlsplit(self.path)
                status, ctype, body = outer.respond(split.path, parse_qs(split.query))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


def hf_respond(path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
    if path != "/api/daily_papers":
        return 404, "text/plain", b"not found"
    items = hf_day(50) if query["date"] == [DAY.isoformat()] else []
    return 200, "application/json", json.dumps(items).encode()


def arxiv_respond(path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
    if path != "/api/query":
        return 404, "text/plain", b"not found"
    return 200, "application/atom+xml", atom_feed(query["id_list"][0].split(","))


@pytest.fixture
def servers() -> Iterator[tuple[LocalServer, LocalServer]]:
    hf, arxiv = LocalServer(hf_respond), LocalServer(arxiv_respond)
    hf.start()
    arxiv.start()
    yield hf, arxiv
    hf.stop()
    arxiv.stop()


@pytest.fixture
def config_file(tmp_path: Path, servers: tuple[LocalServer, LocalServer]) -> Path:
    hf, arxiv = servers
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[store]
path = "{tmp_path / "hotpapers.sqlite3"}"

[sources]
default = "hf+arxiv"
max_retries = 0
timeout_seconds = 10
[sources.hf]
base_url = "{hf.base_url}"
[sources.arxiv]
base_url = "{arxiv.base_url}"
""",
        encoding="utf-8",
    )
    return path


def stored(db: Path, source: str, day: date) -> Digest | None:
    async def read() -> Digest | None:
        async with open_store(db) as store:
            result: Digest | None = await store.get_digest(source, day)
            return result

    return asyncio.run(read())


def test_fetch_stores_the_day_then_answers_from_the_store(
    servers: tuple[LocalServer, LocalServer],
    config_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hf, arxiv = servers
    argv = ["fetch", "--date", DAY.isoformat(), "--config", str(config_file)]

    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("hf+arxiv 2025-03-31: 50 papers, fetched and stored (final)")
    assert "1. 2503.10000 Synthetic paper number 0 [cs.CV, cs.LG] — ▲ 500 on Hugging Face" in out
    assert (len(hf.paths), len(arxiv.paths)) == (1, 1)
    assert hf.paths[0] == "/api/daily_papers?date=2025-03-31&limit=100&p=0"

    digest = stored(tmp_path / "hotpapers.sqlite3", "hf+arxiv", DAY)
    assert digest is not None
    assert len(digest.papers) == 50
    assert digest.papers[0].categories == ["cs.CV", "cs.LG"]
    assert digest.papers[0].metrics["upvotes"] == 500

    assert main(argv) == 0  # the stored past day: no upstream request
    assert "already stored; no upstream request" in capsys.readouterr().out
    assert (len(hf.paths), len(arxiv.paths)) == (1, 1)

    # what /hot would show for that day comes from the store
    assert main(["preview", "--date", DAY.isoformat(), "--db", str(tmp_path / "hotpapers.sqlite3"),
                 "--category", "cs.CL", "--json"]) == 0  # fmt: skip
    shown = json.loads(capsys.readouterr().out)
    assert len(shown["papers"]) == 25
    assert all(p["categories"][0] == "cs.CL" for p in shown["papers"])
    assert (len(hf.paths), len(arxiv.paths)) == (1, 1)


def test_fetch_json_has_the_preview_shape(
    servers: tuple[LocalServer, LocalServer],
    config_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "other.sqlite3"
    argv = ["fetch", "--date", DAY.isoformat(), "--config", str(config_file), "--db", str(db)]
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["date"] == "2025-03-31"
    assert [p["rank"] for p in data["papers"]] == list(range(1, 51))
    first = data["papers"][0]
    assert first["arxiv_id"] == "2503.10000"
    assert first["categories"] == ["cs.CV", "cs.LG"]
    assert first["authors"] == ["First Author", "Second Author", "Third Author"]
    assert first["metrics"] == {"upvotes": 500, "github_stars": 0, "comments": 0}
    assert first["abs_url"] == "https://arxiv.org/abs/2503.10000"
    assert first["tweets"] == []
    assert data["messages"]
    assert db.exists()
    assert not (tmp_path / "hotpapers.sqlite3").exists()  # --db overrides the config


def test_fetch_reports_upstream_garbage_and_stores_nothing(
    servers: tuple[LocalServer, LocalServer],
    config_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hf, arxiv = servers
    hf.respond = lambda path, query: (200, "text/html", b"<!DOCTYPE html><h1>Down</h1>")
    argv = ["fetch", "--date", DAY.isoformat(), "--config", str(config_file)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0] == "hotpapers fetch: error: Hugging Face sent something that is not JSON."
    assert arxiv.paths == []
    assert stored(tmp_path / "hotpapers.sqlite3", "hf+arxiv", DAY) is None


def test_fetch_rejects_unknown_sources_and_dates(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["fetch", "--config", str(config_file)]
    assert main([*base, "--date", DAY.isoformat(), "--source", "arxiv"]) == 2
    assert "arxiv supplies metadata" in capsys.readouterr().err
    assert not (config_file.parent / "hotpapers.sqlite3").exists()  # refused before any I/O
    assert main([*base, "--date", "2999-01-01"]) == 2
    assert "2999-01-01 is in the future" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*base, "--date", "yesterday"])
    assert "'yesterday' is not a date" in capsys.readouterr().err
