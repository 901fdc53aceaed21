# ruff: noqa: F811 - the conftest fixtures are imported and used by name
"""One gateway frame the bot cannot read costs a connection, never the bot.

Found by an outside attacker: after one frame discord.py could not parse, the bot stayed
"ready" and answered no command again (`bot.app.gateway_guard`)."""

from __future__ import annotations

import asyncio
import json

import discord
import pytest

from bot.app.gateway_guard import LONGEST_WAIT, MAX_IN_A_ROW, QUIET_SECONDS, GatewayGuard
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    FakeClock,
    clock,
    running_app,
    sandbox,
    store,
)


async def _connected(sandbox: Sandbox, old: object, deadline: float = 60.0) -> None:
    """Until a session other than `old` has a live connection (the bot identified again)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while loop.time() < end:
        if any(s is not old and s.connection is not None for s in sandbox.gateway.live_sessions()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the bot did not connect again")


@pytest.mark.parametrize(
    "frame",
    [
        "{not json",
        json.dumps({"op": 0, "t": "GUILD_CREATE", "s": 99, "d": {"id": "not a snowflake"}}),
        json.dumps({"op": 0, "t": "MESSAGE_CREATE", "s": 99, "d": None}),
    ],
    ids=["not-json", "guild-create-bad-shape", "message-create-null"],
)
async def test_an_unreadable_frame_costs_the_connection_not_the_bot(
    sandbox: Sandbox, store: Store, clock: FakeClock, frame: str
) -> None:
    await sandbox.control.add_guild("Lab", channels=["general"])
    async with running_app(sandbox, store, clock) as bot:
        before = await sandbox.control.invoke("hot", {})
        assert before.status == "answered"
        session = next(s for s in sandbox.gateway.live_sessions() if s.connection is not None)
        assert session.connection is not None
        await session.connection.ws.send_str(frame)
        await _connected(sandbox, session)
        after = await sandbox.control.invoke("hot", {})
        assert after.status == "answered", after
        assert after.content == before.content
        assert not bot.is_closed()
        assert bot.gateway_guard.total == 1


def test_waits_double_to_a_minute_start_again_after_quiet_and_give_up_after_a_run() -> None:
    now = [0.0]
    guard = GatewayGuard(monotonic=lambda: now[0])
    waits = []
    for _ in range(MAX_IN_A_ROW):
        waits.append(guard.wait_after_failure())
        now[0] += 1.0
    assert waits == [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, LONGEST_WAIT]
    assert guard.wait_after_failure() is None  # the ninth in a row: raise, let it restart
    now[0] += QUIET_SECONDS + 1
    assert guard.wait_after_failure() == 5.0  # quiet for five minutes: a fresh start


class _Closed:
    def __init__(self, closed: bool) -> None:
        self.closed = closed
        self.ws = None

    def is_closed(self) -> bool:
        return self.closed


async def test_what_discord_py_raises_on_purpose_is_never_retried() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    guard = GatewayGuard(sleep=sleep)
    client = _Closed(False)

    async def intents() -> None:
        raise discord.PrivilegedIntentsRequired(None)

    with pytest.raises(discord.PrivilegedIntentsRequired):
        await guard.run(client, intents)  # type: ignore[arg-type]

    async def closed_then_error() -> None:
        client.closed = True
        raise ValueError("after close")

    with pytest.raises(ValueError, match="after close"):
        await guard.run(client, closed_then_error)  # type: ignore[arg-type]
    assert slept == []

    calls = [0]

    async def twice_then_ok() -> None:
        calls[0] += 1
        if calls[0] < 3:
            raise KeyError("id")

    client.closed = False
    await guard.run(client, twice_then_ok)  # type: ignore[arg-type]
    assert calls[0] == 3 and slept == [5.0, 10.0]
