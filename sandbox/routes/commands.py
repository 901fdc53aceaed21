"""Application command routes: what `tree.sync()` writes and reads back.

A sync body is checked against Discord's command rules (`sandbox.command_rules`) first, then
against the spec; both answer 400 / 50035 with the error tree.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.command_rules import command_problems
from sandbox.form_errors import errors_tree
from sandbox.primitives import JSON
from sandbox.records import Command
from sandbox.responses import ApiError, json_response
from sandbox.routes.access import Access
from sandbox.routes.request import BODY
from sandbox.state import SandboxState


class CommandRoutes:
    """GET and PUT (bulk overwrite) the commands, global or of a guild."""

    def __init__(self, state: SandboxState, access: Access) -> None:
        self.state = state
        self.access = access

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """The routes, named as in the OpenAPI spec."""
        app = prefix + "/applications/{application_id}"
        return [
            web.get(app + "/commands", self.get_commands),
            web.put(app + "/commands", self.put_commands),
            web.get(app + "/guilds/{guild_id}/commands", self.get_commands),
            web.put(app + "/guilds/{guild_id}/commands", self.put_commands),
        ]

    def _application(self, request: web.Request) -> int | None:
        if request.match_info["application_id"] != str(self.state.application_id):
            raise ApiError(404, 10002, "Unknown Application")
        guild = request.match_info.get("guild_id")
        if guild is None:
            return None
        if not guild.isdigit() or int(guild) not in self.state.guilds:
            raise ApiError(404, 10004, "Unknown Guild")
        if not self.state.bot_in(int(guild)):
            raise ApiError(403, 50001, "Missing Access")  # the app is not in that server
        return int(guild)

    def _installs(self, payloads: list[JSON]) -> None:
        """Give each global command its installation contexts, or refuse one the app does not
        support (application-commands.mdx:38 "Defaults to your app's configured contexts";
        :300 `integration_types` can be set "as long as any included contexts are already
        supported on the application-level"). The docs give no error code for the refusal:
        the sandbox answers 50035 on the field (the code string is its own)."""
        supported = sorted(set(self.state.settings.install_contexts))
        problems: JSON = {}
        for i, payload in enumerate(payloads):
            wanted = payload.get("integration_types")
            if wanted is None:
                payload["integration_types"] = list(supported)
                continue
            if any(kind not in supported for kind in wanted):
                problems[str(i)] = {
                    "integration_types": {
                        "_errors": [
                            {
                                "code": "APPLICATION_INTEGRATION_TYPE_NOT_SUPPORTED",
                                "message": "The application does not support this "
                                "installation context.",
                            }
                        ]
                    }
                }
        if problems:
            raise ApiError(400, 50035, "Invalid Form Body", problems)

    async def get_commands(self, request: web.Request) -> web.Response:
        """GET the synced commands, global or of a guild."""
        guild_id = self._application(request)
        return json_response([c.to_json() for c in self.state.guild_commands(guild_id)])

    async def put_commands(self, request: web.Request) -> web.Response:
        """PUT (bulk overwrite) the commands, global or of a guild: what `tree.sync()` does."""
        problems = command_problems(request.get(BODY))
        if problems:
            raise ApiError(400, 50035, "Invalid Form Body", errors_tree(problems))
        guild_id = self._application(request)
        spec_path = "/applications/{application_id}/commands"
        if guild_id is not None:
            spec_path = "/applications/{application_id}/guilds/{guild_id}/commands"
        payloads = self.access.validate(request, spec_path) or []
        if guild_id is None:
            self._installs(payloads)
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
