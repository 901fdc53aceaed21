"""The sandbox is at least as strict as Discord (issue 10), rule by rule over plain HTTP.

Each test cites the line of discord/discord-api-docs (commit c98d64b) its rule comes from.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox.app import Sandbox
from sandbox.state import (
    CREATE_PUBLIC_THREADS,
    EMBED_LINKS,
    READ_MESSAGE_HISTORY,
    REQUIRE_TAG,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    Guild,
)

AUTH = {"Authorization": "Bot sandbox-token"}
Answer = tuple[int, Any]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Api:
    def __init__(self, http: aiohttp.ClientSession, sandbox: Sandbox) -> None:
        self.http, self.base = http, sandbox.api_base

    async def call(self, method: str, path: str, body: Any = None, **params: Any) -> Answer:
        async with self.http.request(
            method, self.base + path, json=body, headers=AUTH, params=params or None
        ) as r:
            return r.status, await r.json(content_type=None)

    async def post(self, channel: int, body: dict[str, Any]) -> Answer:
        return await self.call("POST", f"/channels/{channel}/messages", body)


@pytest.fixture
def api(http: aiohttp.ClientSession, sandbox: Sandbox) -> Api:
    return Api(http, sandbox)


def first(guild: Guild) -> int:
    return next(iter(guild.channels))


def error_at(data: dict[str, Any], path: str) -> dict[str, Any]:
    node = data["errors"]
    for part in path.split("."):
        node = node[part]
    return dict(node["_errors"][0])


# --- 1. formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("embed", "path", "code"),
    [
        # message.mdx:580 author url "only supports http(s)"; spec RichEmbed.url format "uri"
        ({"url": "arxiv.org/abs/2105.00001"}, "embeds.0.url", "URL_TYPE_INVALID_URL"),
        ({"url": "ftp://arxiv.org/x"}, "embeds.0.url", "URL_TYPE_INVALID_URL"),
        ({"url": "attachment://x.png"}, "embeds.0.url", "URL_TYPE_INVALID_URL"),
        (
            {"author": {"name": "a", "url": "www.x.org"}},
            "embeds.0.author.url",
            "URL_TYPE_INVALID_URL",
        ),
        # message.mdx:549 image url "only supports http(s) and attachments"
        ({"image": {"url": "x.png"}}, "embeds.0.image.url", "URL_TYPE_INVALID_URL"),
        # message.mdx:498 timestamp "ISO8601 timestamp"; spec format "date-time" (RFC 3339)
        ({"title": "t", "timestamp": "2021-03-12"}, "embeds.0.timestamp", "DATE_TIME_TYPE_PARSE"),
        ({"title": "t", "timestamp": "yesterday"}, "embeds.0.timestamp", "DATE_TIME_TYPE_PARSE"),
    ],
)
async def test_formats_are_checked_with_discords_error_shape(
    api: Api, guild: Guild, embed: dict[str, Any], path: str, code: str
) -> None:
    status, data = await api.post(first(guild), {"embeds": [embed]})
    assert (status, data["code"], data["message"]) == (400, 50035, "Invalid Form Body")
    assert error_at(data, path)["code"] == code
    if code == "URL_TYPE_INVALID_URL":
        assert error_at(data, path)["message"] == "Not a well formed URL."


async def test_well_formed_urls_and_timestamps_pass(api: Api, guild: Guild) -> None:
    embed = {
        "title": "t",
        "url": "https://arxiv.org/abs/2105.00001",
        "timestamp": "2021-03-12T09:00:00+00:00",
        "image": {"url": "attachment://fig.png"},
    }
    assert (await api.post(first(guild), {"embeds": [embed]}))[0] == 200


# --- 10. message rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        # message.mdx:1096 "At least one of content, embeds, ... is required."
        ({}, 400, 50006),
        ({"content": "", "embeds": []}, 400, 50006),
        # message.mdx:1091 flags: "only SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS,
        # IS_VOICE_MESSAGE, and IS_COMPONENTS_V2 can be set"
        ({"content": "x", "flags": 1 << 6}, 400, 50035),
        ({"content": "x", "flags": 1 << 5}, 400, 50035),
        # message.mdx:809 "includes both parse and users ... causing a validation error"
        ({"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}, 400, 50035),
        # message.mdx:1074 "The referenced message must exist"
        ({"content": "x", "message_reference": {"message_id": "123"}}, 400, 50035),
    ],
)
async def test_messages_discord_refuses(
    api: Api, guild: Guild, body: dict[str, Any], status: int, code: int
) -> None:
    got, data = await api.post(first(guild), body)
    assert (got, data["code"]) == (status, code), data


async def test_settable_flags_pass_and_a_missing_reply_target_may_be_tolerated(
    api: Api, guild: Guild
) -> None:
    channel = first(guild)
    assert (await api.post(channel, {"content": "x", "flags": (1 << 2) | (1 << 12)}))[0] == 200
    # message.mdx:333 fail_if_not_exists false: "sending as a normal (non-reply) message"
    body = {"content": "x", "message_reference": {"message_id": "1", "fail_if_not_exists": False}}
    status, data = await api.post(channel, body)
    assert status == 200 and "message_reference" not in data
    # message.mdx:783 "Passing a falsy value such as null or an empty array into the users
    # field does not trigger a validation error."
    ok = {"content": "x", "allowed_mentions": {"parse": ["users"], "users": []}}
    assert (await api.post(channel, ok))[0] == 200


# --- 2. channel types -------------------------------------------------------------------------


async def test_threads_start_only_in_text_and_announcement_channels(
    sandbox: Sandbox, api: Api, guild: Guild
) -> None:
    """channel.mdx:587 "When called on a GUILD_TEXT channel, creates a PUBLIC_THREAD. When
    called on a GUILD_ANNOUNCEMENT channel, creates a ANNOUNCEMENT_THREAD." Elsewhere: 50024
    "Cannot execute action on this channel type" (opcodes-and-status-codes.mdx:279)."""
    news = await sandbox.control.add_channel(guild.id, "news", 5)
    voice = await sandbox.control.add_channel(guild.id, "voice", 2)
    stage = await sandbox.control.add_channel(guild.id, "stage", 13)
    kinds = {}
    for channel in (first(guild), news.id):
        _, msg = await api.post(channel, {"content": "head"})
        status, thread = await api.call(
            "POST", f"/channels/{channel}/messages/{msg['id']}/threads", {"name": "t"}
        )
        assert status == 201
        kinds[channel] = thread["type"]
        thread_id = int(thread["id"])
    assert kinds == {first(guild): 11, news.id: 10}
    for channel in (thread_id, voice.id, stage.id):
        status, msg = await api.post(channel, {"content": "in here"})
        assert status == 200
        status, data = await api.call(
            "POST", f"/channels/{channel}/messages/{msg['id']}/threads", {"name": "t2"}
        )
        assert (status, data["code"]) == (400, 50024), channel
    status, data = await api.call(
        "POST", f"/channels/{thread_id}/threads", {"name": "x", "type": 11}
    )
    assert (status, data["code"]) == (400, 50024)


async def test_forum_and_media_channels_take_posts_only(
    sandbox: Sandbox, api: Api, guild: Guild
) -> None:
    """threads.mdx:207 "Messages cannot be sent directly in forum channels." (40058); a post is
    POST /channels/{id}/threads with a `message` (channel.mdx "Start Thread in Forum or Media
    Channel"); REQUIRE_TAG (channel.mdx:98) without applied_tags is 40067."""
    for kind in (15, 16):
        forum = await sandbox.control.add_channel(
            guild.id, f"forum{kind}", kind, flags=REQUIRE_TAG, tags=["daily"]
        )
        status, data = await api.post(forum.id, {"content": "plain"})
        assert (status, data["code"]) == (400, 40058)
        post = {"name": "2021-03-12", "message": {"content": "papers"}}
        status, data = await api.call("POST", f"/channels/{forum.id}/threads", post)
        assert (status, data["code"]) == (400, 40067)
        tag = forum.available_tags[0]["id"]
        status, thread = await api.call(
            "POST", f"/channels/{forum.id}/threads", {**post, "applied_tags": [tag]}
        )
        assert status == 201 and thread["type"] == 11 and thread["parent_id"] == str(forum.id)
        assert thread["message"]["id"] == thread["id"] and thread["applied_tags"] == [tag]
        status, data = await api.call("POST", f"/channels/{forum.id}/threads", {"name": "x"})
        assert status == 400 and data["code"] == 50035


def test_channel_type_16_is_in_the_overlaid_spec() -> None:
    from sandbox.validation import spec

    kinds = [b["const"] for b in spec()["components"]["schemas"]["ChannelTypes"]["oneOf"]]
    assert 16 in kinds and 15 in kinds


# --- 3. permission overwrites -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("deny", "action", "code"),
    [
        (VIEW_CHANNEL, "post", 50001),  # cannot see the channel: Missing Access
        (SEND_MESSAGES, "post", 50013),
        (CREATE_PUBLIC_THREADS, "thread", 50013),
        (SEND_MESSAGES_IN_THREADS, "in_thread", 50013),
    ],
)
async def test_overwrites_on_the_bot(
    sandbox: Sandbox, api: Api, guild: Guild, deny: int, action: str, code: int
) -> None:
    """permissions.mdx:125-132 overwrites (@everyone, roles, member); :201 threads inherit,
    "users must have SEND_MESSAGES_IN_THREADS to send a message in a thread"."""
    channel = first(guild)
    _, head = await api.post(channel, {"content": "head"})
    _, thread = await api.call(
        "POST", f"/channels/{channel}/messages/{head['id']}/threads", {"name": "t"}
    )
    await sandbox.control.set_overwrite(channel, sandbox.state.bot_user.id, deny=deny)
    if action == "post":
        status, data = await api.post(channel, {"content": "x"})
    elif action == "thread":
        _, other = await api.call("GET", f"/channels/{channel}/messages", limit=1)
        status, data = await api.call(
            "POST", f"/channels/{channel}/messages/{other[0]['id']}/threads", {"name": "t2"}
        )
    else:
        status, data = await api.post(int(thread["id"]), {"content": "x"})
    assert (status, data["code"]) == (403, code)
    if action != "post":
        assert (await api.post(channel, {"content": "still fine"}))[0] == 200


