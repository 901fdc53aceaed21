"""User text quoted back in an error message, made inert for Discord (pure, no discord.py).

Errors raised by the core (an id that is not an arXiv id, an unknown category, a time that
is not HH:MM) quote what the member typed. A Python repr (`'it\\'s\\n'`) is neither readable
nor safe: it shows escapes, and a masked link or mention inside it is still live. `shown`
quotes inside inline code instead, without control or formatting characters (newlines, RTL
overrides, zero-width marks), backticks or anything that could end the code span.
"""

from __future__ import annotations

import unicodedata

ZWSP = "\u200b"


def shown(text: str, limit: int = 40) -> str:
    """`text` as `inline code`: one line, at most `limit` characters, nothing live."""
    kept = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in text
        if unicodedata.category(ch) != "Cf"
    )
    kept = " ".join(kept.split()).replace("`", "'")
    if len(kept) > limit:
        kept = kept[: limit - 1] + "…"
    # Inside inline code Discord renders no markdown; the zero-width space also breaks a
    # masked link's `](` and mentions for clients that would render them anyway.
    kept = kept.replace("](", f"]{ZWSP}(").replace("<@", f"<{ZWSP}@").replace("@e", f"@{ZWSP}e")
    kept = kept.replace("@h", f"@{ZWSP}h")
    return f"`{kept}`" if kept else "``"
