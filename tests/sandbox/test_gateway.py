"""The Gateway: its protocol seen raw, and the real client surviving reconnects and faults."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp
from discord.ext import commands

from sandbox.app import Sandbox
from sandbox.state import Guild
from sandbox.testing import running_bot


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=2)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def test_raw_protocol_identify_heartbeat_resume(sandbox: Sandbox, guild: Guild) -> None:
    url = sandbox.gateway_url + "?v=10&encoding=json"  # no compress: TEXT frames
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url) as ws:
            hello = await receive(ws)
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 513, "properties": {}}})
            closed = await ws.receive(timeout=2)
            assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4004

        async with http.ws_connect(url) as ws:
            await receive(ws)
            await ws.send_json({"op": 1, "d": None})
            assert (await receive(ws))["op"] == 11
            token = "sandbox-token"
            await ws.send_json({"op": 2, "d": {"token": token, "intents": 513, "properties": {}}})
            ready = await receive(ws)
            assert (ready["t"], ready["s"]) == ("READY", 1)
            assert ready["d"]["guilds"] == [{"id": str(guild.id), "unavailable": True}]
            created = await receive(ws)
            assert created["t"] == "GUILD_CREATE" and created["d"]["name"] == "Lab"
            session = ready["d"]["session_id"]
            await ws.close(code=4000)  # a 1000 or 1001 would end the session

        # While nobody is connected, events wait in the session for a RESUME.
        await sandbox.control.add_channel(guild.id, "missed")
        async with http.ws_connect(url) as ws:
            await receive(ws)
            await ws.send_json({"op": 6, "d": {"token": token, "session_id": session, "seq": 2}})
            replayed = await receive(ws)
            assert (replayed["t"], replayed["s"]) == ("CHANNEL_CREATE", 3)
            assert replayed["d"]["name"] == "missed"
            assert (await receive(ws))["t"] == "RESUMED"

        async with http.ws_connect(url) as ws:
            await receive(ws)
            await ws.send_json({"op": 6, "d": {"token": token, "session_id": "nope", "seq": 1}})
            assert await receive(ws) == {"op": 9, "d": False}


async def test_reconnect_and_invalid_session_are_survived(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    control = sandbox.control
    assert await control.gateway("reconnect") == 1
    await control.wait_for_gateway(identifies=1, resumes=1)
    assert (await control.invoke("echo", {"text": "after reconnect"})).status == "answered"

    await control.gateway("invalid_session", resumable=True)
    await control.wait_for_gateway(identifies=1, resumes=2)

    await control.gateway("invalid_session", resumable=False)
    await control.wait_for_gateway(identifies=2)
    await sandbox.state.wait_for(bot.is_ready, 2)
    result = await control.invoke("echo", {"text": "after re-identify"}, followups=1)
    assert result.content == "after re-identify"


async def test_dropped_connection_is_resumed(sandbox: Sandbox, bot: commands.Bot) -> None:
    assert await sandbox.control.gateway("drop") == 1
    await sandbox.control.wait_for_gateway(resumes=1)
    assert sandbox.gateway.stats.identifies == 1
    assert (await sandbox.control.invoke("echo", {"text": "still here"})).content == "still here"


async def test_silent_connection_is_detected_and_missed_events_replayed(
    sandbox: Sandbox, guild: Guild, bot_factory: Callable[..., commands.Bot]
) -> None:
    # Frequent heartbeats keep a healthy connection chatty; the client gives up after 0.5 s.
    # A generous heartbeat tolerance: this test is about the client noticing a zombie, and a
    # heartbeat late by a few ms on a busy machine must not close the connection first.
    sandbox.control.configure(
        heartbeat_interval=0.1, heartbeat_tolerance=3.0, interaction_deadline=3.0
    )
    async with running_bot(sandbox, bot_factory(heartbeat_timeout=0.5)) as client:
        await client.tree.sync()
        await sandbox.control.gateway("silence")
        # Sent into the zombie connection: only a RESUME can deliver it.
        result = await sandbox.control.invoke("echo", {"text": "replayed"})
        assert result.status == "answered" and result.content == "replayed"
        # The interaction reached the bot only as a RESUME's replay (no clock involved).
        stats = sandbox.gateway.stats
        assert stats.replayed.get("INTERACTION_CREATE") == 1
        assert stats.resumes == 1 and stats.identifies == 1


async def test_a_restarted_bot_gets_a_fresh_session(
    sandbox: Sandbox, guild: Guild, bot_factory: Callable[..., commands.Bot]
) -> None:
    async with running_bot(sandbox, bot_factory()) as first:
        await first.tree.sync()
    # discord.py closes with 4000, so the old session stays resumable; events go to the new one.
    async with running_bot(sandbox, bot_factory()):
        result = await sandbox.control.invoke("echo", {"text": "second"})
        assert result.content == "second"
    assert sandbox.gateway.stats.identifies == 2 and sandbox.gateway.stats.resumes == 0
