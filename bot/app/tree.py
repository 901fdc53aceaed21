"""The command tree whose `on_error` is the one place where errors become user replies.

Every reply is ephemeral, so a mistake is seen only by the person who made it, and none shows
a raw exception, a server path or a Python repr:

- `UserInputError`: its message, which the bot wrote to be shown (it quotes user text inert);
- `SourceError` (an upstream outage): the source's own one-sentence message (which names it)
  and since when it has not answered, from the store's source health; never raw exception
  text (URLs, socket errors: `SourceError.detail`, the log). `UpstreamMissingError` (the
  source has no such day) is not an outage and is said as such;
- any other `HotPapersError` (a malformed stored digest, the store, the configuration): a
  sentence saying what kind of trouble it is; the details go to the log;
- Discord-side checks (permissions, cooldown, server only, a channel option the bot cannot
  see or use): a plain sentence each;
- anything else: logged with the command and its options, answered with a short apology.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands

from bot.app.observing import command_done, command_started
from bot.app.replies import answer
from bot.errors import (
    ConfigError,
    DigestFormatError,
    HotPapersError,
    SourceError,
    StoreError,
    UpstreamMissingError,
    UserInputError,
)
from bot.models import SourceHealth
from bot.observe import NO_OBSERVER, Observer
from bot.render import truncate
from bot.services.texts import permission_names, safe_reply, source_down_text
from bot.sources.registry import TITLES
from bot.sources.registry import title as source_title

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again later."
DIGEST_BROKEN = (
    "A stored digest could not be read (it is malformed). It has been logged for the "
    "bot's operator; please try another day."
)
STORE_DOWN = (
    "My storage is not available right now. It has been logged for the bot's operator; "
    "please try again later."
)
MISCONFIGURED = (
    "I am not configured for this. It has been logged for the bot's operator; please try "
    "again later."
)
OUTDATED = "This command has changed since Discord listed it. Please try again in a minute."
_SOURCE_NAME = re.compile(r"^([\w.+-]+): ")
_RAW = re.compile(r"://|Errno|Error:|Traceback|<\w+ object|/\w+/\w+")


def outage_text(error: SourceError, health: Sequence[SourceHealth]) -> str:
    """What a user reads for an upstream failure: the source's own sentence when it is one
    (the sources write "Hugging Face did not answer within 30 s."), with since when from the
    store's source health; never raw exception text, a URL or a socket error."""
    text = str(error).strip()
    raw = _SOURCE_NAME.match(text)  # an older `name: raw detail` message: only the name is safe
    if raw is not None and raw.group(1).partition("+")[0] in TITLES:
        return source_down_text(raw.group(1), health)
    if not text or raw is not None or _RAW.search(text):
        return "A paper source did not answer just now. Please try again later."
    about = next((h for h in health if text.startswith(source_title(h.source))), None)
    if about is None:
        return f"{text} Please try again later."
    return source_down_text(about.source, health, text)


def _channel_text(error: app_commands.TransformerError) -> str:
    value = error.value
    mention = f"<#{value.id}>" if isinstance(getattr(value, "id", None), int) else "That channel"
    resolved = value.resolve() if hasattr(value, "resolve") else None
    if resolved is None:
        return (
            f"I cannot see {mention}: give me the View Channel permission there, "
            "or pick a text or announcement channel I can see."
        )
    return (
        f"A digest cannot be posted in {mention}: pick a text or announcement channel "
        "(threads, forum, voice and stage channels are not supported)."
    )


def sentence(text: str) -> str:
    """`text` ending as a sentence ends: the core's messages (a bad time, zone or id) are
    fragments such as "… e.g. 09:00 or 18:30", and a reply must not stop mid-air. A reply
    that ends with a link is left as it is (a full stop would read as part of the URL)."""
    text = text.rstrip()
    last = text.rsplit(maxsplit=1)[-1] if text else ""
    if text.endswith((".", "?", "!", "…")) or last.startswith(("https://", "http://")):
        return text
    return f"{text}."


def explain(
    error: app_commands.AppCommandError, *, health: Sequence[SourceHealth] = ()
) -> str | None:
    """The sentence to show for an error, or None for an unexpected one (a bug).

    `health` is the store's source health, read by the caller when the error is an outage.
    """
    if isinstance(error, app_commands.CommandInvokeError):
        original = error.original
        if isinstance(original, UserInputError):
            return sentence(str(original))
        if isinstance(original, UpstreamMissingError):
            # "The Hot Papers posts have no post for …": not an outage
            return sentence(str(original))
        if isinstance(original, SourceError):
            return outage_text(original, health)
        if isinstance(original, DigestFormatError):
            return DIGEST_BROKEN
        if isinstance(original, StoreError):
            return STORE_DOWN
        if isinstance(original, ConfigError):
            return MISCONFIGURED
        if isinstance(original, HotPapersError):
            return APOLOGY
        return None
    if isinstance(error, app_commands.MissingPermissions):
        needed = permission_names(error.missing_permissions)
        return f"You need the {needed} permission to use this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = permission_names(error.missing_permissions)
        return f"I am missing the {needed} permission in this channel."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works only in a server channel."
    if isinstance(error, app_commands.CommandOnCooldown):
        seconds = max(1, math.ceil(error.retry_after))
        return f"Slow down: you can use this command again in {seconds} s."
    if isinstance(error, app_commands.TransformerError):
        if error.type in (discord.AppCommandOptionType.channel,):
            return _channel_text(error)
        return "That value is not valid for this option; please pick one Discord suggests."
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use this command here."
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return OUTDATED
    return None


def _logged(error: app_commands.AppCommandError) -> bool:
    """Whether an explained error is still the operator's business (not the user's doing)."""
    if not isinstance(error, app_commands.CommandInvokeError):
        return False
    return not isinstance(error.original, UserInputError | SourceError)


class HotPapersTree(app_commands.CommandTree[Any]):
    """A `CommandTree` that answers every error the same careful way."""

    observer: Observer = NO_OBSERVER  # told each command's latency (set by build_bot)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Every interaction is processed; the moment it starts is noted for its latency."""
        command_started(interaction)
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Turn an error into an ephemeral reply; log what is not the user's doing."""
        command = interaction.command.qualified_name if interaction.command else "?"
        options = interaction.data.get("options") if interaction.data else None
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        health: list[SourceHealth] = []
        if isinstance(cause, SourceError):
            log.warning("/%s: upstream failed: %s", command, cause)
            health = await _health(interaction)
        message = explain(error, health=health)
        if message is None or _logged(error):
            log.error("/%s %s failed", command, options, exc_info=cause)
        if message is None:
            message = APOLOGY
        if isinstance(error, app_commands.CommandOnCooldown) and interaction.command:
            message = message.replace("this command", f"/{command}")
        try:
            await answer(interaction, truncate(safe_reply(message), 2000), ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("could not tell the user about an error: %s", exc)
        command_done(interaction, self.observer, ok=False)


async def _health(interaction: discord.Interaction[Any]) -> list[SourceHealth]:
    """The store's source health, or nothing if the store cannot say."""
    store = getattr(interaction.client, "store", None)
    if store is None:
        return []
    try:
        return list(await store.source_health())
    except Exception:  # the reply must still go out; the store's trouble is logged elsewhere
        log.warning("source health unavailable for an error reply", exc_info=True)
        return []
