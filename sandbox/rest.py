"""The REST API under /api/v10: the routes a discord.py bot uses, with Discord's answers.

One middleware wraps every API request, in the order Discord effectively applies things:
injected faults (latency, then an error), authentication (bot routes need `Bot <token>`;
interaction callbacks and webhooks carry their token in the path), the global and per-route rate
limits, then the route itself, which validates the body against the OpenAPI spec. Every request
is recorded with its status, whatever happened. Interaction callbacks and webhook follow-ups
live in `webhooks.py`; answers are built by `responses.json_response` (exact Content-Type).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox import validation
from sandbox.faults import Fault
from sandbox.ratelimit import Verdict, retry_after_header
from sandbox.responses import ApiError, json_response, unknown_channel, unknown_message
from sandbox.state import (
    ANNOUNCEMENT_THREAD,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    EMBED_LINKS,
    EPHEMERAL,
    GUILD_ANNOUNCEMENT,
    GUILD_STAGE_VOICE,
    GUILD_TEXT,
    GUILD_VOICE,
    JSON,
    LOADING,
    MANAGE_THREADS,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    READ_MESSAGE_HISTORY,
    REQUIRE_TAG,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    THREAD_ONLY_TYPES,
    THREAD_TYPES,
    VIEW_CHANNEL,
    Channel,
    Command,
    Message,
    RequestRecord,
    User,
)
from sandbox.webhooks import InteractionRoutes

# Channel types whose messages can start a thread, and the thread type each gets
# (channel.mdx:587 "When called on a GUILD_TEXT channel, creates a PUBLIC_THREAD. When called on
# a GUILD_ANNOUNCEMENT channel, creates a ANNOUNCEMENT_THREAD.").
THREAD_FROM_MESSAGE = {GUILD_TEXT: PUBLIC_THREAD, GUILD_ANNOUNCEMENT: ANNOUNCEMENT_THREAD}
# Channels that hold plain messages (text in voice and stage included).
MESSAGE_CHANNELS = (GUILD_TEXT, GUILD_ANNOUNCEMENT, GUILD_VOICE, GUILD_STAGE_VOICE, *THREAD_TYPES)

if TYPE_CHECKING:
    from sandbox.app import Sandbox

API_PREFIX = "/api/v10"
VIA = "1.1 google"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BODY = web.RequestKey("body", object)  # the parsed JSON body (or multipart payload_json)
FILES = web.RequestKey("files", list)  # attachments of a multipart body


class RestApi:
    """Route handlers and the middleware, bound to one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.state = sandbox.state

    def routes(self) -> list[web.RouteDef]:
        """Every REST route, named exactly as in the OpenAPI spec's paths."""
        p = API_PREFIX
        msgs = p + "/channels/{channel_id}/messages"
        return [
            web.get(p + "/users/@me", self.get_me),
            web.get(p + "/oauth2/applications/@me", self.get_application),
            web.get(p + "/applications/@me", self.get_application),
            web.get(p + "/gateway", self.get_gateway),
            web.get(p + "/gateway/bot", self.get_gateway),
            web.get(p + "/applications/{application_id}/commands", self.get_commands),
            web.put(p + "/applications/{application_id}/commands", self.put_commands),
            web.get(
                p + "/applications/{application_id}/guilds/{guild_id}/commands", self.get_commands
            ),
            web.put(
                p + "/applications/{application_id}/guilds/{guild_id}/commands", self.put_commands
            ),
            web.get(p + "/channels/{channel_id}", self.get_channel),
            web.get(p + "/guilds/{guild_id}/channels", self.get_guild_channels),
            web.post(msgs, self.create_message),
            web.get(msgs, self.list_messages),
            web.get(msgs + "/{message_id}", self.get_message),
            web.patch(msgs + "/{message_id}", self.edit_message),
            web.delete(msgs + "/{message_id}", self.delete_message),
            web.post(msgs + "/{message_id}/threads", self.create_thread_from_message),
            web.post(p + "/channels/{channel_id}/threads", self.create_thread),
            *InteractionRoutes(self).routes(p),
        ]

    # -- the middleware ------------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Faults, auth, rate limits and recording around every /api/v10 request."""
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        started = time.perf_counter()
        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else request.path
        route = f"{request.method} {template.removeprefix(API_PREFIX)}"
        concrete = f"{request.method} {request.path.removeprefix(API_PREFIX)}"
        body: Any = None
        limited: str | None = None
        try:
            body = await read_body(request)
            request[BODY] = body
            response, limited = await self._guarded(request, handler, route, concrete)
        except ApiError as exc:
            response = exc.response()
        self.state.requests.append(
            RequestRecord(
                method=request.method,
                path=request.path_qs,
                route=route,
                status=response.status,
                time=time.time(),
                duration_ms=(time.perf_counter() - started) * 1000,
                body=body,
                rate_limited=limited,
            )
        )
        await self.state.notify()
        return response

    async def _guarded(
        self, request: web.Request, handler: Handler, route: str, concrete: str
    ) -> tuple[web.StreamResponse, str | None]:
        fired = self.sb.faults.take(route, concrete)
        before = [f for f in fired if not f.after]
        after = [f for f in fired if f.after]
        delay = sum(f.latency_ms for f in before) / 1000
        if delay:
            await asyncio.sleep(delay)
        if any(f.drop for f in before):
            return drop_connection(request), None
        failing = next((f for f in before if f.status is not None), None)
        if failing is not None:
            return injected_response(failing), "injected" if failing.status == 429 else None
        if after:
            response, limited = await self._routed(request, handler, route)
            await self.state.notify()
            delay = sum(f.latency_ms for f in after) / 1000
            if delay:
                await asyncio.sleep(delay)
            if any(f.drop for f in after):
                return drop_connection(request), limited
            failing = next((f for f in after if f.status is not None), None)
            if failing is not None and response.status < 400:
                return injected_response(failing), "injected" if failing.status == 429 else None
            return response, limited
        return await self._routed(request, handler, route)

    async def _routed(
        self, request: web.Request, handler: Handler, route: str
    ) -> tuple[web.StreamResponse, str | None]:
        """Auth, rate limits, then the route itself."""
        bot_route = not route.split(" ", 1)[1].startswith(("/webhooks/", "/interactions/"))
        if bot_route and not self._authorized(request):
            raise ApiError(401, 0, "401: Unauthorized")
        verdict = self.sb.limiter.check(route, dict(request.match_info), counts_globally=bot_route)
        if not verdict.allowed:
            return too_many(verdict), verdict.scope
        try:
            response = await handler(request)
        except ApiError as exc:
            response = exc.response()
        except web.HTTPNotFound:
            response = ApiError(404, 0, "404: Not Found").response()
        except web.HTTPMethodNotAllowed:
            response = ApiError(405, 0, "405: Method Not Allowed").response()
        response.headers.update(verdict.headers)
        return response, None

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bot ") or len(header) <= 4:
            return False
        expected = self.state.settings.token
        return expected is None or header == f"Bot {expected}"

    def validate(self, request: web.Request, spec_path: str) -> Any:
        """The request's body, or 400 / 50035 with Discord's error tree if it breaks a rule."""
        body = request.get(BODY)
        if self.state.settings.validate:
            problems = validation.validate_body(request.method, spec_path, body)
            if problems:
                raise ApiError(400, 50035, "Invalid Form Body", validation.errors_tree(problems))
        return body if body is not None else {}

    # -- identity ------------------------------------------------------------------------------

    async def get_me(self, request: web.Request) -> web.Response:
        """GET /users/@me: the bot user (login)."""
        return json_response(self.state.bot_user.to_json())

    async def get_application(self, request: web.Request) -> web.Response:
        """GET /oauth2/applications/@me: the application (login reads its id)."""
        s = self.state
        return json_response(
            {
                "id": str(s.application_id),
                "name": s.bot_user.username,
                "description": "HotPapers sandbox application",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": s.owner.to_json(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "flags_new": "0",
                "summary": "",
                "bot": s.bot_user.to_json(),
            }
        )

    async def get_gateway(self, request: web.Request) -> web.Response:
        """GET /gateway and /gateway/bot (only AutoShardedClient asks)."""
        return json_response(
            {
                "url": f"ws://{request.host}/gateway",
                "shards": 1,
                "session_start_limit": self.sb.gateway.session_start_limit(),
            }
        )

    # -- commands ------------------------------------------------------------------------------

    def _application(self, request: web.Request) -> int | None:
        if request.match_info["application_id"] != str(self.state.application_id):
            raise ApiError(404, 10002, "Unknown Application")
        guild = request.match_info.get("guild_id")
        if guild is None:
            return None
        if not guild.isdigit() or int(guild) not in self.state.guilds:
            raise ApiError(404, 10004, "Unknown Guild")
        return int(guild)

    async def get_commands(self, request: web.Request) -> web.Response:
        """GET the synced commands, global or of a guild."""
        guild_id = self._application(request)
        return json_response([c.to_json() for c in self.state.guild_commands(guild_id)])

    async def put_commands(self, request: web.Request) -> web.Response:
        """PUT (bulk overwrite) the commands, global or of a guild: what `tree.sync()` does."""
        guild_id = self._application(request)
        spec_path = "/applications/{application_id}/commands"
        if guild_id is not None:
            spec_path = "/applications/{application_id}/guilds/{guild_id}/commands"
        payloads = self.validate(request, spec_path) or []
        old = {(c.name, c.type): c for c in self.state.guild_commands(guild_id)}
        for command in old.values():
            del self.state.commands[command.id]
        synced = []
        for payload in payloads:
            key = (payload["name"], int(payload.get("type") or 1))
            previous = old.get(key)
            command = Command(
                id=previous.id if previous else self.state.ids.next(),
                application_id=self.state.application_id,
                guild_id=guild_id,
                version=self.state.ids.next(),
                payload=payload,
            )
            self.state.commands[command.id] = command
            synced.append(command.to_json())
        return json_response(synced)

    # -- channels and messages -----------------------------------------------------------------

    def channel(self, request: web.Request, writing: bool = False) -> Channel:
        """The channel in the path, as the bot may see it.

        404 / 10003 if missing or deleted; 403 / 50001 "Missing Access" if the bot cannot view
        it (its overwrites deny VIEW_CHANNEL); 403 / 50013 for a write to a channel the control
        API `forbid`s. A thread idle past its `auto_archive_duration` is archived first.
        """
        raw = request.match_info["channel_id"]
        channel = self.state.channels.get(int(raw)) if raw.isdigit() else None
        if channel is None:
            raise unknown_channel()
        if not self.bot_can(channel, VIEW_CHANNEL):
            raise ApiError(403, 50001, "Missing Access")
        if writing and channel.forbidden:
            raise ApiError(403, 50013, "Missing Permissions")
        self.state.refresh_thread(channel)  # Control.advance_clock announces THREAD_UPDATE
        return channel

    def message(self, request: web.Request, channel: Channel) -> Message:
        """The message in the path, which must belong to the channel."""
        raw = request.match_info["message_id"]
        message = self.state.messages.get(int(raw)) if raw.isdigit() else None
        if message is None or message.channel_id != channel.id:
            raise unknown_message()
        return message

    @staticmethod
    def file_count(request: web.Request) -> int:
        """How many files a multipart body carried."""
        return len(request.get(FILES, []))

    def bot_permissions(self, channel: Channel) -> int:
        """The bot's permissions in a channel, overwrites included."""
        guild = self.state.guilds[channel.guild_id]
        return guild.permissions_in(guild.members[self.state.bot_user.id], channel)

    def bot_can(self, channel: Channel, bits: int) -> bool:
        """Whether the bot has all of `bits` in the channel."""
        return self.bot_permissions(channel) & bits == bits

    def require(self, channel: Channel, bits: int) -> None:
        """403 / 50013 unless the bot has all of `bits` in the channel."""
        if not self.bot_can(channel, bits):
            raise ApiError(403, 50013, "Missing Permissions")

    def check_can_post(self, channel: Channel) -> None:
        """Where and whether the bot may create a message (threads.mdx, permissions.mdx)."""
        if channel.type in THREAD_ONLY_TYPES:
            # threads.mdx:207 "Messages cannot be sent directly in forum channels."
            raise ApiError(400, 40058, "Cannot send a message in a forum channel")
        if channel.type not in MESSAGE_CHANNELS:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        if channel.is_thread:
            # permissions.mdx:201 "users must have SEND_MESSAGES_IN_THREADS to send a message
            # in a thread"
            self.require(channel, SEND_MESSAGES_IN_THREADS)
            if channel.locked and not self.bot_can(channel, MANAGE_THREADS):
                # threads.mdx:59 "Sending a message will automatically unarchive the thread,
                # unless the thread has been locked by a moderator."; threads.mdx:51 users
                # without MANAGE_THREADS "won't be able to create or update messages in
                # locked threads"
                raise ApiError(403, 160005, "Thread is locked")
        else:
            # message.mdx:1067 "the current user must have the SEND_MESSAGES permission"
            self.require(channel, SEND_MESSAGES)

    def check_can_edit(self, channel: Channel) -> None:
        """threads.mdx:59 "Users cannot edit messages ... in archived threads"; locked: 160005."""
        if channel.is_thread and channel.locked and not self.bot_can(channel, MANAGE_THREADS):
            raise ApiError(403, 160005, "Thread is locked")
        if channel.is_thread and channel.archived:
            raise ApiError(400, 50083, "Thread is archived")

    async def touch_thread(self, channel: Channel) -> None:
        """A message in a thread is activity; in an archived (unlocked) one it unarchives it
        (channel.mdx:247 "The API will helpfully automatically unarchive a thread when sending
        a message in that thread.")."""
        if not channel.is_thread:
            return
        channel.last_activity = self.state.now()
        if channel.archived:
            channel.archived = False
            channel.archive_timestamp = channel.last_activity
            await self.sb.gateway.dispatch("THREAD_UPDATE", channel.to_json())

    def prepare_message(self, channel: Channel, body: JSON, files: int = 0) -> JSON:
        """Discord's checks of a message body that need the channel (after schema validation):
        embeds without EMBED_LINKS, empty messages, replies. Returns the body to store."""
        if body.get("embeds") and not self.bot_can(channel, EMBED_LINKS):
            # permissions.mdx:57 EMBED_LINKS: "Links sent by users with this permission will be
            # auto-embedded"; without it Discord drops a bot's rich embeds from the message.
            body = {**body, "embeds": []}
        if validation.is_empty_message(body, files):
            # message.mdx:1096 "At least one of content, embeds, sticker_ids, components,
            # files[n], poll, or shared_client_theme is required."
            raise ApiError(400, 50006, "Cannot send an empty message")
        reference = body.get("message_reference")
        if isinstance(reference, dict) and reference.get("type", 0) == 0:
            body = self._check_reply(channel, body, reference)
        return body

    def _check_reply(self, channel: Channel, body: JSON, reference: JSON) -> JSON:
        """message.mdx:1070 a reply needs READ_MESSAGE_HISTORY; "The referenced message must
        exist and cannot be a system message." With `fail_if_not_exists: false` a missing one
        sends a plain message (message.mdx:333)."""
        self.require(channel, READ_MESSAGE_HISTORY)
        raw = str(reference.get("message_id") or "")
        target = self.state.messages.get(int(raw)) if raw.isdigit() else None
        in_channel = str(reference.get("channel_id") or channel.id) == str(channel.id)
        if target is None or target.channel_id != channel.id or not in_channel:
            if reference.get("fail_if_not_exists", True) is False:
                return {k: v for k, v in body.items() if k != "message_reference"}
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "message_reference": {
                        "_errors": [
                            {
                                "code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                "message": "Unknown message",
                            }
                        ]
                    }
                },
            )
        if target.type not in (0, 19, 20, 23):
            raise ApiError(400, 50021, "Cannot execute action on a system message")
        return body

    async def get_channel(self, request: web.Request) -> web.Response:
        """GET /channels/{id}."""
        return json_response(self.channel(request).to_json())

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        """GET /guilds/{id}/channels."""
        guild = self.state.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return json_response([c.to_json() for c in guild.channels.values()])

    async def create_message(self, request: web.Request) -> web.Response:
        """POST /channels/{id}/messages, with Discord's nonce dedup under `enforce_nonce`."""
        channel = self.channel(request, writing=True)
        body = self.validate(request, "/channels/{channel_id}/messages")
        self.check_can_post(channel)
        body = self.prepare_message(channel, body, len(request.get(FILES, [])))
        nonce = body.get("nonce")
        key = (self.state.bot_user.id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            seen = self.state.nonces.get(key)
            if seen and time.monotonic() - seen[0] < self.state.settings.nonce_window:
                existing = self.state.messages.get(seen[1])
                if existing is not None:
                    return json_response(existing.to_json())
        message = self.new_message(channel, self.state.bot_user, body, request)
        if nonce is not None:
            self.state.nonces[key] = (time.monotonic(), message.id)
        await self.touch_thread(channel)
        await self.publish(message)
        return json_response(message.to_json())

    async def list_messages(self, request: web.Request) -> web.Response:
        """GET /channels/{id}/messages: newest first, without ephemeral ones, as Discord reads.

        message.mdx:903 "The before, after, and around parameters are mutually exclusive";
        message.mdx:914 limit "(1-100)"; message.mdx:900 without READ_MESSAGE_HISTORY "no
        messages will be returned". Nonces are not stored by Discord, so none is returned.
        """
        channel = self.channel(request)
        q = request.query
        problems = validation.list_query_problems(q)
        if problems:
            raise ApiError(400, 50035, "Invalid Form Body", validation.errors_tree(problems))
        if not self.bot_can(channel, READ_MESSAGE_HISTORY):
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
        channel = self.channel(request)
        self.require(channel, READ_MESSAGE_HISTORY)
        return json_response(read_back(self.message(request, channel)))

    async def edit_message(self, request: web.Request) -> web.Response:
        """PATCH a message (only the bot's own)."""
        channel = self.channel(request, writing=True)
        message = self.message(request, channel)
        body = self.validate(request, "/channels/{channel_id}/messages/{message_id}")
        self.check_can_edit(channel)
        if message.author.id != self.state.bot_user.id and set(body) - {"flags"}:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        await self.apply_edit(message, body)
        return json_response(message.to_json())

    async def delete_message(self, request: web.Request) -> web.Response:
        """DELETE a message."""
        channel = self.channel(request, writing=True)
        message = self.message(request, channel)
        self.state.delete_message(message.id)
        await self.sb.gateway.dispatch(
            "MESSAGE_DELETE",
            {
                "id": str(message.id),
                "channel_id": str(channel.id),
                "guild_id": str(channel.guild_id),
            },
        )
        return web.Response(status=204)

    # -- threads -------------------------------------------------------------------------------

    async def create_thread_from_message(self, request: web.Request) -> web.Response:
        """POST /channels/{c}/messages/{m}/threads: the thread takes the message's id.

        Only in text (→ PUBLIC_THREAD) and announcement (→ ANNOUNCEMENT_THREAD) channels
        (channel.mdx:587); anywhere else (a thread, voice or stage chat, forum) 400 / 50024.
        Needs CREATE_PUBLIC_THREADS (permissions.mdx:78).
        """
        channel = self.channel(request, writing=True)
        message = self.message(request, channel)
        body = self.validate(request, "/channels/{channel_id}/messages/{message_id}/threads")
        kind = THREAD_FROM_MESSAGE.get(channel.type)
        if kind is None:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.require(channel, CREATE_PUBLIC_THREADS)
        if message.thread_id is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        thread = self.state.add_channel(
            channel.guild_id, body["name"], type=kind, parent_id=channel.id, id=message.id
        )
        message.thread_id = thread.id
        message.flags |= 1 << 5  # HAS_THREAD
        return await self._thread_created(thread, body)

    async def create_thread(self, request: web.Request) -> web.Response:
        """POST /channels/{c}/threads: a thread without a starter message, or a forum post.

        In a forum (15) or media (16) channel it is a post: a PUBLIC_THREAD with a first
        `message` that has the thread's id (channel.mdx "Start Thread in Forum or Media
        Channel"), SEND_MESSAGES needed, tags required by REQUIRE_TAG (40067). Elsewhere: text
        channels get public or private threads, announcement channels announcement threads;
        any other channel type is 400 / 50024.
        """
        channel = self.channel(request, writing=True)
        body = self.validate(request, "/channels/{channel_id}/threads")
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
        self.require(
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
        self.require(forum, SEND_MESSAGES)
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
        message_body = self.prepare_message(forum, message_body, len(request.get(FILES, [])))
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
            attachments=self._attachments(thread, request),
            allowed_mentions=message_body.get("allowed_mentions"),
            flags=int(message_body.get("flags") or 0),
        )
        self.state.store_message(message)
        thread.owner_id = self.state.bot_user.id
        thread.auto_archive_duration = int(body.get("auto_archive_duration") or 4320)
        payload = thread.to_json()
        payload["newly_created"] = True
        await self.sb.gateway.dispatch("THREAD_CREATE", payload)
        await self.publish(message)
        out = thread.to_json()
        out["message"] = message.to_json()
        return json_response(out, status=201)

    async def _thread_created(self, thread: Channel, body: JSON) -> web.Response:
        thread.owner_id = self.state.bot_user.id
        thread.auto_archive_duration = int(body.get("auto_archive_duration") or 1440)
        payload = thread.to_json()
        payload["newly_created"] = True
        await self.sb.gateway.dispatch("THREAD_CREATE", payload)
        await self.state.notify()
        return json_response(thread.to_json(), status=201)

    # -- helpers -------------------------------------------------------------------------------

    def new_message(
        self, channel: Channel, author: User, body: JSON, request: web.Request, type: int = 0
    ) -> Message:
        """Store a message built from a create body (content, embeds, components, ...)."""
        reference = body.get("message_reference")
        message = Message(
            id=self.state.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            content=body.get("content") or "",
            embeds=list(body.get("embeds") or []),
            components=list(body.get("components") or []),
            attachments=self._attachments(channel, request),
            allowed_mentions=body.get("allowed_mentions"),
            nonce=None if body.get("nonce") is None else str(body["nonce"]),
            flags=int(body.get("flags") or 0),
            tts=bool(body.get("tts")),
            type=19 if reference and type == 0 else type,
            message_reference=reference,
        )
        return self.state.store_message(message)

    def _attachments(self, channel: Channel, request: web.Request) -> list[JSON]:
        """Attachment objects for the files of a multipart body (ids are new snowflakes)."""
        out = []
        for upload in request.get(FILES, []):
            attachment_id = self.state.ids.next()
            url = f"http://{request.host}/attachments/{channel.id}/{attachment_id}/{upload['filename']}"
            out.append(
                {
                    "id": str(attachment_id),
                    "filename": upload["filename"],
                    "size": upload["size"],
                    "content_type": upload["content_type"],
                    "url": url,
                    "proxy_url": url,
                }
            )
        return out

    async def apply_edit(self, message: Message, body: JSON) -> None:
        """Apply an edit body; the LOADING flag of a deferred response goes away.

        Only SUPPRESS_EMBEDS and IS_COMPONENTS_V2 may change (message.mdx "Edit Message");
        bits the message already has may be sent back as they are.
        """
        flags = body.get("flags")
        if isinstance(flags, int) and not isinstance(flags, bool):
            problems = validation.flag_rules(flags, validation.EDIT_FLAGS | message.flags)
            if problems:
                raise ApiError(400, 50035, "Invalid Form Body", validation.errors_tree(problems))
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in body:
                value = body[key]
                if key == "content":
                    value = value or ""
                elif key in ("embeds", "components"):
                    value = list(value or [])
                setattr(message, key, value)
        if body.get("flags") is not None:
            message.flags = int(body["flags"]) | (message.flags & EPHEMERAL)
        message.flags &= ~LOADING
        message.edited_at = time.time()
        if not message.flags & EPHEMERAL:
            await self.sb.gateway.dispatch("MESSAGE_UPDATE", message.to_json())
        await self.state.notify()

    async def publish(self, message: Message) -> None:
        """Tell the gateway (MESSAGE_CREATE, unless ephemeral) and wake waiting tests."""
        if not message.flags & EPHEMERAL:
            await self.sb.gateway.dispatch("MESSAGE_CREATE", message.to_json())
        await self.state.notify()


async def read_body(request: web.Request) -> Any:
    """The JSON body, or `payload_json` of a multipart body (files are noted on the request)."""
    if not request.can_read_body:
        return None
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        files: list[JSON] = []
        for name, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                files.append(
                    {
                        "field": name,
                        "filename": value.filename,
                        "size": len(content),
                        "content_type": value.content_type,
                    }
                )
        request[FILES] = files
        raw = form.get("payload_json")
        return json.loads(raw) if isinstance(raw, str) else None
    text = await request.text()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from exc


def read_back(message: Message) -> JSON:
    """A message as Discord returns it when read (GET): without the nonce, which Discord
    echoes only in the create answer and MESSAGE_CREATE (message.mdx:1081)."""
    out = message.to_json()
    out.pop("nonce", None)
    return out


def drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the client's connection without an answer (the response returned is never sent)."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=499)


def injected_response(fault: Fault) -> web.Response:
    """The answer of an injected error fault (a 429 gets `Via` and `Retry-After`)."""
    headers: dict[str, str] = {}
    if fault.status == 429:
        headers = {
            "Via": VIA,
            "Retry-After": retry_after_header(fault.retry_after),
            "X-RateLimit-Scope": "global" if fault.is_global else "user",
        }
        if fault.is_global:
            headers["X-RateLimit-Global"] = "true"
    return json_response(fault.error_body(), status=fault.status or 500, headers=headers)


def too_many(verdict: Verdict) -> web.Response:
    """A real 429 from the limiter."""
    headers = dict(verdict.headers)
    headers["Via"] = VIA
    headers["Retry-After"] = retry_after_header(verdict.retry_after or 0.0)
    return json_response(verdict.body(), status=429, headers=headers)
