"""The contract check: every payload the sandbox emits, validated against discord-api-types.

The schemas in `schemas/` were generated once from the community `discord-api-types` package
(MIT, see schemas/LICENSE and README.md), independently of the OpenAPI spec the sandbox
validates requests with. `ContractCheck` is a `sandbox.observe` observer: tests/conftest.py
installs one around every test and fails the test if the sandbox emitted anything the types
forbid (a required field missing, a wrong type, an unknown enum value, ...).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

SCHEMA = Path(__file__).parent / "schemas" / "discord-api-types.schema.json"

# Gateway event -> the discord-api-types type of its `d`.
GATEWAY: dict[str, str] = {
    "READY": "GatewayReadyDispatchData",
    "GUILD_CREATE": "GatewayGuildCreateDispatchData",
    "GUILD_DELETE": "GatewayGuildDeleteDispatchData",
    "INTERACTION_CREATE": "GatewayInteractionCreateDispatchData",
    "MESSAGE_CREATE": "GatewayMessageCreateDispatchData",
    "MESSAGE_UPDATE": "GatewayMessageUpdateDispatchData",
    "MESSAGE_DELETE": "GatewayMessageDeleteDispatchData",
    "CHANNEL_CREATE": "GatewayChannelCreateDispatchData",
    "CHANNEL_UPDATE": "GatewayChannelUpdateDispatchData",
    "CHANNEL_DELETE": "GatewayChannelDeleteDispatchData",
    "THREAD_CREATE": "GatewayThreadCreateDispatchData",
    "THREAD_UPDATE": "GatewayThreadUpdateDispatchData",
    "GUILD_ROLE_CREATE": "GatewayGuildRoleCreateDispatchData",
    "GUILD_MEMBER_ADD": "GatewayGuildMemberAddDispatchData",
    "GUILD_MEMBERS_CHUNK": "GatewayGuildMembersChunkDispatchData",
}

MESSAGE = "APIMessage"
WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}"
# REST route template -> the type of its (successful) JSON answer; "[T]" is a list of T.
REST: dict[str, str] = {
    "GET /users/@me": "APIUser",
    "GET /gateway/bot": "RESTGetAPIGatewayBotResult",
    "GET /oauth2/applications/@me": "RESTGetAPIOAuth2CurrentApplicationResult",
    "GET /applications/{application_id}/commands": "[APIApplicationCommand]",
    "PUT /applications/{application_id}/commands": "[APIApplicationCommand]",
    "GET /applications/{application_id}/guilds/{guild_id}/commands": "[APIApplicationCommand]",
    "PUT /applications/{application_id}/guilds/{guild_id}/commands": "[APIApplicationCommand]",
    "GET /channels/{channel_id}": "APIChannel",
    "GET /guilds/{guild_id}/channels": "[APIChannel]",
    "POST /channels/{channel_id}/messages": MESSAGE,
    "GET /channels/{channel_id}/messages": "RESTGetAPIChannelMessagesResult",
    "GET /channels/{channel_id}/messages/{message_id}": MESSAGE,
    "PATCH /channels/{channel_id}/messages/{message_id}": MESSAGE,
    "POST /channels/{channel_id}/messages/{message_id}/threads": "APIChannel",
    "POST /channels/{channel_id}/threads": "APIChannel",
    "POST /interactions/{interaction_id}/{interaction_token}/callback": (
        "RESTPostAPIInteractionCallbackWithResponseResult"
    ),
    f"POST {WEBHOOK}": MESSAGE,
    f"GET {WEBHOOK}/messages/{{message_id}}": MESSAGE,
    f"PATCH {WEBHOOK}/messages/{{message_id}}": MESSAGE,
}


@functools.cache
def definitions() -> dict[str, Any]:
    """The generated schema's definitions, loaded once per test session."""
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text("utf-8"))["definitions"]
    return loaded


@functools.cache
def validator(type_name: str) -> Draft7Validator:
    """A validator of one discord-api-types type ("[T]": a list of T)."""
    if type_name.startswith("["):
        schema: dict[str, Any] = {
            "type": "array",
            "items": {"$ref": f"#/definitions/{type_name[1:-1]}"},
        }
    else:
        schema = {"$ref": f"#/definitions/{type_name}"}
    schema["definitions"] = definitions()
    return Draft7Validator(schema)


def violations(kind: str, name: str, payload: Any) -> list[str]:
    """What is wrong with one emitted payload (empty: it matches its type, or has none)."""
    type_name = (GATEWAY if kind == "gateway" else REST).get(name)
    if type_name is None:
        return []
    found = []
    for error in validator(type_name).iter_errors(payload):
        for leaf in _explain(error):
            where = "/".join(str(p) for p in leaf.absolute_path) or "<root>"
            found.append(f"{kind} {name} ({type_name}) at {where}: {leaf.message[:300]}")
    return found


def _explain(error: ValidationError) -> list[ValidationError]:
    """The errors that say what is wrong: for a union (a channel is one of many channel types),
    those of the branch whose `type` matched, recursively."""
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    def wrong_kind(errors: list[ValidationError]) -> bool:
        return any(
            e.validator in ("const", "enum") and list(e.relative_path)[-1:] == ["type"]
            for e in errors
        )

    matching = [errs for errs in branches.values() if not wrong_kind(errs)] or list(
        branches.values()
    )
    best = min(matching, key=len)
    return [leaf for sub in best for leaf in _explain(sub)]


class ContractCheck:
    """An observer that collects every violation it sees."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.problems: list[str] = []

    def __call__(self, kind: str, name: str, payload: Any) -> None:
        self.seen[f"{kind} {name}"] = self.seen.get(f"{kind} {name}", 0) + 1
        self.problems.extend(violations(kind, name, payload))
