"""The REST layer seen from a plain HTTP client: statuses, codes, headers, and the control API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox.app import Sandbox
from sandbox.state import Guild

AUTH = {"Authorization": "Bot sandbox-token"}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post_message(
    http: aiohttp.ClientSession, sandbox: Sandbox, channel_id: int, body: dict[str, Any]
) -> tuple[int, dict[str, Any], aiohttp.ClientResponse]:
    url = f"{sandbox.api_base}/channels/{channel_id}/messages"
    async with http.post(url, json=body, headers=AUTH) as response:
        return response.status, await response.json(content_type=None), response


@pytest.mark.parametrize(
    ("body", "error_path"),
    [
        ({"embeds": [{"description": "x" * 4097}]}, ["embeds", "0", "description"]),
        ({"embeds": [{"title": "t"}] * 11}, ["embeds"]),
        ({"embeds": [{"description": "x" * 4096}, {"description": "y" * 1905}]}, ["embeds"]),
        ({"content": "x" * 2001}, ["content"]),
        ({"content": "hi", "nonce": "n" * 26}, ["nonce"]),
    ],
)
async def test_invalid_payloads_get_400_50035(
    sandbox: Sandbox,
    guild: Guild,
    http: aiohttp.ClientSession,
    body: dict[str, Any],
    error_path: list[str],
) -> None:
    channel = next(iter(guild.channels))
    status, data, response = await post_message(http, sandbox, channel, body)
    assert status == 400
    assert response.headers["Content-Type"] == "application/json"
    assert data["code"] == 50035 and data["message"] == "Invalid Form Body"
    node = data["errors"]
    for part in error_path:
        node = node[part]
    assert node["_errors"][0]["code"] in ("BASE_TYPE_MAX_LENGTH", "MAX_EMBED_SIZE_EXCEEDED")
    assert sandbox.control.messages(channel) == []


async def test_auth_headers_nonce_and_errors(
    sandbox: Sandbox, guild: Guild, http: aiohttp.ClientSession
) -> None:
    channel = next(iter(guild.channels))
    async with http.get(f"{sandbox.api_base}/users/@me") as r:
        assert r.status == 401
    async with http.get(f"{sandbox.api_base}/users/@me", headers={"Authorization": "Bot x"}) as r:
        assert r.status == 401  # the sandbox was started with token "sandbox-token"

    body = {"content": "once", "nonce": "daily-1", "enforce_nonce": True}
    status, first, response = await post_message(http, sandbox, channel, body)
    assert status == 200 and first["content"] == "once"
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert response.headers["X-RateLimit-Remaining"] == "4"
    assert float(response.headers["X-RateLimit-Reset-After"]) <= 5.0
    assert response.headers["X-RateLimit-Bucket"]
    _, again, _ = await post_message(http, sandbox, channel, body)
    assert again["id"] == first["id"]
    _, other, _ = await post_message(http, sandbox, channel, {**body, "enforce_nonce": False})
    assert other["id"] != first["id"]
    assert len(sandbox.control.messages(channel)) == 2

    sandbox.control.forbid_channel(channel)
    status, data, _ = await post_message(http, sandbox, channel, {"content": "x"})
    assert (status, data["code"]) == (403, 50013)
    status, data, _ = await post_message(http, sandbox, 12345, {"content": "x"})
    assert (status, data["code"]) == (404, 10003)


async def test_route_bucket_answers_429_with_via_and_retry_after(
    sandbox: Sandbox, guild: Guild, http: aiohttp.ClientSession
) -> None:
    sandbox.control.configure(route_limits={"POST /channels/{channel_id}/messages": (2, 10.0)})
    channel, other = list(guild.channels)
    statuses = [(await post_message(http, sandbox, channel, {"content": "x"}))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]
    _, data, response = await post_message(http, sandbox, channel, {"content": "x"})
    assert response.headers["Via"] and response.headers["X-RateLimit-Scope"] == "user"
    assert 0 < data["retry_after"] <= 10 and data["global"] is False
    # Buckets are per channel (a major parameter).
    assert (await post_message(http, sandbox, other, {"content": "x"}))[0] == 200

    sandbox.control.configure(global_limit=2)
    sandbox.limiter.reset()
    results = [await post_message(http, sandbox, other, {"content": "g"}) for _ in range(3)]
    assert [r[0] for r in results] == [200, 200, 429]
    assert results[2][1]["global"] is True
    assert results[2][2].headers["X-RateLimit-Global"] == "true"
    assert len(sandbox.control.requests(status=429)) == 3


async def test_control_api_over_http(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    base = sandbox.control_url
    async with http.post(f"{base}/guilds", json={"name": "Remote", "channels": ["a", "b"]}) as r:
        assert r.status == 201
        guild = await r.json()
    channel = guild["channels"][0]["id"]
    async with http.post(
        f"{base}/guilds/{guild['id']}/members", json={"username": "mod", "permissions": 32}
    ) as r:
        assert (await r.json())["username"] == "mod"
    async with http.post(
        f"{base}/faults", json={"route": "POST /channels/*/messages", "status": 404, "times": 1}
    ) as r:
        assert (await r.json())["status"] == 404
    async with http.post(
        f"{sandbox.api_base}/channels/{channel}/messages", json={"content": "x"}, headers=AUTH
    ) as r:
        assert r.status == 404 and (await r.json())["code"] == 10003
    async with http.post(
        f"{sandbox.api_base}/channels/{channel}/messages", json={"content": "y"}, headers=AUTH
    ) as r:
        assert r.status == 200
    async with http.get(f"{base}/channels/{channel}/messages") as r:
        assert [m["content"] for m in await r.json()] == ["y"]
    async with http.get(f"{base}/requests", params={"status": "404"}) as r:
        assert len(await r.json()) == 1
    async with http.post(f"{base}/interactions", json={"command": "nope"}) as r:
        assert (await r.json())["status"] == "unknown_command"
    async with http.patch(f"{base}/settings", json={"no_such_setting": 1}) as r:
        assert r.status == 400 and "no_such_setting" in (await r.json())["error"]
    async with http.post(f"{base}/reset", json={"full": True}) as r:
        assert r.status == 200
    async with http.get(base) as r:
        snapshot = await r.json()
        assert snapshot["guilds"] == [] and snapshot["requests"] == 0
