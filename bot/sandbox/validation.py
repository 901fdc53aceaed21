"""Request-body validation against Discord's OpenAPI spec, plus the rules the spec lacks.

The spec (`spec/openapi.json`, MIT, copied from discord/discord-api-spec) is OpenAPI 3.1, whose
schemas are JSON Schema 2020-12 with `#/components/schemas/...` references. The whole document is
registered once as a `referencing` resource, so every `$ref` resolves lazily against it; one
validator per (method, path) is built on first use and cached. Loading the 1 MB document costs
about 30 ms, so a sandbox starts fast.

Violations are reported the way Discord reports them: status 400, code 50035, "Invalid Form Body",
and an `errors` tree keyed by the path of the bad field, each leaf holding `_errors`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:discord-openapi"

MAX_CONTENT = 2000  # the documented limit for bot messages (the spec says 4000)
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_NONCE = 25

# Routes whose bodies carry a message, so the message rules apply.
MESSAGE_ROUTES = {
    ("POST", "/channels/{channel_id}/messages"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
}
CALLBACK_ROUTE = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback")


class FormError:
    """One failed rule at one place in the body, as Discord words it."""

    def __init__(self, path: Iterable[str | int], code: str, message: str) -> None:
        self.path = [str(p) for p in path]
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"FormError({'.'.join(self.path) or '<body>'}: {self.code})"


@functools.cache
def spec() -> dict[str, Any]:
    """The in-package OpenAPI document, parsed once."""
    text = resources.files("bot.sandbox").joinpath("spec/openapi.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = DRAFT202012.create_resource(spec())
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return registry


def _absolutize(schema: Any) -> Any:
    """Turn the operation schema's local `#/...` refs into refs into the registered document."""
    if isinstance(schema, dict):
        return {
            k: (SPEC_URI + v if k == "$ref" and v.startswith("#") else _absolutize(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_absolutize(v) for v in schema]
    return schema


def _body_schema(method: str, path: str) -> dict[str, Any] | None:
    """The JSON Schema of an operation's JSON request body, or None if it takes none."""
    operation = spec()["paths"].get(path, {}).get(method.lower()) or {}
    content = operation.get("requestBody", {}).get("content", {})
    schema: dict[str, Any] | None = content.get("application/json", {}).get("schema")
    return schema


@functools.cache
def validator_for(method: str, path: str) -> Draft202012Validator | None:
    """The cached validator of an operation's JSON request body, or None if it takes none."""
    schema = _body_schema(method, path)
    if schema is None:
        return None
    return Draft202012Validator(_absolutize(schema), registry=_registry())


@functools.cache
def tagged_branches(method: str, path: str) -> dict[Any, Draft202012Validator]:
    """For a body that is a union of `$ref`s told apart by their `type` field (the interaction
    callback: message, deferral, autocomplete, modal, ...): a validator per `type` value.

    Empty when the body is not such a union, or when a value names several branches.
    """
    schema = _body_schema(method, path) or {}
    union = schema.get("anyOf") or schema.get("oneOf") or []
    by_tag: dict[Any, Draft202012Validator] = {}
    for branch in union:
        ref = branch.get("$ref", "") if isinstance(branch, dict) else ""
        target = spec()["components"]["schemas"].get(ref.rpartition("/")[2]) if ref else None
        tags = ((target or {}).get("properties", {}).get("type") or {}).get("enum")
        if not tags or any(tag in by_tag for tag in tags):
            return {}
        validator = Draft202012Validator(_absolutize(branch), registry=_registry())
        by_tag.update(dict.fromkeys(tags, validator))
    return by_tag


def validate_body(method: str, path: str, body: Any) -> list[FormError]:
    """Every rule `body` breaks for the operation `method path` (path is the spec's template).

    A body of a tagged union is first checked against the one branch its `type` names: when
    that branch accepts it, the union does, and the other branches need not run (they were
    most of the sandbox's work per `/hot`: bench/commands.py). Otherwise the whole union
    runs, so errors are reported exactly as before.
    """
    problems: list[FormError] = []
    validator = validator_for(method, path)
    if validator is not None:
        tag = body.get("type") if isinstance(body, dict) else None
        branch = tagged_branches(method, path).get(tag) if isinstance(tag, int) else None
        if branch is None or not branch.is_valid(body):
            for error in validator.iter_errors(body):
                problems.extend(_translate(error, body))
    if (method, path) in MESSAGE_ROUTES:
        problems.extend(message_rules(body))
    elif (method, path) == CALLBACK_ROUTE and isinstance(body, dict):
        data = body.get("data")
        if body.get("type") in (4, 7) and isinstance(data, dict):
            problems.extend(
                FormError(["data", *e.path], e.code, e.message) for e in message_rules(data)
            )
    return _dedup(problems)


def message_rules(body: Any) -> list[FormError]:
    """The message rules from Discord's documentation that the spec does not express."""
    if not isinstance(body, dict):
        return []
    problems: list[FormError] = []
    content = body.get("content")
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        problems.append(_too_long(["content"], MAX_CONTENT))
    nonce = body.get("nonce")
    if isinstance(nonce, str) and len(nonce) > MAX_NONCE:
        problems.append(_too_long(["nonce"], MAX_NONCE))
    embeds = body.get("embeds")
    if isinstance(embeds, list):
        if len(embeds) > MAX_EMBEDS:
            problems.append(_too_long(["embeds"], MAX_EMBEDS))
        if embed_length(embeds) > MAX_EMBED_TOTAL:
            problems.append(
                FormError(
                    ["embeds"],
                    "MAX_EMBED_SIZE_EXCEEDED",
                    f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
                )
            )
    return problems


def embed_length(embeds: list[Any]) -> int:
    """Characters Discord counts toward the 6000 limit across all of a message's embeds."""
    total = 0
    for embed in embeds:
        if not isinstance(embed, dict):
            continue
        total += _strlen(embed.get("title")) + _strlen(embed.get("description"))
        for f in embed.get("fields") or []:
            if isinstance(f, dict):
                total += _strlen(f.get("name")) + _strlen(f.get("value"))
        for key, inner in (("footer", "text"), ("author", "name")):
            part = embed.get(key)
            if isinstance(part, dict):
                total += _strlen(part.get(inner))
    return total


def errors_tree(problems: list[FormError]) -> dict[str, Any]:
    """Discord's nested `errors` object: {"embeds": {"0": {"description": {"_errors": [...]}}}}."""
    tree: dict[str, Any] = {}
    for problem in problems:
        node = tree
        for part in problem.path:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": problem.code, "message": problem.message})
    return tree


def _strlen(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def _too_long(path: list[str | int], limit: int) -> FormError:
    return FormError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _dedup(problems: list[FormError]) -> list[FormError]:
    seen: set[tuple[tuple[str, ...], str]] = set()
    out = []
    for p in problems:
        key = (tuple(p.path), p.code if p.code != "BASE_TYPE_INVALID" else "BASE_TYPE_MAX_LENGTH")
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _translate(error: ValidationError, body: Any) -> list[FormError]:
    """A jsonschema error as Discord-style errors, descending into the branch that was meant.

    For `anyOf`/`oneOf` (unions such as "an embed or null", or the callback types) the branch
    whose errors are deepest in the body is the one the caller meant; reporting its errors gives
    "embeds.0.description: too long" instead of "not valid under any of the given schemas".
    """
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(int(sub.schema_path[0]), []).append(sub)
        meant = [errs for errs in branches.values() if not _discriminated(errs, len(error.path))]
        if meant:
            # Of the branches whose type matched, the one whose errors sit deepest matched most.
            best = max(meant, key=lambda errs: (max(len(e.path) for e in errs), -len(errs)))
            return [p for sub in best for p in _translate(sub, body)]
    if error.validator == "type" and _coercible(
        error.instance, error.validator_value, error.schema
    ):
        return []
    path = list(error.absolute_path)
    v, expected = error.validator, error.validator_value
    if v in ("maxLength", "maxItems"):
        return [FormError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {expected} or fewer in length.")]
    if v in ("minLength", "minItems"):
        return [FormError(path, "BASE_TYPE_MIN_LENGTH", f"Must be {expected} or more in length.")]
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return [FormError([*path, missing], "BASE_TYPE_REQUIRED", "This field is required")]
    if v in ("enum", "const"):
        return [FormError(path, "BASE_TYPE_CHOICES", f"Value must be one of {expected!r}.")]
    if v == "maximum":
        return [FormError(path, "NUMBER_TYPE_MAX", f"Value should be at most {expected}.")]
    if v == "minimum":
        return [FormError(path, "NUMBER_TYPE_MIN", f"Value should be at least {expected}.")]
    if v == "type":
        return [FormError(path, "BASE_TYPE_BAD_TYPE", f"Value must be of type {expected}.")]
    return [FormError(path, "BASE_TYPE_INVALID", error.message[:200])]


def _discriminated(errors: list[ValidationError], depth: int) -> bool:
    """Whether a union branch failed on the value's kind (its type, or a `type` tag field)."""
    for e in errors:
        relative = list(e.path)[depth:]
        if e.validator in ("type", "const", "enum") and relative in ([], ["type"]):
            return True
    return False


def _coercible(instance: Any, expected: Any, schema: Any) -> bool:
    """Whether Discord coerces the value although its type differs from the spec's.

    Integers (permission bits) may be written as decimal strings, and snowflakes as plain
    non-negative integers (discord.py sends attachment ids as 0, 1, ...).
    """
    wanted = expected if isinstance(expected, list) else [expected]
    if "integer" in wanted and isinstance(instance, str) and instance.isdigit():
        return True
    is_snowflake = isinstance(schema, dict) and schema.get("format") == "snowflake"
    return (
        is_snowflake
        and isinstance(instance, int)
        and not isinstance(instance, bool)
        and instance >= 0
    )
