"""The Gateway rules Discord documents, each enforced by the sandbox and cited from the docs.

Every test names the line of discord/discord-api-docs (commit c98d64b) its rule comes from.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from sandbox.app import Sandbox
from sandbox.state import Guild
from sandbox.testing import SANDBOX_TOKEN, running_bot

GATEWAY_DOC = "developers/events/gateway.mdx"
IDENTIFY = {"token": SANDBOX_TOKEN, "intents": 513, "properties": {}}


class Raw:
    """A bare gateway client: JSON frames out, TEXT or zlib-stream frames in."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, zlib_stream: bool) -> None:
        self.ws = ws
        self.inflate = zlib.decompressobj() if zlib_stream else None

    async def receive(self) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=5)
        if self.inflate is None:
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            data: dict[str, Any] = json.loads(msg.data)
            return data
        assert msg.type == aiohttp.WSMsgType.BINARY, msg
        assert msg.data.endswith(b"\x00\x00\xff\xff")
        inflated: dict[str, Any] = json.loads(self.inflate.decompress(msg.data))
        return inflated

    async def closed_with(self) -> int | None:
        """Read until the server closes; its close code."""
        while True:
            msg = await self.ws.receive(timeout=5)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return self.ws.close_code if msg.type == aiohttp.WSMsgType.CLOSED else msg.data

    async def send(self, op: int, d: Any) -> None:
        await self.ws.send_json({"op": op, "d": d})

    async def identify(self) -> dict[str, Any]:
        """IDENTIFY; the READY payload (GUILD_CREATEs are left unread)."""
        await self.send(2, IDENTIFY)
        ready = await self.receive()
        assert ready["t"] == "READY", ready
        return ready


def connect(http: aiohttp.ClientSession, sandbox: Sandbox, zlib_stream: bool = False) -> Any:
    query = "?v=10&encoding=json" + ("&compress=zlib-stream" if zlib_stream else "")
    return http.ws_connect(sandbox.gateway_url + query)


async def test_zlib_stream_is_one_shared_context_with_sync_flush_suffixes(
    sandbox: Sandbox, guild: Guild
) -> None:
    """gateway.mdx:551 "When zlib transport compression is enabled, your app needs to process
    received data through a single Gateway connection using a shared zlib context." and :553
    "push received data to a buffer until you receive the 4-byte `Z_SYNC_FLUSH` suffix"."""
    async with aiohttp.ClientSession() as http, connect(http, sandbox, zlib_stream=True) as ws:
        raw = Raw(ws, zlib_stream=True)
        assert (await raw.receive())["op"] == 10
        ready = await raw.identify()  # decompressible only with the context HELLO started
        assert ready["d"]["user"]["bot"] is True
        assert (await raw.receive())["t"] == "GUILD_CREATE"


async def test_the_real_client_inflates_zlib_stream(sandbox: Sandbox, bot: commands.Bot) -> None:
    """gateway.mdx:118 "compress? | string | The optional transport compression of gateway
    packets | `zlib-stream` or `zstd-stream`": discord.py asks for zlib-stream and gets it."""
    (conn,) = sandbox.gateway.connections
    assert conn.deflate is not None
    assert (await sandbox.control.invoke("echo", {"text": "compressed"})).content == "compressed"


async def test_a_connection_without_heartbeats_is_closed_and_stays_resumable(
    sandbox: Sandbox, guild: Guild
) -> None:
    """gateway.mdx:146 "your app must continually send Discord a heartbeat every
    `heartbeat_interval` milliseconds. If your app fails to send a heartbeat event in time, your
    connection will be closed and you will be forced to Resume." The docs give no grace beyond
    :154 "There is already tolerance in the `heartbeat_interval` that will cover network
    latency", so the sandbox allows only 10 % (`heartbeat_tolerance`), stricter than Discord."""
    sandbox.control.configure(heartbeat_interval=0.2)
    async with aiohttp.ClientSession() as http:
        async with connect(http, sandbox) as ws:
            raw = Raw(ws, zlib_stream=False)
            assert (await raw.receive())["d"]["heartbeat_interval"] == 200
            ready = await raw.identify()
            assert await raw.closed_with() == 4009  # silence after IDENTIFY: no heartbeat
        assert sandbox.gateway.stats.closes == {4009: 1}
        async with connect(http, sandbox) as ws:
            raw = Raw(ws, zlib_stream=False)
            await raw.receive()
            resume = {"token": SANDBOX_TOKEN, "session_id": ready["d"]["session_id"], "seq": 1}
            await raw.send(6, resume)
            replayed = await raw.receive()
            assert replayed.get("t") == "GUILD_CREATE", replayed
            assert (await raw.receive())["t"] == "RESUMED"


