"""The web view's server side, without a browser: the page and its files with their security
headers, the JSON read-out, and the event stream fed by the state's change feed (every create,
edit and delete, however it came about). tests/browser/ drives the page itself."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp
import pytest
from discord.ext import commands

from sandbox.app import Sandbox
from sandbox.feed import Change
from sandbox.records import Message
from sandbox.state import Guild
from sandbox.web.site import STATIC


async def events(sandbox: Sandbox) -> AsyncGenerator[dict[str, Any], None]:
    """The page's event stream, one decoded event at a time (after its hello)."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{sandbox.base_url}/web/events") as response,
    ):
        assert response.headers["Content-Type"] == "text/event-stream"
        async for raw in response.content:
            line = raw.decode().strip()
            if line.startswith("data: "):
                event = json.loads(line.removeprefix("data: "))
                if event["type"] != "hello":
                    yield event


async def collect(sandbox: Sandbox, count: int, started: asyncio.Event) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    stream = events(sandbox)
    started.set()
    async for event in stream:
        out.append(event)
        if len(out) == count:
            break
    await stream.aclose()
    return out


async def subscribed(sandbox: Sandbox, before: int) -> None:
    """Wait until the stream has subscribed to the feed."""
    await sandbox.state.wait_for(lambda: len(sandbox.state.feed) > before, 5)


async def test_the_page_and_its_files_come_with_a_strict_content_security_policy(
    sandbox: Sandbox,
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(sandbox.web_url) as page:
            assert page.status == 200 and page.content_type == "text/html"
            csp = page.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "default-src 'none'" in csp
            assert '<script type="module" src="/web/static/app.js">' in await page.text()
        for name, kind in STATIC.items():
            async with http.get(f"{sandbox.base_url}/web/static/{name}") as asset:
                assert asset.status == 200 and asset.content_type == kind, name
                assert asset.headers["X-Content-Type-Options"] == "nosniff"
        for name in ("site.py", "..%2Fsite.py", "index.html.bak"):
            async with http.get(f"{sandbox.base_url}/web/static/{name}") as missing:
                assert missing.status == 404, name


async def test_the_state_lists_guilds_channels_members_and_commands(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot
) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{sandbox.base_url}/web/state") as r:
        world = await r.json()
    assert [g["name"] for g in world["guilds"]] == ["Lab"]
    assert [c["name"] for c in world["guilds"][0]["channels"]] == ["general", "papers"]
    assert "tester" in [m["username"] for m in world["guilds"][0]["members"]]
    assert {c["name"] for c in world["commands"]} >= {"echo", "fruit", "configure"}
    async with aiohttp.ClientSession() as http, http.get(f"{sandbox.base_url}/web/channels/1") as r:
        assert r.status == 404


async def test_every_create_edit_and_delete_reaches_the_stream_with_who_ran_what(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot
) -> None:
    started = asyncio.Event()
    before = len(sandbox.state.feed)
    # /lifecycle: answer, follow up, edit the follow-up, delete the answer.
    task = asyncio.create_task(collect(sandbox, 4, started))
    await started.wait()
    await subscribed(sandbox, before)
    result = await sandbox.control.invoke("lifecycle", followups=1, settle=0.2)
    assert result.status == "answered"
    got = await asyncio.wait_for(task, 10)
    # A message is serialized when it is sent, so a create may already show a later edit.
    assert [e["type"] for e in got] == [
        "message_create",
        "message_create",
        "message_update",
        "message_delete",
    ]
    assert got[0]["message"]["content"] == "draft"
    assert got[2]["message"]["content"] == "follow edited after draft"
    assert got[0]["message"]["interaction"] == {"user": "tester", "command": "lifecycle"}
    assert got[0]["channel_id"] == str(next(iter(guild.channels)))
    assert got[3]["message"]["id"] == got[0]["message"]["id"]


async def test_a_reset_and_a_new_channel_are_streamed_and_stop_ends_the_stream(
    sandbox: Sandbox, guild: Guild
) -> None:
    started = asyncio.Event()
    before = len(sandbox.state.feed)
    task = asyncio.create_task(collect(sandbox, 3, started))
    await started.wait()
    await subscribed(sandbox, before)
    await sandbox.control.add_channel(guild.id, "news")
    channel = next(iter(guild.channels))
    sandbox.state.store_message(
        Message(sandbox.state.ids.next(), channel, guild.id, sandbox.state.bot_user, "hi")
    )
    await sandbox.control.reset()
    got = await asyncio.wait_for(task, 10)
    assert [e["type"] for e in got] == ["channel_create", "message_create", "reset"]
    assert got[0]["channel"]["name"] == "news"

    # An open stream ends when the sandbox stops (no open page holds up Ctrl-C).
    started = asyncio.Event()
    before = len(sandbox.state.feed)
    task = asyncio.create_task(collect(sandbox, 1, started))
    await started.wait()
    await subscribed(sandbox, before)
    await asyncio.wait_for(sandbox.stop(), 5)
    assert await asyncio.wait_for(task, 5) == []


def test_the_feed_calls_each_listener_until_it_unsubscribes() -> None:
    from sandbox.feed import Feed

    feed, seen = Feed(), list[Change]()
    feed.subscribe(seen.append)
    feed.emit(Change("reset"))
    feed.unsubscribe(seen.append)
    feed.unsubscribe(seen.append)  # twice is harmless
    feed.emit(Change("reset"))
    assert seen == [Change("reset")]


@pytest.mark.parametrize("name", [*sorted(STATIC), "index.html"])
def test_the_page_never_assigns_markup_from_strings(name: str) -> None:
    """The static files build the DOM from nodes: no innerHTML, outerHTML, insertAdjacentHTML,
    document.write or eval anywhere (comments aside)."""
    from importlib import resources

    text = resources.files("sandbox.web").joinpath("static", name).read_text("utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ):
        assert sink not in code, (name, sink)
