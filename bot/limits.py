"""Discord's documented message limits (developers/resources/message.mdx), in one place.

Lengths are counted in UTF-16 code units (`dlen`), which is never less than the number of
characters: a payload within these limits by `dlen` is within them however Discord counts.
"""

from __future__ import annotations

from typing import Any

CONTENT = 2000
EMBEDS_PER_MESSAGE = 10
EMBEDS_TOTAL = 6000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
THREAD_NAME = 100
NONCE = 25


def dlen(text: str) -> int:
    """Length as Discord may count it (UTF-16 code units; astral characters count twice)."""
    if text.isascii():  # the common case, and O(1): no encoding needed
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def embed_size(embed: dict[str, Any]) -> int:
    """Characters counted towards the 6000 limit: title, description, fields, footer, author."""
    total = dlen(embed.get("title", "")) + dlen(embed.get("description", ""))
    for f in embed.get("fields", []):
        total += dlen(f.get("name", "")) + dlen(f.get("value", ""))
    total += dlen(embed.get("footer", {}).get("text", ""))
    total += dlen(embed.get("author", {}).get("name", ""))
    return total


def payload_violations(payload: dict[str, Any]) -> list[str]:
    """Every documented limit a message payload breaks (empty when it is valid)."""
    problems: list[str] = []
    if dlen(payload.get("content", "")) > CONTENT:
        problems.append(f"content longer than {CONTENT}")
    embeds = payload.get("embeds", [])
    if len(embeds) > EMBEDS_PER_MESSAGE:
        problems.append(f"more than {EMBEDS_PER_MESSAGE} embeds")
    if sum(embed_size(e) for e in embeds) > EMBEDS_TOTAL:
        problems.append(f"more than {EMBEDS_TOTAL} characters across embeds")
    for i, e in enumerate(embeds):
        checks = [
            ("title", dlen(e.get("title", "")), EMBED_TITLE),
            ("description", dlen(e.get("description", "")), EMBED_DESCRIPTION),
            ("fields", len(e.get("fields", [])), EMBED_FIELDS),
            ("footer.text", dlen(e.get("footer", {}).get("text", "")), FOOTER_TEXT),
            ("author.name", dlen(e.get("author", {}).get("name", "")), AUTHOR_NAME),
        ]
        for f in e.get("fields", []):
            checks.append(("field.name", dlen(f.get("name", "")), FIELD_NAME))
            checks.append(("field.value", dlen(f.get("value", "")), FIELD_VALUE))
        problems.extend(f"embeds[{i}].{what} over {lim}" for what, n, lim in checks if n > lim)
    if not payload.get("content") and not embeds:
        problems.append("a message needs content or embeds")
    return problems
