"""Thread routes: a thread from a message, a thread without one, and forum / media posts.

channel.mdx "Start Thread from Message", "Start Thread without Message", "Start Thread in
Forum or Media Channel"; which channel holds which thread type is channel.mdx:587.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.flags import (
    ANNOUNCEMENT_THREAD,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    GUILD_ANNOUNCEMENT,
    GUILD_TEXT,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    REQUIRE_TAG,
    SEND_MESSAGES,
    THREAD_ONLY_TYPES,
    THREAD_TYPES,
)
from sandbox.gateway import Gateway
from sandbox.primitives import JSON
from sandbox.records import Message
from sandbox.responses import ApiError, json_response
from sandbox.routes.access import Access
from sandbox.routes.posting import Posting
from sandbox.routes.request import file_count
from sandbox.state import SandboxState
from sandbox.world import Channel

# Channel types whose messages can start a thread, and the thread type each gets
# (channel.mdx:587 "When called on a GUILD_TEXT channel, creates a PUBLIC_THREAD. When called on
# a GUILD_ANNOUNCEMENT channel, creates a ANNOUNCEMENT_THREAD.").
THREAD_FROM_MESSAGE = {GUILD_TEXT: PUBLIC_THREAD, GUILD_ANNOUNCEMENT: ANNOUNCEMENT_THREAD}


class ThreadRoutes:
    """POST /channels/{c}/messages/{m}/threads and POST /channels/{c}/threads."""

    def __init__(
        self, state: SandboxState, gateway: Gateway, access: Access, posting: Posting
    ) -> None:
        self.state = state
        self.gateway = gateway
        self.access = access
        self.posting = posting

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """The routes, named as in the OpenAPI spec."""
        channel = prefix + "/channels/{channel_id}"
        return [
            web.post(channel + "/messages/{message_id}/threads", self.create_thread_from_message),
            web.post(channel + "/threads", self.create_thread),
        ]

    async def create_thread_from_message(self, request: web.Request) -> web.Response:
        """POST /channels/{c}/messages/{m}/threads: the thread takes the message's id.

        Only in text (→ PUBLIC_THREAD) and announcement (→ ANNOUNCEMENT_THREAD) channels
        (channel.mdx:587); anywhere else (a thread, voice or stage chat, forum) 400 / 50024.
        Needs CREATE_PUBLIC_THREADS (permissions.mdx:78).
        """
        channel = self.access.channel(request, writing=True)
        message = self.access.message(request, channel)
        body = self.access.validate(request, "/channels/{channel_id}/messages/{message_id}/threads")
        kind = THREAD_FROM_MESSAGE.get(channel.type)
        if kind is None:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.access.require(channel, CREATE_PUBLIC_THREADS)
        if message.thread_id is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        thread = self.state.add_channel(
            channel.guild_id, body["name"], type=kind, parent_id=channel.id, id=message.id
        )
        message.thread_id = thread.id
        message.flags |= 1 << 5  # HAS_THREAD
        self.state.message_edited(message)
        return await self._thread_created(thread, body)

    async def create_thread(self, request: web.Request) -> web.Response:
        """POST /channels/{c}/threads: a thread without a starter message, or a forum post.

        In a forum (15) or media (16) channel it is a post: a PUBLIC_THREAD with a first
        `message` that has the thread's id (channel.mdx "Start Thread in Forum or Media
        Channel"), SEND_MESSAGES needed, tags required by REQUIRE_TAG (40067). Elsewhere: text
        channels get public or private threads, announcement channels announcement threads;
        any other channel type is 400 / 50024.
        """
        channel = self.access.channel(request, writing=True)
        body = self.access.validate(request, "/channels/{channel_id}/threads")
        if channel.type in THREAD_ONLY_TYPES:
            return await self._forum_post(channel, body, request)
        kind = int(body.get("type") or PRIVATE_THREAD)
        if kind not in THREAD_TYPES or "message" in body:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {"code": "BASE_TYPE_CHOICES", "message": "Value must be a thread type."}
                        ]
                    }
                },
            )
        allowed = {
            GUILD_TEXT: (PUBLIC_THREAD, PRIVATE_THREAD),
            GUILD_ANNOUNCEMENT: (ANNOUNCEMENT_THREAD,),
        }.get(channel.type, ())
        if kind not in allowed:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.access.require(
            channel, CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else CREATE_PUBLIC_THREADS
        )
        thread = self.state.add_channel(
            channel.guild_id, body["name"], type=kind, parent_id=channel.id
        )
        return await self._thread_created(thread, body)

    async def _forum_post(self, forum: Channel, body: JSON, request: web.Request) -> web.Response:
        message_body = body.get("message")
        if not isinstance(message_body, dict):
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "message": {
                        "_errors": [
                            {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}
                        ]
                    }
                },
            )
        # channel.mdx:640 "The current user must have the SEND_MESSAGES permission
        # (CREATE_PUBLIC_THREADS is ignored)."
        self.access.require(forum, SEND_MESSAGES)
        tags = [int(t) for t in body.get("applied_tags") or []]
        known = {int(t["id"]) for t in forum.available_tags}
        if forum.flags & REQUIRE_TAG and not tags:
            # channel.mdx:98 REQUIRE_TAG "whether a tag is required to be specified when
            # creating a thread in a GUILD_FORUM or a GUILD_MEDIA channel"
            raise ApiError(400, 40067, "A tag is required to create a forum post in this channel")
        if any(t not in known for t in tags):
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "applied_tags": {
                        "_errors": [{"code": "BASE_TYPE_CHOICES", "message": "Unknown tag."}]
                    }
                },
            )
        message_body = self.posting.prepare_message(forum, message_body, file_count(request))
        thread = self.state.add_channel(
            forum.guild_id, body["name"], type=PUBLIC_THREAD, parent_id=forum.id
        )
        thread.applied_tags = tags
        message = Message(
            id=thread.id,
            channel_id=thread.id,
            guild_id=thread.guild_id,
            author=self.state.bot_user,
            content=message_body.get("content") or "",
            embeds=list(message_body.get("embeds") or []),
            components=list(message_body.get("components") or []),
            attachments=self.posting.attachments(thread, request),
            allowed_mentions=message_body.get("allowed_mentions"),
            flags=int(message_body.get("flags") or 0),
        )
        self.posting.notify(message, message_body.get("allowed_mentions"))
        self.state.store_message(message)
        thread.owner_id = self.state.bot_user.id
        thread.auto_archive_duration = int(body.get("auto_archive_duration") or 4320)
        payload = thread.to_json()
        payload["newly_created"] = True
        await self.gateway.dispatch("THREAD_CREATE", payload)
        await self.posting.publish(message)
        out = thread.to_json()
        out["message"] = message.to_json()
        return json_response(out, status=201)

    async def _thread_created(self, thread: Channel, body: JSON) -> web.Response:
        thread.owner_id = self.state.bot_user.id
        thread.auto_archive_duration = int(body.get("auto_archive_duration") or 1440)
        payload = thread.to_json()
        payload["newly_created"] = True
        await self.gateway.dispatch("THREAD_CREATE", payload)
        await self.state.notify()
        return json_response(thread.to_json(), status=201)

    # -- helpers -------------------------------------------------------------------------------
