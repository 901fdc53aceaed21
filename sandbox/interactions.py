"""Interactions: building INTERACTION_CREATE as Discord does, and tracking the bot's answers.

Discord enforces three clocks per interaction, all settable so tests stay fast:
- the first response (callback) must arrive within `interaction_deadline` (3 s), else the
  callback gets 404 / 10062 "Unknown interaction";
- the token works for follow-ups and edits for `token_lifetime` (15 min), else 401 / 50027;
- a second callback gets 400 / 40060 "Interaction has already been acknowledged".

Options are typed from the command the bot synced (a string "5" for an integer option becomes 5),
and user, channel and role options come with the `resolved` data discord.py needs.

Contexts (receiving-and-responding.mdx, "Interaction Context Types"): GUILD (0) interactions carry
`guild_id` and `member`; BOT_DM (1) and PRIVATE_CHANNEL (2) ones carry `user` and no `member`, a
DM (or group DM) channel, and the DM `app_permissions` Discord documents. Whether Discord
offers a command there at all, and `authorizing_integration_owners`, are `sandbox.installs`'s.
Through a user install in a server the bot is not in, the app has the user's permissions and
may not answer publicly where the user may not send (`may_answer_publicly`). Component
interactions (type 3, a button click or a select) carry `data.custom_id` and the `message`
the component is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.flags import ADMINISTRATOR, SEND_MESSAGES
from sandbox.installs import CONTEXT_BOT_DM, CONTEXT_GUILD, GUILD_INSTALL
from sandbox.primitives import JSON, Snowflakes
from sandbox.records import Command
from sandbox.state import SandboxState
from sandbox.world import Channel, DMChannel, Guild, Member, User

APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE = 2, 3, 4
# receiving-and-responding.mdx:49: "`app_permissions` includes `ATTACH_FILES | EMBED_LINKS |
# MENTION_EVERYONE` permissions for (G)DMs with other users, and additionally includes
# `USE_EXTERNAL_EMOJIS` for DMs with the app's bot user" (plus what any DM member may do).
PRIVATE_APP_PERMISSIONS = (1 << 15) | (1 << 14) | (1 << 17)
BOT_DM_APP_PERMISSIONS = PRIVATE_APP_PERMISSIONS | (1 << 18) | (1 << 10) | (1 << 11) | (1 << 16)
# Callback types per interaction type (receiving-and-responding.mdx, "Interaction Callback Type":
# 6 and 7 are "Only valid for component-based interactions", 8 for autocomplete).
CALLBACK_TYPES = {
    APPLICATION_COMMAND: (4, 5, 9),
    MESSAGE_COMPONENT: (4, 5, 6, 7, 9),
    AUTOCOMPLETE: (8,),
}


SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10


class OptionError(ValueError):
    """Options that the synced command does not accept (a test bug, reported clearly)."""


@dataclass(frozen=True)
class Origin:
    """Where an interaction happens and who triggers it.

    In a guild: the guild, a channel of it, the member and their permissions there. Outside
    (BOT_DM, PRIVATE_CHANNEL): a DM channel and the user, no guild, no member. `owners` are the
    interaction's `authorizing_integration_owners`.
    """

    channel: Channel
    owners: dict[str, str]
    guild: Guild | None = None
    member: Member | None = None
    user: User | None = None
    permissions: int = 0
    context: int = CONTEXT_GUILD

    @classmethod
    def in_guild(
        cls,
        guild: Guild,
        channel: Channel,
        member: Member,
        permissions: int,
        owners: dict[str, str] | None = None,
    ) -> Origin:
        """A guild channel, through the guild install unless `owners` says otherwise."""
        if owners is None:
            owners = {str(GUILD_INSTALL): str(guild.id)}
        return cls(channel, owners, guild=guild, member=member, permissions=permissions)

    @classmethod
    def in_dm(cls, channel: Channel, user: User, context: int, owners: dict[str, str]) -> Origin:
        """A DM with the bot or a private channel (no guild, no member, no permissions)."""
        return cls(channel, owners, user=user, context=context)


@dataclass
class Interaction:
    """One interaction sent to the bot, and everything the bot did with it.

    Made by `Interaction.start`, the one place that gives an interaction its id and token.
    """

    id: int
    token: str
    type: int
    guild: Guild | None  # None outside a guild (BOT_DM, PRIVATE_CHANNEL)
    channel: Channel
    member: Member | None  # None outside a guild
    permissions: int
    command: Command | None  # None for a component interaction
    data: JSON
    user: User | None = None  # the invoking user (defaults to the member's)
    context: int = CONTEXT_GUILD
    owners: dict[str, str] | None = None  # authorizing_integration_owners
    message_id: int | None = None  # the message a clicked component is on
    created_at: float = field(default_factory=time.monotonic)
    responded_at: float | None = None
    response_type: int | None = None
    response_data: JSON | None = None
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    edits: int = 0
    completed_at: float | None = None  # first visible answer: a message, an edit or a follow-up
    late_callbacks: int = 0
    # Set (and replaced) whenever the bot does something with this interaction, so whoever
    # waits for its answer is woken by that alone, not by every request of every other one.
    changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False, compare=False)

    @classmethod
    def start(
        cls,
        ids: Snowflakes,
        kind: int,
        origin: Origin,
        data: JSON,
        *,
        command: Command | None = None,
        message_id: int | None = None,
    ) -> Interaction:
        """A new interaction of `kind` from `origin`, with a fresh id and token."""
        return cls(
            id=ids.next(),
            token=secrets.token_urlsafe(48),
            type=kind,
            guild=origin.guild,
            channel=origin.channel,
            member=origin.member,
            permissions=origin.permissions,
            command=command,
            data=data,
            user=origin.user,
            context=origin.context,
            owners=origin.owners,
            message_id=message_id,
        )

    def may_answer_publicly(self) -> bool:
        """Whether a non-ephemeral answer is allowed: application.mdx:196 "if a user invokes a
        command for a user-installed app from a server's channel where they don't have
        permission to send messages, the app won't be able to respond to an interaction with a
        non-ephemeral message" (only the user install authorizes it there: no GUILD_INSTALL key).
        """
        if self.guild is None or str(GUILD_INSTALL) in (self.owners or {}):
            return True
        return bool(self.permissions & SEND_MESSAGES)

    def touch(self) -> None:
        """Wake the waiters of this interaction."""
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()

    async def wait_for(self, predicate: Callable[[], bool], within: float) -> None:
        """Wait until `predicate()` holds; `TimeoutError` after `within` seconds.

        Woken by `touch`, and every 50 ms as well in case a change came another way.
        """
        async with asyncio.timeout(within):
            while not predicate():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        await self.changed.wait()

    def age(self) -> float:
        """Seconds since the interaction was sent."""
        return time.monotonic() - self.created_at

    def invoker(self) -> User:
        """The user who triggered the interaction."""
        if self.user is not None:
            return self.user
        assert self.member is not None
        return self.member.user

    def to_gateway_json(self, state: SandboxState) -> JSON:
        """The INTERACTION_CREATE payload discord.py parses (attachment_size_limit is required)."""
        out: JSON = {
            "id": str(self.id),
            "application_id": str(state.application_id),
            "type": self.type,
            "token": self.token,
            "version": 1,
            "channel_id": str(self.channel.id),
            "channel": self.channel.to_json(),
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": self.owners or {},
            "context": self.context,
            "attachment_size_limit": 10_485_760,
            "data": self.data,
        }
        if self.guild is not None and self.member is not None:
            member = self.member.to_json()
            member["permissions"] = str(self.permissions)
            bot = self.guild.members.get(state.bot_user.id)
            out.update(
                guild_id=str(self.guild.id),
                guild={"id": str(self.guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=member,
                # Through a user install in a server the bot is not in, the app has no member
                # there: it is "forced to respect the user's permissions" (application.mdx:196).
                app_permissions=str(
                    self.guild.permissions_of(bot) if bot is not None else self.permissions
                ),
            )
        else:
            out["user"] = self.invoker().to_json()
            out["app_permissions"] = str(
                BOT_DM_APP_PERMISSIONS
                if self.context == CONTEXT_BOT_DM
                else PRIVATE_APP_PERMISSIONS
            )
        if self.message_id is not None:
            message = state.messages.get(self.message_id)
            if message is not None:
                out["message"] = message.to_json()
        return out


def allowed(command: Command, permissions: int) -> bool:
    """Discord's check of `default_member_permissions`: all bits needed, administrators pass."""
    needed = command.default_member_permissions
    if needed is None or permissions & ADMINISTRATOR:
        return True
    if needed == 0:
        return False
    return permissions & needed == needed


