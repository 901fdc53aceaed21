"""Channel message routes: create (with nonce dedup), list, read, edit and delete.

message.mdx "Create Message", "Get Channel Messages", "Get Channel Message", "Edit Message",
"Delete Message"; the permission rules are `sandbox.routes.access`'s, the message checks
`sandbox.routes.posting`'s.
"""

from __future__ import annotations

import time

from aiohttp import web

from sandbox import validation
from sandbox.flags import EPHEMERAL, READ_MESSAGE_HISTORY
from sandbox.gateway import Gateway
from sandbox.responses import ApiError, json_response
from sandbox.routes.access import Access
from sandbox.routes.posting import Posting
from sandbox.routes.request import file_count, read_back
from sandbox.state import SandboxState


class MessageRoutes:
    """The routes under /channels/{channel_id}/messages."""

    def __init__(
        self, state: SandboxState, gateway: Gateway, access: Access, posting: Posting
    ) -> None:
        self.state = state
        self.gateway = gateway
        self.access = access
        self.posting = posting

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """The routes, named as in the OpenAPI spec."""
        msgs = prefix + "/channels/{channel_id}/messages"
        return [
            web.post(msgs, self.create_message),
            web.get(msgs, self.list_messages),
            web.get(msgs + "/{message_id}", self.get_message),
            web.patch(msgs + "/{message_id}", self.edit_message),
            web.delete(msgs + "/{message_id}", self.delete_message),
        ]

    async def create_message(self, request: web.Request) -> web.Response:
        """POST /channels/{id}/messages, with Discord's nonce dedup under `enforce_nonce`."""
        channel = self.access.channel(request, writing=True)
        body = self.access.validate(request, "/channels/{channel_id}/messages")
        self.access.check_can_post(channel)
        body = self.posting.prepare_message(channel, body, file_count(request))
        nonce = body.get("nonce")
        key = (self.state.bot_user.id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            seen = self.state.nonces.get(key)
            if seen and time.monotonic() - seen[0] < self.state.settings.nonce_window:
                existing = self.state.messages.get(seen[1])
                if existing is not None:
                    return json_response(existing.to_json())
        message = self.posting.new_message(channel, self.state.bot_user, body, request)
        if nonce is not None:
            self.state.nonces[key] = (time.monotonic(), message.id)
        await self.posting.touch_thread(channel)
        await self.posting.publish(message)
        return json_response(message.to_json())

    async def list_messages(self, request: web.Request) -> web.Response:
        """GET /channels/{id}/messages: newest first, without ephemeral ones, as Discord reads.

        message.mdx:903 "The before, after, and around parameters are mutually exclusive";
        message.mdx:914 limit "(1-100)"; message.mdx:900 without READ_MESSAGE_HISTORY "no
        messages will be returned". Nonces are not stored by Discord, so none is returned.
        """
        channel = self.access.channel(request)
        q = request.query
        problems = validation.list_query_problems(q)
        if problems:
            raise ApiError(400, 50035, "Invalid Form Body", validation.errors_tree(problems))
        if not self.access.bot_can(channel, READ_MESSAGE_HISTORY):
            return json_response([])
        limit = int(q.get("limit", "50"))
        visible = [m for m in self.state.messages_in(channel.id) if not m.flags & EPHEMERAL]
        visible.sort(key=lambda m: m.id)
        if "after" in q:
            after = int(q["after"])
            picked = [m for m in visible if m.id > after][:limit]
        elif "before" in q:
            before = int(q["before"])
            picked = [m for m in visible if m.id < before][-limit:]
        elif "around" in q:
            around = int(q["around"])
            older = [m for m in visible if m.id < around]
            newer = [m for m in visible if m.id >= around]
            half = limit // 2
            picked = (older[-half:] if half else []) + newer[: limit - min(half, len(older))]
        else:
            picked = visible[-limit:]
        return json_response([read_back(m) for m in reversed(picked)])

    async def get_message(self, request: web.Request) -> web.Response:
        """GET one message (message.mdx:1049: needs READ_MESSAGE_HISTORY; no nonce)."""
        channel = self.access.channel(request)
        self.access.require(channel, READ_MESSAGE_HISTORY)
        return json_response(read_back(self.access.message(request, channel)))

    async def edit_message(self, request: web.Request) -> web.Response:
        """PATCH a message (only the bot's own)."""
        channel = self.access.channel(request, writing=True)
        message = self.access.message(request, channel)
        body = self.access.validate(request, "/channels/{channel_id}/messages/{message_id}")
        self.access.check_can_edit(channel)
        if message.author.id != self.state.bot_user.id and set(body) - {"flags"}:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        await self.posting.apply_edit(message, body)
        return json_response(message.to_json())

    async def delete_message(self, request: web.Request) -> web.Response:
        """DELETE a message."""
        channel = self.access.channel(request, writing=True)
        message = self.access.message(request, channel)
        self.state.delete_message(message.id)
        await self.gateway.dispatch(
            "MESSAGE_DELETE",
            {
                "id": str(message.id),
                "channel_id": str(channel.id),
                "guild_id": str(channel.guild_id),
            },
        )
        return web.Response(status=204)
