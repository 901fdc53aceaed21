"""The real discord.py client against the sandbox: login, commands, posts, threads, errors."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable

import aiohttp
import discord
import pytest
from discord.ext import commands

from sandbox.app import Sandbox
from sandbox.state import Guild
from sandbox.testing import running_bot

MESSAGES = "POST /channels/{channel_id}/messages"
MANAGE_GUILD = 1 << 5


def text_channel(bot: commands.Bot, channel_id: int) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_login_ready_with_several_guilds_and_sync(
    sandbox: Sandbox, bot_factory: Callable[..., commands.Bot]
) -> None:
    guilds = [await sandbox.control.add_guild(f"G{i}", channels=["a", "b"]) for i in range(3)]
    async with running_bot(sandbox, bot_factory()) as bot:
        assert bot.user is not None and bot.user.id == sandbox.state.bot_user.id
        assert bot.application_id == sandbox.state.application_id
        assert sorted(g.id for g in bot.guilds) == sorted(g.id for g in guilds)
        for g in guilds:
            cached = bot.get_guild(g.id)
            assert cached is not None and cached.me is not None
            assert [c.name for c in cached.text_channels] == ["a", "b"]
        synced = await bot.tree.sync()
        assert {c.name for c in synced} == {
            "echo",
            "slow",
            "lifecycle",
            "fruit",
            "configure",
            "late",
            "twice",
        }
        assert {c["name"] for c in sandbox.control.commands()} == {c.name for c in synced}
        # A guild sync is kept apart from the global commands.
        bot.tree.copy_global_to(guild=discord.Object(guilds[0].id))
        await bot.tree.sync(guild=discord.Object(guilds[0].id))
        assert len(sandbox.control.commands(guilds[0].id)) == len(synced)
        # A guild that appears later arrives as GUILD_CREATE (on_guild_join).
        late = await sandbox.control.add_guild("Late")
        await sandbox.state.wait_for(lambda: bot.get_guild(late.id), 2)
    auth_less = [r for r in sandbox.control.requests() if r.route.startswith("POST /interactions")]
    assert auth_less == []


async def test_bad_token_is_a_login_failure(
    sandbox: Sandbox, guild: Guild, bot_factory: Callable[..., commands.Bot]
) -> None:
    with pytest.raises(discord.LoginFailure):
        async with running_bot(sandbox, bot_factory(), token="wrong"):
            pass


async def test_privileged_intents_not_enabled_close_with_4014(
    sandbox: Sandbox, guild: Guild, bot_factory: Callable[..., commands.Bot]
) -> None:
    bot = bot_factory(intents=discord.Intents.all())
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_bot(sandbox, bot):
            pass
    assert sandbox.gateway.stats.closes == {4014: 1}
    sandbox.control.configure(allowed_intents=discord.Intents.all().value)
    async with running_bot(sandbox, bot_factory(intents=discord.Intents.all())) as ok:
        assert ok.intents.message_content


async def test_slash_command_round_trip(sandbox: Sandbox, bot: commands.Bot) -> None:
    result = await sandbox.control.invoke("echo", {"text": "hi", "times": "3"}, followups=1)
    assert result.status == "answered"
    assert result.response_type == 4
    assert result.content == "hihihi"
    assert [m["content"] for m in result.followups] == ["done"]
    assert result.latency_ms is not None and result.latency_ms > 0
    channel = result.original and int(result.original["channel_id"])
    assert channel and [m["content"] for m in sandbox.control.messages(channel)] == [
        "hihihi",
        "done",
    ]

    deferred = await sandbox.control.invoke("slow")
    assert deferred.status == "answered" and deferred.response_type == 5
    assert deferred.content == "finished" and deferred.embeds[0]["description"] == "42"
    assert deferred.latency_ms is not None and deferred.ack_latency_ms is not None
    assert deferred.latency_ms - deferred.ack_latency_ms >= 49  # the command works for 50 ms


async def test_original_response_and_followup_lifecycle(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot
) -> None:
    result = await sandbox.control.invoke("lifecycle", followups=1)
    assert result.status == "answered" and result.content == "draft"
    hook = "{webhook_id}/{webhook_token}/messages/{message_id}"
    await sandbox.state.wait_for(lambda: sandbox.control.requests(f"DELETE /webhooks/{hook}"), 2)
    assert [r.route.split(" ")[0] for r in sandbox.control.requests() if hook in r.route] == [
        "GET",
        "PATCH",
        "DELETE",
    ]
    channel = next(iter(guild.channels))
    assert [m["content"] for m in sandbox.control.messages(channel)] == [
        "follow edited after draft"
    ]


async def test_autocomplete(sandbox: Sandbox, bot: commands.Bot) -> None:
    result = await sandbox.control.autocomplete("fruit", {"name": "ap"}, focused="name")
    assert result.status == "answered" and result.response_type == 8
    assert [c["value"] for c in result.choices or []] == ["apple", "apricot"]
    picked = await sandbox.control.invoke("fruit", {"name": "cherry"})
    assert picked.content == "you picked cherry" and picked.ephemeral


async def test_default_member_permissions_are_enforced(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot
) -> None:
    denied = await sandbox.control.invoke("configure")
    assert denied.status == "denied"
    assert sandbox.control.denied[0]["command"] == "configure"
    assert not any(r.route.startswith("POST /interactions") for r in sandbox.control.requests())

    moderator = await sandbox.control.add_member(guild.id, "mod", permissions=MANAGE_GUILD)
    allowed = await sandbox.control.invoke("configure", user_id=moderator.user.id)
    assert allowed.status == "answered" and allowed.content == "configured"
    admin = await sandbox.control.invoke("configure", permissions=1 << 3)
    assert admin.status == "answered"


async def test_interaction_deadline_and_second_acknowledgement(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    twice = await sandbox.control.invoke("twice", followups=1)
    assert twice.content == "once"
    await sandbox.state.wait_for(lambda: bot.late_errors, 2)  # type: ignore[attr-defined]
    error = bot.late_errors.pop()  # type: ignore[attr-defined]
    assert isinstance(error, discord.HTTPException) and error.code == 40060

    sandbox.control.configure(interaction_deadline=0.2)  # "late" answers after 0.4 s
    late = await sandbox.control.invoke("late")
    assert late.status == "no_response"
    await sandbox.state.wait_for(lambda: bot.late_errors, 2)  # type: ignore[attr-defined]
    error = bot.late_errors.pop()  # type: ignore[attr-defined]
    assert isinstance(error, discord.NotFound) and error.code == 10062


async def test_expired_token_refuses_followups(sandbox: Sandbox, bot: commands.Bot) -> None:
    captured: list[discord.Interaction] = []

    @bot.tree.command()
    async def keep(interaction: discord.Interaction) -> None:
        """Answer, and keep the interaction for later."""
        captured.append(interaction)
        await interaction.response.send_message("kept")

    await bot.tree.sync()
    assert (await sandbox.control.invoke("keep")).status == "answered"
    sandbox.control.configure(token_lifetime=0.0)
    with pytest.raises(discord.HTTPException) as info:
        await captured[0].followup.send("too late")
    assert info.value.status == 401 and info.value.code == 50027


async def test_posting_a_thread_and_nonce_dedup(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot
) -> None:
    channel = text_channel(bot, next(iter(guild.channels)))
    embed = discord.Embed(title="Paper", description="abstract").add_field(name="votes", value="3")
    message = await channel.send("today's papers", embed=embed)
    stored = sandbox.control.messages(channel.id)
    assert [m["id"] for m in stored] == [str(message.id)]
    assert stored[0]["embeds"][0]["fields"] == [{"name": "votes", "value": "3", "inline": True}]
    assert stored[0]["author"]["id"] == str(bot.user and bot.user.id)

    thread = await message.create_thread(name="discussion")
    assert thread.id == message.id and thread.parent_id == channel.id
    await thread.send("in the thread")
    assert [m["content"] for m in sandbox.control.messages(thread.id)] == ["in the thread"]
    loose = await channel.create_thread(name="private", type=discord.ChannelType.private_thread)
    assert loose.type == discord.ChannelType.private_thread
    await sandbox.state.wait_for(lambda: bot.get_channel(loose.id), 2)

    attached = await channel.send("with a file", file=discord.File(io.BytesIO(b"abc"), "a.txt"))
    assert sandbox.state.messages[attached.id].attachments[0]["filename"] == "a.txt"

    first = await channel.send("digest", nonce="digest-2026-11-27")
    second = await channel.send("digest", nonce="digest-2026-11-27")
    assert first.id == second.id
    assert [m["content"] for m in sandbox.control.messages(channel.id)].count("digest") == 1

    papers = text_channel(bot, list(guild.channels)[1])  # general's bucket (5 per 5 s) is used up
    with pytest.raises(discord.HTTPException) as info:
        await papers.send(embed=discord.Embed(description="x" * 4097))
    assert info.value.status == 400 and info.value.code == 50035


async def test_rate_limits_are_honoured_and_nothing_is_lost(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot
) -> None:
    general, papers = (text_channel(bot, c) for c in guild.channels)
    # A per-route 429 (injected, as when another process shares the bucket) is retried.
    sandbox.control.inject_fault(MESSAGES, status=429, retry_after=0.2)
    started = time.perf_counter()
    await general.send("after a 429")
    assert time.perf_counter() - started >= 0.2
    # A real bucket: the client learns it from the headers and throttles itself.
    sandbox.control.configure(route_limits={MESSAGES: (2, 0.3)})
    started = time.perf_counter()
    await asyncio.gather(*(general.send(f"burst {i}") for i in range(6)))
    assert time.perf_counter() - started >= 0.55  # three windows of two

    # The global limit across channels.
    sandbox.control.configure(route_limits={}, global_limit=3, global_window=0.3)
    await asyncio.gather(*(papers.send(f"global {i}") for i in range(8)))

    contents = [m["content"] for m in sandbox.control.messages(general.id)]
    assert sorted(contents) == sorted(["after a 429"] + [f"burst {i}" for i in range(6)])
    assert sorted(m["content"] for m in sandbox.control.messages(papers.id)) == sorted(
        f"global {i}" for i in range(8)
    )
    limited = [r.rate_limited for r in sandbox.control.requests(status=429)]
    assert "injected" in limited and "global" in limited


async def test_server_errors_are_retried_and_403_404_surface(
    sandbox: Sandbox, guild: Guild, bot: commands.Bot
) -> None:
    general, papers = (text_channel(bot, c) for c in guild.channels)
    sandbox.control.inject_fault(f"POST /channels/{general.id}/messages", status=500)
    await general.send("survived a 500")  # discord.py sleeps 1 s, then retries
    assert [m["content"] for m in sandbox.control.messages(general.id)] == ["survived a 500"]
    assert [r.status for r in sandbox.control.requests(MESSAGES)] == [500, 200]

    sandbox.control.forbid_channel(general.id)
    with pytest.raises(discord.Forbidden) as forbidden:
        await general.send("nope")
    assert forbidden.value.code == 50013

    await sandbox.control.delete_channel(papers.id)
    with pytest.raises(discord.NotFound) as missing:
        await papers.send("gone")
    assert missing.value.code == 10003
    await sandbox.state.wait_for(lambda: bot.get_channel(papers.id) is None, 2)

    sandbox.control.inject_fault("*", latency_ms=150, times=1)
    started = time.perf_counter()
    await bot.application_info()
    assert time.perf_counter() - started >= 0.15


async def test_control_api_runs_a_command_over_http(sandbox: Sandbox, bot: commands.Bot) -> None:
    async with aiohttp.ClientSession() as http:
        body = {"command": "echo", "options": {"text": "remote"}, "followups": 1}
        async with http.post(f"{sandbox.control_url}/interactions", json=body) as response:
            result = await response.json()
        async with http.post(
            f"{sandbox.control_url}/interactions",
            json={"command": "fruit", "options": {"name": "b"}, "focused": "name"},
        ) as response:
            choices = (await response.json())["choices"]
    assert result["status"] == "answered"
    assert result["original"]["content"] == "remote"
    assert [m["content"] for m in result["followups"]] == ["done"]
    assert result["latency_ms"] > 0
    assert choices == [{"name": "banana", "value": "banana"}]