def build_data(
    command: Command,
    path: list[str],
    options: dict[str, Any],
    guild: Guild | None,
    state: SandboxState,
    focused: str | None = None,
    *,
    bounds: bool = True,
) -> JSON:
    """The interaction `data` for `/name sub... option=value ...` against the synced command.

    `bounds=False` lets a number past the option's `min_value`/`max_value` through (a test of
    the bot's own defence); a number no JSON or Discord type can carry never goes through.
    """
    spec_options: list[JSON] = list(command.payload.get("options") or [])
    resolved: dict[str, dict[str, Any]] = {}
    leaf: list[JSON] = []
    outer = leaf
    for name in path:
        sub = _find(spec_options, name)
        if sub is None or sub.get("type") not in (SUB_COMMAND, SUB_COMMAND_GROUP):
            raise OptionError(f"/{command.name} has no subcommand {name!r}")
        inner: list[JSON] = []
        leaf.append({"name": name, "type": sub["type"], "options": inner})
        leaf, spec_options = inner, list(sub.get("options") or [])
    for name, value in options.items():
        opt = _find(spec_options, name)
        if opt is None:
            raise OptionError(f"/{command.name} has no option {name!r}")
        entry: JSON = {
            "name": name,
            "type": opt["type"],
            "value": _typed(opt, value, focused == name, bounds),
        }
        if focused == name:
            entry["focused"] = True
        else:
            _resolve(opt["type"], entry["value"], guild, state, resolved)
        leaf.append(entry)
    if focused is None:
        for opt in spec_options:
            if opt.get("required") and opt["name"] not in options:
                raise OptionError(f"/{command.name} needs option {opt['name']!r}")
    data: JSON = {
        "id": str(command.id),
        "name": command.name,
        "type": command.type,
        "options": outer,
    }
    if command.guild_id is not None:
        data["guild_id"] = str(command.guild_id)
    if resolved:
        data["resolved"] = resolved
    return data


