"""Print the link that adds the bot to a server, with exactly the permissions it needs.

The link asks for the `bot` and `applications.commands` scopes and the permission integer of
the formats chosen (every post's permissions, plus each format's own: a `detailed` post's
thread) and, with --roles, Manage Roles (members taking the topic role from a post's button).
The list is `bot.permissions`, the one `/digest subscribe` checks before saving. Mention
Everyone is never asked for: a role ping needs a mentionable role instead.

The client id is --client-id, else `discord.application_id` in the config, else read from
DISCORD_TOKEN (a bot token starts with the bot's id in base64). Nothing is sent anywhere.
"""

from __future__ import annotations

import argparse
import base64
import binascii

from bot.config import config_path, load_config
from bot.delivery.targets import TARGETS
from bot.errors import UserInputError
from bot.permissions import invite_url, needed, permission

HELP = "print the OAuth2 link that invites the bot with the permissions it needs"


def _snowflake(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 2**64:
        raise argparse.ArgumentTypeError(f"{value!r} is not a Discord id (digits only)")
    return int(value)


def _formats(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in TARGETS]
    if unknown or not names:
        bad = ", ".join(map(repr, unknown or [value]))
        raise argparse.ArgumentTypeError(f"unknown format {bad} (known: {', '.join(TARGETS)})")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `hotpapers invite`."""
    parser.add_argument(
        "--formats",
        type=_formats,
        default=list(TARGETS),
        metavar="F[,F…]",
        help=f"the formats the server's digests will use (default: all, {','.join(TARGETS)})",
    )
    parser.add_argument(
        "--roles",
        action="store_true",
        help="also ask for Manage Roles, so members can take a digest's topic role from the "
        "button on its posts (self_roles)",
    )
    parser.add_argument(
        "--client-id",
        type=_snowflake,
        metavar="ID",
        help="the application's id (developer portal, General Information); default: "
        "discord.application_id in the config, else read from DISCORD_TOKEN",
    )
    parser.add_argument("--config", help="config file (default: ./config.toml if present)")


def token_client_id(token: str) -> int | None:
    """The bot's id from its token (the first part, base64 of the id), or None if it has none."""
    head = token.strip().split(".")[0]
    try:
        text = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(text) if text.isdigit() and 0 < int(text) < 2**64 else None


def client_id(given: int | None, config_file: str | None) -> int:
    """The client id to invite: given, configured, or from the token; else a clear error."""
    if given is not None:
        return given
    config = load_config(config_path(config_file))
    if config.discord.application_id is not None:
        return config.discord.application_id
    if config.token is not None:
        found = token_client_id(config.token.get_secret_value())
        if found is not None:
            return found
        raise UserInputError(
            "DISCORD_TOKEN does not start with a bot id; pass --client-id ID (the "
            "Application ID on the developer portal's General Information page)"
        )
    raise UserInputError(
        "no client id: pass --client-id ID (the Application ID on the developer portal's "
        "General Information page), set discord.application_id in the config, or set "
        "DISCORD_TOKEN"
    )


def run(args: argparse.Namespace) -> int:
    """Print the invite link, then each permission it asks for and why."""
    names = needed(*(TARGETS[f].permissions for f in args.formats), self_roles=args.roles)
    print(invite_url(client_id(args.client_id, args.config), names))
    for name in names:
        p = permission(name)
        if p.invite:
            print(f"  {p.title}: {p.why}")
    return 0
