"""Every branch of the one place errors become replies (`bot.app.tree.explain`), each with the
exact reply a user reads: no raw exception text, no server path, no Python repr."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.app.tree import APOLOGY, explain
from bot.errors import (
    ConfigError,
    DigestFormatError,
    HotPapersError,
    SourceError,
    StoreError,
    UpstreamFormatError,
    UpstreamMissingError,
    UserInputError,
)
from bot.models import SourceHealth
from bot.services.texts import safe_reply

OK_AT = datetime(2021, 3, 10, 9, 0, tzinfo=UTC)
TRIED_AT = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)
HEALTH = [
    SourceHealth(
        source="hf",
        ok=False,
        checked_at=TRIED_AT,
        last_ok_at=OK_AT,
        error="hf: ConnectError: [Errno -2] Name or service not known from https://hf.co/x",
        consecutive_failures=3,
    ),
    SourceHealth(source="arxiv", ok=False, checked_at=TRIED_AT, consecutive_failures=1),
    SourceHealth(source="hotpapers-md", ok=True, checked_at=TRIED_AT, last_ok_at=TRIED_AT),
]


@app_commands.command(name="probe")
async def probe(interaction: discord.Interaction[Any]) -> None:
    """A command for the errors to name."""


def invoke_error(exc: Exception) -> app_commands.CommandInvokeError:
    return app_commands.CommandInvokeError(probe, exc)


class FakeChannel:
    """What a transformer error carries for a channel option (an `AppCommandChannel`)."""

    def __init__(self, resolved: object | None) -> None:
        self.id = 123
        self._resolved = resolved

    def resolve(self) -> object | None:
        return self._resolved

    def __repr__(self) -> str:
        return "<AppCommandChannel id=123 name='secret' type=<ChannelType.text: 0>>"


def transformer_error(
    value: object, kind: discord.AppCommandOptionType
) -> app_commands.TransformerError:
    transformer = app_commands.transformers.BaseChannelTransformer(discord.TextChannel)
    return app_commands.TransformerError(value, kind, transformer)


CASES: list[tuple[str, app_commands.AppCommandError, str]] = [
    (
        "user input",
        invoke_error(UserInputError("days must be a whole number from 1 to 90 (got 0).")),
        "days must be a whole number from 1 to 90 (got 0).",
    ),
    (
        "source down, its own sentence, known since when",
        invoke_error(SourceError("Hugging Face did not answer within 30 s.", detail="https://x")),
        "Hugging Face did not answer within 30 s. No answer since <t:1615366800:f> "
        "(last tried <t:1615626000:R>). Please try again later.",
    ),
    (
        "source down, an old-style raw message: only its name is used",
        invoke_error(SourceError("hf: ConnectError: [Errno -2] Name or service not known")),
        "Hugging Face cannot be reached right now. No answer since <t:1615366800:f> "
        "(last tried <t:1615626000:R>). Please try again later.",
    ),
    (
        "source never reached",
        invoke_error(UpstreamFormatError("arXiv sent a page I could not read.")),
        "arXiv sent a page I could not read. No answer yet (last tried <t:1615626000:R>). "
        "Please try again later.",
    ),
    (
        "source failed once, health says ok",
        invoke_error(SourceError("The Hot Papers posts could not be reached (1 attempt).")),
        "The Hot Papers posts could not be reached (1 attempt). Please try again later.",
    ),
    (
        "old-style message, health says ok",
        invoke_error(SourceError("hotpapers-md: HTTP 503 from https://x.example/a.md")),
        "The Hot Papers posts did not answer just now. Please try again later.",
    ),
    (
        "a source error that is raw text",
        invoke_error(SourceError("ConnectError: [Errno 111] Connection refused")),
        "A paper source did not answer just now. Please try again later.",
    ),
    (
        "upstream has no such day: not an outage",
        invoke_error(UpstreamMissingError("The Hot Papers posts have no post for 2021-03-04.")),
        "The Hot Papers posts have no post for 2021-03-04.",
    ),
    (
        "malformed digest (its message names a server path)",
        invoke_error(DigestFormatError("/srv/hotpapers/posts/2021-03-12.md", 3, "no front matter")),
        "A stored digest could not be read (it is malformed). It has been logged for the "
        "bot's operator; please try another day.",
    ),
    (
        "store",
        invoke_error(StoreError("/var/lib/hotpapers.sqlite3: database is locked")),
        "My storage is not available right now. It has been logged for the bot's operator; "
        "please try again later.",
    ),
    (
        "config",
        invoke_error(ConfigError("sources.hotpapers_dir: /srv/x is not a folder")),
        "I am not configured for this. It has been logged for the bot's operator; please "
        "try again later.",
    ),
    ("other project error", invoke_error(HotPapersError("/srv/x: boom")), APOLOGY),
    (
        "member lacks a permission",
        app_commands.MissingPermissions(["manage_guild"]),
        "You need the Manage Server permission to use this command.",
    ),
    (
        "bot lacks permissions",
        app_commands.BotMissingPermissions(["embed_links", "read_message_history"]),
        "I am missing the Embed Links, Read Message History permission in this channel.",
    ),
    (
        "server only",
        app_commands.NoPrivateMessage(),
        "This command works only in a server channel.",
    ),
    (
        "cooldown",
        app_commands.CommandOnCooldown(app_commands.Cooldown(5, 60.0), 12.2),
        "Slow down: you can use this command again in 13 s.",
    ),
    (
        "channel the bot cannot see",
        transformer_error(FakeChannel(None), discord.AppCommandOptionType.channel),
        "I cannot see <#123>: give me the View Channel permission there, or pick a text or "
        "announcement channel I can see.",
    ),
    (
        "channel of a kind that takes no digest",
        transformer_error(FakeChannel(object()), discord.AppCommandOptionType.channel),
        "A digest cannot be posted in <#123>: pick a text or announcement channel (threads, "
        "forum, voice and stage channels are not supported).",
    ),
    (
        "another option type",
        transformer_error("abc", discord.AppCommandOptionType.integer),
        "That value is not valid for this option; please pick one Discord suggests.",
    ),
    ("a failed check", app_commands.CheckFailure(), "You cannot use this command here."),
    (
        "commands out of sync",
        app_commands.CommandNotFound("gone", []),
        "This command has changed since Discord listed it. Please try again in a minute.",
    ),
    (
        "signature out of sync",
        app_commands.CommandSignatureMismatch(probe),
        "This command has changed since Discord listed it. Please try again in a minute.",
    ),
]


@pytest.mark.parametrize(("label", "error", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_error_branch_has_its_exact_reply(
    label: str, error: app_commands.AppCommandError, expected: str
) -> None:
    text = explain(error, health=HEALTH)
    assert text == expected
    assert text is not None
    for leak in ("/srv/", "/var/", "Errno", "ConnectError", "<AppCommand", "http"):
        assert leak not in text, (label, leak)


def test_an_unexpected_error_is_none_so_it_is_logged_and_apologised_for() -> None:
    assert explain(invoke_error(RuntimeError("/srv/secret: database on fire"))) is None
    assert explain(app_commands.AppCommandError("??")) is None


def test_replies_keep_the_bots_channel_mentions_and_defuse_pings() -> None:
    text = "<#123> at <t:1615626000:f>: `<@456>` <@&789> <@!1> @everyone @here"
    assert safe_reply(text) == (
        "<#123> at <t:1615626000:f>: `<\u200b@456>` <\u200b@&789> <\u200b@!1> "
        "@\u200beveryone @\u200bhere"
    )
