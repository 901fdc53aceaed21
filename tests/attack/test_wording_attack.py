# ruff: noqa: F811 - the conftest fixtures are imported and used by name
"""What users read must be true and read as English: counts with the right words, a filter
named once, sentences that end. Found by an outside attacker (issue 12); each test failed
before its fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from bot.models import Digest
from bot.render import render_digest
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    MANAGE_GUILD,
    FakeClock,
    clock,
    running_app,
    sandbox,
    store,
)

DAY = Digest(day=date(2021, 3, 14), source="hotpapers-md", title="Hot Papers 2021-03-14")


def test_empty_notice_of_a_single_filtered_paper_does_not_say_all_1() -> None:
    """A day whose only paper the filters removed says so in words, not "all 1 paper"."""
    (notice,) = render_digest(DAY, "compact", filtered_from=1)
    assert "all 1 " not in notice["content"], notice["content"]
    assert "only paper" in notice["content"], notice["content"]


# --- through the sandbox with the real bot ---


@pytest.fixture
async def app(sandbox: Sandbox, store: Store, clock: FakeClock) -> AsyncIterator[Sandbox]:
    await sandbox.control.add_guild("Lab", channels=["general", "papers"])
    async with running_app(sandbox, store, clock):
        yield sandbox


async def test_hot_filter_matching_nothing_names_the_filter_once(app: Sandbox) -> None:
    """`/hot category:math.AG` on a day without such papers names the day and the filter
    once each: not "… of Hot Papers 2021-03-12 · math.AG match math.AG"."""
    r = await app.control.invoke("hot", {"category": "math.AG"})
    assert r.status == "answered", r.content
    assert r.content.count("math.AG") == 1, r.content
    assert "Hot Papers 2021-03-12" in r.content, r.content


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("paper", {"id": "not-an-id"}),
        ("digest subscribe", {"time": "24:00"}),
        ("digest subscribe", {"timezone": "Etc/GMT+14"}),
    ],
    ids=["paper-id", "time", "zone"],
)
async def test_error_replies_are_sentences(
    app: Sandbox, command: str, options: dict[str, str]
) -> None:
    """A private error reply ends as a sentence ends (the core's messages are fragments)."""
    r = await app.control.invoke(command, options, permissions=MANAGE_GUILD)
    assert r.status == "answered" and r.ephemeral, r.content
    assert r.content.rstrip().endswith((".", "?")), r.content
