"""The live event stream of the web view: server-sent events fed by the sandbox's change feed.

`GET /web/events` answers `text/event-stream`; each change of `sandbox.feed` becomes one event
whose data is JSON: `{"type": "message_create" | "message_update" | "message_delete",
"channel_id", "message"}`, `{"type": "channel_create" | "channel_delete", "channel"}`, or
`{"type": "reset"}` (the page then reads the state again). A message is serialized when it is
sent, not when it changed, so the page sees it complete (an interaction's answer gets its
`interaction_id` just after it is stored). A new message in a thread also updates the thread's
starter message (its "N messages" count).

A client that falls more than `QUEUE_LIMIT` changes behind is told `{"type": "resync"}` and
reads the state again instead of the backlog. `close()` ends every stream, so the server can
stop without waiting for open pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import web

from sandbox.feed import MESSAGE_CREATE, MESSAGE_DELETE, MESSAGE_UPDATE, Change
from sandbox.interactions import InteractionBook
from sandbox.primitives import JSON
from sandbox.state import SandboxState
from sandbox.web.readout import channel_json, message_json

QUEUE_LIMIT = 2000
KEEPALIVE_SECONDS = 15.0
_CLOSE = Change("close")
_RESYNC = Change("resync")


class EventStream:
    """Every open `/web/events` stream, each with its own queue of changes."""

    def __init__(
        self, state: SandboxState, interactions: InteractionBook, headers: dict[str, str]
    ) -> None:
        self.state = state
        self.interactions = interactions
        self.headers = headers  # the page's (its CSP among them), on the stream too
        self._queues: set[asyncio.Queue[Change]] = set()

    def event(self, change: Change) -> list[JSON]:
        """The events one change becomes (none for a message the page cannot show)."""
        if change.message is not None:
            m = change.message
            out: JSON = {"type": change.kind, "channel_id": str(m.channel_id)}
            if change.kind == MESSAGE_DELETE:
                out["message"] = {"id": str(m.id), "channel_id": str(m.channel_id)}
            else:
                out["message"] = message_json(m, self.state, self.interactions)
            events = [out]
            starter = self.state.messages.get(m.channel_id)  # a thread has its starter's id
            if change.kind in (MESSAGE_CREATE, MESSAGE_DELETE) and starter is not None:
                events.append(
                    {
                        "type": MESSAGE_UPDATE,
                        "channel_id": str(starter.channel_id),
                        "message": message_json(starter, self.state, self.interactions),
                    }
                )
            return events
        if change.channel is not None:
            return [{"type": change.kind, "channel": channel_json(change.channel)}]
        return [{"type": change.kind}]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /web/events: stream changes until the client goes or the server closes."""
        queue: asyncio.Queue[Change] = asyncio.Queue()

        def listen(change: Change) -> None:
            if queue.qsize() >= QUEUE_LIMIT:
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(_RESYNC)
            else:
                queue.put_nowait(change)

        response = web.StreamResponse(
            headers={
                **self.headers,
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        self._queues.add(queue)
        self.state.feed.subscribe(listen)
        try:
            await response.write(b'retry: 1000\nevent: hello\ndata: {"type": "hello"}\n\n')
            while True:
                try:
                    change = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if change is _CLOSE:
                    break
                for event in self.event(change):
                    data = json.dumps(event, ensure_ascii=False)
                    await response.write(f"data: {data}\n\n".encode())
            with contextlib.suppress(ConnectionResetError):
                await response.write_eof()
        except ConnectionResetError:
            pass  # the page went away
        finally:
            self.state.feed.unsubscribe(listen)
            self._queues.discard(queue)
        return response

    def close(self) -> None:
        """End every open stream (the server is stopping)."""
        for queue in self._queues:
            queue.put_nowait(_CLOSE)
