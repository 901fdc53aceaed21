"""The Gateway websocket: HELLO, IDENTIFY → READY → GUILD_CREATE, heartbeats, RESUME, faults.

discord.py connects to `DEFAULT_GATEWAY` with `?v=10&encoding=json&compress=zlib-stream`. With
`compress=zlib-stream` every frame is a BINARY frame from one shared zlib context, each ending in
the 4-byte `Z_SYNC_FLUSH` suffix, as Discord sends them, so the client's inflater really runs;
without it, TEXT frames of plain JSON.

A session outlives its connection: every dispatch gets the session's next sequence number and is
kept in a backlog, so a client that RESUMEs after a dropped, silent or reconnected connection gets
exactly the events it missed, then RESUMED. A session ends by INVALID_SESSION (not resumable), by
a clean close (1000/1001), or `session_ttl` seconds after its connection went away.

The rules Discord documents (developers/events/gateway.mdx; sandbox/README.md cites each line):
- a connection that sends no heartbeat within `heartbeat_interval × heartbeat_tolerance` is
  closed with 4009 (the session stays resumable);
- heartbeats are ACKed after `heartbeat_ack_delay`, a real round trip (an instant ACK can reach
  discord.py before its keep-alive thread records the send, and it then logs "Can't keep up,
  … 41.2s behind" on every heartbeat);
- more than `max_concurrency` IDENTIFYs per `identify_window` get op 9;
- the `identify_budget`-th session start per `identify_budget_window` is the last: the next one
  ends every session (4004), resets the token (REST answers 401, IDENTIFY 4004);
- more than `gateway_send_limit` frames per `gateway_send_window` close with 4008;
- a RESUME whose `seq` the session never reached, or whose events have left the backlog, gets
  op 9 (not resumable), as does a RESUME of an expired session.

Other close codes follow Discord: 4004 for a bad token, 4014 for privileged intents the
application has not enabled, 4003 for a payload before IDENTIFY, 4005 for a second IDENTIFY,
4002 for bad JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import zlib
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

from sandbox import observe, shards
from sandbox.flags import PRIVILEGED_INTENTS
from sandbox.gateway_session import Connection, GatewayStats, Session
from sandbox.primitives import JSON
from sandbox.state import SandboxState

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
    "THREAD_DELETE": INTENT_GUILDS,
    "GUILD_ROLE_CREATE": INTENT_GUILDS,
    "GUILD_ROLE_UPDATE": INTENT_GUILDS,
    "GUILD_MEMBER_ADD": INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": INTENT_GUILD_MEMBERS,
    "MESSAGE_CREATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_UPDATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_DELETE": INTENT_GUILD_MESSAGES,
}
ZLIB_SUFFIX = b"\x00\x00\xff\xff"


class Gateway:
    """Every session and connection of the fake Gateway."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.stats = GatewayStats()
        self.identify_times: deque[float] = deque()  # accepted IDENTIFYs (concurrency window)
        self.session_starts: deque[float] = deque()  # accepted IDENTIFYs (daily budget)
        self.token_reset = False  # the daily budget was exceeded: the bot token no longer works

    def reset(self) -> None:
        """Forget sessions (connected clients will have to IDENTIFY again), budgets and counters."""
        self.sessions.clear()
        self.stats = GatewayStats()
        self.identify_times.clear()
        self.session_starts.clear()
        self.token_reset = False

    # -- the websocket handler -----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one websocket connection until it closes."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, request)
        if request.query.get("compress") == "zlib-stream":
            conn.deflate = zlib.compressobj()
        self.connections.append(conn)
        self.stats.connects += 1
        interval = self.state.settings.heartbeat_interval
        await self._send(conn, {"op": HELLO, "d": {"heartbeat_interval": int(interval * 1000)}})
        conn.last_heartbeat = time.monotonic()
        watchdog = asyncio.create_task(self._watch_heartbeats(conn), name="gateway-heartbeats")
        await self.state.notify()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                if self._over_send_limit(conn):
                    await self._close(conn, 4008, "Rate limited.")
                    break
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await self._close(conn, 4002, "Error while decoding payload.")
                    break
                await self._receive(conn, payload)
        finally:
            watchdog.cancel()
            for task in list(conn.tasks):
                task.cancel()
            self.connections.remove(conn)
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
                session.detached_at = time.monotonic()
                if ws.close_code in (1000, 1001) and not conn.closed_by_server:
                    # A clean close from the client ends the session, as on Discord.
                    self.sessions.pop(session.id, None)
            await self.state.notify()
        return ws

    async def _watch_heartbeats(self, conn: Connection) -> None:
        """Close the connection (4009) once a heartbeat is overdue; the session stays resumable."""
        while not conn.ws.closed:
            s = self.state.settings
            due = conn.last_heartbeat + s.heartbeat_interval * s.heartbeat_tolerance
            now = time.monotonic()
            if now >= due:
                await self._close(conn, 4009, "Session timed out: no heartbeat in time.")
                return
            await asyncio.sleep(due - now)

    def _over_send_limit(self, conn: Connection) -> bool:
        """Count one received frame; True if it is one more than the limit allows."""
        s = self.state.settings
        now = time.monotonic()
        conn.received.append(now)
        while conn.received and conn.received[0] <= now - s.gateway_send_window:
            conn.received.popleft()
        return len(conn.received) > s.gateway_send_limit

    async def _receive(self, conn: Connection, payload: Any) -> None:
        op = payload.get("op") if isinstance(payload, dict) else None
        data = payload.get("d") if isinstance(payload, dict) else None
        if op == HEARTBEAT:
            self.stats.heartbeats += 1
            conn.last_heartbeat = time.monotonic()
            delay = self.state.settings.heartbeat_ack_delay
            if delay > 0:
                self._later(conn, delay, {"op": HEARTBEAT_ACK})
            else:
                await self._send(conn, {"op": HEARTBEAT_ACK})
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

    def _later(self, conn: Connection, delay: float, payload: JSON) -> None:
        """Send `payload` after `delay` seconds without holding up the receive loop."""

        async def send() -> None:
            await asyncio.sleep(delay)
            await self._send(conn, payload)

        task = asyncio.create_task(send())
        conn.tasks.add(task)
        task.add_done_callback(conn.tasks.discard)

    def _token_ok(self, token: Any) -> bool:
        expected = self.state.settings.token
        if not isinstance(token, str) or not token or self.token_reset:
            return False
        return expected is None or token in (expected, f"Bot {expected}")

    # -- session start limits ------------------------------------------------------------------

    def _prune_identifies(self, now: float) -> None:
        s = self.state.settings
        while self.identify_times and self.identify_times[0] <= now - s.identify_window:
            self.identify_times.popleft()
        while self.session_starts and self.session_starts[0] <= now - s.identify_budget_window:
            self.session_starts.popleft()

    def identify_wait(self) -> float:
        """Seconds until an IDENTIFY would be within `max_concurrency` (0: now)."""
        now = time.monotonic()
        self._prune_identifies(now)
        s = self.state.settings
        if len(self.identify_times) < s.max_concurrency:
            return 0.0
        return max(0.0, self.identify_times[0] + s.identify_window - now)

    def session_start_limit(self) -> JSON:
        """The `session_start_limit` object of GET /gateway/bot, from the real counts."""
        now = time.monotonic()
        self._prune_identifies(now)
        s = self.state.settings
        reset_after = 0.0
        if self.session_starts:
            reset_after = self.session_starts[0] + s.identify_budget_window - now
        return {
            "total": s.identify_budget,
            "remaining": max(0, s.identify_budget - len(self.session_starts)),
            "reset_after": int(reset_after * 1000),
            "max_concurrency": s.max_concurrency,
        }

    async def _exhaust_budget(self) -> None:
        """The daily budget is spent: end every session and reset the token, as Discord does."""
        log.warning("gateway: IDENTIFY budget exceeded; the bot token is reset")
        self.token_reset = True
        self.sessions.clear()
        for other in list(self.connections):
            await self._close(other, 4004, "Authentication failed: the token was reset.")

    # -- IDENTIFY and RESUME -------------------------------------------------------------------

    async def _invalid_session(self, conn: Connection, resumable: bool = False) -> None:
        self.stats.invalid_sessions += 1
        await self._send(conn, {"op": INVALID_SESSION, "d": resumable})

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
        shard = shards.parse_shard(data.get("shard"), multiple=self.state.settings.shard_multiple)
        if isinstance(shard, str):
            await self._close(conn, shards.INVALID_SHARD, f"Invalid shard: {shard}.")
            return
        owned = shards.guilds_of(shard, self.state.bot_guild_ids())
        if len(owned) > self.state.settings.guilds_per_shard:
            await self._close(conn, shards.SHARDING_REQUIRED, "Sharding required.")
            return
        if self.identify_wait() > 0:
            await self._invalid_session(conn)
            return
        now = time.monotonic()
        if len(self.session_starts) >= self.state.settings.identify_budget:
            await self._exhaust_budget()
            return
        self.identify_times.append(now)
        self.session_starts.append(now)
        session = Session(secrets.token_hex(16), intents, shard)
        self.sessions[session.id] = session
        self._attach(conn, session)
        self.stats.identifies += 1
        ready = {
            "v": 10,
            "user": self.state.bot_user.to_json(),
            "guilds": [{"id": str(g), "unavailable": True} for g in owned],
            "session_id": session.id,
            "resume_gateway_url": self.url(conn.request),
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "application": {"id": str(self.state.application_id), "flags": 0, "flags_new": "0"},
            "_trace": ["hotpapers-sandbox"],
        }
        if "shard" in data:
            ready["shard"] = list(shard)
        await self._dispatch_to(session, "READY", ready)
        for guild_id in owned:
            guild = self.state.guilds.get(guild_id)
            if guild is not None:
                await self._dispatch_to(session, "GUILD_CREATE", guild.to_json())
        await self.state.notify()

    def _resumable(self, session: Session, seq: int) -> bool:
        """Whether a RESUME at `seq` can replay exactly what the client missed."""
        now = time.monotonic()
        ttl = self.state.settings.session_ttl
        detached = session.connection is None and session.detached_at is not None
        if detached and now - (session.detached_at or now) > ttl:
            return False
        if seq < 0 or seq > session.seq:
            return False  # the client claims events the session never sent
        oldest = session.backlog[0]["s"] if session.backlog else session.seq + 1
        return seq >= oldest - 1  # otherwise events it missed are gone

    async def _resume(self, conn: Connection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if not self._token_ok(data.get("token")):
            await self._close(conn, 4004, "Authentication failed.")
            return
        try:
            seq = int(data.get("seq") or 0)
        except (TypeError, ValueError):
            seq = -1
        if session is None or not self._resumable(session, seq):
            if session is not None:
                self.sessions.pop(session.id, None)
            await self._invalid_session(conn)
            return
        self._attach(conn, session)
        self.stats.resumes += 1
        for event in list(session.backlog):
            if event["s"] > seq:
                name = str(event.get("t"))
                self.stats.replayed[name] = self.stats.replayed.get(name, 0) + 1
                await self._send(conn, event)
        await self._dispatch_to(session, "RESUMED", {"_trace": ["hotpapers-sandbox"]})
        await self.state.notify()

    def _attach(self, conn: Connection, session: Session) -> None:
        """Make `conn` the session's live connection (an older one just stops receiving)."""
        conn.session = session
        session.connection = conn
        session.detached_at = None

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
        text = json.dumps(payload, allow_nan=False)  # Discord's JSON has no NaN/Infinity
        with contextlib.suppress(ConnectionError, RuntimeError):
            if conn.deflate is None:
                await conn.ws.send_str(text)
            else:
                data = conn.deflate.compress(text.encode()) + conn.deflate.flush(zlib.Z_SYNC_FLUSH)
                await conn.ws.send_bytes(data)

    async def _close(self, conn: Connection, code: int, reason: str) -> None:
        if conn.ws.closed:
            return
        conn.closed_by_server = True
        self.stats.closes[code] = self.stats.closes.get(code, 0) + 1
        log.info("gateway: closing a connection with %s (%s)", code, reason)
        await conn.ws.close(code=code, message=reason.encode())

    async def _dispatch_to(self, session: Session, event: str, data: JSON) -> None:
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        observe.emit("gateway", event, data)
        session.backlog.append(payload)
        if session.connection is not None:
            await self._send(session.connection, payload)

    def live_sessions(self) -> list[Session]:
        """Sessions that can still receive events (connected, or waiting to RESUME)."""
        return list(self.sessions.values())

    async def dispatch(self, event: str, data: JSON) -> int:
        """Send an event to every session whose intents cover it and whose shard owns its
        guild (`sandbox.shards`); returns how many got it."""
        needed = EVENT_INTENTS.get(event, 0)
        guild = shards.event_guild(event, data)
        if guild is not None and guild in self.state.guilds and not self.state.bot_in(guild):
            return 0  # a server the bot is not in: it hears nothing of it
        targets = [
            s
            for s in self.live_sessions()
            if (s.intents & needed) == needed and shards.owns(s.shard, guild)
        ]
        for session in targets:
            await self._dispatch_to(session, event, data)
        return len(targets)

    async def dispatch_one(self, event: str, data: JSON) -> bool:
        """Send an event to one session of the shard that owns its guild (an interaction is
        answered once); False if no such session is live."""
        guild = shards.event_guild(event, data)
        sessions = [s for s in self.live_sessions() if shards.owns(s.shard, guild)]
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
            await self._invalid_session(conn, resumable)
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
