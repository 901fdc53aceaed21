# ruff: noqa: F811 - the conftest fixtures are imported and used by name
"""Attacks on sharding (issue 15, deliverables 4-5): what its authors did not try."""

from __future__ import annotations

import asyncio

from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    FakeClock,
    clock,
    make_config,
    running_app,
    sandbox,
    store,
)


async def _reconnected(sandbox: Sandbox, old: object, shard: tuple[int, int]) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + 60.0
    while loop.time() < end:
        if any(
            s is not old and s.shard == shard and s.connection is not None
            for s in sandbox.gateway.live_sessions()
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"shard {shard} did not connect again")


async def test_an_unreadable_frame_on_one_shard_costs_that_shard_connection_not_the_bot(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """Found: in a sharded bot (discord.py's AutoShardedBot) a frame one shard cannot read
    ended in `terminate`: the client closed every shard and `connect` raised, so the guard
    (which gives up when the client is closed) let the whole process stop, both shards' guilds
    unanswered, on one bad frame. Promised: as unsharded, the bad frame costs that shard's
    connection; it identifies again and every guild is answered."""
    sandbox.state.settings.identify_window = 0.05
    guilds = [await sandbox.control.add_guild(f"G{i}", shard=(i, 2)) for i in range(2)]
    config = make_config(discord={"shard_count": 2})
    async with running_app(sandbox, store, clock, config=config) as bot:
        for g in guilds:
            r = await sandbox.control.invoke("hot", {}, guild_id=g.id)
            assert r.status == "answered", r
        session = next(s for s in sandbox.gateway.live_sessions() if s.shard == (1, 2))
        assert session.connection is not None
        await session.connection.ws.send_str("{not json")
        await _reconnected(sandbox, session, (1, 2))
        assert not bot.is_closed()
        for g in guilds:
            r = await sandbox.control.invoke("hot", {}, guild_id=g.id)
            assert r.status == "answered", r
        assert bot.gateway_guard.total == 1
