"""`Health`: what `/healthz` answers. Each part is checked now, not remembered from earlier.

- **gateway**: connected to Discord's gateway (ready, websocket open), with its latency;
- **store**: writable, by real writes: a lease row of this process's own
  (`healthz:<holder>`) is written and deleted again, within `PROBE_TIMEOUT` seconds (a lease,
  so every backend of the store contract can do it, and nothing else reads it; nothing is
  left behind), plus the store's own memory of failing writes;
- **lease**: this process holds the poster lease (when it must hold one to post);
- **sources**: each source's last fetch outcome, from the store's source health.

HTTP 200 when gateway, store and lease are ok, else 503 with `failing` naming those that are
not. A source that fails makes the answer `degraded` (still 200): an upstream outage is not
the bot's fault and restarting it would not help, so a supervisor or load balancer that acts
on 503 must not act on it; the source's own fields say what is wrong. Every field is in
docs/operations.md.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.schedule import Clock, utc_now
from bot.store.base import Store

PROBE_LEASE = "healthz"
PROBE_TTL = timedelta(seconds=60)
PROBE_TIMEOUT = 2.0  # seconds a write probe may take before the store counts as not writable
GATED = ("gateway", "store", "lease")  # the parts whose failure is a 503


@dataclass(frozen=True)
class Part:
    """One part's check: ok or not, and its fields as `/healthz` shows them."""

    ok: bool
    fields: dict[str, Any] = field(default_factory=dict)


GatewayProbe = Callable[[], Part]
LeaseProbe = Callable[[], Awaitable[Part]]


def not_required() -> Part:
    """The lease part of a bot that posts without a lease (tests, the demo)."""
    return Part(True, {"required": False, "held": None, "status": "no poster lease is used"})


class Health:
    """Checks every part for one `/healthz` answer; `holder` names this process's probe."""

    def __init__(
        self,
        store: Store,
        *,
        gateway: GatewayProbe,
        lease: LeaseProbe | None = None,
        holder: str,
        clock: Clock = utc_now,
        probe_timeout: float = PROBE_TIMEOUT,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.lease = lease
        self.holder = holder
        self.clock = clock
        self.probe_timeout = probe_timeout
        # One probe at a time: concurrent scrapes share the probe's row, and one's release
        # would delete the row under the other (which then reported the store not writable).
        self._probing = asyncio.Lock()

    async def store_part(self) -> Part:
        """A real write (the probe lease), timed; any failure is the store not writable."""
        started = time.monotonic()
        error: str | None = None
        name = f"{PROBE_LEASE}:{self.holder}"  # this process's own row: no other can refuse it
        try:
            async with asyncio.timeout(self.probe_timeout), self._probing:
                lease = await self.store.acquire_lease(
                    name, self.holder, now=self.clock(), ttl=PROBE_TTL
                )
                if lease.holder != self.holder:
                    error = "the write probe was not recorded"
                elif not await self.store.release_lease(name, self.holder):
                    error = "the write probe could not be removed"
        except TimeoutError:
            error = f"a write did not finish within {self.probe_timeout:g} s"
        except Exception as exc:  # StoreError, or anything a backend raises: not writable
            error = str(exc) or type(exc).__name__
        took = round((time.monotonic() - started) * 1000, 3)
        health = self.store.write_health()
        ok = error is None and health.ok
        return Part(
            ok,
            {
                "writable": ok,
                "probe_ms": took,
                "error": error or (None if health.ok else health.reason),
                "failing_since": health.since.isoformat() if health.since else None,
            },
        )

    async def lease_part(self) -> Part:
        """The lease check, within the probe's deadline: a hung store must not hang `/healthz`
        (a supervisor would wait for its own timeout and learn nothing)."""
        if self.lease is None:
            return not_required()
        try:
            async with asyncio.timeout(self.probe_timeout):
                return await self.lease()
        except TimeoutError:
            status = f"the lease check did not finish within {self.probe_timeout:g} s"
        except Exception as exc:  # a backend's error: the lease cannot be confirmed
            status = f"the lease check failed: {str(exc) or type(exc).__name__}"
        return Part(False, {"required": True, "held": None, "status": status})

    async def sources_part(self) -> tuple[list[str], list[dict[str, Any]]]:
        """Each source's last outcome, and the names of those failing now (within the probe's
        deadline, like every part)."""
        try:
            async with asyncio.timeout(self.probe_timeout):
                rows = await self.store.source_health()
        except TimeoutError:
            error = f"source health was not read within {self.probe_timeout:g} s"
            return ["(unreadable)"], [{"source": None, "ok": False, "error": error}]
        except Exception as exc:
            return ["(unreadable)"], [{"source": None, "ok": False, "error": str(exc)}]
        out = [
            {
                "source": h.source,
                "ok": h.ok,
                "consecutive_failures": h.consecutive_failures,
                "checked_at": h.checked_at.isoformat(),
                "last_ok_at": h.last_ok_at.isoformat() if h.last_ok_at else None,
                "error": h.error,
            }
            for h in rows
        ]
        return [h.source for h in rows if not h.ok], out

    async def report(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, the JSON body) of one `/healthz` answer."""
        gateway = self.gateway()
        store = await self.store_part()
        lease = await self.lease_part()
        degraded, sources = await self.sources_part()
        parts = {"gateway": gateway, "store": store, "lease": lease}
        failing = [name for name in GATED if not parts[name].ok]
        status = "failing" if failing else "degraded" if degraded else "ok"
        body: dict[str, Any] = {
            "status": status,
            "failing": failing,
            "degraded": [f"source:{name}" for name in degraded],
            "checked_at": self.clock().isoformat(),
            **{name: {"ok": part.ok, **part.fields} for name, part in parts.items()},
            "sources": sources,
        }
        return (503 if failing else 200), body
