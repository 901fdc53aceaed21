"""The sandbox's modules import each other in one direction: no import circle, type-level ones
included, and every import goes to the same or a lower layer (sandbox/README.md, "Layout").

Imports are read from the source (`ast`), wherever they are: at the top, under
`if TYPE_CHECKING:`, inside functions. Importing `a.b.c` runs `a` and `a.b` first, so a module
also depends on the packages above it and above everything it imports: a package `__init__`
that imported its own modules would close a circle with them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

import sandbox

ROOT = Path(sandbox.__file__).parent
Graph = dict[str, set[str]]

# Layers, lowest first; a module may import from the layers its own layer lists (and its own).
LAYERS: dict[str, set[str]] = {
    # Discord's numbers, the JSON alias and ids, HTTP answers, observers, the form error type.
    "base": {"", "primitives", "flags", "observe", "responses", "form_errors", "shards"},
    # The world and its state: settings, guilds and channels, messages and records, the state.
    "model": {"settings", "world", "records", "feed", "state"},
    # Beside the model, knowing nothing of it: the spec and the rules Discord documents.
    "rules": {
        "openapi",
        "message_rules",
        "mention_rules",
        "component_rules",
        "command_rules",
        "unknown_fields",
        "field_memo",
        "validation",
    },
    # The mechanisms over the state: faults, rate limits, Cloudflare, the Gateway, interactions.
    "engines": {
        "faults",
        "ratelimit",
        "cloudflare",
        "gateway",
        "gateway_session",
        "installs",
        "interactions",
    },
    # The REST routes, one module per resource.
    "routes": {
        "routes",
        "routes.request",
        "routes.access",
        "routes.posting",
        "routes.identity",
        "routes.commands",
        "routes.channels",
        "routes.messages",
        "routes.threads",
        "routes.interactions",
        "routes.roles",
    },
    # The parts of the control API, beside the routes, knowing nothing of them.
    "drive": {
        "drive",
        "drive.base",
        "drive.results",
        "drive.world",
        "drive.users",
        "drive.readback",
        "drive.knobs",
    },
    # What the outside talks to: the REST middleware, the control API in-process and over HTTP.
    "surfaces": {"rest", "control", "control_http"},
    # The sandbox in a browser: the page, its JSON read-out and its live event stream.
    "web": {"web", "web.readout", "web.stream", "web.site"},
    # The composition root and the test helpers.
    "root": {"app", "testing"},
}
MAY_IMPORT: dict[str, set[str]] = {
    "base": {"base"},
    "model": {"base", "model"},
    "rules": {"base", "rules"},
    "engines": {"base", "model", "engines"},
    "routes": {"base", "model", "rules", "engines", "routes"},
    "drive": {"base", "model", "engines", "drive"},
    "surfaces": {"base", "model", "rules", "engines", "routes", "drive", "surfaces"},
    "web": {"base", "model", "engines", "web"},
    "root": set(LAYERS),
}


def module_name(path: Path, root: Path, package: str) -> str:
    """`pkg/a/b.py` → "pkg.a.b"; `pkg/a/__init__.py` → "pkg.a"."""
    parts = [package, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, name: str, is_package: bool, known: set[str]) -> set[str]:
    """Every module of `known` that the module `name` imports, anywhere in its source."""
    found: set[str] = set()
    here = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` only mod.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m in known}


def ancestors(name: str) -> list[str]:
    """The packages that run before `name`: "a.b.c" → ["a", "a.b"]."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph(root: Path, package: str) -> tuple[Graph, Graph]:
    """(explicit imports, explicit plus implied parent-package imports) of every module."""
    files = {module_name(p, root, package): p for p in sorted(root.rglob("*.py"))}
    known = set(files)
    explicit: Graph = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        explicit[name] = imports_of(path.read_text("utf-8"), name, is_package, known) - {name}
    full: Graph = {}
    for name, targets in explicit.items():
        implied = {a for t in targets for a in ancestors(t)} | set(ancestors(name))
        full[name] = (targets | implied) & known - {name}
    return explicit, full


