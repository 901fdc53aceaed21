"""The one place errors become replies, branch by branch: each error kind gives this exact
private sentence, and never raw exception text.

Two levels. `explain` (bot/app/tree.py) is called directly for every branch, including each
branch of `outage_text` and of the channel-option text. Then the real bot in the sandbox runs a
probe command that raises each kind, so the reply a user gets (`HotPapersTree.on_error` and
`bot.app.replies.answer`) is checked as Discord would show it: its text and that it is private,
whether the command had answered nothing yet, deferred publicly, deferred privately or already
answered, and when the public "thinking…" message cannot be removed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.app.bot import HotPapersBot
from bot.app.replies import NEUTRAL_PUBLIC
from bot.app.tree import APOLOGY, DIGEST_BROKEN, MISCONFIGURED, OUTDATED, STORE_DOWN, explain
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
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import FakeClock, running_app

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
LEAKS = ("/srv/", "/var/", "Errno", "ConnectError", "Traceback", "<AppCommand", "http", "repr")


@app_commands.command(name="probe")
async def _probe_for_names(interaction: discord.Interaction[Any]) -> None:
    """A command for the errors to name."""


def invoked(exc: Exception) -> app_commands.CommandInvokeError:
    return app_commands.CommandInvokeError(_probe_for_names, exc)


class ChannelOption:
    """What a transformer error carries for a channel option (an `AppCommandChannel`)."""

    def __init__(self, resolved: object | None, *, id: object = 123) -> None:
        self.id = id
        self._resolved = resolved

    def resolve(self) -> object | None:
        return self._resolved

    def __repr__(self) -> str:
        return "<AppCommandChannel id=123 name='secret' type=<ChannelType.text: 0>> repr"


def transformer_error(
    value: object, kind: discord.AppCommandOptionType
) -> app_commands.TransformerError:
    transformer = app_commands.transformers.BaseChannelTransformer(discord.TextChannel)
    return app_commands.TransformerError(value, kind, transformer)


SINCE = "No answer since <t:1615366800:f> (last tried <t:1615626000:R>). Please try again later."

# (label, error, the exact reply with HEALTH as the store's source health)
ERROR_CASES: list[tuple[str, app_commands.AppCommandError, str]] = [
    (
        "user input",
        invoked(UserInputError("days must be a whole number from 1 to 90 (got 0).")),
        "days must be a whole number from 1 to 90 (got 0).",
    ),
    (
        "outage: the source's own sentence, down since a known time",
        invoked(SourceError("Hugging Face did not answer within 30 s.", detail="https://x")),
        f"Hugging Face did not answer within 30 s. {SINCE}",
    ),
    (
        "outage: an old-style `name: raw` message, only the name is used",
        invoked(SourceError("hf: ConnectError: [Errno -2] Name or service not known")),
        f"Hugging Face cannot be reached right now. {SINCE}",
    ),
    (
        "outage: an old-style message with a variant name (`hf+x: …`)",
        invoked(SourceError("hf+mirror: HTTP 502 from https://x.example")),
        "Hugging Face (with mirror) did not answer just now. Please try again later.",
    ),
    (
        "outage: never reached so far",
        invoked(UpstreamFormatError("arXiv sent a page I could not read.")),
        "arXiv sent a page I could not read. No answer yet (last tried <t:1615626000:R>). "
        "Please try again later.",
    ),
    (
        "outage: failed once while health says ok",
        invoked(SourceError("The Hot Papers posts could not be reached (1 attempt).")),
        "The Hot Papers posts could not be reached (1 attempt). Please try again later.",
    ),
    (
        "outage: an old-style message while health says ok",
        invoked(SourceError("hotpapers-md: HTTP 503 from https://x.example/a.md")),
        "The Hot Papers posts did not answer just now. Please try again later.",
    ),
    (
        "outage: a sentence naming no source the store knows",
        invoked(SourceError("The mirror did not answer.")),
        "The mirror did not answer. Please try again later.",
    ),
    (
        "outage: raw exception text",
        invoked(SourceError("ConnectError: [Errno 111] Connection refused")),
        "A paper source did not answer just now. Please try again later.",
    ),
    (
        "outage: a message holding a URL",
        invoked(SourceError("Could not fetch https://hf.co/api/daily_papers")),
        "A paper source did not answer just now. Please try again later.",
    ),
    (
        "outage: an empty message",
        invoked(SourceError("   ")),
        "A paper source did not answer just now. Please try again later.",
    ),
    (
        "upstream has no such day: not an outage",
        invoked(UpstreamMissingError("The Hot Papers posts have no post for 2021-03-04.")),
        "The Hot Papers posts have no post for 2021-03-04.",
    ),
    (
        "malformed stored digest (its message names a server path)",
        invoked(DigestFormatError("/srv/hotpapers/posts/2021-03-12.md", 3, "no front matter")),
        DIGEST_BROKEN,
    ),
    ("store", invoked(StoreError("/var/lib/hotpapers.sqlite3: database is locked")), STORE_DOWN),
    (
        "config",
        invoked(ConfigError("sources.hotpapers_dir: /srv/x is not a folder")),
        MISCONFIGURED,
    ),
    ("another project error", invoked(HotPapersError("/srv/x: boom")), APOLOGY),
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
        "cooldown, rounded up",
        app_commands.CommandOnCooldown(app_commands.Cooldown(5, 60.0), 12.2),
        "Slow down: you can use this command again in 13 s.",
    ),
    (
        "cooldown under a second says 1 s",
        app_commands.CommandOnCooldown(app_commands.Cooldown(5, 60.0), 0.01),
        "Slow down: you can use this command again in 1 s.",
    ),
    (
        "a channel the bot cannot see",
        transformer_error(ChannelOption(None), discord.AppCommandOptionType.channel),
        "I cannot see <#123>: give me the View Channel permission there, or pick a text or "
        "announcement channel I can see.",
    ),
    (
        "a channel the bot cannot see, without an id",
        transformer_error(ChannelOption(None, id="123"), discord.AppCommandOptionType.channel),
        "I cannot see That channel: give me the View Channel permission there, or pick a text "
        "or announcement channel I can see.",
    ),
    (
        "a channel of a kind that takes no digest",
        transformer_error(ChannelOption(object()), discord.AppCommandOptionType.channel),
        "A digest cannot be posted in <#123>: pick a text or announcement channel (threads, "
        "forum, voice and stage channels are not supported).",
    ),
    (
        "another option type",
        transformer_error("abc", discord.AppCommandOptionType.integer),
        "That value is not valid for this option; please pick one Discord suggests.",
    ),
    ("a failed check", app_commands.CheckFailure(), "You cannot use this command here."),
    ("commands out of sync", app_commands.CommandNotFound("gone", []), OUTDATED),
    ("signature out of sync", app_commands.CommandSignatureMismatch(_probe_for_names), OUTDATED),
]


@pytest.mark.parametrize(
    ("label", "error", "expected"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_each_error_kind_is_its_exact_sentence(
    label: str, error: app_commands.AppCommandError, expected: str
) -> None:
    text = explain(error, health=HEALTH)
    assert text == expected
    for leak in LEAKS:
        assert leak not in text, (label, leak)


def test_the_fixed_sentences_are_distinct_and_plain() -> None:
    fixed = [APOLOGY, DIGEST_BROKEN, STORE_DOWN, MISCONFIGURED, OUTDATED]
    assert len(set(fixed)) == len(fixed)
    assert all(s.endswith(".") and "  " not in s for s in fixed)


@pytest.mark.parametrize(
    "error",
    [
        invoked(RuntimeError("/srv/secret: database on fire")),
        invoked(KeyError("token")),
        app_commands.AppCommandError("??"),
    ],
    ids=["a bug", "another bug", "an unknown discord.py error"],
)
def test_an_unexpected_error_has_no_sentence_so_it_is_logged_and_apologised_for(
    error: app_commands.AppCommandError,
) -> None:
    assert explain(error, health=HEALTH) is None


def test_without_health_an_outage_still_names_no_raw_text() -> None:
    error = invoked(SourceError("hf: ConnectError: [Errno -2] Name or service not known"))
    assert explain(error) == "Hugging Face did not answer just now. Please try again later."


# --- through the sandbox, with the real bot --------------------------------------------------

# What the probe command raises, by case number; the cases above plus the unexpected one.
RAISED: list[tuple[str, Exception, str]] = [
    (label, err.original if isinstance(err, app_commands.CommandInvokeError) else err, text)
    for label, err, text in ERROR_CASES
    if not label.startswith(("outage", "a channel", "another option"))  # need health or Discord
]
RAISED.append(("a bug", RuntimeError("/srv/secret: database on fire"), APOLOGY))
RAISED.append(
    (
        "an outage with the store's real health",
        SourceError("hf: ConnectError: [Errno -2] Name or service not known"),
        "Hugging Face cannot be reached right now. No answer since <t:1615366800:f> "
        "(last tried <t:1615626000:R>). Please try again later.",
    )
)
BEFORE = ["nothing", "public defer", "private defer", "an answer"]


def probe_command(
    cases: list[tuple[str, Exception, str]],
) -> app_commands.Command[Any, ..., None]:
    @app_commands.command(name="probe", description="Raise error number `case`.")
    async def probe(interaction: discord.Interaction[Any], case: int, before: int = 0) -> None:
        if BEFORE[before] == "public defer":
            await interaction.response.defer(thinking=True)
        elif BEFORE[before] == "private defer":
            await interaction.response.defer(thinking=True, ephemeral=True)
            interaction.extras["deferred_ephemeral"] = True
        elif BEFORE[before] == "an answer":
            await interaction.response.send_message("Working on it.")
        raise cases[case][1]

    return probe


@pytest.fixture
async def app(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> AsyncIterator[tuple[Sandbox, HotPapersBot, int]]:
    guild = await sandbox.control.add_guild("Lab", channels=["general"])
    await store.record_source_health("hf", ok=True, at=OK_AT)
    await store.record_source_health("hf", ok=False, error="boom", at=TRIED_AT)
    async with running_app(sandbox, store, clock) as bot:
        bot.tree.add_command(probe_command(RAISED))
        await bot.sync_tree()
        channel = next(iter(guild.channels.values())).id
        yield sandbox, bot, channel


@pytest.mark.parametrize("case", range(len(RAISED)), ids=[c[0] for c in RAISED])
async def test_each_error_kind_reaches_the_user_privately_word_for_word(
    app: tuple[Sandbox, HotPapersBot, int], case: int, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox, _, channel = app
    label, raised, expected = RAISED[case]
    if "cooldown" in label:
        expected = expected.replace("this command", "/probe")
    with caplog.at_level(logging.WARNING, logger="bot.app.tree"):
        r = await sandbox.control.invoke("probe", {"case": case})
    assert r.status == "answered"
    assert r.ephemeral
    assert r.content == expected
    assert len(r.messages) == 1
    assert sandbox.control.messages(channel, include_ephemeral=False) == []
    logged = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    operators_business = isinstance(raised, HotPapersError | RuntimeError) and not isinstance(
        raised, UserInputError | SourceError
    )
    assert bool(logged) == operators_business, [rec.getMessage() for rec in logged]


@pytest.mark.parametrize("before", BEFORE[1:])
async def test_an_error_after_the_command_began_answering_is_still_private(
    app: tuple[Sandbox, HotPapersBot, int], before: str
) -> None:
    sandbox, _, channel = app
    case = next(i for i, c in enumerate(RAISED) if c[0] == "store")
    followups = 1 if before == "an answer" else 0
    r = await sandbox.control.invoke(
        "probe", {"case": case, "before": BEFORE.index(before)}, followups=followups
    )
    public = [
        m.get("content", "") for m in sandbox.control.messages(channel, include_ephemeral=False)
    ]
    if before == "an answer":
        # The command's own public answer stays; the error is a private follow-up.
        assert public == ["Working on it."]
        assert [m["content"] for m in r.followups] == [STORE_DOWN]
        assert all(m["flags"] & 64 for m in r.followups)
    elif before == "public defer":
        # The public "thinking…" message is removed; the error is told privately.
        assert public == []
        assert [m["content"] for m in r.followups] == [STORE_DOWN]
        assert all(m["flags"] & 64 for m in r.followups)
    else:
        # A private "thinking…" message becomes the error itself.
        assert public == []
        assert r.ephemeral and r.content == STORE_DOWN


async def test_when_the_public_thinking_message_cannot_be_removed_it_turns_neutral(
    app: tuple[Sandbox, HotPapersBot, int],
) -> None:
    sandbox, _, channel = app
    case = next(i for i, c in enumerate(RAISED) if c[0] == "store")
    sandbox.control.inject_fault("DELETE /webhooks/*", status=403, times=1)
    r = await sandbox.control.invoke("probe", {"case": case, "before": 1}, followups=1)
    public = [
        m.get("content", "") for m in sandbox.control.messages(channel, include_ephemeral=False)
    ]
    assert public == [NEUTRAL_PUBLIC]
    assert [m["content"] for m in r.followups] == [STORE_DOWN]
    assert all(m["flags"] & 64 for m in r.followups)
