"""How a store location may be shown: a path as it is, a URL by its scheme and host only.

A database URL may carry a user and a password (`postgresql://bot:secret@db/hp`); every message
about a store (an error at open, `hotpapers migrate-store`'s report) names it through `shown`.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def shown(location: str) -> str:
    """`location` as it may be shown: a path unchanged, a URL as `scheme://host[:port]`."""
    scheme, sep, _ = location.partition("://")
    if not sep:
        return location
    if scheme.lower() == "sqlite":
        return location  # a path in URL form: no credentials
    try:
        parts = urlsplit(location)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return f"{scheme}://…"
    return f"{scheme}://{host}{port}"
