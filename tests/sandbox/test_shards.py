"""Discord's guild sharding in the sandbox's gateway (sandbox/shards.py), each rule cited.

developers/events/gateway.mdx, "Sharding": IDENTIFY's `shard: [shard_id, num_shards]`, the
formula `shard_id = (guild_id >> 22) % num_shards`, events without a guild to shard 0 only;
developers/topics/opcodes-and-status-codes.mdx: 4010 Invalid shard, 4011 Sharding required.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from sandbox.app import Sandbox
from sandbox.shards import (
    INVALID_SHARD,
    SHARDING_REQUIRED,
    event_guild,
    owns,
    parse_shard,
    recommended_shards,
    shard_of,
)
from sandbox.testing import SANDBOX_TOKEN

IDENTIFY: dict[str, Any] = {"token": SANDBOX_TOKEN, "intents": 513, "properties": {}}


class Raw:
    """A bare gateway client (TEXT frames)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def receive(self) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        data: dict[str, Any] = json.loads(msg.data)
        return data

    async def identify(self, shard: Any = None) -> dict[str, Any]:
        """HELLO, then IDENTIFY (with `shard` unless None); the first answer."""
        assert (await self.receive())["op"] == 10
        body = dict(IDENTIFY, shard=shard) if shard is not None else IDENTIFY
        await self.ws.send_json({"op": 2, "d": body})
        return await self.receive()

    async def dispatches(self, n: int) -> list[dict[str, Any]]:
        """The next `n` dispatches (heartbeat ACKs skipped)."""
        out: list[dict[str, Any]] = []
        while len(out) < n:
            frame = await self.receive()
            if frame["op"] == 0:
                out.append(frame)
        return out

    async def closed_with(self) -> int | None:
        while True:
            msg = await self.ws.receive(timeout=5)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return self.ws.close_code if msg.type == aiohttp.WSMsgType.CLOSED else msg.data


def test_the_formula_and_its_routing_rules() -> None:
    """gateway.mdx "Sharding Formula": `shard_id = (guild_id >> 22) % num_shards`; "Gateway
    events that do not contain a guild_id will only be sent to the first shard"."""
    guild = (123_456 << 22) | 77  # the low 22 bits (worker, counter) do not count
    assert shard_of(guild, 1) == 0
    assert shard_of(guild, 2) == 0 and shard_of(guild + (1 << 22), 2) == 1
    assert shard_of(guild, 7) == 123_456 % 7
    assert owns((0, 2), None) and not owns((1, 2), None)
    assert owns((0, 1), guild) and owns((0, 1), None)  # unsharded: everything
    assert event_guild("GUILD_CREATE", {"id": "5"}) == 5
    assert event_guild("INTERACTION_CREATE", {"guild_id": "6", "id": "9"}) == 6
    assert event_guild("INTERACTION_CREATE", {"id": "9"}) is None  # a DM's interaction
    assert recommended_shards(0, 1000) == 1
    assert recommended_shards(1000, 1000) == 1 and recommended_shards(1001, 1000) == 2


@pytest.mark.parametrize(
    "value",
    [[2, 2], [-1, 2], [0, 0], [0], [0, 1, 2], "0,2", [0.0, 2], [True, 2], [0, None]],
    ids=str,
)
def test_an_invalid_shard_is_refused(value: Any) -> None:
    """gateway-events.mdx: shard is an "array of two integers (shard_id, num_shards)";
    the first "zero-based", below the second."""
    assert isinstance(parse_shard(value), str)


def test_valid_shards_and_the_large_bot_multiple() -> None:
    """gateway.mdx "Sharding for Large Bots": the count must be a multiple of the assigned
    shard number, else 4010."""
    assert parse_shard(None) == (0, 1)
    assert parse_shard([1, 2]) == (1, 2)
    assert parse_shard([3, 16], multiple=16) == (3, 16)
    assert isinstance(parse_shard([3, 8], multiple=16), str)