async def test_embeds_are_dropped_without_embed_links_and_history_hidden(
    sandbox: Sandbox, api: Api, guild: Guild
) -> None:
    """permissions.mdx:57 EMBED_LINKS "Links sent by users with this permission will be
    auto-embedded"; message.mdx:900 without READ_MESSAGE_HISTORY "no messages will be
    returned"."""
    channel = first(guild)
    everyone = guild.id
    await sandbox.control.set_overwrite(channel, everyone, deny=EMBED_LINKS | READ_MESSAGE_HISTORY)
    status, data = await api.post(channel, {"content": "x", "embeds": [{"title": "t"}]})
    assert status == 200 and data["embeds"] == []
    status, data = await api.post(channel, {"embeds": [{"title": "only an embed"}]})
    assert (status, data["code"]) == (400, 50006)
    assert (await api.call("GET", f"/channels/{channel}/messages"))[1] == []
    # A member overwrite allowing it back wins over the @everyone deny (permissions.mdx:132).
    await sandbox.control.set_overwrite(
        channel, sandbox.state.bot_user.id, allow=EMBED_LINKS | READ_MESSAGE_HISTORY
    )
    assert (await api.post(channel, {"embeds": [{"title": "t"}]}))[1]["embeds"]
    assert len((await api.call("GET", f"/channels/{channel}/messages"))[1]) == 2


