"""A proof of validity for the common body, field by field, so the full validator runs less.

jsonschema's validator was nearly all of the sandbox's CPU per message create (bench/fanout.py
with `SANDBOX_PROFILE`: `iter_errors` over the embed unions, ~40 ms a body on a loaded machine),
which set the pace of a fan-out instead of Discord's limits. A message body's schema is an
object of `properties` (and `required`) and nothing else, so under JSON Schema the body is
valid exactly when it is an object, has every required field, and each field's value is
valid under that field's own subschema. `fields_valid` checks just that, one field at a
time with a validator of the field's subschema (same registry, same format checker), and
remembers each (field, value) found valid, the value as the SHA-256 of its canonical JSON (a
value itself can be ~100 KB that the schema allows and the message rules refuse later, so
keeping the JSON made 4,096 entries up to hundreds of MB): a fan-out sends the
same embeds to every channel, only the nonce is new, and a nonce is cheap to check.

It only ever says "valid": a body with any field not valid, or whose schema has any other
keyword at its top (a union, `additionalProperties`, ...), gets False, and the caller runs the
full validator as before, so every error is reported exactly as before and nothing is
accepted that the full validator would refuse.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from jsonschema import Draft202012Validator

from sandbox.openapi import FORMATS, _absolutize, _registry, body_schema, spec

# Top-level keywords of an object schema that `fields_valid` decides exactly.
PLAIN_KEYWORDS = frozenset({"type", "properties", "required", "title", "description"})
MEMO_SIZE = 4096  # (field, value) pairs remembered valid; cleared when full


@functools.cache
def plain_object(method: str, path: str) -> dict[str, Any] | None:
    """The operation's body schema when it is a plain object of properties (a `$ref` to one
    followed), else None."""
    schema = body_schema(method, path)
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str) and ref.startswith("#/components/schemas/") and len(schema or {}) == 1:
        schema = spec()["components"]["schemas"].get(ref.rpartition("/")[2])
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return None
    if not set(schema) <= PLAIN_KEYWORDS or not isinstance(schema.get("properties"), dict):
        return None
    return schema


@functools.cache
def field_validator(method: str, path: str, name: str) -> Draft202012Validator | None:
    """A validator of one field's subschema, resolving refs as the body's validator does."""
    schema = plain_object(method, path)
    sub = (schema or {}).get("properties", {}).get(name)
    if sub is None:
        return None
    return Draft202012Validator(_absolutize(sub), registry=_registry(), format_checker=FORMATS)


_known: set[tuple[str, str, str, bytes]] = set()


def fields_valid(method: str, path: str, body: Any) -> bool:
    """True only if `body` is valid under the operation's schema, proven field by field."""
    schema = plain_object(method, path)
    if schema is None or not isinstance(body, dict):
        return False
    if any(name not in body for name in schema.get("required", ())):
        return False
    for name, value in body.items():
        if name not in schema["properties"]:
            continue  # no subschema: the schema says nothing of it (unknown_fields does)
        canonical = json.dumps(value, sort_keys=True).encode()
        key = (method, path, name, hashlib.sha256(canonical).digest())
        if key in _known:
            continue
        validator = field_validator(method, path, name)
        if validator is None or not validator.is_valid(value):
            return False
        if len(_known) >= MEMO_SIZE:
            _known.clear()
        _known.add(key)
    return True
