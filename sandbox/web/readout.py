"""What the web view shows, as JSON: the guilds and channels, one channel's messages, the
commands the command box offers, and each message as the page renders it.

A message goes to the page as Discord's message object plus what Discord's client shows
around it and the sandbox knows: the thread opened on it (name, message count), who ran the
command it answers ("tester used /hot"), whether only the invoker sees it (ephemeral) and
whether the bot is still "thinking" (a deferred response). Every string is data: the page
escapes it (sandbox/web/static/markdown.js).
"""

from __future__ import annotations

from sandbox.flags import EPHEMERAL, LOADING, THREAD_TYPES
from sandbox.interactions import InteractionBook
from sandbox.primitives import JSON
from sandbox.records import Message
from sandbox.state import SandboxState
from sandbox.world import Channel, Guild


def channel_json(channel: Channel) -> JSON:
    """A channel or thread in the sidebar."""
    return {
        "id": str(channel.id),
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "type": channel.type,
        "parent_id": str(channel.parent_id) if channel.parent_id else None,
        "is_thread": channel.type in THREAD_TYPES,
    }


def guild_json(guild: Guild, state: SandboxState) -> JSON:
    """A guild: its channels and threads (in creation order), members and roles."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "channels": [channel_json(c) for c in guild.channels.values()],
        "members": [
            {
                "id": str(m.user.id),
                "username": m.user.username,
                "bot": m.user.bot,
                "permissions": str(guild.permissions_of(m)),
            }
            for m in guild.members.values()
        ],
        "roles": [{"id": str(r.id), "name": r.name} for r in guild.roles.values()],
    }


def world_json(state: SandboxState) -> JSON:
    """Everything the page needs to draw the sidebar and the command box."""
    return {
        "bot": state.bot_user.to_json(),
        "guilds": [guild_json(g, state) for g in state.guilds.values()],
        "commands": [c.to_json() for c in state.commands.values() if c.type == 1],
    }


def message_json(message: Message, state: SandboxState, interactions: InteractionBook) -> JSON:
    """One message as the page renders it (see the module docstring)."""
    out = message.to_json()
    out.pop("allowed_mentions", None)  # what the bot asked for, not what Discord shows
    out["ephemeral"] = bool(message.flags & EPHEMERAL)
    out["loading"] = bool(message.flags & LOADING)
    thread = state.channels.get(message.thread_id) if message.thread_id else None
    if thread is not None:
        out["thread"] = {
            "id": str(thread.id),
            "name": thread.name,
            "message_count": len(state.channel_messages.get(thread.id, [])),
        }
    inter = interactions.by_id.get(message.interaction_id) if message.interaction_id else None
    if inter is not None and inter.command is not None:
        path = [inter.command.name]
        options = (inter.data or {}).get("options") or []
        while options and options[0].get("type") in (1, 2):  # subcommand (group)
            path.append(str(options[0]["name"]))
            options = options[0].get("options") or []
        out["interaction"] = {"user": inter.invoker().username, "command": " ".join(path)}
    return out


def channel_messages(
    channel_id: int, state: SandboxState, interactions: InteractionBook
) -> list[JSON]:
    """A channel's (or thread's) messages, oldest first, ephemeral ones included."""
    return [message_json(m, state, interactions) for m in state.messages_in(channel_id)]