# --- 4. thread lifecycle ----------------------------------------------------------------------


async def test_threads_archive_on_the_sandbox_clock_unarchive_on_post_and_lock(
    sandbox: Sandbox, api: Api, guild: Guild
) -> None:
    """threads.mdx:65 "Threads automatically archive after a period of inactivity";
    channel.mdx:247 "The API will helpfully automatically unarchive a thread when sending a
    message in that thread"; threads.mdx:59 "unless the thread has been locked" (160005)."""
    channel = first(guild)
    _, head = await api.post(channel, {"content": "head"})
    _, thread = await api.call(
        "POST",
        f"/channels/{channel}/messages/{head['id']}/threads",
        {"name": "t", "auto_archive_duration": 60},
    )
    tid = int(thread["id"])
    assert await sandbox.control.advance_clock(59 * 60) == []
    archived = await sandbox.control.advance_clock(61)
    assert [c.id for c in archived] == [tid]
    _, got = await api.call("GET", f"/channels/{tid}")
    assert got["thread_metadata"]["archived"] is True
    assert (await api.post(tid, {"content": "wake up"}))[0] == 200
    _, got = await api.call("GET", f"/channels/{tid}")
    assert got["thread_metadata"]["archived"] is False
    await sandbox.control.set_thread(tid, archived=True, locked=True)
    status, data = await api.post(tid, {"content": "locked"})
    assert (status, data["code"]) == (403, 160005)
    await sandbox.control.delete_channel(tid)
    status, data = await api.post(tid, {"content": "gone"})
    assert (status, data["code"]) == (404, 10003)


async def test_a_control_thread_has_an_owner_and_a_parent(sandbox: Sandbox, guild: Guild) -> None:
    thread = await sandbox.control.add_channel(guild.id, "side", 11)
    assert thread.parent_id == first(guild) and thread.owner_id == sandbox.state.owner.id
    payload = thread.to_json()
    assert payload["parent_id"] == str(first(guild)) and payload["owner_id"]


