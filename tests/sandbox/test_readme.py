"""sandbox/README.md ships with the package and stays true: its control API lists exactly the
routes `ControlApi` serves (as does the package docstring), and its module map names exactly
the modules there are."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

import sandbox
from sandbox.app import Sandbox
from sandbox.control_http import ControlApi

ROOT = Path(sandbox.__file__).parent
README = ROOT / "README.md"
ROUTE_LINE = re.compile(r"^\s*(GET|POST|PUT|PATCH|DELETE)\s+(/_sandbox\S*)", re.MULTILINE)


def documented_routes(text: str) -> set[tuple[str, str]]:
    """(method, path) of every route line; `{anything}` becomes `{}`, `[/{id}]` both forms."""
    routes: set[tuple[str, str]] = set()
    for method, raw in ROUTE_LINE.findall(text):
        path = re.sub(r"\{[^}]*\}", "{}", raw.split("?")[0])
        for variant in (re.sub(r"\[.*\]", "", path), path.replace("[", "").replace("]", "")):
            routes.add((method, variant))
    return routes


def served_routes() -> set[tuple[str, str]]:
    """(method, path) of every route of the HTTP control API."""
    routes = ControlApi(Sandbox().control).routes()
    return {(r.method, re.sub(r"\{[^}]*\}", "{}", r.path)) for r in routes}


def test_the_readme_is_package_data_of_sandbox_only() -> None:
    assert resources.files("sandbox").joinpath("README.md").is_file()
    config = tomllib.loads((ROOT.parent / "pyproject.toml").read_text("utf-8"))
    data = config["tool"]["setuptools"]["package-data"]
    assert "README.md" in data["sandbox"] and "spec/*" in data["sandbox"]
    assert not any("spec" in pattern for pattern in data.get("bot", []))


def test_the_readme_lists_every_control_route() -> None:
    assert documented_routes(README.read_text("utf-8")) == served_routes()


def test_the_package_docstring_lists_every_control_route() -> None:
    assert documented_routes(sandbox.__doc__ or "") == served_routes()


def test_the_module_map_names_every_module() -> None:
    rows = set(re.findall(r"^\| `([\w/]+\.py)` \|", README.read_text("utf-8"), re.MULTILINE))
    modules = {str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")}
    assert rows == modules
