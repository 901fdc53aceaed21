"""Answering an interaction: rendered payloads to discord.py calls, deferring only when slow.

`Reply` answers directly when the work is quick (a stored day: one round trip, well inside
Discord's 3 seconds) and defers on its own if the answer is not ready after `defer_after`
seconds (a fetch from upstream), so no command ever misses the deadline.

A public command (`/hot`) defers publicly; if it then fails, `answer` removes the public
"thinking…" message and tells the user privately: an error is never shown to the channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord

log = logging.getLogger(__name__)

Payload = dict[str, Any]
SUPPRESS_EMBEDS = 1 << 2
DEFER_AFTER = 1.5


def is_thinking(interaction: discord.Interaction[Any]) -> bool:
    """Whether the interaction was deferred and its "thinking…" message not yet replaced."""
    deferred = discord.InteractionResponseType.deferred_channel_message
    return (
        interaction.response.is_done()
        and interaction.response.type == deferred
        and not interaction.extras.get("answered")
    )


def message_kwargs(payload: Payload) -> dict[str, Any]:
    """A rendered payload as keyword arguments of `send_message` / `followup.send`."""
    kwargs: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
    if payload.get("content"):
        kwargs["content"] = payload["content"]
    embeds = payload.get("embeds") or []
    if embeds:
        kwargs["embeds"] = [discord.Embed.from_dict(e) for e in embeds]
    if int(payload.get("flags") or 0) & SUPPRESS_EMBEDS:
        kwargs["suppress_embeds"] = True
    return kwargs


def may_answer_publicly(interaction: discord.Interaction[Any]) -> bool:
    """Whether a public answer can be shown where the interaction came from.

    Through a user install in a server the bot is not in, Discord holds the app to the
    user's permissions (discord-api-docs application.mdx:196 "if a user invokes a command for
    a user-installed app from a server's channel where they don't have permission to send
    messages, the app won't be able to respond to an interaction with a non-ephemeral
    message"): the answer is then private instead of refused.
    """
    if interaction.guild_id is None or interaction.is_guild_integration():
        return True
    return interaction.permissions.send_messages


class Reply:
    """The answer to one interaction: `await reply.send(payloads)` once the work is done.

    A public answer that Discord would refuse there (`may_answer_publicly`) is sent privately.
    """

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        *,
        ephemeral: bool = False,
        defer_after: float | None = None,
    ) -> None:
        self.interaction = interaction
        self.ephemeral = ephemeral or not may_answer_publicly(interaction)
        self._lock = asyncio.Lock()
        self._answered = False
        # A timer, not a task: almost every answer beats it, and a task per command was
        # measurable at hundreds of commands a second (bench/commands.py).
        self._deferring: asyncio.Task[None] | None = None
        delay = DEFER_AFTER if defer_after is None else defer_after
        self._timer = asyncio.get_running_loop().call_later(delay, self._start_defer)

    def _start_defer(self) -> None:
        self._deferring = asyncio.create_task(self._defer_late(), name="reply-defer")

    async def _defer_late(self) -> None:
        async with self._lock:
            if not self._answered and not self.interaction.response.is_done():
                await self._defer_now()

    async def defer(self) -> None:
        """Defer now (before work known to be slow, e.g. an upstream fetch)."""
        async with self._lock:
            if not self.interaction.response.is_done():
                await self._defer_now()

    async def _defer_now(self) -> None:
        self.interaction.extras["deferred_ephemeral"] = self.ephemeral
        await self.interaction.response.defer(ephemeral=self.ephemeral, thinking=True)

    async def send(self, payloads: list[Payload]) -> None:
        """Send the payloads: the first as the response, the rest as follow-ups."""
        async with self._lock:
            self._answered = True
            self._timer.cancel()
            for i, payload in enumerate(payloads):
                kwargs = message_kwargs(payload)
                if i == 0 and not self.interaction.response.is_done():
                    await self.interaction.response.send_message(ephemeral=self.ephemeral, **kwargs)
                elif i == 0 and is_thinking(self.interaction):
                    kwargs.pop("suppress_embeds", None)
                    await self.interaction.edit_original_response(**kwargs)
                else:
                    await self.interaction.followup.send(ephemeral=self.ephemeral, **kwargs)
                self.interaction.extras["answered"] = True

    def close(self) -> None:
        """Stop the defer timer (the command failed before answering)."""
        self._timer.cancel()

    async def __aenter__(self) -> Reply:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        if self._deferring is not None:  # a defer under way finishes before the error reply
            with contextlib.suppress(asyncio.CancelledError):
                await self._deferring


NEUTRAL_PUBLIC = "This command could not be completed; the details went to whoever ran it."


async def answer(
    interaction: discord.Interaction[Any], text: str, *, ephemeral: bool = True
) -> None:
    """Send a short text answer (or follow-up, if the interaction was already answered).

    A private answer after a public defer replaces nothing in public: the "thinking…"
    message is deleted and the answer sent as a private follow-up (Discord makes the first
    follow-up after a defer take the defer's visibility, so the deletion comes first).
    """
    allowed = discord.AllowedMentions.none()
    public_defer = not interaction.extras.get("deferred_ephemeral", False)
    if is_thinking(interaction) and ephemeral and public_defer:
        try:
            await interaction.delete_original_response()
        except discord.HTTPException as exc:
            # The "thinking…" message is still there, so a follow-up now would take its
            # public visibility: turn it into a neutral public line first, then answer.
            log.warning("could not remove the public 'thinking' message: %s", exc)
            await interaction.edit_original_response(
                content=NEUTRAL_PUBLIC, allowed_mentions=allowed
            )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=allowed)
        interaction.extras["answered"] = True
    elif is_thinking(interaction):
        await interaction.edit_original_response(content=text, allowed_mentions=allowed)
    elif interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=ephemeral, allowed_mentions=allowed)
    else:
        await interaction.response.send_message(text, ephemeral=ephemeral, allowed_mentions=allowed)
