"""Request-body validation against Discord's OpenAPI spec, plus the rules the spec lacks.

The spec (`spec/openapi.json`, MIT, copied from discord/discord-api-spec) is OpenAPI 3.1, whose
schemas are JSON Schema 2020-12 with `#/components/schemas/...` references. The whole document is
registered once as a `referencing` resource, so every `$ref` resolves lazily against it; one
validator per (method, path) is built on first use and cached. Loading the 1 MB document costs
about 30 ms, so a sandbox starts fast.

Violations are reported the way Discord reports them: status 400, code 50035, "Invalid Form Body",
and an `errors` tree keyed by the path of the bad field, each leaf holding `_errors`.

The spec's `format`s are checked too (jsonschema ignores them unless given a checker): `uri` must
be an absolute http(s) URL with a host (`attachment://name` too, where Discord allows uploads),
answered `URL_TYPE_INVALID_URL` "Not a well formed URL."; `date-time` must be RFC 3339 (ISO 8601
with a time and an offset), answered `DATE_TIME_TYPE_PARSE`. What the bundled spec lacks (channel
type 16, GUILD_MEDIA) is added by `spec/overlay.json`, a JSON Patch applied at load, so the
vendored `openapi.json` stays byte-for-byte Discord's.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:discord-openapi"

MAX_CONTENT = 2000  # the documented limit for bot messages (the spec says 4000)
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_NONCE = 25

# Message flags (message.mdx "Message Flags") and the ones each route lets a caller set.
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL_FLAG = 1 << 6
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_VOICE_MESSAGE = 1 << 13
IS_COMPONENTS_V2 = 1 << 15
# message.mdx:1091 "only SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, IS_VOICE_MESSAGE, and
# IS_COMPONENTS_V2 can be set"
CREATE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_VOICE_MESSAGE | IS_COMPONENTS_V2
# message.mdx "Edit Message": "(SUPPRESS_EMBEDS and IS_COMPONENTS_V2 only)"
EDIT_FLAGS = SUPPRESS_EMBEDS | IS_COMPONENTS_V2
# receiving-and-responding.mdx:299 "only SUPPRESS_EMBEDS, EPHEMERAL, IS_COMPONENTS_V2,
# IS_VOICE_MESSAGE, and SUPPRESS_NOTIFICATIONS"; a follow-up may be ephemeral too.
INTERACTION_FLAGS = CREATE_FLAGS | EPHEMERAL_FLAG
# channel.mdx:675 forum post message: "only SUPPRESS_EMBEDS and SUPPRESS_NOTIFICATIONS can be set"
FORUM_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS

# Routes whose bodies carry a message, so the message rules apply, with their settable flags
# (None: an edit, whose flags are checked against the message's own by the route).
MESSAGE_ROUTES: dict[tuple[str, str], int | None] = {
    ("POST", "/channels/{channel_id}/messages"): CREATE_FLAGS,
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): None,
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"): INTERACTION_FLAGS,
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): None,
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): None,
}
THREADS_ROUTE = ("POST", "/channels/{channel_id}/threads")
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
    """The in-package OpenAPI document with `spec/overlay.json` applied, parsed once."""
    folder = resources.files("sandbox").joinpath("spec")
    loaded: dict[str, Any] = json.loads(folder.joinpath("openapi.json").read_text("utf-8"))
    for op in json.loads(folder.joinpath("overlay.json").read_text("utf-8"))["patch"]:
        apply_patch(loaded, op)
    return loaded


def apply_patch(document: Any, op: dict[str, Any]) -> None:
    """Apply one JSON Patch (RFC 6902) `add` or `replace` operation in place."""
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if op["op"] == "add" and isinstance(node, list):
        node.insert(len(node) if last == "-" else int(last), op["value"])
    elif op["op"] in ("add", "replace"):
        node[int(last) if isinstance(node, list) else last] = op["value"]
    else:
        raise ValueError(f"unsupported overlay operation: {op['op']}")


# -- formats ------------------------------------------------------------------------------------

URL_SCHEMES = ("http", "https", "attachment")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")
FORMATS = FormatChecker(formats=())


def is_url(value: object) -> bool:
    """An absolute URL Discord accepts: http(s) with a host, or `attachment://filename`."""
    if not isinstance(value, str):
        return True
    if any(c.isspace() or ord(c) < 32 for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if parts.scheme.lower() not in URL_SCHEMES:
        return False
    host = parts.hostname or ""
    if parts.scheme.lower() == "attachment":
        return bool(parts.netloc) and not parts.path
    return bool(host) and ("." in host or host == "localhost" or ":" in host)


def is_date_time(value: object) -> bool:
    """An RFC 3339 date-time (ISO 8601 with a time and an offset), e.g. 2021-03-12T09:00:00Z."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


FORMATS.checks("uri")(is_url)
FORMATS.checks("date-time")(is_date_time)


def _format_error(path: list[str | int], fmt: Any, value: Any) -> FormError:
    if fmt == "uri":
        return FormError(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    if fmt == "date-time":
        return FormError(
            path, "DATE_TIME_TYPE_PARSE", f"Could not parse {value}. Should be ISO8601."
        )
    return FormError(path, "BASE_TYPE_INVALID", f"Invalid {fmt}.")


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
    return Draft202012Validator(_absolutize(schema), registry=_registry(), format_checker=FORMATS)


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
        validator = Draft202012Validator(
            _absolutize(branch), registry=_registry(), format_checker=FORMATS
        )
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
        problems.extend(message_rules(body, MESSAGE_ROUTES[(method, path)]))
    elif (method, path) == THREADS_ROUTE and isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, dict):
            problems.extend(
                FormError(["message", *e.path], e.code, e.message)
                for e in message_rules(message, FORUM_FLAGS)
            )
    elif (method, path) == CALLBACK_ROUTE and isinstance(body, dict):
        data = body.get("data")
        if body.get("type") in (4, 7) and isinstance(data, dict):
            settable = INTERACTION_FLAGS if body.get("type") == 4 else None
            problems.extend(
                FormError(["data", *e.path], e.code, e.message)
                for e in message_rules(data, settable)
            )
    return _dedup(problems)


