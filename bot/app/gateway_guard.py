"""A gateway frame the bot cannot read costs that connection, never the bot.

discord.py's `Client.connect` reconnects after network errors and the closes it expects, but
anything else raised while reading or parsing one event (a frame that is not JSON, an event
whose shape its parser does not expect: `ValueError`, `KeyError`, `TypeError` …) leaves
`connect`, and with it `start`: under `hotpapers run` the process dies; inside a host that
keeps the loop running the bot stays "ready" and answers nothing again (seen with the sandbox:
one frame carrying `Infinity` and every later command went unanswered).

`GatewayGuard.connect` catches those, logs one line naming the exception type (not the frame:
it may carry members' text), closes the connection and connects again with a fresh IDENTIFY
(a RESUME would replay the same frame). The waits between such reconnects double from 5 s to
600 s and start again after a quiet `QUIET_SECONDS`; after `MAX_IN_A_ROW` in a row the error is
raised after all, so a peer that sends nothing readable does not spend the day's IDENTIFY
budget (1000 a day): the process stops with the error, and its supervisor's restart policy
applies. What discord.py raises on purpose (a close it will not retry, after which the client
is closed; missing privileged intents; a bad token) is never caught here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import discord

log = logging.getLogger(__name__)

MAX_IN_A_ROW = 8
QUIET_SECONDS = 300.0
# The first wait is Discord's IDENTIFY window (gateway.mdx: `max_concurrency` per 5 s; a fresh
# `connect` IDENTIFYs at once, and sooner gets op 9). The waits grow to ten minutes so that a
# peer whose every session carries an unreadable frame costs at most 9 IDENTIFYs per ~24 min
# with deploy/hotpapers.service's restarts (RestartSec=180): about 550 a day of the 1000.
FIRST_WAIT, LONGEST_WAIT = 5.0, 600.0

# Raised by discord.py deliberately; not an unreadable frame.
_DELIBERATE: tuple[type[BaseException], ...] = (
    discord.PrivilegedIntentsRequired,
    discord.LoginFailure,
    discord.GatewayNotFound,
    discord.ConnectionClosed,
)


class GatewayGuard:
    """Reconnects after an event the framework could not read (see the module docstring)."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sleep = sleep
        self.monotonic = monotonic
        self.in_a_row = 0
        self.last_at: float | None = None
        self.total = 0

    def wait_after_failure(self) -> float | None:
        """Seconds to wait before connecting again, or None: give up and raise."""
        now = self.monotonic()
        if self.last_at is not None and now - self.last_at > QUIET_SECONDS:
            self.in_a_row = 0
        self.last_at = now
        self.in_a_row += 1
        self.total += 1
        if self.in_a_row > MAX_IN_A_ROW:
            return None
        wait = float(min(LONGEST_WAIT, FIRST_WAIT * 2 ** (self.in_a_row - 1)))
        self.last_at = now + wait  # quiet is counted from the reconnect, not from the failure
        return wait

    async def run(self, client: discord.Client, connect: Callable[[], Awaitable[None]]) -> None:
        """`connect()` (discord.py's loop) again after each unreadable event, within limits."""
        while True:
            try:
                await connect()
                return
            except _DELIBERATE:
                raise
            except Exception as exc:
                if client.is_closed():
                    raise
                wait = self.wait_after_failure()
                if wait is None:
                    log.error(
                        "gateway: %d unreadable events in a row (last: %s); stopping",
                        self.in_a_row - 1,
                        type(exc).__name__,
                    )
                    raise
                log.error(
                    "gateway: an event could not be read (%s); reconnecting in %.0f s "
                    "with a new session",
                    type(exc).__name__,
                    wait,
                )
                ws = getattr(client, "ws", None)
                if ws is not None:
                    with contextlib.suppress(Exception):
                        await ws.close(code=1000)
                await self.sleep(wait)
