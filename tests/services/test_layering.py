"""The services know nothing of Discord: no module of `bot.services` imports discord.py or
the Discord side of the bot (`bot.app`, `bot.cli`), so they run and are tested without it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "bot" / "services"
FORBIDDEN = ("discord", "aiohttp", "bot.app", "bot.cli", "sandbox")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(SERVICES.glob("*.py")), ids=lambda p: p.name)
def test_a_service_module_imports_nothing_of_discord(path: Path) -> None:
    bad = {n for n in imported(path) if n.split(".")[0] in FORBIDDEN or n.startswith(FORBIDDEN)}
    assert bad == set()


def test_the_services_are_all_checked() -> None:
    assert len(list(SERVICES.glob("*.py"))) >= 9
