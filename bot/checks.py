"""Checks of single setting values, shared by `bot.config` and the sources' own sections.

Here, not in `bot.config`, because each source declares its config section in its own module
(`bot.sources.hf.HFSettings` …) and `bot.config` builds on the source registry: the checks
both need sit below both.
"""

from __future__ import annotations

import ipaddress
from types import NoneType
from typing import Any, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


class Section(BaseModel):
    """A config table: unknown keys refused; `nan`, `inf` and `true` are not numbers.

    TOML has all three, and pydantic's lax mode reads `page_size = true` as 1: the base of
    `bot.config`'s sections and of every source's own `[sources.<name>]` section.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """`tick_seconds = true` and `tick_seconds = "5"` are errors, not 1 and 5: TOML says
        what type a value is, and a quoted number is a slip the file's author should see (as
        are `shard_ids = ["1"]` and `shard_ids = [true]`)."""
        field = cls.model_fields.get(info.field_name or "")
        if field is None:
            return value
        if numeric(field.annotation):
            not_a_number(value)
        elif numeric_list(field.annotation) and isinstance(value, list):
            for item in value:
                not_a_number(item)
        return value


def not_a_number(value: Any) -> None:
    """Refuse a boolean or a string where a number belongs."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    if isinstance(value, str):
        raise ValueError(f'must be a number, not the text "{value[:20]}"')


def numeric_list(annotation: Any) -> bool:
    """Whether a field holds a list of numbers (or None)."""
    options = [a for a in get_args(annotation) if a is not NoneType] or [annotation]
    return any(get_origin(a) is list and numeric(get_args(a)[0]) for a in options)


def numeric(annotation: Any) -> bool:
    """Whether a field holds a number (int, float, or one of them or None)."""
    return annotation in (int, float) or set(get_args(annotation)) in (
        {int, NoneType},
        {float, NoneType},
    )


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
    digits = port_text.isascii() and port_text.isdigit()  # str.isdigit() also takes '²'
    if not sep or not host or not digits or int(port_text) > 65535:
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