def find_cycle(graph: Graph) -> list[str] | None:
    """One import circle as a path [a, b, ..., a], or None if the graph has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


PLACED = {member: layer for layer, members in LAYERS.items() for member in members}


def layer_of(name: str) -> str:
    """The layer a sandbox module is placed in (KeyError: not placed)."""
    return PLACED[name.removeprefix("sandbox").removeprefix(".")]


def upward_imports(graph: Graph) -> Iterable[str]:
    """Each explicit import that goes to a layer its importer may not use."""
    for name, targets in sorted(graph.items()):
        for target in sorted(targets):
            if layer_of(target) not in MAY_IMPORT[layer_of(name)]:
                yield f"{name} ({layer_of(name)}) imports {target} ({layer_of(target)})"


EXPLICIT, FULL = import_graph(ROOT, "sandbox")


def test_no_import_circle_inside_the_sandbox() -> None:
    assert find_cycle(FULL) is None


def test_every_sandbox_module_has_a_layer() -> None:
    actual = {name.removeprefix("sandbox").removeprefix(".") for name in EXPLICIT}
    assert actual - set(PLACED) == set(), "place the new module in LAYERS"
    assert set(PLACED) - actual == set(), "LAYERS names a module that does not exist"
    assert sum(len(members) for members in LAYERS.values()) == len(PLACED), "one layer each"


def test_imports_go_only_to_the_same_or_a_lower_layer() -> None:
    assert list(upward_imports(EXPLICIT)) == []


def test_every_sandbox_module_is_under_500_lines() -> None:
    lengths = {
        str(p.relative_to(ROOT)): len(p.read_text("utf-8").splitlines()) for p in ROOT.rglob("*.py")
    }
    assert {name: n for name, n in lengths.items() if n >= 500} == {}


# -- the checker itself -------------------------------------------------------------------------


def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize(
    ("files", "cycle"),
    [
        pytest.param(
            {
                "__init__.py": "",
                "a.py": "import typing\nif typing.TYPE_CHECKING:\n    from pkg.b import B\n",
                "b.py": "def f():\n    from pkg import a\n",
            },
            ["pkg.a", "pkg.b", "pkg.a"],
            id="type-level and function-local imports",
        ),
        pytest.param(
            {"__init__.py": "", "a.py": "from . import b\n", "b.py": "from .a import x\n"},
            ["pkg.a", "pkg.b", "pkg.a"],
            id="relative imports",
        ),
        pytest.param(
            {
                "__init__.py": "",
                "sub/__init__.py": "from pkg.sub.x import X\n",
                "sub/x.py": "from pkg.sub.y import Y\n",
                "sub/y.py": "",
            },
            ["pkg.sub", "pkg.sub.x", "pkg.sub"],
            id="a package init importing its own module",
        ),
    ],
)
def test_the_checker_finds_circles(tmp_path: Path, files: dict[str, str], cycle: list[str]) -> None:
    write(tmp_path / "pkg", files)
    _, full = import_graph(tmp_path / "pkg", "pkg")
    assert find_cycle(full) == cycle


def test_the_checker_passes_a_layered_package(tmp_path: Path) -> None:
    write(
        tmp_path / "pkg",
        {
            "__init__.py": '"""docstring only"""\n',
            "low.py": "import json\n",
            "mid.py": "from pkg.low import x\n",
            "top.py": "from pkg import low, mid\nimport pkg.mid\n",
        },
    )
    explicit, full = import_graph(tmp_path / "pkg", "pkg")
    assert explicit["pkg.top"] == {"pkg", "pkg.low", "pkg.mid"}
    assert find_cycle(full) is None


def test_an_upward_import_is_reported() -> None:
    graph: Graph = {"sandbox.world": {"sandbox.gateway"}, "sandbox.gateway": set()}
    assert list(upward_imports(graph)) == [
        "sandbox.world (model) imports sandbox.gateway (engines)"
    ]
