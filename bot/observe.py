"""What the bot tells whoever watches it, without knowing who does: the `Observer` hooks.

The core calls these at the moments an operator counts (a post's outcome, a fan-out's queue, an
upstream request, a command's end, a 429 from Discord). `bot.ops.metrics.Metrics` implements
them with Prometheus; everywhere else the default is `NO_OBSERVER`, which does nothing. So the
core (delivery, sources, services, the scheduler) imports no metrics library, a test builds
its parts without one, and with the endpoint off (`[ops] listen` unset) nothing is counted.
Every hook is synchronous, cheap and must not raise: it is called on the posting path.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from bot.models import Subscription


class Observer(Protocol):
    """The hooks; see `bot.ops.metrics` (and docs/operations.md) for what each feeds."""

    def post_finished(self, sub: Subscription, day: date, status: str, at: datetime) -> None:
        """One `publish` of (sub's channel, day) ended with `status` at `at`."""
        ...

    def fanout_queued(self, posts: int) -> None:
        """A tick's fan-out starts with `posts` posts waiting for a slot."""
        ...

    def fanout_started(self) -> None:
        """One post of the fan-out left the queue (it got its slot)."""
        ...

    def rate_limited(self, scope: str) -> None:
        """Discord answered 429; `scope` is global, per-route, shared or cloudflare."""
        ...

    def command_finished(self, command: str, seconds: float, *, ok: bool) -> None:
        """A slash command ended (`ok` False: it was answered with an error reply)."""
        ...

    def source_request(self, source: str, *, ok: bool) -> None:
        """One request to an upstream (`Http.get`, retries included) succeeded or failed."""
        ...


class NoObserver:
    """The default observer: every hook does nothing."""

    def post_finished(self, sub: Subscription, day: date, status: str, at: datetime) -> None:
        """Nothing."""

    def fanout_queued(self, posts: int) -> None:
        """Nothing."""

    def fanout_started(self) -> None:
        """Nothing."""

    def rate_limited(self, scope: str) -> None:
        """Nothing."""

    def command_finished(self, command: str, seconds: float, *, ok: bool) -> None:
        """Nothing."""

    def source_request(self, source: str, *, ok: bool) -> None:
        """Nothing."""


NO_OBSERVER: Observer = NoObserver()
