"""Fields Discord's documentation does not name are refused in messages (the stricter reading).

Discord's API ignores a body field it does not know; its docs say nothing of it. A bot whose
payload carries a misspelt field (`alowed_mentions`, an embed `colour`) loses what it meant
silently on Discord, so the sandbox says so: each object in a request body is checked against
the properties its schema declares, descending into nested objects and arrays. Where the spec
cannot say which properties an object has (an `allOf` composition, `additionalProperties`, a
union whose branches cannot be told apart), nothing is refused.
"""

from __future__ import annotations

from typing import Any

from sandbox.form_errors import FormError

UNKNOWN = "UNKNOWN_FIELD"
# Sent by discord.py in every message body, edits included (`tts: false`), where the docs name
# it for creating and Discord ignores it on edits: accepted at a message's top level.
IGNORED_AT_TOP = frozenset({"tts"})
# Where a message's top level is: the body, a callback's `data`, a forum thread's `message`
# (not any object one level down: `allowed_mentions.tts` is no field of Discord's).
_MESSAGE_TOPS: tuple[list[str | int], ...] = ([], ["data"], ["message"])
_DEPTH = 12  # request bodies nest a few levels; a guard against pathological schemas


def unknown_fields(body: Any, schema: Any, document: dict[str, Any]) -> list[FormError]:
    """Every field of `body` that `schema` (an operation's body schema) does not declare."""
    problems: list[FormError] = []
    _walk(body, schema, document, [], problems, 0)
    return problems


def _resolve(schema: Any, document: dict[str, Any]) -> Any:
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref: str = schema["$ref"]
        if not ref.startswith("#/"):
            return None
        node: Any = document
        for part in ref[2:].split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        schema = node
    return schema


def _branch(schema: dict[str, Any], value: dict[str, Any], document: dict[str, Any]) -> Any:
    """The one object branch of a union `value` belongs to, or None if that is not clear."""
    branches = [b for b in _flat(schema, document) if b != {"type": "null"}]  # value is no null
    objects = [b for b in branches if isinstance(b, dict) and "properties" in b]
    if len(objects) == 1:
        return objects[0]
    tagged = []
    for b in objects:
        tag = (b["properties"].get("type") or {}) if isinstance(b["properties"], dict) else {}
        allowed = tag.get("enum") or ([tag["const"]] if "const" in tag else [])
        if value.get("type") in allowed:
            tagged.append(b)
    if len(tagged) == 1:
        return tagged[0]
    return _merged(objects) if objects and len(objects) == len(branches) else None


def _flat(schema: dict[str, Any], document: dict[str, Any]) -> list[Any]:
    """A union's branches, with the branches of unions inside it (a `choices` item of an
    autocomplete's integer, number or string data) as branches of its own."""
    out: list[Any] = []
    for b in schema.get("anyOf") or schema.get("oneOf") or []:
        b = _resolve(b, document)
        nested = isinstance(b, dict) and "properties" not in b and ("anyOf" in b or "oneOf" in b)
        out.extend(_flat(b, document) if nested else [b])
    return out


def _merged(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Untagged object branches read as one (a webhook's execute body, a thread's start): a
    field is known if any branch names it, and is walked into as the union of the schemas the
    branches give it. Found by an outside attacker: such unions were not checked at all."""
    open_ended = ("allOf", "additionalProperties", "patternProperties")
    if any(key in b for b in objects for key in open_ended):
        return None
    props: dict[str, list[Any]] = {}
    for b in objects:
        if not isinstance(b["properties"], dict):
            return None
        for key, sub in b["properties"].items():
            if sub not in props.setdefault(key, []):
                props[key].append(sub)
    return {
        "properties": {
            k: subs[0] if len(subs) == 1 else {"anyOf": subs} for k, subs in props.items()
        }
    }


def _walk(
    value: Any,
    schema: Any,
    document: dict[str, Any],
    path: list[str | int],
    problems: list[FormError],
    depth: int,
) -> None:
    schema = _resolve(schema, document)
    if not isinstance(schema, dict) or depth > _DEPTH:
        return
    if isinstance(value, dict):
        if "anyOf" in schema or "oneOf" in schema:
            schema = _branch(schema, value, document)
            if schema is None:
                return
        props = schema.get("properties")
        if not isinstance(props, dict) or "allOf" in schema:
            return
        if "additionalProperties" not in schema and "patternProperties" not in schema:
            for key in value:
                if key not in props and not (path in _MESSAGE_TOPS and key in IGNORED_AT_TOP):
                    problems.append(
                        FormError(
                            [*path, key],
                            UNKNOWN,
                            "Discord's documentation names no such field here (Discord would "
                            "ignore it).",
                        )
                    )
        for key, sub in value.items():
            if key in props:
                _walk(sub, props[key], document, [*path, key], problems, depth + 1)
    elif isinstance(value, list):
        items = schema.get("items")
        if items is None:
            found = [
                o["items"] for o in _flat(schema, document) if isinstance(o, dict) and "items" in o
            ]
            items = found[0] if len(found) == 1 else {"anyOf": found} if found else None
        if items is not None:
            for i, item in enumerate(value):
                _walk(item, items, document, [*path, i], problems, depth + 1)
