# ruff: noqa: F811 - the conftest fixtures are imported and used by name
"""Numbers Discord cannot send never reach the bot, and an attempt stops nothing.

Found by an outside attacker: the sandbox once sent an interaction with `min_score: inf`
(serialised as `Infinity`, which no JSON parser of discord.py's accepts); the bot's gateway
reader died on it and answered nothing after. Discord's client holds a number option to its
type's range and the command's `min_value`/`max_value`, and JSON has no NaN or infinity, so the
sandbox refuses such a value the way Discord would: before anything is sent.
"""

from __future__ import annotations

import math

import pytest

from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.interactions import OptionError
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    MANAGE_GUILD,
    FakeClock,
    clock,
    make_config,
    running_app,
    sandbox,
    store,
)


@pytest.mark.parametrize(
    ("command", "options", "why"),
    [
        ("digest subscribe", {"min_score": math.inf}, "not a number Discord can send"),
        ("digest subscribe", {"min_score": math.nan}, "not a number Discord can send"),
        ("digest subscribe", {"min_score": 2.0**60}, "not a number Discord can send"),
        ("digest subscribe", {"min_score": -1}, "below its min_value 0"),
        ("hot", {"limit": math.inf}, "is not of type"),
        ("hot", {"limit": 0}, "below its min_value 1"),
    ],
    ids=["inf", "nan", "beyond-2^53", "below-min_value", "int-inf", "int-below-min"],
)
async def test_numbers_discord_cannot_send_are_refused_and_later_commands_answered(
    sandbox: Sandbox,
    store: Store,
    clock: FakeClock,
    command: str,
    options: dict[str, float],
    why: str,
) -> None:
    await sandbox.control.add_guild("Lab", channels=["general"])
    async with running_app(sandbox, store, clock):
        with pytest.raises(OptionError, match=why):
            await sandbox.control.invoke(command, options, permissions=MANAGE_GUILD)
        after = await sandbox.control.invoke("hot", {})
    assert after.status == "answered", after
