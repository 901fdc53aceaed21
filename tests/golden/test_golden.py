"""What users see, held exactly: the payloads for the bundled sample, byte for byte.

Other tests check that payloads are *valid*; these check what they *say*. Each golden file in
this folder is the exact JSON of one thing a user reads: the compact post, the detailed post
(header, thread name, thread messages), the empty-day notice, the `/paper` and `/hot` replies
(through the sandbox with the real bot), and every error reply.

A change to any of them fails here. If the change is meant, regenerate and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/golden && git diff tests/golden
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.app.bot import HotPapersBot
from bot.app.tree import explain
from bot.cli.preview import sample_digest
from bot.models import Digest
from bot.render import render_digest, thread_name
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.control import InteractionResult
from tests.app.conftest import FakeClock, running_app
from tests.app.conftest import clock as clock
from tests.app.conftest import sandbox as sandbox
from tests.app.conftest import store as store
from tests.app.test_error_mapping import ERROR_CASES, HEALTH

HERE = Path(__file__).resolve().parent
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def golden(name: str, data: Any) -> None:
    """Compare `data` with `<name>.json` exactly (or write it, under UPDATE_GOLDEN=1)."""
    path = HERE / f"{name}.json"
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"{path.name} is missing: run with UPDATE_GOLDEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{path.name} differs from what users now see; if meant, regenerate with "
        "UPDATE_GOLDEN=1 and review `git diff tests/golden`"
    )


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


# --- posts ------------------------------------------------------------------------------------


def test_compact_post() -> None:
    golden("compact_post", render_digest(sample_digest(), "compact"))


def test_detailed_post() -> None:
    digest = sample_digest()
    header, *thread = render_digest(digest, "detailed")
    golden(
        "detailed_post", {"header": header, "thread_name": thread_name(digest), "thread": thread}
    )


def test_empty_day_notices() -> None:
    day = Digest(day=date(2021, 3, 14), source="hotpapers-md", title="Hot Papers 2021-03-14")
    golden(
        "empty_notice",
        {
            "source_had_none": render_digest(day, "compact"),
            "filters_removed_one": render_digest(day, "detailed", filtered_from=1),
            "filters_removed_sixteen": render_digest(day, "compact", filtered_from=16),
        },
    )


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
        replies[label] = seen(await app.control.invoke(command, options))
    golden("command_error_replies", replies)


def test_error_mapping_replies() -> None:
    """Every distinct sentence the one error mapping can produce (`bot.app.tree.explain`)."""
    golden(
        "error_mapping_replies",
        {label: explain(error, health=HEALTH) for label, error, _ in ERROR_CASES},
    )