def _find(options: list[JSON], name: str) -> JSON | None:
    return next((o for o in options if o.get("name") == name), None)


def _typed(option: JSON, value: Any, focused: bool, bounds: bool = True) -> Any:
    if focused:
        return str(value)  # what the user has typed so far is always a string
    typed = _converted(option, value, bounds)
    choices = option.get("choices")
    if bounds and choices and typed not in [c.get("value") for c in choices]:
        # Discord's client offers only the choices: no other value is ever sent.
        raise OptionError(f"option {option['name']!r}: {value!r} is not one of its choices")
    return typed


def _converted(option: JSON, value: Any, bounds: bool) -> Any:
    kind = option.get("type")
    if kind in (INTEGER, NUMBER):
        try:
            number = int(value) if kind == INTEGER else float(value)
            if kind == INTEGER and (isinstance(value, bool) or number != float(value)):
                raise ValueError("not a whole number")  # int(2.5) is 2: the client sends none
        except (TypeError, ValueError, OverflowError) as exc:
            raise OptionError(
                f"option {option['name']!r}: {value!r} is not of type {kind}"
            ) from exc
        return _chosen(option, _in_range(option, number, bounds), bounds)
    if kind == STRING and bounds:
        text = str(value)
        low, high = option.get("min_length"), option.get("max_length")
        if (low is not None and len(text) < low) or (high is not None and len(text) > high):
            raise OptionError(f"option {option['name']!r}: {text!r} is not {low}-{high} long")
        return _chosen(option, text, bounds)
    try:
        if kind == BOOLEAN:
            if isinstance(value, bool):
                return value
            word = str(value).lower()
            if word not in _BOOLEAN_WORDS:  # Discord's client sends only True or False
                raise ValueError(word)
            return _BOOLEAN_WORDS[word]
        if kind in (USER, CHANNEL, ROLE, MENTIONABLE):
            return str(int(value))
    except (TypeError, ValueError) as exc:
        raise OptionError(f"option {option['name']!r}: {value!r} is not of type {kind}") from exc
    return str(value)


