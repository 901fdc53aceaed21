"""The buttons on posts, on the discord.py side: one persistent handler for every click.

Posts carry plain component JSON (`bot.components`) whose custom ids name the paper, so no
view is kept per message: one `DynamicItem` class, registered with `bot.add_dynamic_items`
in `setup_hook`, matches every custom id in our name space (`hp:save…`, `hp:vote…`, valid or
not) on any message, also one posted before a restart or by another process. It hands the
click to `MarksService` and answers privately with what it says, within Discord's 3 seconds
(the service does two indexed reads and one write). It never raises: a forged id or an
unknown paper is the service's sentence, the store's outage `STORE_DOWN`, anything else
logged and answered with the apology (discord.py would only log an exception here, and the
member would see "This interaction failed").

Other features' buttons (another prefix) are left to their own handlers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import discord

from bot.app.tree import APOLOGY, STORE_DOWN
from bot.components import NAMESPACE
from bot.errors import StoreError, UserInputError
from bot.services.marks import MarksService

log = logging.getLogger(__name__)

Payload = dict[str, Any]
# Everything in `bot.components.NAMESPACE`, newlines included (a forged id is answered too).
TEMPLATE = re.compile(NAMESPACE + ".*", re.DOTALL)
Wrap = Callable[[discord.ui.Item[Any], str], discord.ui.Item[Any]]  # an item as our handler


def handler(marks: MarksService) -> type[discord.ui.DynamicItem[discord.ui.Item[Any]]]:
    """The `DynamicItem` class that answers every click of ours with `marks`."""

    class PostComponent(discord.ui.DynamicItem[discord.ui.Item[Any]], template=TEMPLATE):
        """One click on a 🔖/👍 button or select (or on a private answer's "remove")."""

        def __init__(self, item: discord.ui.Item[Any], custom_id: str) -> None:
            super().__init__(item)
            self.custom_id = custom_id

        @classmethod
        async def from_custom_id(
            cls,
            interaction: discord.Interaction[Any],
            item: discord.ui.Item[Any],
            match: re.Match[str],
            /,
        ) -> PostComponent:
            return cls(item, match.string)

        async def callback(self, interaction: discord.Interaction[Any]) -> None:
            data: dict[str, Any] = dict(interaction.data or {})
            values = data.get("values")
            try:
                payload = await marks.click(
                    self.custom_id,
                    user_id=interaction.user.id,
                    guild_id=interaction.guild_id,
                    values=None if values is None else [str(v) for v in values],
                )
            except UserInputError as exc:
                payload = {"content": str(exc)}
            except StoreError:
                payload = {"content": STORE_DOWN}
            except Exception:
                log.exception("a click on %r failed", self.custom_id[:100])
                payload = {"content": APOLOGY}
            await reply(interaction, payload, PostComponent)

    return PostComponent


def view_of(rows: list[Payload], item: Wrap) -> discord.ui.View:
    """A private answer's buttons as a view of our own dynamic items (so discord.py keeps
    no per-message view: the handler class answers their clicks, after a restart too)."""
    view = discord.ui.View(timeout=None)
    for row, found in enumerate(rows):
        for c in found.get("components") or []:
            if c.get("type") == 2:  # buttons (what a private answer carries)
                button: discord.ui.Button[Any] = discord.ui.Button(
                    style=discord.ButtonStyle(int(c.get("style", 2))),
                    label=c.get("label"),
                    custom_id=c["custom_id"],
                    row=row,
                )
                view.add_item(item(button, str(c["custom_id"])))
            elif c.get("type") == 3:  # a select (`/saved`'s remove menu)
                select: discord.ui.Select[Any] = discord.ui.Select(
                    custom_id=c["custom_id"],
                    placeholder=c.get("placeholder"),
                    min_values=int(c.get("min_values", 1)),
                    max_values=int(c.get("max_values", 1)),
                    options=[
                        discord.SelectOption(label=o["label"], value=o["value"])
                        for o in c.get("options") or []
                    ],
                    row=row,
                )
                view.add_item(item(select, str(c["custom_id"])))
    return view


async def reply(
    interaction: discord.Interaction[Any],
    payload: Payload,
    item: Wrap,
) -> None:
    """Answer privately with `payload` (content, embeds, components); never pings."""
    kwargs: dict[str, Any] = {
        "ephemeral": True,
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if payload.get("content"):
        kwargs["content"] = payload["content"]
    if payload.get("embeds"):
        kwargs["embeds"] = [discord.Embed.from_dict(e) for e in payload["embeds"]]
    if payload.get("components"):
        kwargs["view"] = view_of(payload["components"], item)
    try:
        await interaction.response.send_message(**kwargs)
    except discord.HTTPException as exc:  # too late (3 s passed), or answered already
        log.warning("could not answer a click: %s", exc)
