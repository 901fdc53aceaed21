"""The command tree whose `on_error` is the one place where errors become user replies.

- `UserInputError` (and every other `HotPapersError`, e.g. a source being down): its message,
  which is written to be shown;
- missing permissions (Discord's or the bot's own check): which permission is needed;
- a command used outside a server, or a failed check: a plain sentence;
- anything else: logged with the command and its options, answered with a short apology.

Every reply is ephemeral, so a mistake is seen only by the person who made it.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.app.replies import answer
from bot.errors import HotPapersError
from bot.render import defuse, truncate

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again later."


def explain(error: app_commands.AppCommandError) -> str | None:
    """The sentence to show for an error, or None for an unexpected one (a bug)."""
    if isinstance(error, app_commands.CommandInvokeError):
        original = error.original
        if isinstance(original, HotPapersError):
            return str(original)
        return None
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        needed = needed.replace("Manage Guild", "Manage Server")
        return f"You need the {needed} permission to use this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I am missing the {needed} permission in this channel."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works only in a server channel."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        return f"{error.value!r} is not a valid value for this option."
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use this command here."
    return None


class HotPapersTree(app_commands.CommandTree[Any]):
    """A `CommandTree` that answers every error the same careful way."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Turn an error into an ephemeral reply; log what is not the user's doing."""
        message = explain(error)
        if message is None:
            command = interaction.command.qualified_name if interaction.command else "?"
            options = interaction.data.get("options") if interaction.data else None
            cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
            log.error("/%s %s failed", command, options, exc_info=cause)
            message = APOLOGY
        try:
            # Messages may quote what the user typed: never as a live mention.
            await answer(interaction, truncate(defuse(message), 2000), ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("could not tell the user about an error: %s", exc)
