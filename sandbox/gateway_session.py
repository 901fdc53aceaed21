"""The gateway's records: a session (outlives its connection), a connection, the counters.

Kept apart from `sandbox.gateway` (the protocol itself) so each stays one job. A session
remembers the `shard` it identified with (`sandbox.shards`): that decides which guilds' events
it receives.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.primitives import JSON
from sandbox.shards import UNSHARDED, Shard

BACKLOG = 5000


@dataclass
class Session:
    """A gateway session: survives its connection so that RESUME can replay what was missed."""

    id: str
    intents: int
    shard: Shard = UNSHARDED  # [shard_id, num_shards] from IDENTIFY
    seq: int = 0
    backlog: deque[JSON] = field(default_factory=lambda: deque(maxlen=BACKLOG))
    connection: Connection | None = None
    detached_at: float | None = None  # monotonic time its last connection went away


@dataclass
class Connection:
    """One websocket; `silent` makes it a zombie that sends nothing, not even heartbeat ACKs."""

    ws: web.WebSocketResponse
    request: web.Request
    session: Session | None = None
    silent: bool = False
    deflate: Any = None  # a zlib compressobj when the client asked for compress=zlib-stream
    last_heartbeat: float = field(default_factory=time.monotonic)
    received: deque[float] = field(default_factory=deque)  # when each frame arrived
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    closed_by_server: bool = False  # then the client's echoed close code says nothing


@dataclass
class GatewayStats:
    """Counters tests wait on ("the bot has resumed once")."""

    connects: int = 0
    identifies: int = 0
    resumes: int = 0
    heartbeats: int = 0
    closes: dict[int, int] = field(default_factory=dict)
    invalid_sessions: int = 0
    # Events a RESUME re-sent, by name: proof that an event reached the bot only by replay.
    replayed: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> JSON:
        """The counters as JSON."""
        return {
            "connects": self.connects,
            "identifies": self.identifies,
            "resumes": self.resumes,
            "heartbeats": self.heartbeats,
            "closes": {str(k): v for k, v in self.closes.items()},
            "invalid_sessions": self.invalid_sessions,
            "replayed": dict(self.replayed),
        }
