"""The change feed: every message created, edited or deleted and every channel added or
removed, as it happens, for whoever watches the sandbox live (the web view's event stream).

`SandboxState` is the one place that emits (its message and channel methods call `emit`), so
a watcher sees every change however it came about: a REST route, an interaction's answer, a
forum post or the control API. Listeners are plain callables and must not block; a `Change`
holds the live object, so a listener that serializes it later sees the message as it is then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sandbox.records import Message
from sandbox.world import Channel

# What a change can be: the kinds a listener may see.
MESSAGE_CREATE, MESSAGE_UPDATE = "message_create", "message_update"
MESSAGE_DELETE = "message_delete"
CHANNEL_CREATE, CHANNEL_DELETE, RESET = "channel_create", "channel_delete", "reset"


@dataclass(frozen=True)
class Change:
    """One change: its kind, and the message or channel it concerns (neither for a reset)."""

    kind: str
    message: Message | None = None
    channel: Channel | None = None


Listener = Callable[[Change], None]


class Feed:
    """Listeners of the sandbox's changes; `emit` with none costs one truth test."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` with every change from now on."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop calling `listener` (no error if it was not subscribed)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def __len__(self) -> int:
        """How many listeners there are (a test waits for its stream to be subscribed)."""
        return len(self._listeners)

    def emit(self, change: Change) -> None:
        """Hand one change to every listener."""
        for listener in list(self._listeners):
            listener(change)
