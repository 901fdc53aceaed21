"""Observers of every payload the sandbox emits, so a test suite can check them all.

The sandbox calls `emit(kind, name, payload)` for each gateway dispatch (kind "gateway", name the
event, e.g. "READY") and each successful JSON REST answer (kind "rest", name the route template,
e.g. "POST /channels/{channel_id}/messages"). Observers are plain callables registered with
`watching()`; with none registered, `emit` costs one truth test. The contract check in
tests/contract/ is the observer the suite installs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

Observer = Callable[[str, str, Any], None]

_observers: list[Observer] = []


def emit(kind: str, name: str, payload: Any) -> None:
    """Hand one emitted payload to every observer."""
    for observer in list(_observers):
        observer(kind, name, payload)


@contextlib.contextmanager
def watching(observer: Observer) -> Iterator[None]:
    """Register `observer` for the duration of the block."""
    _observers.append(observer)
    try:
        yield
    finally:
        _observers.remove(observer)