# --- 6. reading back --------------------------------------------------------------------------


async def test_get_messages_honours_after_before_around_and_limit(
    sandbox: Sandbox, api: Api, guild: Guild
) -> None:
    """message.mdx:903 "before, after, and around ... mutually exclusive"; message.mdx:914
    limit "(1-100)"; nonces are not stored, so never read back."""
    channel = first(guild)
    sandbox.control.configure(rate_limits=False)
    ids = []
    for i in range(7):
        _, m = await api.post(channel, {"content": str(i), "nonce": f"n{i}", "enforce_nonce": True})
        assert m["nonce"] == f"n{i}"  # echoed in the create answer (message.mdx:1081)
        ids.append(m["id"])
    path = f"/channels/{channel}/messages"

    async def contents(**params: Any) -> list[str]:
        status, data = await api.call("GET", path, **params)
        assert status == 200, data
        assert all("nonce" not in m for m in data)
        return [m["content"] for m in data]

    assert await contents() == ["6", "5", "4", "3", "2", "1", "0"]
    assert await contents(after=ids[4]) == ["6", "5"]
    assert await contents(after=ids[0], limit=2) == ["2", "1"]
    assert await contents(before=ids[2]) == ["1", "0"]
    assert await contents(around=ids[3], limit=3) == ["4", "3", "2"]
    for bad in ({"limit": 0}, {"limit": 101}, {"before": ids[1], "after": ids[0]}):
        status, data = await api.call("GET", path, **bad)
        assert (status, data["code"]) == (400, 50035), bad
    _, one = await api.call("GET", f"{path}/{ids[0]}")
    assert "nonce" not in one


# --- 5. faults after the effect ---------------------------------------------------------------


async def test_faults_after_the_effect(sandbox: Sandbox, api: Api, guild: Guild) -> None:
    channel = first(guild)
    route = "POST /channels/{channel_id}/messages"
    sandbox.control.inject_fault(route, status=500, after=True)
    status, _ = await api.post(channel, {"content": "did it?"})
    assert status == 500
    assert [m["content"] for m in sandbox.control.messages(channel)] == ["did it?"]
    sandbox.control.inject_fault(route, drop=True, after=True)
    with pytest.raises(aiohttp.ClientError):
        await api.post(channel, {"content": "dropped"})
    assert len(sandbox.control.messages(channel)) == 2
    sandbox.control.inject_fault(route, latency_ms=2000, after=True)
    with pytest.raises(TimeoutError):
        async with api.http.post(
            f"{api.base}/channels/{channel}/messages",
            json={"content": "stalled"},
            headers=AUTH,
            timeout=aiohttp.ClientTimeout(total=0.3),
        ):
            pass
    await sandbox.state.wait_for(lambda: len(sandbox.control.messages(channel)) == 3, 5.0)


# --- 10. interactions -------------------------------------------------------------------------


async def test_an_interaction_from_another_guilds_channel_is_refused(sandbox: Sandbox) -> None:
    from sandbox.control import SandboxError

    a = await sandbox.control.add_guild("A")
    b = await sandbox.control.add_guild("B")
    with pytest.raises(SandboxError, match="not in guild"):
        await sandbox.control.invoke("anything", guild_id=a.id, channel_id=first(b))


async def test_deleting_a_thread_dispatches_thread_delete_not_channel_delete() -> None:
    """events/gateway-events.mdx:634: "Sent when a thread relevant to the current user is
    deleted. The inner payload is a subset of the channel object, containing just the `id`,
    `guild_id`, `parent_id`, and `type` fields." (Found by the soak: the sandbox sent a
    CHANNEL_DELETE of a thread, which discord-api-types rejects.)"""

    from sandbox.testing import running_sandbox

    seen: list[tuple[str, Any]] = []
    async with running_sandbox() as sb:
        guild = await sb.control.add_guild("Lab", channels=["papers"])
        (parent,) = guild.channels
        thread = sb.state.add_channel(guild.id, "t", type=11, parent_id=parent)

        async def record(event: str, data: Any) -> int:
            seen.append((event, data))
            return 1

        sb.gateway.dispatch = record  # type: ignore[method-assign]
        await sb.control.delete_channel(thread.id)
        await sb.control.delete_channel(parent)
    assert seen[0] == (
        "THREAD_DELETE",
        {"id": str(thread.id), "guild_id": str(guild.id), "parent_id": str(parent), "type": 11},
    )
    assert seen[1][0] == "CHANNEL_DELETE" and seen[1][1]["id"] == str(parent)
