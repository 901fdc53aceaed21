"""One poster per store: a lease in the store, held while the bot runs, renewed in the background.

Two processes on one store (an operator mistake: a second `hotpapers run`, a rolling deploy
that starts the new worker before stopping the old) would both post every due (channel, day),
and Discord's nonce dedup is too short to catch it. So a process posts only while it holds the
store's `poster` lease:

- `acquire()` takes it when it is free, expired, or held by a process known to be gone (same
  host and PID namespace, PID no longer running: so a restart after SIGKILL does not wait out
  the TTL); a live holder keeps it;
- a task renews it every TTL/3, each attempt with a deadline of TTL/3, so one slow store call
  cannot keep a stale lease looking held;
- `holds()` is the gate before posting: the lease is ours, unexpired by our clock, and the
  store accepts writes (a poster that cannot record its claim before sending must not send);
  it renews inline when the task is overdue, so a stalled task or a jumping clock (the soak's)
  does not pause a lone poster;
- `release()` on a graceful stop lets the next process take over at once.

What a second process does is decided at the composition root (`hotpapers run`): it logs one
line and exits with code 2 before connecting to Discord (see README, "Deploy").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.app.renewing import Renewing
from bot.errors import StoreError
from bot.schedule import Clock, utc_now
from bot.store.base import Lease, Store

log = logging.getLogger(__name__)

POSTER = "poster"
TTL = timedelta(seconds=60)
Sleep = Callable[[float], Awaitable[object]]


def _pid_namespace() -> str:
    """This process's PID namespace (Linux), so a PID is only compared within its own."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return ""


def _host() -> str:
    ns = _pid_namespace()
    return f"{socket.gethostname()}/{ns}" if ns else socket.gethostname()


def new_holder() -> str:
    """`host:pid:random`, unique per process start (host carries the PID namespace)."""
    return f"{_host()}:{os.getpid()}:{secrets.token_hex(4)}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to someone else
    try:  # a zombie (killed, not yet reaped) is gone for our purpose
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def holder_is_gone(holder: str, *, me: str | None = None) -> bool:
    """Whether `holder` names a process on this host (and PID namespace) that is not running.

    Only a positive answer for certain: another host, a malformed id or a PID that is in use
    all say "maybe alive", and then the lease is waited out.
    """
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != _host() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        # An earlier start of this same PID (e.g. PID 1 in a container) is gone; another
        # lease object alive in this very process is not.
        return holder != me and holder not in _LIVE_HOLDERS
    return not _running(pid)


_LIVE_HOLDERS: set[str] = set()  # holder ids of the PosterLease objects alive in this process


class PosterLease(Renewing):
    """The `poster` lease of one store for this process (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        holder: str | None = None,
        ttl: timedelta = TTL,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
        name: str = POSTER,
    ) -> None:
        self.store = store
        self.holder = holder or new_holder()
        _LIVE_HOLDERS.add(self.holder)
        self.ttl = ttl
        self.clock = clock
        self.sleep = sleep
        self.name = name
        self.lease: Lease | None = None  # the row as last seen
        self._error: str | None = None  # why the last attempt failed (a store fault)
        super().__init__()
        self._logged_other: str | None = None

    def _ours(self, now: datetime) -> bool:
        lease = self.lease
        return lease is not None and lease.holder == self.holder and now < lease.expires_at

    async def acquire(self) -> bool:
        """One attempt to take or renew the lease; True if this process now holds it."""
        try:
            async with asyncio.timeout(self.interval):
                self.lease = await self.store.acquire_lease(
                    self.name,
                    self.holder,
                    now=self.clock(),
                    ttl=self.ttl,
                    dead=lambda h: holder_is_gone(h, me=self.holder),
                )
        except (StoreError, TimeoutError) as exc:
            self._error = str(exc) or "the store did not answer in time"
            return False
        self._error = None
        ours = self._ours(self.clock())
        if ours:
            if self._logged_other is not None:
                log.warning("this process holds the poster lease now; posting resumes")
            self._logged_other = None
        elif self.lease is not None and self._logged_other != self.lease.holder:
            self._logged_other = self.lease.holder
            if self.renewing:  # lost while running (a start-up refusal logs itself)
                log.warning("%s", self.status_line())
        return ours

    async def holds(self) -> bool:
        """Whether this process may post now: lease ours and unexpired, store writable.

        Renews first when the renewal task is overdue (its last renewal is more than TTL/3
        old by our clock: a stalled task, or a clock that jumped) or the store was failing (a
        probe, so posting resumes as soon as writes work): a renewal is atomic and takes
        nothing from a live holder, so this never steals the lease.
        """
        lease, now = self.lease, self.clock()
        fresh = (
            lease is not None
            and lease.holder == self.holder
            and now < lease.expires_at - self.ttl * 2 / 3
        )
        if not fresh or not self.store.write_health().ok:
            await self.acquire()
        return self._ours(self.clock()) and self.store.write_health().ok

    def status_line(self) -> str:
        """One line: who holds the lease and until when, or why this process does not."""
        now = self.clock()
        health = self.store.write_health()
        lease = self.lease
        if not health.ok:
            return f"the store cannot be written ({health.reason}); not posting until it can"
        if lease is not None and lease.holder != self.holder and now < lease.expires_at:
            return (
                f"another HotPapers process (holder {lease.holder}) is posting from this store "
                f"until {lease.expires_at.isoformat(timespec='seconds')}; this one will not post"
            )
        if self._ours(now):
            assert lease is not None
            until = lease.expires_at.isoformat(timespec="seconds")
            return f"this process (holder {self.holder}) is the poster, lease renewed until {until}"
        if self._error:
            return f"the poster lease could not be renewed ({self._error}); not posting"
        return "this process does not hold the poster lease; not posting"

    async def stop(self, *, release: bool = True) -> None:
        """Stop renewing and (by default) give the lease up, so a successor need not wait."""
        await self.stop_renewing()
        if release and self.lease is not None and self.lease.holder == self.holder:
            with contextlib.suppress(StoreError, TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self.store.release_lease(self.name, self.holder)
            self.lease = None
        _LIVE_HOLDERS.discard(self.holder)
