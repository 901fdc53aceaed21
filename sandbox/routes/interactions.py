"""Interaction routes: the callback and the interaction webhook (the bot's answers).


Discord's rules, enforced here (deadlines come from the live settings):
- the callback (first response) within `interaction_deadline`, else 404 / 10062; a second one
  gets 400 / 40060; it answers 200 with a JSON body that has an `interaction` key (discord.py
  always asks `with_response`, and crashes on a 204);
- follow-ups and edits of `@original` through `/webhooks/{application_id}/{token}` work only
  after the callback and for `token_lifetime`, else 404 / 10015 or 401 / 50027.
Neither route carries an Authorization header, and neither counts toward the global limit.
"""

from __future__ import annotations

import time

from aiohttp import web

from sandbox import validation
from sandbox.flags import EPHEMERAL, LOADING
from sandbox.interactions import CALLBACK_TYPES, Interaction, InteractionBook
from sandbox.primitives import JSON
from sandbox.records import Message
from sandbox.responses import ApiError, json_response, unknown_message
from sandbox.routes.access import Access
from sandbox.routes.posting import Posting
from sandbox.routes.request import file_count
from sandbox.state import SandboxState


class InteractionRoutes:
    """The callback and webhook routes; messages are built by the shared `Posting`."""

    def __init__(
        self,
        state: SandboxState,
        interactions: InteractionBook,
        access: Access,
        posting: Posting,
    ) -> None:
        self.state = state
        self.interactions = interactions
        self.access = access
        self.posting = posting

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """The routes, named as in the OpenAPI spec."""
        hook = prefix + "/webhooks/{webhook_id}/{webhook_token}"
        return [
            web.post(
                prefix + "/interactions/{interaction_id}/{interaction_token}/callback",
                self.callback,
            ),
            web.post(hook, self.execute_webhook),
            web.get(hook + "/messages/{message_id}", self.get_webhook_message),
            web.patch(hook + "/messages/{message_id}", self.edit_webhook_message),
            web.delete(hook + "/messages/{message_id}", self.delete_webhook_message),
        ]

    def interaction(self, request: web.Request) -> Interaction:
        """The interaction a callback names; 404 / 10062 if unknown."""
        raw = request.match_info["interaction_id"]
        found = self.interactions.by_id.get(int(raw)) if raw.isdigit() else None
        if found is None or found.token != request.match_info["interaction_token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        return found

    async def callback(self, request: web.Request) -> web.StreamResponse:
        """POST /interactions/{id}/{token}/callback: the bot's first response."""
        inter = self.interaction(request)
        if inter.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if inter.age() > self.state.settings.interaction_deadline:
            inter.late_callbacks += 1
            inter.touch()
            await self.state.notify()
            raise ApiError(404, 10062, "Unknown interaction")
        body = self.access.validate(
            request, "/interactions/{interaction_id}/{interaction_token}/callback"
        )
        kind = int(body["type"])
        expected = CALLBACK_TYPES.get(inter.type, (4, 5, 9))
        if kind not in expected:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": f"Interaction response type {kind} is not valid here.",
                            }
                        ]
                    }
                },
            )
        data = body.get("data") or {}
        if kind == 4 and validation.is_empty_message(data):
            raise ApiError(400, 50006, "Cannot send an empty message")
        if kind in (4, 5):
            self._check_public(inter, data)
        inter.response_type, inter.response_data = kind, data
        inter.responded_at = time.monotonic()
        message: Message | None = None
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) & EPHEMERAL
            if kind == 5:
                data = {"flags": flags | LOADING}
            message = self.posting.new_message(
                inter.channel, self.state.bot_user, data, request, type=20
            )
            message.interaction_id = inter.id
            message.webhook_id = self.state.application_id
            message.application_id = self.state.application_id
            inter.original_id = message.id
            await self.posting.publish(message)
        if kind in (6, 7) and inter.message_id in self.state.messages:
            # A component's answer: the message it is on is the "original" (7 edits it now).
            message = self.state.messages[inter.message_id]
            inter.original_id = message.id
            if kind == 7:
                await self.posting.apply_edit(message, data)
        if kind in (4, 7, 8, 9):
            inter.completed_at = inter.responded_at
        inter.touch()
        await self.state.notify()
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        resource: JSON = {"type": kind}
        if message is not None:
            resource["message"] = message.to_json()
        interaction: JSON = {"id": str(inter.id), "type": inter.type}
        if message is not None:  # these three only come with a message (discord-api-types)
            interaction.update(
                response_message_id=str(message.id),
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(message.flags & EPHEMERAL),
            )
        return json_response({"interaction": interaction, "resource": resource})

    @staticmethod
    def _check_public(inter: Interaction, data: JSON) -> None:
        """A non-ephemeral answer where only a user install brought the app and the user may
        not send messages: 403 / 50013 (`Interaction.may_answer_publicly`; the docs say the
        app "won't be able to respond", not with which code)."""
        if not int(data.get("flags") or 0) & EPHEMERAL and not inter.may_answer_publicly():
            raise ApiError(403, 50013, "Missing Permissions")

    def webhook_interaction(self, request: web.Request) -> Interaction:
        """The interaction behind a webhook token; 404 / 10015 unknown, 401 / 50027 expired."""
        inter = self.interactions.by_token.get(request.match_info["webhook_token"])
        if inter is None or request.match_info["webhook_id"] != str(self.state.application_id):
            raise ApiError(404, 10015, "Unknown Webhook")
        if inter.age() > self.state.settings.token_lifetime:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        if inter.response_type is None:
            raise ApiError(404, 10015, "Unknown Webhook")  # nothing acknowledged yet
        return inter

    async def execute_webhook(self, request: web.Request) -> web.StreamResponse:
        """POST /webhooks/{app}/{token}: an interaction follow-up (`?wait=true` returns it)."""
        inter = self.webhook_interaction(request)
        body = self.access.validate(request, "/webhooks/{webhook_id}/{webhook_token}")
        if validation.is_empty_message(body, file_count(request)):
            raise ApiError(400, 50006, "Cannot send an empty message")
        self._check_public(inter, body)
        message = self.posting.new_message(
            inter.channel, self.state.bot_user, body, request, webhook=True
        )
        message.webhook_id = message.application_id = self.state.application_id
        message.interaction_id = inter.id
        inter.followup_ids.append(message.id)
        inter.completed_at = inter.completed_at or time.monotonic()
        inter.touch()
        await self.posting.publish(message)
        if request.query.get("wait", "").lower() in ("1", "true"):
            return json_response(message.to_json())
        return web.Response(status=204)

    def webhook_message(self, request: web.Request, inter: Interaction) -> Message:
        """`@original` or a follow-up of this interaction."""
        raw = request.match_info["message_id"]
        if raw == "@original":
            message_id = inter.original_id
        else:
            message_id = int(raw) if raw.isdigit() else None
            if message_id not in inter.followup_ids and message_id != inter.original_id:
                message_id = None
        message = self.state.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise unknown_message()
        return message

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        """GET @original or a follow-up."""
        inter = self.webhook_interaction(request)
        return json_response(self.webhook_message(request, inter).to_json())

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        """PATCH @original (e.g. after a defer) or a follow-up."""
        inter = self.webhook_interaction(request)
        message = self.webhook_message(request, inter)
        raw = request.match_info["message_id"]
        spec_path = "/webhooks/{webhook_id}/{webhook_token}/messages/" + (
            "@original" if raw == "@original" else "{message_id}"
        )
        body = self.access.validate(request, spec_path)
        await self.posting.apply_edit(message, body)
        inter.edits += 1
        inter.completed_at = inter.completed_at or time.monotonic()
        inter.touch()
        await self.state.notify()
        return json_response(message.to_json())

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        """DELETE @original or a follow-up."""
        inter = self.webhook_interaction(request)
        message = self.webhook_message(request, inter)
        self.state.delete_message(message.id)
        await self.state.notify()
        return web.Response(status=204)
