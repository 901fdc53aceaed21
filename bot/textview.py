"""Message payloads as a person would read them in Discord, for the terminal. Pure.

Used by `hotpapers preview` and the demo transcript, so what you read is what the bot sends:
the same payloads, with markdown escapes removed and masked links shown as `text <url>`.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

_ESCAPE = re.compile(r"\\([\\*_~`|<>\[\]#.\-])")
_LINK = re.compile(r"\[(?P<text>(?:\\.|[^\]\\])*)\]\(<?(?P<url>[^)>\s]+)>?\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
ZWSP = "\u200b"


def plain(markdown: str) -> str:
    """Discord markdown of our own making to plain text."""
    text = _LINK.sub(lambda m: f"{m['text']} <{m['url']}>", markdown)
    text = _BOLD.sub(r"\1", text)
    return _ESCAPE.sub(r"\1", text).replace(ZWSP, "")


def _wrap(text: str, width: int, indent: str) -> str:
    lines = []
    for para in text.split("\n"):
        lines.extend(
            textwrap.wrap(para, width, initial_indent=indent, subsequent_indent=indent + "  ")
            or [indent]
        )
    return "\n".join(lines)


def embed_to_text(embed: dict[str, Any], width: int = 100) -> str:
    """One embed as an indented block."""
    out = [f"  ┃ {plain(embed['title'])}"] if embed.get("title") else []
    if embed.get("url"):
        out.append(f"  ┃ <{embed['url']}>")
    if embed.get("description"):
        out.append(_wrap(plain(embed["description"]), width, "  ┃ "))
    for f in embed.get("fields", []):
        out.append(_wrap(f"{plain(f['name'])}: {plain(f['value'])}", width, "  ┃ "))
    if embed.get("footer", {}).get("text"):
        out.append(f"  ┃ — {plain(embed['footer']['text'])}")
    return "\n".join(out)


def payload_to_text(payload: dict[str, Any], width: int = 100) -> str:
    """A whole message: its content, then its embeds."""
    parts = []
    if payload.get("content"):
        parts.append(
            "\n".join(_wrap(line, width, "") for line in plain(payload["content"]).split("\n"))
        )
    parts.extend(embed_to_text(e, width) for e in payload.get("embeds", []))
    return "\n".join(parts)


def messages_to_text(messages: list[dict[str, Any]], *, detailed: bool = False) -> str:
    """Several payloads, numbered; in the detailed format the rest go into the thread."""
    blocks = []
    for i, m in enumerate(messages):
        label = f"── message {i + 1} of {len(messages)}"
        if detailed and i == 1:
            label += " (in the thread opened on message 1)"
        blocks.append(f"{label} ──\n{payload_to_text(m)}")
    return "\n\n".join(blocks)
