"""The invalid-request limit (Cloudflare bans) and Cloudflare's own error pages.

Citations: discord/discord-api-docs (commit c98d64b), developers/topics/rate-limits.mdx.
"""

from __future__ import annotations

import aiohttp
import discord
import pytest
from discord.ext import commands

from sandbox.app import Sandbox
from sandbox.state import Guild
from sandbox.testing import SANDBOX_TOKEN


async def get(sandbox: Sandbox, path: str, token: str = SANDBOX_TOKEN) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http:
        r = await http.get(sandbox.api_base + path, headers={"Authorization": f"Bot {token}"})
        await r.read()
        return r


async def test_too_many_invalid_requests_ban_the_client_with_cloudflare_429s(
    sandbox: Sandbox, guild: Guild
) -> None:
    """rate-limits.mdx:132 "IP addresses that make too many invalid HTTP requests are
    automatically and temporarily restricted from accessing the Discord API. Currently, this
    limit is **10,000 per 10 minutes**. An invalid request is one that results in **401**,
    **403**, or **429** statuses." (the limit and window are settings, so the test is fast)."""
    sandbox.control.configure(invalid_request_limit=3)
    for _ in range(2):
        assert (await get(sandbox, "/users/@me", token="wrong")).status == 401
    assert (await get(sandbox, "/users/@me")).status == 200  # still allowed: 2 of 3
    assert (await get(sandbox, "/users/@me", token="wrong")).status == 401  # the third
    banned = await get(sandbox, "/users/@me")  # even a valid request is now refused
    assert banned.status == 429
    assert banned.content_type == "text/html" and "Via" not in banned.headers
    assert sandbox.control.requests()[-1].rate_limited == "cloudflare"


async def test_the_real_client_reads_the_ban_as_cloudflare(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot
) -> None:
    """rate-limits.mdx:124 "If your bot gets temporarily Cloudflare banned from the Discord API
    [...]": discord.py tells a ban by the missing `Via` header and raises instead of retrying."""
    sandbox.cloudflare.banned_until["127.0.0.1"] = float("inf")
    channel = bot.get_channel(next(iter(guild.channels)))
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("hello")
    assert caught.value.status == 429
    assert sandbox.control.messages(channel.id) == []


async def test_shared_scope_429s_do_not_count() -> None:
    """rate-limits.mdx:138 "*429 errors returned with `X-RateLimit-Scope: shared` are not counted
    against you.*" """
    from aiohttp import web

    from sandbox.cloudflare import Cloudflare

    sb = Sandbox(invalid_request_limit=1)
    edge = Cloudflare(sb.state)
    edge.count("c", web.Response(status=429, headers={"X-RateLimit-Scope": "shared"}))
    assert not edge.banned("c")
    edge.count("c", web.Response(status=403))
    assert edge.banned("c")


@pytest.mark.parametrize("status", [502, 504])
async def test_cloudflare_error_pages_are_html_and_discordpy_retries_them(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot, status: int
) -> None:
    """Cloudflare's 502/504 pages are HTML, not Discord's JSON; discord.py retries 502 and 504
    (http.py: `if response.status in {500, 502, 504, 524}`), so one such page costs a retry."""
    sandbox.control.cloudflare_fault("POST /channels/*/messages", status=status, times=1)
    channel = bot.get_channel(next(iter(guild.channels)))
    assert isinstance(channel, discord.TextChannel)
    await channel.send("through")
    statuses = [r.status for r in sandbox.control.requests(method="POST")]
    assert statuses == [status, 200]
    assert [m["content"] for m in sandbox.control.messages(channel.id)] == ["through"]