async def test_heartbeats_keep_a_connection_open(sandbox: Sandbox, guild: Guild) -> None:
    """gateway.mdx:146 (as above): a client that heartbeats every interval is never closed."""
    sandbox.control.configure(heartbeat_interval=0.2, heartbeat_tolerance=2.0)
    async with aiohttp.ClientSession() as http, connect(http, sandbox) as ws:
        raw = Raw(ws, zlib_stream=False)
        await raw.receive()
        for _ in range(4):
            await raw.send(1, None)
            assert (await raw.receive())["op"] == 11
            await asyncio.sleep(0.1)
        assert not ws.closed and sandbox.gateway.stats.closes == {}


async def test_discordpy_measures_the_round_trip_not_the_interval(
    sandbox: Sandbox, guild: Guild, bot_factory: Callable[..., commands.Bot]
) -> None:
    """The heartbeat ACK race: an ACK sent the instant the heartbeat arrives can be handled before
    discord.py's keep-alive thread records the send, so `latency` comes out as the whole interval
    and it logs "Can't keep up … 41.2s behind" on every heartbeat. gateway.mdx:156 "When you send
    a Heartbeat event, Discord will respond with a Heartbeat ACK": after a network round trip,
    which the sandbox models with `heartbeat_ack_delay`."""
    sandbox.control.configure(heartbeat_interval=0.4, heartbeat_tolerance=3.0)
    async with running_bot(sandbox, bot_factory()) as client:
        await sandbox.state.wait_for(lambda: sandbox.gateway.stats.heartbeats >= 5, 10)
        await asyncio.sleep(0.1)  # the last ACK arrives
        assert client.latency < 0.2, client.latency  # an interval would be 0.4


async def test_identify_beyond_max_concurrency_gets_invalid_session(
    sandbox: Sandbox, guild: Guild
) -> None:
    """gateway.mdx:183 "Apps are limited by maximum concurrency (`max_concurrency` in the session
    start limit object) when identifying. If your app exceeds this limit, Discord will respond
    with a Invalid Session (opcode `9`) event." and :779 "max_concurrency | integer | Number of
    identify requests allowed per 5 seconds"."""
    async with aiohttp.ClientSession() as http:
        async with connect(http, sandbox) as first, connect(http, sandbox) as second:
            one, two = Raw(first, False), Raw(second, False)
            await one.receive()
            await two.receive()
            await one.identify()
            await two.send(2, IDENTIFY)
            assert await two.receive() == {"op": 9, "d": False}
        assert sandbox.gateway.identify_wait() > 0
        sandbox.gateway.identify_times.clear()  # as if 5 s had passed
        async with connect(http, sandbox) as third:
            raw = Raw(third, False)
            await raw.receive()
            await raw.identify()


