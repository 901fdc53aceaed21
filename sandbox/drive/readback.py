"""Reading back what the bot did: channel messages, synced commands, the request log, and a
snapshot of everything at a glance."""

# `timeout=` parameters decide an outcome, not just when to give up.
# ruff: noqa: ASYNC109

from __future__ import annotations

import time

from sandbox.drive.base import ControlBase
from sandbox.flags import EPHEMERAL
from sandbox.primitives import JSON
from sandbox.records import RequestRecord


class ReadControl(ControlBase):
    """The read-back part of `Control`."""

    def messages(self, channel_id: int, include_ephemeral: bool = True) -> list[JSON]:
        """A channel's messages, oldest first."""
        return [
            m.to_json()
            for m in self.state.messages_in(channel_id)
            if include_ephemeral or not m.flags & EPHEMERAL
        ]

    def pings(self, channel_id: int | None = None) -> list[JSON]:
        """Every message that notified anyone (a role, a member, @everyone), oldest first:
        `{"message_id", "channel_id", "roles", "users", "everyone"}` (`users`: every member
        reached). A mention `allowed_mentions` did not allow, or of a role that is not
        mentionable without MENTION_EVERYONE, notifies nobody and is not listed."""
        return [
            m.pings()
            for m in sorted(self.state.messages.values(), key=lambda m: m.id)
            if (channel_id is None or m.channel_id == channel_id)
            and (m.pinged_roles or m.pinged_members or m.pinged_everyone)
        ]

    async def wait_for_messages(
        self, channel_id: int, count: int = 1, timeout: float = 5.0
    ) -> list[JSON]:
        """Wait until a channel holds at least `count` messages; returns them all."""
        await self.state.wait_for(
            lambda: len(self.state.channel_messages.get(channel_id, [])) >= count, timeout
        )
        return self.messages(channel_id)

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """The commands the bot synced (global, or of one guild)."""
        return [c.to_json() for c in self.state.guild_commands(guild_id)]

    def requests(
        self, route: str | None = None, status: int | None = None, method: str | None = None
    ) -> list[RequestRecord]:
        """Recorded requests, filtered by exact route template, status and method."""
        return [
            r
            for r in self.state.requests
            if (route is None or r.route == route)
            and (status is None or r.status == status)
            and (method is None or r.method == method)
        ]

    def snapshot(self) -> JSON:
        """Everything at a glance: bot, guilds with channels and members, commands, counters."""
        s = self.state
        return {
            "application_id": str(s.application_id),
            "bot": s.bot_user.to_json(),
            "guilds": [
                {
                    "id": str(g.id),
                    "name": g.name,
                    "channels": [
                        {"id": str(c.id), "name": c.name, "type": c.type, "forbidden": c.forbidden}
                        for c in g.channels.values()
                    ],
                    "members": [
                        {
                            "id": str(m.user.id),
                            "username": m.user.username,
                            "permissions": str(g.permissions_of(m)),
                        }
                        for m in g.members.values()
                    ],
                }
                for g in s.guilds.values()
            ],
            "commands": [c.to_json() for c in s.commands.values()],
            "gateway": self.gw.stats.to_json(),
            "sessions": [  # each live gateway session: its shard, and whether it is connected
                {"shard": list(x.shard), "connected": x.connection is not None}
                for x in self.gw.live_sessions()
            ],
            "requests": len(s.requests),
            "rate_limited": sum(1 for r in s.requests if r.status == 429),
            "denied": self.denied,
            "faults": [f.to_json() for f in self.fault_book.faults],
            "settings": s.settings.to_json(),
            "time": time.time(),
        }