def message_rules(body: Any, settable_flags: int | None = None) -> list[FormError]:
    """The message rules from Discord's documentation that the spec does not express.

    `settable_flags` are the flag bits this route lets a caller set (None: do not check here).
    """
    if not isinstance(body, dict):
        return []
    problems: list[FormError] = []
    flags = body.get("flags")
    if isinstance(flags, int) and not isinstance(flags, bool):
        if settable_flags is not None:
            problems.extend(flag_rules(flags, settable_flags))
        if flags & IS_COMPONENTS_V2:
            # message.mdx:1098 "When the flag IS_COMPONENTS_V2 is set, the message can only
            # contain components."
            for key in ("content", "embeds", "sticker_ids", "poll"):
                if body.get(key):
                    problems.append(
                        FormError(
                            [key],
                            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                            "The 'content', 'embeds', 'sticker_ids' and 'poll' fields cannot be"
                            " used when using MessageFlags.IS_COMPONENTS_V2",
                        )
                    )
    problems.extend(allowed_mentions_rules(body.get("allowed_mentions")))
    content = body.get("content")
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        problems.append(_too_long(["content"], MAX_CONTENT))
    nonce = body.get("nonce")
    if isinstance(nonce, str) and len(nonce) > MAX_NONCE:
        problems.append(_too_long(["nonce"], MAX_NONCE))
    embeds = body.get("embeds")
    if isinstance(embeds, list):
        problems.extend(embed_url_rules(embeds))
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


def flag_rules(flags: int, settable: int, path: tuple[str, ...] = ("flags",)) -> list[FormError]:
    """A flag bit outside what the route lets a caller set is refused (the stricter reading;
    the docs say only which ones "can be set")."""
    extra = flags & ~settable
    if not extra:
        return []
    return [FormError(list(path), "MESSAGE_FLAGS_INVALID", f"Flags {extra} cannot be set here.")]


def allowed_mentions_rules(mentions: Any) -> list[FormError]:
    """message.mdx:783/809: `parse` is mutually exclusive with `users` / `roles` of the same
    kind ("includes both `parse` and `users` ... causing a validation error"); an empty or null
    list does not count (message.mdx:783 "does not trigger a validation error")."""
    if not isinstance(mentions, dict):
        return []
    parse = mentions.get("parse") or []
    problems = []
    for kind in ("users", "roles"):
        if isinstance(parse, list) and kind in parse and mentions.get(kind):
            problems.append(
                FormError(
                    ["allowed_mentions"],
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
                )
            )
    return problems


def embed_url_rules(embeds: list[Any]) -> list[FormError]:
    """message.mdx:580: an author's `url` "only supports http(s)"; so, the stricter reading,
    does the embed's own `url` (only media URLs may be `attachment://`)."""
    problems = []
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            continue
        author = embed.get("author")
        places: list[tuple[list[str | int], Any]] = [
            ([i, "url"], embed.get("url")),
            ([i, "author", "url"], author.get("url") if isinstance(author, dict) else None),
        ]
        for path, value in places:
            if isinstance(value, str) and urlsplit(value).scheme.lower() == "attachment":
                problems.append(
                    FormError(["embeds", *path], "URL_TYPE_INVALID_URL", "Not a well formed URL.")
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
    if v == "format":
        return [_format_error(path, expected, error.instance)]
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


def is_empty_message(body: Any, files: int = 0) -> bool:
    """message.mdx:1096 "At least one of content, embeds, sticker_ids, components, files[n],
    poll, or shared_client_theme is required" (a forward needs only `message_reference`)."""
    if not isinstance(body, dict) or files:
        return False
    reference = body.get("message_reference")
    if isinstance(reference, dict) and reference.get("type") == 1:
        return False
    keys = ("content", "embeds", "sticker_ids", "components", "poll", "shared_client_theme")
    return not any(body.get(k) for k in keys)


def list_query_problems(query: Any) -> list[FormError]:
    """GET /channels/{id}/messages query rules: message.mdx:914 limit "(1-100)", message.mdx:903
    "The before, after, and around parameters are mutually exclusive", ids are snowflakes."""
    problems: list[FormError] = []
    raw = query.get("limit")
    if raw is not None:
        if not raw.lstrip("-").isdigit():
            problems.append(
                FormError(["limit"], "NUMBER_TYPE_COERCE", f'Value "{raw}" is not int.')
            )
        elif int(raw) < 1:
            problems.append(FormError(["limit"], "NUMBER_TYPE_MIN", "Value should be at least 1."))
        elif int(raw) > 100:
            problems.append(FormError(["limit"], "NUMBER_TYPE_MAX", "Value should be at most 100."))
    given = [k for k in ("around", "before", "after") if k in query]
    for key in given:
        if not query[key].isdigit():
            problems.append(
                FormError([key], "NUMBER_TYPE_COERCE", f'Value "{query[key]}" is not snowflake.')
            )
    if len(given) > 1:
        problems.append(
            FormError(
                [given[1]],
                "BASE_TYPE_INVALID",
                "around, before and after are mutually exclusive; pass only one.",
            )
        )
    return problems