async def test_each_shard_gets_only_its_guilds_in_ready_and_guild_create(
    sandbox: Sandbox,
) -> None:
    """Each session's READY lists, and GUILD_CREATE sends, only the guilds of its shard; a
    guild created later reaches only its shard's session; READY echoes `shard`."""
    zero = await sandbox.control.add_guild("Zero", shard=(0, 2))
    one = await sandbox.control.add_guild("One", shard=(1, 2))
    assert (shard_of(zero.id, 2), shard_of(one.id, 2)) == (0, 1)
    sandbox.state.settings.identify_window = 0.0  # two IDENTIFYs at once, for this test
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(sandbox.gateway_url + "?v=10&encoding=json") as ws0,
        http.ws_connect(sandbox.gateway_url + "?v=10&encoding=json") as ws1,
    ):
        a, b = Raw(ws0), Raw(ws1)
        ready_a, ready_b = await a.identify([0, 2]), await b.identify([1, 2])
        assert ready_a["t"] == ready_b["t"] == "READY"
        assert ready_a["d"]["shard"] == [0, 2] and ready_b["d"]["shard"] == [1, 2]
        assert [g["id"] for g in ready_a["d"]["guilds"]] == [str(zero.id)]
        assert [g["id"] for g in ready_b["d"]["guilds"]] == [str(one.id)]
        assert [e["d"]["id"] for e in await a.dispatches(1)] == [str(zero.id)]
        assert [e["d"]["id"] for e in await b.dispatches(1)] == [str(one.id)]
        late = await sandbox.control.add_guild("Late", shard=(1, 2))
        created = await b.dispatches(1)
        assert (created[0]["t"], created[0]["d"]["id"]) == ("GUILD_CREATE", str(late.id))
        # One-session events (interactions: tests/app/test_sharded.py has real ones) go to
        # their guild's shard; one without a guild_id (a DM's) to shard 0.
        gw = sandbox.gateway
        assert await gw.dispatch_one("TYPING_START", {"user_id": "1", "guild_id": str(zero.id)})
        assert await gw.dispatch_one("TYPING_START", {"user_id": "2", "guild_id": str(one.id)})
        assert await gw.dispatch_one("TYPING_START", {"user_id": "3"})
        got_a = [e["d"]["user_id"] for e in await a.dispatches(2)]
        got_b = [e["d"]["user_id"] for e in await b.dispatches(1)]
        assert (got_a, got_b) == (["1", "3"], ["2"])
        # Nothing more was sent to shard 0 (a channel of shard 1's guild, say).
        await sandbox.control.add_channel(late.id, "more")
        assert (await b.dispatches(1))[0]["t"] == "CHANNEL_CREATE"
        sessions = sandbox.control.snapshot()["sessions"]
        assert sorted(x["shard"] for x in sessions) == [[0, 2], [1, 2]]
        first = next(s for s in gw.live_sessions() if s.shard == (0, 2))
        assert [e["t"] for e in first.backlog] == [
            "READY",
            "GUILD_CREATE",
            "TYPING_START",
            "TYPING_START",
        ]


async def test_an_unsharded_session_gets_every_guild(sandbox: Sandbox) -> None:
    """No `shard` is `[0, 1]`: one session, every guild (the default bot, unchanged)."""
    guilds = [await sandbox.control.add_guild(f"G{i}", shard=(i, 2)) for i in range(2)]
    async with aiohttp.ClientSession() as http, http.ws_connect(sandbox.gateway_url) as ws:
        ready = await Raw(ws).identify()
        assert "shard" not in ready["d"]
        assert {g["id"] for g in ready["d"]["guilds"]} == {str(g.id) for g in guilds}


@pytest.mark.parametrize("shard", [[2, 2], [0, 0], [-1, 1], "x"], ids=str)
async def test_identify_with_an_invalid_shard_closes_with_4010(
    sandbox: Sandbox, shard: Any
) -> None:
    """opcodes-and-status-codes.mdx: "4010 Invalid shard: You sent us an invalid shard when
    identifying"."""
    async with aiohttp.ClientSession() as http, http.ws_connect(sandbox.gateway_url) as ws:
        raw = Raw(ws)
        assert (await raw.receive())["op"] == 10
        await ws.send_json({"op": 2, "d": dict(IDENTIFY, shard=shard)})
        assert await raw.closed_with() == INVALID_SHARD
    assert sandbox.gateway.stats.identifies == 0


async def test_a_count_off_the_large_bot_multiple_closes_with_4010(sandbox: Sandbox) -> None:
    sandbox.state.settings.shard_multiple = 4
    async with aiohttp.ClientSession() as http, http.ws_connect(sandbox.gateway_url) as ws:
        raw = Raw(ws)
        assert (await raw.receive())["op"] == 10
        await ws.send_json({"op": 2, "d": dict(IDENTIFY, shard=[0, 2])})
        assert await raw.closed_with() == INVALID_SHARD


async def test_too_many_guilds_for_one_session_closes_with_4011(sandbox: Sandbox) -> None:
    """opcodes-and-status-codes.mdx: "4011 Sharding required: The session would have handled
    too many guilds"; gateway.mdx: "Each shard can only support a maximum of 2500 guilds"
    (`guilds_per_shard`, 2 here). Sharded in two, each session is within the limit."""
    sandbox.state.settings.guilds_per_shard = 2
    for i in range(4):
        await sandbox.control.add_guild(f"G{i}", shard=(i % 2, 2))
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(sandbox.gateway_url) as ws:
            raw = Raw(ws)
            assert (await raw.receive())["op"] == 10
            await ws.send_json({"op": 2, "d": IDENTIFY})
            assert await raw.closed_with() == SHARDING_REQUIRED
        async with http.ws_connect(sandbox.gateway_url) as ws:
            ready = await Raw(ws).identify([1, 2])
            assert ready["t"] == "READY" and len(ready["d"]["guilds"]) == 2


async def test_get_gateway_bot_recommends_one_shard_per_thousand_guilds(
    sandbox: Sandbox,
) -> None:
    """gateway.mdx: Get Gateway Bot "provides a recommended number of shards for your app in
    the `shards` field" (`guilds_per_recommended_shard`, 2 here)."""
    headers = {"Authorization": f"Bot {SANDBOX_TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(sandbox.api_base + "/gateway/bot") as resp:
            assert (await resp.json())["shards"] == 1
        sandbox.state.settings.guilds_per_recommended_shard = 2
        for i in range(3):
            await sandbox.control.add_guild(f"G{i}")
        async with http.get(sandbox.api_base + "/gateway/bot") as resp:
            assert (await resp.json())["shards"] == 2
