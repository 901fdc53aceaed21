"""Whose request this is: the scheduled fetch (first) or a member's command (after, bounded).

The priority travels with the task in a context variable, so it reaches the arXiv throttle
deep inside a source without every signature carrying it. The default is "scheduled": the
scheduler and `hotpapers fetch` need nothing; `DigestService` wraps what members ask in
`on_behalf_of_member()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

Priority = Literal["scheduled", "member"]

_current: ContextVar[Priority] = ContextVar("hotpapers_request_priority", default="scheduled")


def current() -> Priority:
    """The priority of the upstream requests the running task makes."""
    return _current.get()


@contextmanager
def on_behalf_of_member() -> Iterator[None]:
    """Upstream requests made inside this block yield to scheduled ones."""
    token = _current.set("member")
    try:
        yield
    finally:
        _current.reset(token)
