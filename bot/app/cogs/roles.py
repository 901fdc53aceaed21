"""The topic role on Discord: the server's roles as plain data, and the posts' 🔔 toggle.

Thin, like every cog: `role_lookup` reads a role and the bot's standing in the server from
discord.py's cache into `bot.services.roles.RoleFacts` (what `/digest subscribe` checks before
saving), and the 🔔 button's click goes to `RoleService.toggle`, which decides; this module
only gives or takes the role it names and sends the private answer.

The button is a `discord.ui.DynamicItem` matched by its custom id, `hp:role:<subscription id>`
(`bot.delivery.roles`), registered when the cog loads: a click on a post made before a restart
(or by another process) is handled like any other, with nothing kept in memory.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord.ext import commands

from bot.app.tree import APOLOGY, STORE_DOWN
from bot.delivery.roles import ROLE_PREFIX, parse_role_custom_id
from bot.errors import StoreError
from bot.services.roles import FORGED, Click, RoleFacts, RoleLookup, RoleService, cannot_give

log = logging.getLogger(__name__)


def role_lookup(guild: discord.Guild | None) -> RoleLookup | None:
    """A lookup of the server's roles as the bot sees them now (None outside a server)."""
    if guild is None:
        return None

    def facts(role_id: int) -> RoleFacts | None:
        role = guild.get_role(role_id)
        if role is None:
            return None
        me = guild.me
        return RoleFacts(
            id=role.id,
            name=role.name,
            everyone=role.is_default(),
            mentionable=role.mentionable,
            managed=role.managed,
            below_bot=me is not None and role.position < me.top_role.position,
            bot_manage_roles=me is not None and me.guild_permissions.manage_roles,
        )

    return facts


async def answer(interaction: discord.Interaction[Any], text: str) -> None:
    """A private answer that pings nobody (it names the role by mention)."""
    await interaction.response.send_message(
        text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
    )


# Every custom id in the 🔔 name space, valid or not (a forged one is answered too).
TEMPLATE = re.compile(re.escape(ROLE_PREFIX) + ".*", re.DOTALL)


def toggle_item(service: RoleService) -> type[discord.ui.DynamicItem[discord.ui.Button[Any]]]:
    """The 🔔 button class, bound to the bot's role service (one class per bot)."""

    class RoleToggle(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
        """A click on a post's 🔔 button: give the member the digest's role, or take it."""

        def __init__(self, custom_id: str) -> None:
            super().__init__(discord.ui.Button(custom_id=custom_id))
            self.subscription_id = parse_role_custom_id(custom_id)

        @classmethod
        async def from_custom_id(
            cls,
            interaction: discord.Interaction[Any],
            item: discord.ui.Item[Any],
            match: re.Match[str],
            /,
        ) -> RoleToggle:
            return cls(match.string)

        async def callback(self, interaction: discord.Interaction[Any]) -> None:
            """Never raises: a store outage and anything unexpected are answered too (else
            the member would see "This interaction failed")."""
            try:
                await self.toggle(interaction)
            except StoreError:
                await answer(interaction, STORE_DOWN)
            except Exception:
                log.exception("the 🔔 click on %r failed", self.custom_id)
                if not interaction.response.is_done():
                    await answer(interaction, APOLOGY)

        async def toggle(self, interaction: discord.Interaction[Any]) -> None:
            member = interaction.user
            sub_id = self.subscription_id
            if sub_id is None:  # a forged or garbled id in our name space
                await answer(interaction, FORGED)
                return
            lookup = role_lookup(interaction.guild)
            if not isinstance(member, discord.Member) or lookup is None:
                await answer(interaction, "This button works in the server it was posted in.")
                return
            has = lambda role_id: member.get_role(role_id) is not None  # noqa: E731
            click = Click(sub_id, interaction.guild_id, has=has, role=lookup)
            toggle = await service.toggle(click)
            if toggle.action != "none" and toggle.role_id is not None:
                role = discord.Object(toggle.role_id)
                reason = f"HotPapers: the member's 🔔 click on digest {sub_id}"
                try:
                    if toggle.action == "add":
                        await member.add_roles(role, reason=reason)
                    else:
                        await member.remove_roles(role, reason=reason)
                except discord.HTTPException as exc:  # 403: permissions changed meanwhile
                    log.warning("role toggle of digest %s refused: %s", sub_id, exc)
                    await answer(interaction, cannot_give(toggle.role_id))
                    return
            await answer(interaction, toggle.text)

    return RoleToggle


class RolesCog(commands.Cog):
    """Registers the 🔔 toggle, so posts' buttons work from the moment the bot is up."""

    def __init__(self, bot: commands.Bot, service: RoleService) -> None:
        self.bot = bot
        self.item = toggle_item(service)

    async def cog_load(self) -> None:
        """Listen for 🔔 clicks on any post, old or new."""
        self.bot.add_dynamic_items(self.item)

    async def cog_unload(self) -> None:
        """Stop listening (a reloaded cog registers its own class again)."""
        self.bot.remove_dynamic_items(self.item)
