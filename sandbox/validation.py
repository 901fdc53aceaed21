"""Request-body validation: Discord's OpenAPI spec, then the rules the spec lacks.

`validate_body(method, path, body)` checks a body against the operation's schema
(`sandbox.openapi`) and, for routes that carry a message, against `sandbox.message_rules`.
Violations are reported the way Discord reports them: status 400, code 50035, "Invalid Form
Body", and an `errors` tree keyed by the path of the bad field, each leaf holding `_errors`
(`errors_tree`). Schema errors are translated to Discord's codes: a failed `uri` format is
`URL_TYPE_INVALID_URL` "Not a well formed URL.", a failed `date-time` `DATE_TIME_TYPE_PARSE`,
a union reports the branch the caller meant.

The names the rest of the sandbox and the tests use from the lower modules are re-exported
(`spec`, `validator_for`, `message_rules`, `embed_length`, `errors_tree`, the flag sets, ...).
"""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import ValidationError

from sandbox.field_memo import fields_valid
from sandbox.form_errors import FormError, errors_tree
from sandbox.message_rules import (
    CREATE_FLAGS,
    EDIT_FLAGS,
    EPHEMERAL_FLAG,
    FORUM_FLAGS,
    INTERACTION_FLAGS,
    IS_COMPONENTS_V2,
    IS_VOICE_MESSAGE,
    MAX_CONTENT,
    MAX_EMBED_TOTAL,
    MAX_EMBEDS,
    MAX_NONCE,
    SUPPRESS_EMBEDS,
    SUPPRESS_NOTIFICATIONS,
    allowed_mentions_rules,
    embed_length,
    embed_url_rules,
    flag_rules,
    is_empty_message,
    list_query_problems,
    message_rules,
    thread_name_rules,
)
from sandbox.openapi import (
    FORMATS,
    SPEC_URI,
    apply_patch,
    body_schema,
    is_date_time,
    is_url,
    spec,
    tagged_branches,
    validator_for,
)
from sandbox.unknown_fields import unknown_fields

__all__ = [
    "CALLBACK_ROUTE",
    "CREATE_FLAGS",
    "EDIT_FLAGS",
    "EPHEMERAL_FLAG",
    "FORMATS",
    "FORUM_FLAGS",
    "INTERACTION_FLAGS",
    "IS_COMPONENTS_V2",
    "IS_VOICE_MESSAGE",
    "MAX_CONTENT",
    "MAX_EMBEDS",
    "MAX_EMBED_TOTAL",
    "MAX_NONCE",
    "MESSAGE_ROUTES",
    "SPEC_URI",
    "SUPPRESS_EMBEDS",
    "SUPPRESS_NOTIFICATIONS",
    "THREADS_ROUTE",
    "FormError",
    "allowed_mentions_rules",
    "apply_patch",
    "embed_length",
    "embed_url_rules",
    "errors_tree",
    "flag_rules",
    "is_date_time",
    "is_empty_message",
    "is_url",
    "list_query_problems",
    "message_rules",
    "spec",
    "tagged_branches",
    "validate_body",
    "validator_for",
]

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
NAMED_THREAD_ROUTES = (
    THREADS_ROUTE,
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"),
)
CALLBACK_ROUTE = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback")


def validate_body(method: str, path: str, body: Any) -> list[FormError]:
    """Every rule `body` breaks for the operation `method path` (path is the spec's template).

    A body of a tagged union is first checked against the one branch its `type` names: when
    that branch accepts it, the union does, and the other branches need not run (they were
    most of the sandbox's work per `/hot`: bench/commands.py). Otherwise the whole union
    runs, so errors are reported exactly as before. A body proven valid field by field
    (`sandbox.field_memo`: a fan-out's embeds, the same for every channel) skips the full
    validator too; anything else still runs it.
    """
    problems: list[FormError] = []
    validator = validator_for(method, path)
    if validator is not None:
        tag = body.get("type") if isinstance(body, dict) else None
        branch = tagged_branches(method, path).get(tag) if isinstance(tag, int) else None
        tagged_ok = branch is not None and branch.is_valid(body)
        if not tagged_ok and not fields_valid(method, path, body):  # field by field: the memo
            for error in validator.iter_errors(body):
                problems.extend(_translate(error, body))
        if (method, path) in MESSAGE_ROUTES or (method, path) in (CALLBACK_ROUTE, THREADS_ROUTE):
            # Messages only: there the spec names every field the docs do. Elsewhere it lags
            # (a command's `nsfw`, documented in application-commands.mdx, is not in it).
            problems.extend(unknown_fields(body, body_schema(method, path), spec()))
    if (method, path) in MESSAGE_ROUTES:
        problems.extend(message_rules(body, MESSAGE_ROUTES[(method, path)]))
    if (method, path) in NAMED_THREAD_ROUTES and isinstance(body, dict):
        problems.extend(thread_name_rules(body.get("name")))
    if (method, path) == THREADS_ROUTE and isinstance(body, dict):
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
        elif body.get("type") == 5 and isinstance(data, dict):
            # receiving-and-responding.mdx:304: a deferred message response "the only valid
            # message flag you may use is EPHEMERAL".
            flags = data.get("flags")
            if isinstance(flags, int) and not isinstance(flags, bool):
                problems.extend(flag_rules(flags, EPHEMERAL_FLAG, ("data", "flags")))
    return _dedup(problems)


def _format_error(path: list[str | int], fmt: Any, value: Any) -> FormError:
    if fmt == "uri":
        return FormError(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    if fmt == "date-time":
        return FormError(
            path, "DATE_TIME_TYPE_PARSE", f"Could not parse {value}. Should be ISO8601."
        )
    return FormError(path, "BASE_TYPE_INVALID", f"Invalid {fmt}.")


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
        error.instance, error.validator_value, error.schema, list(error.absolute_path)
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


# Permission bit sets are strings on Discord's wire (permissions.mdx: "serialized into a
# string"), though the spec types some of them as integers. Nothing else is read from a string:
# `flags: "4"` is refused (the docs are silent; the stricter reading).
PERMISSION_FIELDS = frozenset({"permissions", "default_member_permissions", "allow", "deny"})


def _coercible(instance: Any, expected: Any, schema: Any, path: list[Any]) -> bool:
    """Whether Discord coerces the value although its type differs from the spec's.

    Permission integers may be written as decimal strings, and snowflakes as plain
    non-negative integers (discord.py sends attachment ids as 0, 1, ...).
    """
    wanted = expected if isinstance(expected, list) else [expected]
    field = path[-1] if path else None
    if (
        "integer" in wanted
        and isinstance(instance, str)
        and instance.isascii()  # str.isdigit() takes "²" and "١٢"; Discord reads 0-9 only
        and instance.isdigit()
        and field in PERMISSION_FIELDS
    ):
        return True
    is_snowflake = isinstance(schema, dict) and schema.get("format") == "snowflake"
    return (
        is_snowflake
        and isinstance(instance, int)
        and not isinstance(instance, bool)
        and instance >= 0
    )
