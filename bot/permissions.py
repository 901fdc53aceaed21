"""The Discord permissions the bot asks for: one list, read by everything that names them.

`hotpapers invite` computes its permission integer from it, `/digest subscribe` checks the
same names in the target channel before saving (and Manage Roles in the server for
`self_roles`), `/digest post-now` names them when a channel refuses, and the README's table
is held equal to it by tests/test_permissions.py. A delivery target adds the names it needs
beyond posting (`bot.delivery.plan.Target.permissions`); each must be on this list.

Mention Everyone is on the list but never in the invite: it would let the bot ping
@everyone, @here and every role. A role ping works without it when the role is mentionable
(Server Settings → Roles → "Allow anyone to @mention this role"); only a server that keeps
its topic role unmentionable grants it, in the digest's channel, on purpose.

Bits: discord-api-docs, developers/topics/permissions.mdx "Bitwise Permission Flags".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

# What a permission is asked for: every post; a format's target (a thread's); members taking
# the topic role from the post's button; pinging a role that is not mentionable.
Need = Literal["post", "format", "self_roles", "ping"]


@dataclass(frozen=True)
class Permission:
    """One permission: discord.py's attribute name, Discord's title, its bit, and why."""

    name: str  # discord.py's attribute: `view_channel`
    title: str  # as Discord's client shows it: "View Channel"
    bit: int  # value = 1 << bit
    need: Need
    why: str
    invite: bool = True  # part of the invite link's integer when its need applies

    @property
    def value(self) -> int:
        """The permission's flag, as Discord's permission integers add it."""
        return 1 << self.bit


PERMISSIONS: tuple[Permission, ...] = (
    Permission("view_channel", "View Channel", 10, "post", "see the digest's channel"),
    Permission("send_messages", "Send Messages", 11, "post", "post the digest"),
    Permission("embed_links", "Embed Links", 14, "post", "a digest's papers are embeds"),
    Permission(
        "read_message_history",
        "Read Message History",
        16,
        "post",
        "a restarted bot reads back what it already posted, so no day is posted twice",
    ),
    Permission(
        "create_public_threads",
        "Create Public Threads",
        35,
        "format",
        "open the thread of a post",
    ),
    Permission(
        "send_messages_in_threads",
        "Send Messages in Threads",
        38,
        "format",
        "post the papers in that thread",
    ),
    Permission(
        "manage_roles",
        "Manage Roles",
        28,
        "self_roles",
        "give members the topic role from the post's button, and take it back "
        "(the bot's highest role must be above the topic role)",
    ),
    Permission(
        "mention_everyone",
        "Mention Everyone",
        17,
        "ping",
        "ping a topic role that is not mentionable; not in the invite (it would let the bot "
        "ping @everyone): make the role mentionable instead, or grant it in that channel",
        invite=False,
    ),
)

BY_NAME: dict[str, Permission] = {p.name: p for p in PERMISSIONS}
POST: tuple[str, ...] = tuple(p.name for p in PERMISSIONS if p.need == "post")
SELF_ROLES: tuple[str, ...] = tuple(p.name for p in PERMISSIONS if p.need == "self_roles")
MENTION = "mention_everyone"  # lets the bot ping a role that is not mentionable
SCOPES = ("bot", "applications.commands")
AUTHORIZE = "https://discord.com/oauth2/authorize"


def permission(name: str) -> Permission:
    """The listed permission of this name; `KeyError` naming it if it is not on the list."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not in bot.permissions.PERMISSIONS") from None


def needed(*extras: Iterable[str], self_roles: bool = False) -> list[str]:
    """What the bot needs: every post's, each target's `extras`, Manage Roles for
    `self_roles`; in the list's order, each once."""
    names = set(POST)
    for extra in extras:
        names.update(permission(n).name for n in extra)
    if self_roles:
        names.update(SELF_ROLES)
    return [p.name for p in PERMISSIONS if p.name in names]


def value(names: Iterable[str]) -> int:
    """The permission integer of these names (as the invite link carries it)."""
    total = 0
    for name in names:
        total |= permission(name).value
    return total


def titles(names: Iterable[str]) -> str:
    """`["embed_links", "read_message_history"]` -> "Embed Links, Read Message History"."""
    return ", ".join(permission(n).title for n in names)


def invite_url(client_id: int, names: Iterable[str]) -> str:
    """The OAuth2 link that adds the bot to a server with its commands and these permissions
    (those marked `invite=False` are left out). discord-api-docs topics/oauth2.mdx
    "Bot Authorization Flow"."""
    asked = [n for n in names if permission(n).invite]
    query = {"client_id": str(client_id), "scope": " ".join(SCOPES), "permissions": value(asked)}
    return f"{AUTHORIZE}?{urlencode(query)}"
