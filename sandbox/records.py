"""What the bot made and did: messages, synced commands, and the record of each REST request."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.primitives import JSON, iso
from sandbox.world import User


@dataclass
class Message:
    """A message as stored: the JSON discord.py sees, plus what was asked of Discord."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[JSON] = field(default_factory=list)
    allowed_mentions: JSON | None = None
    nonce: str | None = None
    flags: int = 0
    type: int = 0
    tts: bool = False
    created_at: float = field(default_factory=time.time)
    edited_at: float | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    message_reference: JSON | None = None
    thread_id: int | None = None
    # Who the message notified (`sandbox.mention_rules`, applied by `routes.posting`): users
    # mentioned directly, roles, @everyone/@here, and every member each reached.
    mentioned: list[User] = field(default_factory=list)
    pinged_roles: list[int] = field(default_factory=list)
    pinged_everyone: bool = False
    pinged_members: list[int] = field(default_factory=list)

    def pings(self) -> JSON:
        """Who this message notified, for tests: roles, members reached, @everyone."""
        return {
            "message_id": str(self.id),
            "channel_id": str(self.channel_id),
            "roles": [str(r) for r in self.pinged_roles],
            "users": [str(u) for u in self.pinged_members],
            "everyone": self.pinged_everyone,
        }

    def to_json(self) -> JSON:
        """The message object discord.py parses (`channel_id` and `author` are required)."""
        out: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": self.type,
            "content": self.content,
            "author": self.author.to_json(),
            "embeds": self.embeds,
            "components": self.components,
            "attachments": self.attachments,
            "mentions": [u.to_json() for u in self.mentioned],
            "mention_roles": [str(r) for r in self.pinged_roles],
            "mention_everyone": self.pinged_everyone,
            "pinned": False,
            "tts": self.tts,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "flags": self.flags,
        }
        if self.guild_id:  # None or 0 (a DM: sandbox.interactions.DMChannel)
            out["guild_id"] = str(self.guild_id)
        if self.nonce is not None:
            out["nonce"] = self.nonce
        if self.webhook_id is not None:
            out["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            out["application_id"] = str(self.application_id)
        if self.message_reference is not None:
            out["message_reference"] = self.message_reference
        if self.allowed_mentions is not None:
            # Not part of Discord's message object: recorded so tests can check what was asked.
            out["allowed_mentions"] = self.allowed_mentions
        return out


@dataclass
class Command:
    """An application command as synced by the bot (global when guild_id is None)."""

    id: int
    application_id: int
    guild_id: int | None
    version: int
    payload: JSON

    @property
    def name(self) -> str:
        """The command's name."""
        return str(self.payload["name"])

    @property
    def type(self) -> int:
        """1 chat input, 2 user, 3 message."""
        return int(self.payload.get("type") or 1)

    @property
    def default_member_permissions(self) -> int | None:
        """The permission bits a member needs to see and use the command (None: everyone)."""
        value = self.payload.get("default_member_permissions")
        return None if value is None else int(value)

    def to_json(self) -> JSON:
        """The command object Discord returns from a sync."""
        out = dict(self.payload)
        out.setdefault("type", 1)
        out.setdefault("description", "")
        out.setdefault("options", [])
        out.setdefault("default_member_permissions", None)
        out.setdefault("nsfw", False)
        # Discord answers with the resolved values: permissions as a string, installs defaulted.
        if out["default_member_permissions"] is not None:
            out["default_member_permissions"] = str(out["default_member_permissions"])
        if out.get("integration_types") is None:
            out["integration_types"] = [0]
        out.update(
            id=str(self.id),
            application_id=str(self.application_id),
            version=str(self.version),
        )
        if self.guild_id is not None:
            out["guild_id"] = str(self.guild_id)
        return out


@dataclass
class RequestRecord:
    """One REST request as the sandbox saw it, for tests and benchmarks to count."""

    method: str
    path: str
    route: str  # "METHOD /template", e.g. "POST /channels/{channel_id}/messages"
    status: int
    time: float
    duration_ms: float
    body: Any
    rate_limited: str | None = None  # None, "user" (route bucket), "global" or "injected"

    def to_json(self) -> JSON:
        """The record as JSON."""
        return {
            "method": self.method,
            "path": self.path,
            "route": self.route,
            "status": self.status,
            "time": self.time,
            "duration_ms": round(self.duration_ms, 3),
            "body": self.body,
            "rate_limited": self.rate_limited,
        }
