"""Messages as the bot creates and edits them: building, replies, attachments, announcing.

Shared by the channel message routes, forum posts and the interaction webhook, so a message
is built and checked the same way wherever it comes from: `prepare_message` applies the
checks that need the channel (embeds without EMBED_LINKS dropped, empty messages, replies),
`new_message` stores it, `publish` announces it (MESSAGE_CREATE unless ephemeral) and wakes
waiting tests, `apply_edit` applies an edit body.
"""

from __future__ import annotations

import time

from aiohttp import web

from sandbox import validation
from sandbox.flags import EMBED_LINKS, EPHEMERAL, LOADING, MENTION_EVERYONE, READ_MESSAGE_HISTORY
from sandbox.gateway import Gateway
from sandbox.mention_rules import EVERY_TYPE, INTERACTION_DEFAULT, allowed
from sandbox.primitives import JSON
from sandbox.records import Message
from sandbox.responses import ApiError
from sandbox.routes.access import Access
from sandbox.routes.request import FILES
from sandbox.state import SandboxState
from sandbox.world import Channel, User


class Posting:
    """Build, check, store, edit and announce messages in one sandbox."""

    def __init__(self, state: SandboxState, gateway: Gateway, access: Access) -> None:
        self.state = state
        self.gateway = gateway
        self.access = access

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
            await self.gateway.dispatch("THREAD_UPDATE", channel.to_json())

    def prepare_message(self, channel: Channel, body: JSON, files: int = 0) -> JSON:
        """Discord's checks of a message body that need the channel (after schema validation):
        embeds without EMBED_LINKS, empty messages, replies. Returns the body to store."""
        if body.get("embeds") and not self.access.bot_can(channel, EMBED_LINKS):
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
        self.access.require(channel, READ_MESSAGE_HISTORY)
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

    def notify(self, message: Message, mentions: object, *, webhook: bool = False) -> None:
        """Work out who `message` notifies (message.mdx "Allowed Mentions Object"): what its
        content mentions and `mentions` (the request's `allowed_mentions`, None if absent)
        allows; a role only if mentionable or the bot has MENTION_EVERYONE in the channel,
        @everyone/@here only with it. An interaction's or webhook's default is users only."""
        default = INTERACTION_DEFAULT if webhook else EVERY_TYPE
        let = allowed(message.content, mentions, default=default)
        guild = self.state.guilds.get(message.guild_id or 0)
        channel = self.state.channels.get(message.channel_id)
        can_everyone = (
            guild is not None
            and channel is not None
            and self.access.bot_can(channel, MENTION_EVERYONE)
        )
        users: list[User] = []
        roles: list[int] = []
        reached: dict[int, None] = {}
        everyone = let.everyone and can_everyone
        if guild is not None:
            users = [guild.members[u].user for u in let.users if u in guild.members]
            roles = [
                r
                for r in let.roles
                if r in guild.roles
                and r != guild.id
                and (guild.roles[r].mentionable or can_everyone)
            ]
            reached = dict.fromkeys(u.id for u in users)
            for role_id in [*roles, *([guild.id] if everyone else [])]:
                reached.update(dict.fromkeys(guild.members_with(role_id)))
            reached.pop(self.state.bot_user.id, None)
        message.mentioned, message.pinged_roles = users, roles
        message.pinged_everyone, message.pinged_members = everyone, list(reached)

    def new_message(
        self,
        channel: Channel,
        author: User,
        body: JSON,
        request: web.Request,
        type: int = 0,
        *,
        webhook: bool = False,
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
            attachments=self.attachments(channel, request),
            allowed_mentions=body.get("allowed_mentions"),
            nonce=None if body.get("nonce") is None else str(body["nonce"]),
            flags=int(body.get("flags") or 0),
            tts=bool(body.get("tts")),
            type=19 if reference and type == 0 else type,
            message_reference=reference,
        )
        self.notify(message, body.get("allowed_mentions"), webhook=type == 20 or webhook)
        return self.state.store_message(message)

    def attachments(self, channel: Channel, request: web.Request) -> list[JSON]:
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
        if "content" in body:
            # message.mdx:1180 an edit of the content rebuilds the mentions, with the edit's
            # `allowed_mentions` or else the default ones
            self.notify(
                message, body.get("allowed_mentions"), webhook=message.webhook_id is not None
            )
        if body.get("flags") is not None:
            message.flags = int(body["flags"]) | (message.flags & EPHEMERAL)
        message.flags &= ~LOADING
        message.edited_at = time.time()
        self.state.message_edited(message)
        if not message.flags & EPHEMERAL:
            await self.gateway.dispatch("MESSAGE_UPDATE", message.to_json())
        await self.state.notify()

    async def publish(self, message: Message) -> None:
        """Tell the gateway (MESSAGE_CREATE, unless ephemeral) and wake waiting tests."""
        if not message.flags & EPHEMERAL:
            await self.gateway.dispatch("MESSAGE_CREATE", message.to_json())
        await self.state.notify()
