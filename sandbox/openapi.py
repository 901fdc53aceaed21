"""Discord's OpenAPI spec, loaded once, and a cached JSON Schema validator per operation.

The spec (`spec/openapi.json`, MIT, copied from discord/discord-api-spec) is OpenAPI 3.1, whose
schemas are JSON Schema 2020-12 with `#/components/schemas/...` references. The whole document is
registered once as a `referencing` resource, so every `$ref` resolves lazily against it; one
validator per (method, path) is built on first use and cached. Loading the 1 MB document costs
about 30 ms, so a sandbox starts fast. What the bundled spec lacks (channel type 16,
GUILD_MEDIA) is added by `spec/overlay.json`, a JSON Patch applied at load, so the vendored
`openapi.json` stays byte-for-byte Discord's.

The spec's `format`s are checked too (jsonschema ignores them unless given a checker): `uri` must
be an absolute http(s) URL with a host (`attachment://name` too, where Discord allows uploads);
`date-time` must be RFC 3339 (ISO 8601 with a time and an offset). How a failure is worded is
`sandbox.validation`'s business.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:discord-openapi"


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


def body_schema(method: str, path: str) -> dict[str, Any] | None:
    """The JSON Schema of an operation's JSON request body, or None if it takes none."""
    operation = spec()["paths"].get(path, {}).get(method.lower()) or {}
    content = operation.get("requestBody", {}).get("content", {})
    schema: dict[str, Any] | None = content.get("application/json", {}).get("schema")
    return schema


@functools.cache
def validator_for(method: str, path: str) -> Draft202012Validator | None:
    """The cached validator of an operation's JSON request body, or None if it takes none."""
    schema = body_schema(method, path)
    if schema is None:
        return None
    return Draft202012Validator(_absolutize(schema), registry=_registry(), format_checker=FORMATS)


@functools.cache
def tagged_branches(method: str, path: str) -> dict[Any, Draft202012Validator]:
    """For a body that is a union of `$ref`s told apart by their `type` field (the interaction
    callback: message, deferral, autocomplete, modal, ...): a validator per `type` value.

    Empty when the body is not such a union, or when a value names several branches.
    """
    schema = body_schema(method, path) or {}
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
