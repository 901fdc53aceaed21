"""The house rules, checked: who may import what, who may write SQL, how big a module may grow.

These are the rules `docs/architecture.md` states. They are read off the source with `ast`
(no import is executed), so a violation fails here with the file and line, before it grows
into a second place that talks to Discord or a second place that writes SQL.

- **No import circles**, counting every import: module level, under `if TYPE_CHECKING:` and
  inside functions. A lazy import that "breaks" a cycle at run time still ties the two modules
  together in the reader's head and in the type checker's.
- **The core imports no discord.py.** Only `bot/app/` (the adapter) and `bot/cli/` (the entry
  points) may. The sandbox is the server side and may, too.
- **Only `bot/store/` writes SQL** or opens a database driver.
- **The core never reaches up** into `bot.app` or `bot.cli`; `bot.app` never into `bot.cli`.
- **`bot` imports nothing from `sandbox`**, except the CLI commands that start it (`demo`,
  `sandbox`), lazily.
- **Every module under 500 lines.**
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "sandbox")
MAX_LINES = 500
DISCORD_ALLOWED = ("bot.app", "bot.cli", "sandbox")
SQL_ALLOWED = ("bot.store",)
SANDBOX_ALLOWED = ("bot.cli.demo", "bot.cli.sandbox")
SQL = re.compile(
    r"^\s*(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|CREATE\s+(TABLE|INDEX|VIEW|TRIGGER)|ALTER\s+TABLE|DROP\s+TABLE|PRAGMA\s)",
    re.IGNORECASE | re.DOTALL,
)
DRIVERS = ("sqlite3", "aiosqlite", "asyncpg", "psycopg")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


MODULES = modules()


def imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every module this one imports (absolute names), with the line, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: -(node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if sub in MODULES else target), node.lineno


def internal_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _ in imports(name, path):
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_checker_sees_a_cycle() -> None:
    """The cycle finder itself: a three-module ring and a self-contained pair are found."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}, "f": {"a"}}
    assert cycles(graph) == [["a", "b", "c"], ["d", "e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles() -> None:
    assert cycles(internal_graph()) == []


def test_only_the_adapter_imports_discord() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for name, path in MODULES.items()
        if not within(name, DISCORD_ALLOWED)
        for target, line in imports(name, path)
        if target == "discord" or target.startswith("discord.")
    ]
    assert offenders == []


def test_the_core_does_not_reach_up() -> None:
    offenders = []
    for name, path in MODULES.items():
        if not name.startswith("bot.") or within(name, ("bot.cli", "bot.__main__")):
            continue
        above = ("bot.cli",) if within(name, ("bot.app",)) else ("bot.app", "bot.cli")
        offenders += [
            f"{path.relative_to(ROOT)}:{line} imports {target}"
            for target, line in imports(name, path)
            if within(target, above)
        ]
    assert offenders == []


def test_only_the_store_writes_sql() -> None:
    offenders = []
    for name, path in MODULES.items():
        if within(name, SQL_ALLOWED) or name.startswith("sandbox"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if SQL.match(node.value):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} SQL")
        offenders += [
            f"{path.relative_to(ROOT)}:{line} imports {target}"
            for target, line in imports(name, path)
            if target.split(".")[0] in DRIVERS
        ]
    assert offenders == []


def test_the_bot_does_not_import_the_sandbox() -> None:
    offenders = []
    for name, path in MODULES.items():
        if not name.startswith("bot"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            targets = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            if not any(within(t, ("sandbox",)) for t in targets):
                continue
            if name in SANDBOX_ALLOWED and id(node) not in top_level:
                continue
            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_small(name: str) -> None:
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines < MAX_LINES, f"{MODULES[name].relative_to(ROOT)} has {lines} lines"
