"""Topic roles: checking a subscription's role before saving, and the post's 🔔 toggle.

A subscription may name a role to ping (`ping`: always, or when a paper scores at least
`ping_min_score`; `bot.delivery.pings` builds the mention) and may let members take that role
from a button on its posts (`self_roles`). Everything here is plain data: the cog reads the
role and the bot's standing in the server into a `RoleFacts`, and the button's click into a
`Click`; the sentences are here, so they are tested without Discord.

Before saving (`check_role`), the role must exist and not be @everyone; to ping it, it must be
mentionable or the bot must have Mention Everyone in the channel (discord-api-docs
message.mdx "Allowed Mentions Object": a role notifies only then); for `self_roles` the bot
needs Manage Roles in the server and its highest role above the topic role (permissions.mdx
"Permission Hierarchy"), and the role must not be managed by an integration. A button click
(`RoleService.toggle`) reads the subscription again by its id, so a moderator who turned
`self_roles` off (or unsubscribed) since the post is obeyed, and answers privately.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.errors import UserInputError
from bot.models import Subscription
from bot.permissions import MENTION, SELF_ROLES, titles
from bot.quoting import shown
from bot.store.base import Store


@dataclass(frozen=True)
class RoleFacts:
    """A role as the bot sees it in a server, and what the bot may do with it."""

    id: int
    name: str
    everyone: bool = False  # the @everyone role
    mentionable: bool = False
    managed: bool = False  # a bot's or an integration's own role: nobody can give it
    below_bot: bool = False  # lower than the bot's highest role (it may give and take it)
    bot_manage_roles: bool = False  # the bot has Manage Roles in the server


RoleLookup = Callable[[int], RoleFacts | None]


def check_role(
    sub: Subscription,
    role: RoleLookup | None,
    granted: frozenset[str] | None,
) -> None:
    """A UserInputError, in a sentence a moderator can act on, if `sub`'s ping or self roles
    cannot work; `role` finds a role of the server (None: the cog cannot tell, not checked)."""
    wants = sub.ping != "off" or sub.self_roles
    if sub.role_id is None:
        if wants:
            what = "ping" if sub.ping != "off" else "self_roles"
            raise UserInputError(f"{what} needs a role: pick one with the role option.")
        return
    if not wants or role is None:
        return
    facts = role(sub.role_id)
    if facts is None:
        raise UserInputError(
            f"The role of this digest (id {sub.role_id}) no longer exists: pick another with "
            "the role option."
        )
    if facts.everyone:
        raise UserInputError("Pick a role other than @everyone: a digest never pings everyone.")
    mention = f"the role {shown(facts.name)}"  # a refusal is made inert: no live mention
    channel = f"<#{sub.channel_id}>"
    unmentionable = not facts.mentionable and granted is not None and MENTION not in granted
    if sub.ping != "off" and unmentionable:
        raise UserInputError(
            f"I cannot ping {mention} in {channel}: the role is not mentionable. Make it "
            "mentionable (Server Settings → Roles → the role → Allow anyone to @mention "
            f"this role), or give me {titles([MENTION])} in {channel}."
        )
    if sub.self_roles:
        if facts.managed:
            raise UserInputError(
                f"Members cannot take {mention}: it belongs to an integration. Pick another "
                "role, or set self_roles off."
            )
        if not facts.bot_manage_roles:
            raise UserInputError(
                f"Members cannot take {mention} from the post's button: I am missing "
                f"{titles(SELF_ROLES)} in this server. Give me that permission, or set "
                "self_roles off."
            )
        if not facts.below_bot:
            raise UserInputError(
                f"I cannot give {mention}: it is not below my highest role. Move my role above "
                "it (Server Settings → Roles), or set self_roles off."
            )


@dataclass(frozen=True)
class Click:
    """A member's click on a post's 🔔 button, as the cog reads it."""

    subscription_id: int
    guild_id: int | None
    has: Callable[[int], bool]  # whether the member holds a role now (from the interaction)
    role: RoleLookup


@dataclass(frozen=True)
class Toggle:
    """What a click does: give the role, take it, or nothing; and the private answer."""

    action: Literal["add", "remove", "none"]
    role_id: int | None
    text: str


FORGED = "This button is not one this bot made: nothing changed."


def cannot_give(role_id: int) -> str:
    """The answer when Discord refused to give or take the role (permissions changed)."""
    return f"I cannot give <@&{role_id}> right now: ask a moderator to check my permissions."


class RoleService:
    """The 🔔 button: who gets the role, and what the member is told."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def toggle(self, click: Click) -> Toggle:
        """Give or take the subscription's role for the member who clicked (refused, with
        why, once the moderator turned self_roles off or the bot lost Manage Roles)."""
        sub = await self.store.get_subscription(click.subscription_id)
        if sub is None or sub.guild_id != click.guild_id:
            return Toggle("none", None, "This digest was removed: there is no role to take.")
        if not sub.self_roles or sub.role_id is None:
            return Toggle(
                "none",
                sub.role_id,
                "A moderator turned self roles off for this digest: ask them for the role.",
            )
        facts = click.role(sub.role_id)
        if facts is None or facts.everyone:
            return Toggle("none", sub.role_id, "This digest's role no longer exists.")
        mention = f"<@&{facts.id}>"
        if not facts.bot_manage_roles:
            return Toggle(
                "none",
                facts.id,
                f"I cannot give {mention} right now: I am missing {titles(SELF_ROLES)} in this "
                "server. Ask a moderator.",
            )
        if facts.managed or not facts.below_bot:
            return Toggle(
                "none",
                facts.id,
                f"I cannot give {mention} right now: it is not below my highest role. Ask a "
                "moderator.",
            )
        if click.has(facts.id):
            return Toggle(
                "remove",
                facts.id,
                f"You won't get {mention} pings any more. Click again to rejoin.",
            )
        return Toggle("add", facts.id, f"You'll get {mention} pings. Click again to stop.")
