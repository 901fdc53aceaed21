"""What users read in answer to commands, held exactly: the `/paper` and `/hot category:cs.CV`
replies and the command errors (through the sandbox with the real bot), and every sentence
the error mapping can produce. Other tests check that payloads are *valid*; these check what
they *say*.

If a change is meant: `UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/golden && git diff tests/golden`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app.bot import HotPapersBot
from bot.app.tree import explain
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.control import InteractionResult
from tests.app.conftest import FakeClock, running_app
from tests.app.conftest import clock as clock
from tests.app.conftest import sandbox as sandbox
from tests.app.conftest import store as store
from tests.app.test_error_mapping import ERROR_CASES, HEALTH
from tests.golden.compare import golden


def seen(r: InteractionResult) -> dict[str, Any]:
    """An interaction's answer as the user sees it: who sees it, and each message's text."""
    return {
        "status": r.status,
        "ephemeral": r.ephemeral,
        "messages": [
            {k: m[k] for k in ("content", "embeds", "flags") if m.get(k) not in (None, "", [])}
            for m in r.messages
        ],
    }


# --- commands, through the sandbox with the real bot -----------------------------------------


@pytest.fixture
async def app(sandbox: Sandbox, store: Store, clock: FakeClock) -> AsyncIterator[Sandbox]:
    await sandbox.control.add_guild("Lab", channels=["general", "papers"])
    bot: HotPapersBot
    async with running_app(sandbox, store, clock) as bot:
        assert bot.is_ready()
        yield sandbox


async def test_paper_reply(app: Sandbox) -> None:
    golden("paper_reply", seen(await app.control.invoke("paper", {"id": "2103.06874"})))


async def test_hot_category_reply(app: Sandbox) -> None:
    golden("hot_cs_cv_reply", seen(await app.control.invoke("hot", {"category": "cs.CV"})))


COMMAND_ERRORS: list[tuple[str, str, dict[str, Any]]] = [
    ("unknown category", "hot", {"category": "cs.XYZ"}),
    ("category with a suggestion", "hot", {"category": "cs.CVV"}),
    ("date not a date", "hot", {"date": "12/03/2021"}),
    ("day with no digest", "hot", {"date": "2021-03-11"}),
    ("limit out of range", "hot", {"limit": 0}),
    ("filter matching nothing", "hot", {"category": "math.AG"}),
    ("paper id not an id", "paper", {"id": "not-an-id"}),
    ("paper not in any digest", "paper", {"id": "2103.99999"}),
]


async def test_command_error_replies(app: Sandbox) -> None:
    replies = {}
    for label, command, options in COMMAND_ERRORS:
        replies[label] = seen(await app.control.invoke(command, options, bounds=False))
    golden("command_error_replies", replies)


def test_error_mapping_replies() -> None:
    """Every distinct sentence the one error mapping can produce (`bot.app.tree.explain`)."""
    golden(
        "error_mapping_replies",
        {label: explain(error, health=HEALTH) for label, error, _ in ERROR_CASES},
    )
