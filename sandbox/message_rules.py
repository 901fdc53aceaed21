"""The message rules from Discord's documentation that its OpenAPI spec does not express.

Limits (content 2000, 10 embeds, 6000 embed characters, nonce 25), the flags each route lets a
caller set, IS_COMPONENTS_V2 exclusivity, `allowed_mentions` exclusivity, embed URL schemes,
empty messages, the component rules (`sandbox.component_rules`), and the query rules of
`GET /channels/{id}/messages`. Each function returns the `FormError`s it finds (empty: the rule
holds); `sandbox.validation` and the routes apply them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sandbox.component_rules import component_rules
from sandbox.form_errors import FormError, too_long

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
    v2 = isinstance(flags, int) and not isinstance(flags, bool) and bool(flags & IS_COMPONENTS_V2)
    problems.extend(component_rules(body.get("components"), v2=v2))
    content = body.get("content")
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        problems.append(too_long(["content"], MAX_CONTENT))
    nonce = body.get("nonce")
    if isinstance(nonce, str) and len(nonce) > MAX_NONCE:
        problems.append(too_long(["nonce"], MAX_NONCE))
    embeds = body.get("embeds")
    if isinstance(embeds, list):
        problems.extend(embed_url_rules(embeds))
        problems.extend(embed_content_rules(embeds))
        if len(embeds) > MAX_EMBEDS:
            problems.append(too_long(["embeds"], MAX_EMBEDS))
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


# What makes an embed show anything (message.mdx "Embed Object"); an embed with none of them
# is refused as Discord does ("embeds.0.description: This field is required").
_EMBED_SHOWS = ("title", "description", "fields", "author", "footer", "image", "thumbnail")


def embed_content_rules(embeds: list[Any]) -> list[FormError]:
    """An embed that shows nothing, or whose `type` is not "rich", is refused.

    message.mdx: an embed's `type` is "always "rich" for webhook embeds"; a bot's embeds are
    the same kind (the other types are what Discord makes of links), the stricter reading.
    """
    problems: list[FormError] = []
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            continue
        kind = embed.get("type")
        if kind is not None and kind != "rich":
            problems.append(
                FormError(
                    ["embeds", i, "type"], "BASE_TYPE_CHOICES", "Value must be one of ('rich',)."
                )
            )
        if not any(embed.get(key) for key in _EMBED_SHOWS):
            problems.append(
                FormError(
                    ["embeds", i, "description"], "BASE_TYPE_REQUIRED", "This field is required"
                )
            )
    return problems


def thread_name_rules(name: Any) -> list[FormError]:
    """A thread name Discord trims to nothing is refused (channel.mdx: name 1-100 characters)."""
    if isinstance(name, str) and name and not name.strip():
        return [FormError(["name"], "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")]
    return []


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


def _strlen(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


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
