"""The bad-command part of the bad-input corpus (`tests/corpus/commands/*.json`).

Each file is one command as a member would type it: `command`, `options`, `as` ("member" or
"manage": with Manage Server), the `expect`ed phrase of the ephemeral answer, and optionally
the `status` Discord would give instead (e.g. "denied"). All cases run against one real bot
through the sandbox; none may crash the bot, ping anyone, or change the store.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import MANAGE_GUILD, FakeClock, running_app

CASES = sorted((Path(__file__).resolve().parent.parent / "corpus" / "commands").glob("*.json"))
LIVE_MENTION = re.compile(r"(?<!\\)<@|@(everyone|here)")


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 25


async def test_every_bad_command_gets_a_clear_ephemeral_answer(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["general", "papers"])
    papers = next(c.id for c in guild.channels.values() if c.name == "papers")
    async with running_app(sandbox, store, clock) as bot:
        before = await store.counts()
        failures: list[str] = []
        for path in CASES:
            case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            options = dict(case["options"])
            if case["command"] == "digest subscribe":
                options.setdefault("channel", papers)
            permissions = MANAGE_GUILD if case["as"] == "manage" else None
            # Hostile values, some past an option's min/max: the bot's own checks must answer.
            r = await sandbox.control.invoke(
                case["command"], options, permissions=permissions, bounds=False
            )
            status = case.get("status", "answered")
            problems = []
            if r.status != status:
                problems.append(f"status {r.status}, expected {status}")
            if status == "answered":
                if not r.ephemeral:
                    problems.append("not ephemeral")
                if case["expect"].lower() not in r.content.lower():
                    problems.append(f"answer lacks {case['expect']!r}: {r.content[:200]!r}")
                if LIVE_MENTION.search(r.content):
                    problems.append(f"a live mention in {r.content[:200]!r}")
                if len(r.content) > 2000:
                    problems.append("answer longer than 2000 characters")
            if problems:
                failures.append(f"{path.name}: {'; '.join(problems)}")
        assert failures == [], "\n".join(failures)
        assert await store.counts() == before  # nothing stored, nothing lost
        assert (await sandbox.control.invoke("hot")).status == "answered"  # still up
        assert not bot.is_closed()
