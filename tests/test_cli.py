"""The `hotpapers` command line: preview's JSON contract, import's idempotency, clear errors."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "bot" / "data" / "hot-papers-2021-03-12.md"


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    assert main(argv) == 0
    out = capsys.readouterr().out
    data: dict[str, Any] = json.loads(out)  # exactly one JSON object on stdout
    return data


def test_preview_json_contract(
    capsys: pytest.CaptureFixture[str],
    shared_hotpapers: Path,
    message_validator: Callable[[dict[str, Any]], list[str]],
) -> None:
    data = _json(
        capsys,
        ["preview", "--digest", str(shared_hotpapers / "hot-papers-2021-03-12.md"), "--json"],
    )
    assert data["date"] == "2021-03-12"
    assert data["title"] == "Hot Papers 2021-03-12"
    assert [p["rank"] for p in data["papers"]] == list(range(1, 17))
    assert data["papers"][0]["arxiv_id"] == "2103.06874"
    keys = {"rank", "arxiv_id", "title", "authors", "categories", "abstract", "abs_url", "pdf_url"}
    assert keys | {"metrics", "tweets"} <= set(data["papers"][0])
    # The contract changes only by adding keys: source, likes and kind came with the crowds.
    assert set(data["papers"][0]["tweets"][0]) == {
        "author",
        "handle",
        "url",
        "text",
        "source",
        "likes",
        "kind",
    }
    assert data["messages"]
    for m in data["messages"]:
        assert message_validator(m) == []


def test_preview_default_is_the_bundled_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview"]) == 0
    out = capsys.readouterr().out
    assert "Hot Papers 2021-03-12" in out and "CANINE" in out
    assert "\\" not in out  # readable text, not escaped markdown


def test_preview_filters(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["preview", "--category", "cs.CV", "--json"])
    ids = [p["arxiv_id"] for p in data["papers"]]
    assert ids == ["2103.06422", "2103.06871", "2103.06877", "2103.06561", "2103.06417"]
    data = _json(capsys, ["preview", "--limit", "3", "--format", "detailed", "--json"])
    assert len(data["papers"]) == 3
    assert sum(len(m.get("embeds", [])) for m in data["messages"]) == 3


def test_preview_errors_go_to_stderr(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "notes.md"
    bad.write_text("hello\n", encoding="utf-8")
    assert main(["preview", "--digest", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{bad}:1: not a Hot Papers digest" in captured.err
    assert main(["preview", "--date", "2021-03-12", "--db", str(tmp_path / "none.db")]) == 2
    assert "no database" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["preview", "--limit", "0"])
    assert info.value.code == 2


def test_preview_says_a_named_config_is_broken_even_when_it_needs_nothing_from_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`hotpapers preview --config bad.toml` (the bundled sample, no store) once printed the
    sample and exit 0: a broken file named on the command line is said, exit 2."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[schedule]\ntick_seconds = 0\n", encoding="utf-8")
    assert main(["preview", "--config", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "schedule.tick_seconds" in captured.err


def _counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        tables = ["papers", "digests", "digest_entries"]
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        con.close()


def test_import_twice_changes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, shared_hotpapers: Path
) -> None:
    db = tmp_path / "h.db"
    assert main(["import", str(shared_hotpapers), "--db", str(db)]) == 0
    first = _counts(db)
    assert first == {"papers": 35, "digests": 3, "digest_entries": 35}
    assert "imported 3 digest(s)" in capsys.readouterr().out
    assert main(["import", str(shared_hotpapers), "--db", str(db)]) == 0
    assert _counts(db) == first
    assert "imported 0 digest(s), 3 unchanged" in capsys.readouterr().out
    # and the stored day previews like the file
    data = _json(capsys, ["preview", "--date", "2021-03-12", "--db", str(db), "--json"])
    assert data["papers"][0]["arxiv_id"] == "2103.06874" and len(data["papers"]) == 16


def test_import_skips_bad_files_but_keeps_the_rest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "good.md").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "bad.md").write_bytes(b"\xff\xfe not text")
    db = tmp_path / "h.db"
    assert main(["import", str(folder), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "bad.md:1: not valid UTF-8" in err
    assert _counts(db)["digests"] == 1


@pytest.mark.parametrize("batch", [1, 2, 200])
def test_import_in_batches_counts_each_file_once(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    batch: int,
) -> None:
    """Files are saved `BATCH` at a time: the same day twice in one batch is one change and
    one unchanged, a bad file between them is skipped, and the counts are the same for any
    batch size."""
    from bot.cli import importer

    monkeypatch.setattr(importer, "BATCH", batch)
    folder = tmp_path / "posts"
    folder.mkdir()
    text = SAMPLE.read_text(encoding="utf-8")
    (folder / "a.md").write_text(text, encoding="utf-8")
    (folder / "b.md").write_bytes(b"\xff\xfe not text")
    (folder / "c.md").write_text(text, encoding="utf-8")
    db = tmp_path / "h.db"
    assert main(["import", str(folder), "--db", str(db)]) == 1
    out = capsys.readouterr()
    assert "b.md:1: not valid UTF-8" in out.err
    assert "imported 1 digest(s), 1 unchanged, 1 skipped; store has 1 digests, 16 papers" in (
        out.out
    )
    assert _counts(db) == {"papers": 16, "digests": 1, "digest_entries": 16}


@pytest.mark.slow
def test_python_dash_m_and_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for sub in ("preview", "import"):
        assert sub in out
    out = subprocess.run(
        [sys.executable, "-m", "bot", "preview", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--category" in out and "bundled sample" in out