async def test_the_daily_identify_budget_is_reported_then_resets_the_token(
    sandbox: Sandbox, guild: Guild, bot_factory: Callable[..., commands.Bot]
) -> None:
    """gateway.mdx:188 "Clients are limited to 1000 `IDENTIFY` calls to the websocket in a
    24-hour period. [...] Upon hitting this limit, all active sessions for the app will be
    terminated, the bot token will be reset". :776-779 `session_start_limit`: total, remaining,
    reset_after (ms), max_concurrency."""
    sandbox.control.configure(identify_budget=2, identify_window=0.0)
    headers = {"Authorization": f"Bot {SANDBOX_TOKEN}"}
    async with aiohttp.ClientSession() as http:
        fresh = await (await http.get(sandbox.api_base + "/gateway/bot", headers=headers)).json()
        assert fresh["session_start_limit"] == {
            "total": 2,
            "remaining": 2,
            "reset_after": 0,
            "max_concurrency": 1,
        }
        async with connect(http, sandbox) as first, connect(http, sandbox) as second:
            one, two = Raw(first, False), Raw(second, False)
            await one.receive()
            await two.receive()
            await one.identify()
            gateway_bot = await http.get(sandbox.api_base + "/gateway/bot", headers=headers)
            limit = await gateway_bot.json()
            assert limit["session_start_limit"]["remaining"] == 1
            assert 0 < limit["session_start_limit"]["reset_after"] <= 86_400_000
            await two.identify()
            async with connect(http, sandbox) as third:
                three = Raw(third, False)
                await three.receive()
                await three.send(2, IDENTIFY)  # one too many
                assert await three.closed_with() == 4004
            assert await one.closed_with() == 4004  # every active session ends
            assert await two.closed_with() == 4004
        me = await http.get(sandbox.api_base + "/users/@me", headers=headers)
        assert me.status == 401
    with pytest.raises(discord.LoginFailure):
        async with running_bot(sandbox, bot_factory()):
            pass


async def test_more_than_120_sends_a_minute_close_with_4008(sandbox: Sandbox, guild: Guild) -> None:
    """gateway.mdx:507 "Apps can send 120 gateway events per connection every 60 seconds [...]
    Apps that surpass the limit are immediately disconnected from the Gateway." and
    opcodes-and-status-codes.mdx:45 "4008 | Rate limited"."""
    sandbox.control.configure(gateway_send_limit=5)
    async with aiohttp.ClientSession() as http, connect(http, sandbox) as ws:
        raw = Raw(ws, False)
        await raw.receive()
        for _ in range(5):
            await raw.send(1, None)
            assert (await raw.receive())["op"] == 11
        await raw.send(1, None)
        assert await raw.closed_with() == 4008


async def test_resume_with_an_impossible_sequence_gets_invalid_session(
    sandbox: Sandbox, guild: Guild
) -> None:
    """gateway.mdx:257 "it will need three values: the `session_id` and the `resume_gateway_url`
    from the Ready event, and the sequence number (`s`) from the last Dispatch (opcode `0`)
    event it received" and :261 "your app should send a Gateway Resume event using the
    `session_id` and sequence number": a `seq` the session never reached cannot be replayed, so
    the sandbox answers as for a session it cannot resume (:271 Invalid Session, `d: false`)."""
    async with aiohttp.ClientSession() as http:
        async with connect(http, sandbox) as ws:
            raw = Raw(ws, False)
            await raw.receive()
            ready = await raw.identify()
            await ws.close(code=4000)
        session = ready["d"]["session_id"]
        async with connect(http, sandbox) as ws:
            raw = Raw(ws, False)
            await raw.receive()
            await raw.send(6, {"token": SANDBOX_TOKEN, "session_id": session, "seq": 99})
            assert await raw.receive() == {"op": 9, "d": False}
        assert session not in sandbox.gateway.sessions


async def test_a_detached_session_expires(sandbox: Sandbox, guild: Guild) -> None:
    """gateway.mdx:242 "If you simply close the TCP connection or use a different close code, the
    session will remain active and timeout after a few minutes." (`session_ttl`, 2 minutes: the
    short end of "a few")."""
    async with aiohttp.ClientSession() as http:
        async with connect(http, sandbox) as ws:
            raw = Raw(ws, False)
            await raw.receive()
            ready = await raw.identify()
            await ws.close(code=4000)
        session_id = ready["d"]["session_id"]
        await sandbox.state.wait_for(
            lambda: sandbox.gateway.sessions[session_id].detached_at is not None, 2
        )
        session = sandbox.gateway.sessions[session_id]
        assert session.detached_at is not None
        session.detached_at -= sandbox.settings.session_ttl + 1  # the clock moves on
        async with connect(http, sandbox) as ws:
            raw = Raw(ws, False)
            await raw.receive()
            await raw.send(6, {"token": SANDBOX_TOKEN, "session_id": session_id, "seq": 1})
            assert await raw.receive() == {"op": 9, "d": False}
