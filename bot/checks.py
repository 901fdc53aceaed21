"""Checks of single setting values, shared by `bot.config` and the sources' own sections.

Here, not in `bot.config`, because each source declares its config section in its own module
(`bot.sources.hf.HFSettings` …) and `bot.config` builds on the source registry: the checks
both need sit below both.
"""

from __future__ import annotations

import ipaddress
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


def listen_address(value: str) -> tuple[str, int, bool]:
    """`host:port` → (host, port, is loopback); ValueError saying what is wrong.

    The host is an IP address (IPv6 in brackets: `[::1]:9108`) or `localhost`, never a name
    to resolve (that would be I/O at load, and could change under the running bot); the port
    is 0-65535, 0 meaning any free port (tests).
    """
    host, sep, port_text = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        bracketed = True
    else:
        bracketed = False
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f"{value!r} is not host:port, e.g. 127.0.0.1:9108 or [::1]:9108")
    if host == "localhost":
        return host, int(port_text), True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"{value!r}: the host must be an IP address or localhost, e.g. 127.0.0.1:9108"
        ) from None
    if address.version == 6 and not bracketed:
        raise ValueError(f"{value!r}: write an IPv6 address in brackets, e.g. [::1]:9108")
    return host, int(port_text), address.is_loopback
