"""Fault injection for REST routes: errors, 429s and latency on chosen requests.

A fault matches a request by a glob over either its route template or its concrete path, both
written "METHOD /path" without the /api/v10 prefix:

    "POST /channels/{channel_id}/messages"   every message post
    "POST /channels/123/messages"            message posts to channel 123 only
    "*"                                      every request (a global fault)

It fires `times` times (None: until cleared). Each firing adds `latency_ms`, then (if `status` is
set) answers with that status and Discord's body for it instead of running the route. Gateway
faults (dropped or silent connections) live in `gateway.py`, since they act on connections.

With `after: true` the fault strikes *after the effect*: the route runs (the message is
created, the thread opened, MESSAGE_CREATE sent), then the answer is lost: `latency_ms` stalls
it (past the client's timeout, if long enough), then `status` replaces it with an error, or
`drop` closes the connection without any answer. The client cannot tell whether it worked, which
is exactly what nonces and the publisher's recovery scan must handle.
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass
from typing import Any

from sandbox.primitives import JSON

# Discord's JSON error code and message for the statuses tests usually inject.
DEFAULT_ERRORS: dict[int, tuple[int, str]] = {
    400: (50035, "Invalid Form Body"),
    401: (0, "401: Unauthorized"),
    403: (50013, "Missing Permissions"),
    404: (10003, "Unknown Channel"),
    429: (0, "You are being rate limited."),
    500: (0, "500: Internal Server Error"),
    502: (0, "502: Bad Gateway"),
    503: (0, "503: Service Unavailable"),
    504: (0, "504: Gateway Timeout"),
}


@dataclass
class Fault:
    """One injected fault; see the module docstring for matching."""

    id: int
    route: str = "*"
    status: int | None = None
    code: int | None = None
    message: str | None = None
    latency_ms: float = 0.0
    times: int | None = 1
    retry_after: float = 0.5  # for status 429
    is_global: bool = False  # for status 429: a global rate limit
    after: bool = False  # strike after the route ran (the effect happened, the answer is lost)
    drop: bool = False  # close the connection instead of answering (with `after`, or alone)
    fired: int = 0

    def matches(self, route: str, concrete: str) -> bool:
        """Whether this fault applies to a request."""
        if self.times is not None and self.fired >= self.times:
            return False
        return fnmatch.fnmatchcase(route, self.route) or fnmatch.fnmatchcase(concrete, self.route)

    def error_body(self) -> JSON:
        """The JSON body of the injected response."""
        status = self.status or 500
        if status == 429:
            return {
                "message": "You are being rate limited.",
                "retry_after": self.retry_after,
                "global": self.is_global,
                "code": 0,
            }
        code, message = DEFAULT_ERRORS.get(status, (0, f"{status}: Error"))
        return {
            "message": self.message or message,
            "code": self.code if self.code is not None else code,
        }

    def to_json(self) -> JSON:
        """The fault as JSON (for the control API)."""
        return asdict(self)


class FaultBook:
    """The active faults, in the order they were added."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self._next_id = 1

    def add(self, **spec: Any) -> Fault:
        """Add a fault; keyword names are `Fault`'s fields (`global` is accepted for is_global)."""
        if "global" in spec:
            spec["is_global"] = spec.pop("global")
        spec.pop("id", None)
        spec.pop("fired", None)
        fault = Fault(id=self._next_id, **spec)
        self._next_id += 1
        self.faults.append(fault)
        return fault

    def take(self, route: str, concrete: str) -> list[Fault]:
        """The faults that fire for this request (their counters are advanced)."""
        fired = [f for f in self.faults if f.matches(route, concrete)]
        for fault in fired:
            fault.fired += 1
        return fired

    def remove(self, fault_id: int | None = None) -> None:
        """Remove one fault, or all of them."""
        self.faults = [] if fault_id is None else [f for f in self.faults if f.id != fault_id]