_BOOLEAN_WORDS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}

# application-commands.mdx, option types: INTEGER is "any integer between -2^53+1 and 2^53-1",
# NUMBER "any double between -2^53 and 2^53"; the client also holds a value to the option's
# `min_value`/`max_value` before sending. JSON carries no NaN or infinity.
_SAFE = 2**53


def _chosen(option: JSON, value: Any, bounds: bool) -> Any:
    """`value` if it is one of the option's `choices` (or it has none): the client offers only
    those (application-commands.mdx: "Choices for the user to pick from")."""
    choices = option.get("choices")
    if bounds and choices and value not in [c.get("value") for c in choices]:
        raise OptionError(f"option {option['name']!r}: {value!r} is not one of its choices")
    return value


def _in_range(option: JSON, number: float, bounds: bool) -> float:
    """`number` if Discord's client would send it for `option`; else OptionError saying why."""
    name = option["name"]
    safe = _SAFE - 1 if option.get("type") == INTEGER else _SAFE  # 2^53-1 for an INTEGER
    if not math.isfinite(number) or not -safe <= number <= safe:
        raise OptionError(f"option {name!r}: {number!r} is not a number Discord can send")
    low, high = option.get("min_value"), option.get("max_value")
    if bounds and low is not None and number < low:
        raise OptionError(f"option {name!r}: {number!r} is below its min_value {low}")
    if bounds and high is not None and number > high:
        raise OptionError(f"option {name!r}: {number!r} is above its max_value {high}")
    return number


def _resolve(
    kind: int,
    value: Any,
    guild: Guild | None,
    state: SandboxState,
    resolved: dict[str, dict[str, Any]],
) -> None:
    """Add the objects a snowflake option refers to, as Discord's `resolved` does."""
    if kind not in (USER, CHANNEL, ROLE, MENTIONABLE):
        return
    target = int(value)
    if guild is None:  # outside a guild only users resolve (no member data)
        users = {m.user.id: m.user for g in state.guilds.values() for m in g.members.values()}
        if kind in (USER, MENTIONABLE) and target in users:
            resolved.setdefault("users", {})[str(target)] = users[target].to_json()
            return
        raise OptionError(f"no user with id {target} (outside a guild)")
    member = guild.members.get(target)
    if member is not None and kind in (USER, MENTIONABLE):
        resolved.setdefault("users", {})[str(target)] = member.user.to_json()
        m = member.to_json()
        m.pop("user")
        m["permissions"] = str(guild.permissions_of(member))
        resolved.setdefault("members", {})[str(target)] = m
    elif target in state.channels and kind == CHANNEL:
        ch = state.channels[target].to_json()
        bot = guild.members.get(state.bot_user.id)
        ch["permissions"] = str(guild.permissions_of(bot) if bot is not None else 0)
        resolved.setdefault("channels", {})[str(target)] = ch
    elif target in guild.roles and kind in (ROLE, MENTIONABLE):
        resolved.setdefault("roles", {})[str(target)] = guild.roles[target].to_json()
    else:
        raise OptionError(f"no user, channel or role with id {target} in guild {guild.id}")


class InteractionBook:
    """Interactions by id and by token."""

    def __init__(self) -> None:
        self.by_id: dict[int, Interaction] = {}
        self.by_token: dict[str, Interaction] = {}

    @staticmethod
    def dm_channel(state: SandboxState, user: User, private: bool = False) -> DMChannel:
        """The DM between `user` and the bot (or, `private`, a DM with someone else)."""
        return state.dm_channel(user, private)

    def add(self, interaction: Interaction) -> None:
        """Track a new interaction."""
        self.by_id[interaction.id] = interaction
        self.by_token[interaction.token] = interaction

    def clear(self) -> None:
        """Forget every interaction."""
        self.by_id.clear()
        self.by_token.clear()
