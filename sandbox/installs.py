"""Where Discord offers a command: interaction contexts, installation contexts, and who
authorized the app there (`authorizing_integration_owners`).

Two settings of a synced command decide it (application-commands.mdx "Contexts", :284-308):
`contexts` (GUILD 0, BOT_DM 1, PRIVATE_CHANNEL 2: where in the client) and
`integration_types` (GUILD_INSTALL 0, USER_INSTALL 1: which installations carry it). Then an
installation must actually reach the place: the bot in that server, or the user's own install
(receiving-and-responding.mdx:82-85). No installation reaching it: Discord does not offer the
command there, and the control API answers "unavailable".
"""

from __future__ import annotations

from sandbox.records import Command

CONTEXT_GUILD, CONTEXT_BOT_DM, CONTEXT_PRIVATE_CHANNEL = 0, 1, 2
CONTEXTS = {"guild": CONTEXT_GUILD, "dm": CONTEXT_BOT_DM, "private": CONTEXT_PRIVATE_CHANNEL}
GUILD_INSTALL, USER_INSTALL = 0, 1

__all__ = [
    "CONTEXTS",
    "CONTEXT_BOT_DM",
    "CONTEXT_GUILD",
    "CONTEXT_PRIVATE_CHANNEL",
    "GUILD_INSTALL",
    "USER_INSTALL",
    "delivered_in",
    "installs_of",
    "owners",
]


def installs_of(command: Command) -> list[int]:
    """The installation contexts a synced command supports (`integration_types`).

    A global command synced without them gets the app's configured contexts
    (application-commands.mdx:38 "Defaults to your app's configured contexts"; the sync route
    writes them in); a guild command has only the guild install (:38 "only for
    globally-scoped commands").
    """
    if command.guild_id is not None:
        return [GUILD_INSTALL]
    return list(command.payload.get("integration_types") or [GUILD_INSTALL])


def delivered_in(command: Command, context: int) -> bool:
    """Whether `command`'s own settings allow it in an interaction context at all (who
    installed the app where is `owners`' business).

    application-commands.mdx:155 "Guild commands are not available in DMs."; :308 "the
    `PRIVATE_CHANNEL` interaction context is only meaningful for commands installed to a user
    (when the command's `integration_types` includes `USER_INSTALL`)"; `contexts` (:39), when
    set, lists where the command can be used; the deprecated `dm_permission: false` bars DMs.
    """
    payload = command.payload
    if context == CONTEXT_GUILD:
        return payload.get("contexts") is None or CONTEXT_GUILD in payload["contexts"]
    if command.guild_id is not None:
        return False
    contexts = payload.get("contexts")
    if contexts is not None and context not in contexts:
        return False
    if context == CONTEXT_PRIVATE_CHANNEL:
        return USER_INSTALL in installs_of(command)
    return payload.get("dm_permission") is not False


def owners(
    command: Command,
    context: int,
    *,
    guild_id: int | None,
    guild_installed: bool,
    user_id: int,
    user_installed: bool,
) -> dict[str, str]:
    """The interaction's `authorizing_integration_owners`; empty: Discord would not offer the
    command there at all (no installation of the app reaches that place).

    receiving-and-responding.mdx:82-85 "A key will only be present if the following are true:
    The app has been authorized to the installation context corresponding to the key [...];
    The interaction is supported in the source interaction context [...] for the installation
    context corresponding to the key; And for command invocations, the command must be
    supported in the installation context (using `integration_types`)". `guild_installed`:
    in a guild, the bot is a member of it; in a DM with the bot, the user shares a server
    with it (the strict reading: application.mdx:184 "apps installed only to a server can't
    be accessed within a user's DMs" unless the user can reach the bot at all). A guild
    install never reaches a PRIVATE_CHANNEL (application-commands.mdx:308). Values (:87-90):
    the guild id from a server, "0" from a DM with the bot, the authorizing user's id.
    """
    installs = installs_of(command)
    out: dict[str, str] = {}
    if GUILD_INSTALL in installs and guild_installed and context != CONTEXT_PRIVATE_CHANNEL:
        out[str(GUILD_INSTALL)] = str(guild_id) if context == CONTEXT_GUILD else "0"
    if USER_INSTALL in installs and user_installed:
        out[str(USER_INSTALL)] = str(user_id)
    return out
