"""The JSON control API under /_sandbox: the in-process `Control`, over HTTP, for tools.

Ids are strings in answers (as in Discord's API) and accepted as strings or numbers in bodies.
A bad request is answered 400 with {"error": "..."}; a change asked by another site's page
(an Origin that is not the sandbox's own) 403. The routes are listed in the package
docstring (`sandbox/__init__.py`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.control import Control, SandboxError
from sandbox.interactions import OptionError
from sandbox.primitives import JSON
from sandbox.responses import json_response
from sandbox.world import Channel, Guild, Member

PREFIX = "/_sandbox"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _guild_json(guild: Guild) -> JSON:
    return {
        "id": str(guild.id),
        "name": guild.name,
        "channels": [
            {"id": str(c.id), "name": c.name, "type": c.type} for c in guild.channels.values()
        ],
        "members": [
            {"id": str(m.user.id), "username": m.user.username} for m in guild.members.values()
        ],
    }


def _channel_json(channel: Channel) -> JSON:
    return {
        "id": str(channel.id),
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "type": channel.type,
        "parent_id": str(channel.parent_id) if channel.parent_id else None,
        "available_tags": channel.available_tags,
    }


def _member_json(member: Member) -> JSON:
    return {
        "id": str(member.user.id),
        "username": member.user.username,
        "role_ids": [str(r) for r in member.role_ids],
    }


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


class ControlApi:
    """HTTP handlers that call the sandbox's `Control`."""

    def __init__(self, control: Control) -> None:
        self.control = control

    def routes(self) -> list[web.RouteDef]:
        """Every control route."""
        p = PREFIX
        return [
            web.get(p, self.snapshot),
            web.post(p + "/guilds", self.add_guild),
            web.post(p + "/guilds/{guild_id}/channels", self.add_channel),
            web.post(p + "/guilds/{guild_id}/roles", self.add_role),
            web.post(p + "/guilds/{guild_id}/members", self.add_member),
            web.patch(p + "/guilds/{guild_id}/roles/{role_id}", self.set_role),
            web.put(p + "/guilds/{guild_id}/members/{member_id}/roles/{role_id}", self.give_role),
            web.delete(
                p + "/guilds/{guild_id}/members/{member_id}/roles/{role_id}", self.give_role
            ),
            web.delete(p + "/channels/{channel_id}", self.delete_channel),
            web.post(p + "/channels/{channel_id}/forbid", self.forbid_channel),
            web.post(p + "/users/{user_id}/install", self.install_app),
            web.post(p + "/users/{user_id}/dms", self.set_dms),
            web.put(p + "/channels/{channel_id}/permissions/{target_id}", self.set_overwrite),
            web.patch(p + "/channels/{channel_id}/thread", self.set_thread),
            web.post(p + "/clock/advance", self.advance_clock),
            web.get(p + "/channels/{channel_id}/messages", self.messages),
            web.get(p + "/pings", self.pings),
            web.post(p + "/interactions", self.interact),
            web.post(p + "/click", self.click),
            web.get(p + "/commands", self.commands),
            web.get(p + "/requests", self.requests),
            web.get(p + "/faults", self.faults),
            web.post(p + "/faults", self.add_fault),
            web.delete(p + "/faults", self.clear_faults),
            web.delete(p + "/faults/{fault_id}", self.clear_faults),
            web.post(p + "/gateway/{action}", self.gateway),
            web.post(p + "/cloudflare", self.cloudflare_fault),
            web.get(p + "/settings", self.settings),
            web.patch(p + "/settings", self.settings),
            web.post(p + "/reset", self.reset),
        ]

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Turn a bad control request into 400 {"error": ...}."""
        if not request.path.startswith(PREFIX):
            return await handler(request)
        origin = request.headers.get("Origin")
        if (
            request.method != "GET"
            and origin is not None
            and origin != f"{request.scheme}://{request.host}"
        ):
            # Another site open in the same browser as the web view may POST here (a simple
            # request needs no preflight); tools (curl, httpx) send no Origin, the page its own.
            return json_response({"error": f"cross-origin request from {origin}"}, status=403)
        try:
            return await handler(request)
        except (SandboxError, OptionError, KeyError, ValueError, TypeError) as exc:
            message = str(exc.args[0]) if exc.args else type(exc).__name__
            return json_response({"error": message}, status=400)

    @staticmethod
    async def _body(request: web.Request) -> JSON:
        if not request.can_read_body:
            return {}
        body = json.loads(await request.text() or "{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    async def snapshot(self, request: web.Request) -> web.Response:
        """GET /_sandbox: bot, guilds, commands, counters, settings."""
        return json_response(self.control.snapshot())

    async def add_guild(self, request: web.Request) -> web.Response:
        """POST /_sandbox/guilds {"name", "channels": [...], "everyone_permissions", "shard"}."""
        body = await self._body(request)
        kwargs: dict[str, Any] = {"name": body.get("name", "Sandbox Guild")}
        if "channels" in body:
            kwargs["channels"] = [str(c) for c in body["channels"]]
        if "everyone_permissions" in body:
            kwargs["everyone_permissions"] = int(body["everyone_permissions"])
        if "with_bot" in body:  # false: a server the app is not installed in
            kwargs["with_bot"] = bool(body["with_bot"])
        if "shard" in body:  # [shard_id, num_shards]: an id on that shard
            shard_id, count = (int(v) for v in body["shard"])
            kwargs["shard"] = (shard_id, count)
        return json_response(_guild_json(await self.control.add_guild(**kwargs)), status=201)

    async def add_channel(self, request: web.Request) -> web.Response:
        """POST /_sandbox/guilds/{id}/channels {"name", "type"}."""
        body = await self._body(request)
        channel = await self.control.add_channel(
            int(request.match_info["guild_id"]),
            str(body["name"]),
            int(body.get("type", 0)),
            parent_id=_opt_int(body.get("parent_id")),
            flags=int(body.get("flags", 0)),
            tags=[str(t) for t in body.get("tags", [])],
        )
        return json_response(_channel_json(channel), status=201)

    async def add_role(self, request: web.Request) -> web.Response:
        """POST /_sandbox/guilds/{id}/roles {"name", "permissions", "mentionable", "position"}."""
        body = await self._body(request)
        role = await self.control.add_role(
            int(request.match_info["guild_id"]),
            str(body["name"]),
            int(body.get("permissions", 0)),
            mentionable=bool(body.get("mentionable", False)),
            position=_opt_int(body.get("position")),
        )
        return json_response(role.to_json(), status=201)

    async def set_role(self, request: web.Request) -> web.Response:
        """PATCH /_sandbox/guilds/{id}/roles/{role_id} {"mentionable", "permissions"}."""
        body = await self._body(request)
        mentionable = body.get("mentionable")
        role = await self.control.set_role(
            int(request.match_info["guild_id"]),
            int(request.match_info["role_id"]),
            mentionable=None if mentionable is None else bool(mentionable),
            permissions=_opt_int(body.get("permissions")),
        )
        return json_response(role.to_json())

    async def give_role(self, request: web.Request) -> web.Response:
        """PUT (give) / DELETE (take) /_sandbox/guilds/{id}/members/{member_id}/roles/{role_id}:
        as a moderator, no hierarchy."""
        member = await self.control.give_role(
            int(request.match_info["guild_id"]),
            int(request.match_info["member_id"]),
            int(request.match_info["role_id"]),
            give=request.method == "PUT",
        )
        return json_response(_member_json(member))

    async def pings(self, request: web.Request) -> web.Response:
        """GET /_sandbox/pings?channel_id=: every message that notified anyone, and whom."""
        channel = request.query.get("channel_id")
        return json_response(self.control.pings(int(channel) if channel else None))

    async def add_member(self, request: web.Request) -> web.Response:
        """POST /_sandbox/guilds/{id}/members {"username", "permissions", "role_ids"}."""
        body = await self._body(request)
        member = await self.control.add_member(
            int(request.match_info["guild_id"]),
            str(body["username"]),
            permissions=_opt_int(body.get("permissions")),
            role_ids=[int(r) for r in body.get("role_ids", [])],
        )
        return json_response(_member_json(member), status=201)

    async def delete_channel(self, request: web.Request) -> web.Response:
        """DELETE /_sandbox/channels/{id}: later requests to it get 404 / 10003."""
        await self.control.delete_channel(int(request.match_info["channel_id"]))
        return json_response({"deleted": request.match_info["channel_id"]})

    async def forbid_channel(self, request: web.Request) -> web.Response:
        """POST /_sandbox/channels/{id}/forbid {"forbidden": true}: writes get 403 / 50013."""
        body = await self._body(request)
        self.control.forbid_channel(
            int(request.match_info["channel_id"]), bool(body.get("forbidden", True))
        )
        return json_response({"forbidden": bool(body.get("forbidden", True))})

    async def install_app(self, request: web.Request) -> web.Response:
        """POST /_sandbox/users/{id}/install {"installed": true}: the user's own install."""
        body = await self._body(request)
        installed = bool(body.get("installed", True))
        self.control.install_app(int(request.match_info["user_id"]), installed)
        return json_response({"installed": installed})

    async def set_dms(self, request: web.Request) -> web.Response:
        """POST /_sandbox/users/{id}/dms {"open": false}: closed, DMs get 403 / 50007."""
        body = await self._body(request)
        is_open = bool(body.get("open", True))
        self.control.set_dms(int(request.match_info["user_id"]), is_open)
        return json_response({"open": is_open})

    async def set_overwrite(self, request: web.Request) -> web.Response:
        """PUT /_sandbox/channels/{id}/permissions/{role or member id} {"allow", "deny", "type"}."""
        body = await self._body(request)
        channel = await self.control.set_overwrite(
            int(request.match_info["channel_id"]),
            int(request.match_info["target_id"]),
            allow=int(body.get("allow", 0)),
            deny=int(body.get("deny", 0)),
            type=_opt_int(body.get("type")),
        )
        return json_response(channel.to_json())

    async def set_thread(self, request: web.Request) -> web.Response:
        """PATCH /_sandbox/channels/{id}/thread {"archived", "locked"}."""
        body = await self._body(request)
        thread = await self.control.set_thread(
            int(request.match_info["channel_id"]),
            archived=None if body.get("archived") is None else bool(body["archived"]),
            locked=None if body.get("locked") is None else bool(body["locked"]),
        )
        return json_response(thread.to_json())

    async def advance_clock(self, request: web.Request) -> web.Response:
        """POST /_sandbox/clock/advance {"seconds"}: threads idle past their duration archive."""
        body = await self._body(request)
        archived = await self.control.advance_clock(float(body.get("seconds", 0)))
        return json_response(
            {"now": self.control.state.now(), "archived": [str(c.id) for c in archived]}
        )

    async def messages(self, request: web.Request) -> web.Response:
        """GET /_sandbox/channels/{id}/messages: oldest first, ephemeral ones included."""
        return json_response(self.control.messages(int(request.match_info["channel_id"])))

    async def interact(self, request: web.Request) -> web.Response:
        """POST /_sandbox/interactions: a slash command, or autocomplete if "focused" is given."""
        body = await self._body(request)
        common: dict[str, Any] = {
            "guild_id": _opt_int(body.get("guild_id")),
            "channel_id": _opt_int(body.get("channel_id")),
            "user_id": _opt_int(body.get("user_id")),
            "permissions": _opt_int(body.get("permissions")),
            "timeout": float(body.get("timeout", 10.0)),
        }
        options = dict(body.get("options") or {})
        if body.get("focused"):
            result = await self.control.autocomplete(
                str(body["command"]), options, str(body["focused"]), **common
            )
        else:
            result = await self.control.invoke(
                str(body["command"]),
                options,
                followups=int(body.get("followups", 0)),
                settle=float(body.get("settle", 0.0)),
                context=str(body.get("context", "guild")),
                **common,
            )
        return json_response(result.to_json())

    async def click(self, request: web.Request) -> web.Response:
        """POST /_sandbox/click {"message_id", "custom_id", "user_id", "component_type": 2,
        "values": [...], "timeout": 10}: a button click (or select) on a message."""
        body = await self._body(request)
        values = body.get("values")
        result = await self.control.click(
            int(body["message_id"]),
            str(body["custom_id"]),
            user_id=_opt_int(body.get("user_id")),
            component_type=int(body.get("component_type", 2)),
            values=None if values is None else [str(v) for v in values],
            timeout=float(body.get("timeout", 10.0)),
        )
        return json_response(result.to_json())

    async def commands(self, request: web.Request) -> web.Response:
        """GET /_sandbox/commands[?guild_id=]: the synced commands."""
        return json_response(self.control.commands(_opt_int(request.query.get("guild_id"))))

    async def requests(self, request: web.Request) -> web.Response:
        """GET /_sandbox/requests[?route=&status=&method=]: the request log."""
        q = request.query
        records = self.control.requests(
            route=q.get("route"), status=_opt_int(q.get("status")), method=q.get("method")
        )
        return json_response([r.to_json() for r in records])

    async def faults(self, request: web.Request) -> web.Response:
        """GET /_sandbox/faults: the active faults."""
        return json_response([f.to_json() for f in self.control.faults()])

    async def add_fault(self, request: web.Request) -> web.Response:
        """POST /_sandbox/faults {"route", "status", "code", "latency_ms", "times", ...}."""
        body = await self._body(request)
        return json_response(self.control.inject_fault(**body).to_json(), status=201)

    async def clear_faults(self, request: web.Request) -> web.Response:
        """DELETE /_sandbox/faults[/{id}]."""
        self.control.clear_faults(_opt_int(request.match_info.get("fault_id")))
        return json_response({"cleared": True})

    async def cloudflare_fault(self, request: web.Request) -> web.Response:
        """POST /_sandbox/cloudflare {"route": "*", "status": 502, "times": 1}."""
        body = await self._body(request)
        fault = self.control.cloudflare_fault(
            str(body.get("route", "*")), int(body.get("status", 502)), body.get("times", 1)
        )
        return json_response(fault.to_json())

    async def gateway(self, request: web.Request) -> web.Response:
        """POST /_sandbox/gateway/{reconnect|invalid_session|drop|silence} {"resumable"}."""
        body = await self._body(request)
        count = await self.control.gateway(
            request.match_info["action"], bool(body.get("resumable"))
        )
        return json_response({"connections": count})

    async def settings(self, request: web.Request) -> web.Response:
        """GET or PATCH /_sandbox/settings."""
        body = await self._body(request) if request.method == "PATCH" else {}
        return json_response(self.control.configure(**body))

    async def reset(self, request: web.Request) -> web.Response:
        """POST /_sandbox/reset {"full": false}."""
        body = await self._body(request)
        await self.control.reset(full=bool(body.get("full")))
        return json_response({"reset": True})
