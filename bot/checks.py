"""Checks of single setting values, shared by `bot.config` and the sources' own sections.

Here, not in `bot.config`, because each source declares its config section in its own module
(`bot.sources.hf.HFSettings` …) and `bot.config` builds on the source registry: the checks
both need sit below both.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def url(value: str, schemes: tuple[str, ...], *, empty_ok: bool) -> str:
    """`value` if it is an absolute URL with one of `schemes` and a host; else ValueError."""
    if not value and empty_ok:
        return value
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    blank = any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value)
    if parts is None or parts.scheme not in schemes or not parts.hostname or blank:
        want = " or ".join(f"{s}://" for s in schemes)
        raise ValueError(f"{value!r} is not a URL ({want}host/…)")
    return value


def http_url(value: str) -> str:
    """`value` if it is an http(s) URL with a host (a source's base URL); else ValueError."""
    return url(value, ("http", "https"), empty_ok=False)
