"""Command-sync rules (PUT /applications/{id}/commands) and autocomplete limits, from the docs.

Citations point into discord/discord-api-docs (commit c98d64b),
developers/interactions/application-commands.mdx unless said otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from discord.ext import commands

from bot.app.bot import intents
from bot.app.compose import build_bot
from bot.config import parse_config
from bot.store import open_store
from sandbox.app import Sandbox
from sandbox.command_rules import command_problems
from sandbox.state import Guild
from sandbox.testing import SANDBOX_TOKEN, running_bot, sandbox_bot_options


def cmd(name: str = "hot", description: str = "Top papers", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": 1, "description": description, **extra}


def opt(name: str, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": 3, "description": "an option", "required": required, **extra}


async def put(sandbox: Sandbox, body: Any) -> tuple[int, Any]:
    url = f"{sandbox.api_base}/applications/{sandbox.state.application_id}/commands"
    headers = {"Authorization": f"Bot {SANDBOX_TOKEN}"}
    async with aiohttp.ClientSession() as http, http.put(url, json=body, headers=headers) as r:
        return r.status, await r.json()


BAD = [
    # :18 "`CHAT_INPUT` command names and command option names must match the following regex
    # `^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$`"
    ([cmd("hot papers")], ["0", "name"], "APPLICATION_COMMAND_INVALID_NAME"),
    ([cmd("x" * 33)], ["0", "name"], None),
    (
        [cmd(options=[opt("bad!")])],
        ["0", "options", "0", "name"],
        "APPLICATION_COMMAND_INVALID_NAME",
    ),
    # :18 "If there is a lowercase variant of any letters used, you must use those."
    ([cmd("Hot")], ["0", "name"], "APPLICATION_COMMAND_INVALID_NAME"),
    # :31 "Description for `CHAT_INPUT` commands, 1-100 characters."
    ([cmd(description="")], ["0", "description"], None),
    ([cmd(description="d" * 101)], ["0", "description"], None),
    # :165 "command names must be unique per application, per type, and within each scope"
    ([cmd(), cmd()], ["1", "name"], "APPLICATION_COMMANDS_DUPLICATE_NAME"),
    # :86 "`name` must be unique within an array of application command options."
    ([cmd(options=[opt("a"), opt("a")])], ["0", "options", "1", "name"], None),
    # :65 "Required `options` must be listed before optional options"
    (
        [cmd(options=[opt("a"), opt("b", required=True)])],
        ["0", "options", "1", "required"],
        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
    ),
    # :124 "Value for the choice, up to 100 characters if string"
    (
        [cmd(options=[opt("a", choices=[{"name": "n", "value": "v" * 101}])])],
        ["0", "options", "0", "choices", "0", "value"],
        "BASE_TYPE_MAX_LENGTH",
    ),
    # :450 "Slash commands can have a maximum of 8000 characters for combined name, description,
    # and value properties for each command, its options (including subcommands and groups), and
    # choices."
    (
        [
            cmd(
                options=[
                    opt(f"o{i}", choices=[{"name": "n" * 100, "value": "v" * 100}] * 5)
                    for i in range(9)
                ]
            )
        ],
        ["0"],
        "APPLICATION_COMMAND_TOO_LARGE",
    ),
]


@pytest.mark.parametrize(("body", "path", "code"), BAD)
async def test_a_sync_breaking_a_rule_is_refused_with_50035(
    sandbox: Sandbox, body: list[dict[str, Any]], path: list[str], code: str | None
) -> None:
    status, answer = await put(sandbox, body)
    assert status == 400 and answer["code"] == 50035, answer
    node = answer["errors"]
    for part in path:
        node = node[part]
    assert node["_errors"], answer
    if code is not None:
        assert node["_errors"][0]["code"] == code, answer
    assert sandbox.state.commands == {}  # nothing was synced


async def test_a_valid_sync_passes(sandbox: Sandbox) -> None:
    """:18 "Characters with no lowercase variants and/or uncased letters are still allowed."
    (Devanagari, Thai, digits, `-_'`), and USER/MESSAGE commands "may be mixed case and can
    include spaces"; localizations count only their longest variant (:450)."""
    body = [
        cmd("नमस्ते-ไทย_1'x", options=[opt("b", required=True), opt("a")]),
        {"name": "Save Paper", "type": 3, "description": ""},
    ]
    assert command_problems(body) == []
    status, answer = await put(sandbox, body)
    assert status == 200, answer


async def test_more_than_25_autocomplete_choices_is_a_length_error(
    sandbox: Sandbox, guild: Guild, bot_factory: Any
) -> None:
    """receiving-and-responding.mdx:313 "autocomplete choices (max of 25 choices)"."""
    from discord import app_commands

    bot: commands.Bot = bot_factory()
    errors: list[Exception] = []

    @bot.tree.command()
    async def many(interaction: Any, name: str) -> None:
        """Too many suggestions."""
        await interaction.response.send_message(name)

    @many.autocomplete("name")
    async def names(interaction: Any, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"c{i}", value=f"c{i}") for i in range(26)]

    @bot.tree.error
    async def on_error(interaction: Any, error: Exception) -> None:
        errors.append(error)

    async with running_bot(sandbox, bot):
        await bot.tree.sync()
        result = await sandbox.control.autocomplete("many", {"name": "c"}, focused="name")
        assert result.choices is None  # Discord refused them
        refused = sandbox.control.requests(status=400)
        assert refused and refused[-1].route.endswith("/callback")


async def test_the_real_bot_syncs_within_the_rules(sandbox: Sandbox, tmp_path: Path) -> None:
    """The HotPapers bot's own commands pass every rule above (it syncs in `setup_hook`)."""
    config = parse_config({"sources": {"default": "hotpapers-md"}}, env={})
    async with open_store(tmp_path / "bot.sqlite3") as store:
        bot = build_bot(
            config,
            store,
            run_scheduler=False,
            **sandbox_bot_options(intents=intents()),
        )
        async with running_bot(sandbox, bot):
            pass
    syncs = sandbox.control.requests(route="PUT /applications/{application_id}/commands")
    assert syncs and all(r.status == 200 for r in syncs), [r.status for r in syncs]
    assert command_problems([c.payload for c in sandbox.state.commands.values()]) == []
