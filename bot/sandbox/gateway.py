"""The Gateway websocket: HELLO, IDENTIFY → READY → GUILD_CREATE, heartbeats, RESUME, faults.

discord.py connects to `DEFAULT_GATEWAY` with `?v=10&encoding=json&compress=zlib-stream`; the
sandbox ignores compression and answers with TEXT frames of plain JSON, which discord.py reads
without decompressing (it only inflates binary frames).

A session outlives its connection: every dispatch gets the session's next sequence number and is
kept in a backlog, so a client that RESUMEs after a dropped, silent or reconnected connection gets
exactly the events it missed, then RESUMED. Sessions end only by INVALID_SESSION (not resumable)
or by a new IDENTIFY.

Close codes follow Discord: 4004 for a bad token, 4014 for privileged intents the application has
not enabled, 4003 for a payload before IDENTIFY, 4005 for a second IDENTIFY, 4002 for bad JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox.state import JSON, PRIVILEGED_INTENTS, SandboxState

log = logging.getLogger(__name__)

# Opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME = 0, 1, 2, 3, 4, 6
RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 7, 8, 9, 10, 11

# Intents an event needs (events not listed go to every session).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
EVENT_INTENTS = {
    "GUILD_CREATE": INTENT_GUILDS,
    "GUILD_DELETE": INTENT_GUILDS,
    "CHANNEL_CREATE": INTENT_GUILDS,
    "CHANNEL_DELETE": INTENT_GUILDS,
    "THREAD_CREATE": INTENT_GUILDS,
    "GUILD_ROLE_CREATE": INTENT_GUILDS,
    "GUILD_MEMBER_ADD": INTENT_GUILD_MEMBERS,
    "MESSAGE_CREATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_UPDATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_DELETE": INTENT_GUILD_MESSAGES,
}
BACKLOG = 5000


@dataclass
class Session:
    """A gateway session: survives its connection so that RESUME can replay what was missed."""

    id: str
    intents: int
    seq: int = 0
    backlog: deque[JSON] = field(default_factory=lambda: deque(maxlen=BACKLOG))
    connection: Connection | None = None


@dataclass
class Connection:
    """One websocket; `silent` makes it a zombie that sends nothing, not even heartbeat ACKs."""

    ws: web.WebSocketResponse
    request: web.Request
    session: Session | None = None
    silent: bool = False


@dataclass
class GatewayStats:
    """Counters tests wait on ("the bot has resumed once")."""

    connects: int = 0
    identifies: int = 0
    resumes: int = 0
    heartbeats: int = 0
    closes: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> JSON:
        """The counters as JSON."""
        return {
            "connects": self.connects,
            "identifies": self.identifies,
            "resumes": self.resumes,
            "heartbeats": self.heartbeats,
            "closes": {str(k): v for k, v in self.closes.items()},
        }


class Gateway:
    """Every session and connection of the fake Gateway."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.stats = GatewayStats()

    def reset(self) -> None:
        """Forget sessions (connected clients will have to IDENTIFY again) and counters."""
        self.sessions.clear()
        self.stats = GatewayStats()

    # -- the websocket handler -----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one websocket connection until it closes."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, request)
        self.connections.append(conn)
        self.stats.connects += 1
        interval_ms = int(self.state.settings.heartbeat_interval * 1000)
        await self._send(conn, {"op": HELLO, "d": {"heartbeat_interval": interval_ms}, "s": None})
        await self.state.notify()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await self._close(conn, 4002, "Error while decoding payload.")
                    break
                await self._receive(conn, payload)
        finally:
            self.connections.remove(conn)
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
                if ws.close_code in (1000, 1001):
                    # A clean close from the client ends the session, as on Discord.
                    self.sessions.pop(session.id, None)
            await self.state.notify()
        return ws

    async def _receive(self, conn: Connection, payload: Any) -> None:
        op = payload.get("op") if isinstance(payload, dict) else None
        data = payload.get("d") if isinstance(payload, dict) else None
        if op == HEARTBEAT:
            self.stats.heartbeats += 1
            await self._send(conn, {"op": HEARTBEAT_ACK, "d": None})
        elif op == IDENTIFY:
            await self._identify(conn, data if isinstance(data, dict) else {})
        elif op == RESUME:
            await self._resume(conn, data if isinstance(data, dict) else {})
        elif conn.session is None:
            await self._close(conn, 4003, "Not authenticated.")
        elif op == REQUEST_MEMBERS and isinstance(data, dict):
            await self._members_chunk(conn.session, data)
        elif op not in (PRESENCE, VOICE):
            await self._close(conn, 4001, "Unknown opcode.")

    def _token_ok(self, token: Any) -> bool:
        expected = self.state.settings.token
        if not isinstance(token, str) or not token:
            return False
        return expected is None or token in (expected, f"Bot {expected}")

    async def _identify(self, conn: Connection, data: JSON) -> None:
        if conn.session is not None:
            await self._close(conn, 4005, "Already authenticated.")
            return
        if not self._token_ok(data.get("token")):
            await self._close(conn, 4004, "Authentication failed.")
            return
        intents = int(data.get("intents") or 0)
        if intents & PRIVILEGED_INTENTS & ~self.state.settings.allowed_intents:
            await self._close(conn, 4014, "Disallowed intent(s).")
            return
        session = Session(secrets.token_hex(16), intents)
        self.sessions[session.id] = session
        self._attach(conn, session)
        self.stats.identifies += 1
        ready = {
            "v": 10,
            "user": self.state.bot_user.to_json(),
            "guilds": [{"id": str(g), "unavailable": True} for g in self.state.guilds],
            "session_id": session.id,
            "resume_gateway_url": self.url(conn.request),
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "application": {"id": str(self.state.application_id), "flags": 0},
            "_trace": ["hotpapers-sandbox"],
        }
        await self._dispatch_to(session, "READY", ready)
        for guild in list(self.state.guilds.values()):
            await self._dispatch_to(session, "GUILD_CREATE", guild.to_json())
        await self.state.notify()

    async def _resume(self, conn: Connection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if not self._token_ok(data.get("token")):
            await self._close(conn, 4004, "Authentication failed.")
            return
        if session is None:
            await self._send(conn, {"op": INVALID_SESSION, "d": False})
            return
        seq = int(data.get("seq") or 0)
        self._attach(conn, session)
        self.stats.resumes += 1
        for event in list(session.backlog):
            if event["s"] > seq:
                await self._send(conn, event)
        await self._dispatch_to(session, "RESUMED", {"_trace": ["hotpapers-sandbox"]})
        await self.state.notify()

    def _attach(self, conn: Connection, session: Session) -> None:
        """Make `conn` the session's live connection (an older one just stops receiving)."""
        conn.session = session
        session.connection = conn

    async def _members_chunk(self, session: Session, data: JSON) -> None:
        guild = self.state.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        chunk = {
            "guild_id": str(guild.id),
            "members": [m.to_json() for m in guild.members.values()],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "nonce": data.get("nonce"),
        }
        await self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- sending -------------------------------------------------------------------------------

    @staticmethod
    def url(request: web.Request) -> str:
        """This gateway's URL as the client reached it (also the resume URL)."""
        return f"ws://{request.host}/gateway"

    async def _send(self, conn: Connection, payload: JSON) -> None:
        if conn.silent or conn.ws.closed:
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            await conn.ws.send_str(json.dumps(payload))

    async def _close(self, conn: Connection, code: int, reason: str) -> None:
        self.stats.closes[code] = self.stats.closes.get(code, 0) + 1
        log.info("gateway: closing a connection with %s (%s)", code, reason)
        await conn.ws.close(code=code, message=reason.encode())

    async def _dispatch_to(self, session: Session, event: str, data: JSON) -> None:
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.backlog.append(payload)
        if session.connection is not None:
            await self._send(session.connection, payload)

    def live_sessions(self) -> list[Session]:
        """Sessions that can still receive events (connected, or waiting to RESUME)."""
        return list(self.sessions.values())

    async def dispatch(self, event: str, data: JSON) -> int:
        """Send an event to every session whose intents cover it; returns how many got it."""
        needed = EVENT_INTENTS.get(event, 0)
        targets = [s for s in self.live_sessions() if (s.intents & needed) == needed]
        for session in targets:
            await self._dispatch_to(session, event, data)
        return len(targets)

    async def dispatch_one(self, event: str, data: JSON) -> bool:
        """Send an event to one session (an interaction goes to one shard); False if none."""
        sessions = self.live_sessions()
        if not sessions:
            return False
        connected = [s for s in sessions if s.connection is not None]
        await self._dispatch_to((connected or sessions)[0], event, data)
        return True

    # -- faults --------------------------------------------------------------------------------

    async def send_reconnect(self) -> int:
        """Ask every connected client to reconnect and RESUME (op 7)."""
        conns = [c for c in self.connections if c.session is not None]
        for conn in conns:
            await self._send(conn, {"op": RECONNECT, "d": None})
        return len(conns)

    async def send_invalid_session(self, resumable: bool = False) -> int:
        """Send op 9; unless resumable, the sessions are forgotten and the client re-IDENTIFYs."""
        conns = [c for c in self.connections if c.session is not None]
        for conn in conns:
            await self._send(conn, {"op": INVALID_SESSION, "d": resumable})
            if not resumable and conn.session is not None:
                self.sessions.pop(conn.session.id, None)
        return len(conns)

    async def drop_connections(self) -> int:
        """Cut every connection without a close frame, as a network failure would."""
        conns = list(self.connections)
        for conn in conns:
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
        return len(conns)

    def silence(self) -> int:
        """Turn every current connection into a zombie: no ACKs, no events, until it reconnects."""
        for conn in self.connections:
            conn.silent = True
        return len(self.connections)

    async def close_all(self, code: int = 1001) -> None:
        """Close every connection (server shutdown)."""
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(code=code), timeout=1)
