"""Attacks on the lean start (the parsers of fetched data imported on first use).

A package the sources import lazily that is missing from the installation used to stop
`hotpapers run` at start (an import of the module). Imported on first use, it failed only
at the first feed parsed, inside the source's boundary, which turned the ImportError into
"arXiv sent metadata that could not be read." at every tick: a false sentence about
upstream, from a bot that had started as if nothing was wrong.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.sources import lazy

SOURCES = Path(__file__).resolve().parents[2] / "bot" / "sources"


@pytest.mark.parametrize("package", lazy.PACKAGES)
def test_run_refuses_at_start_an_install_without_a_lazy_parser(
    package: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = tmp_path / "db.sqlite3"
    config = tmp_path / "config.toml"
    # Discord on a closed local port: a bot that got past the check fails here, offline.
    config.write_text(
        f'[store]\npath = "{store}"\n[discord]\napi_base = "http://127.0.0.1:9"\n'
        'gateway_url = "ws://127.0.0.1:9"\n'
    )
    monkeypatch.setenv("DISCORD_TOKEN", "a-token")
    monkeypatch.setitem(sys.modules, package, None)  # import and find_spec find nothing
    assert main(["run", "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        f"hotpapers run: error: this installation lacks {package} (the parsers of fetched "
        "data): reinstall hotpapers with its dependencies\n"
    )
    assert not store.exists()  # refused before the store was opened


def test_this_install_has_every_lazy_parser() -> None:
    assert lazy.missing() == []


def test_every_third_party_import_inside_a_source_function_is_checked() -> None:
    """A new lazy import of a third-party package in bot/sources/ must join `PACKAGES`."""
    stdlib = set(sys.stdlib_module_names)
    lazily: set[str] = set()
    for path in SOURCES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                names: list[str] = []
                if isinstance(inner, ast.Import):
                    names = [a.name for a in inner.names]
                elif isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                    names = [inner.module]
                lazily.update(n.split(".")[0] for n in names)
    third_party = sorted(lazily - stdlib - {"bot"})
    assert third_party == sorted(lazy.PACKAGES)
