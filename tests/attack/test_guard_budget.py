"""A peer whose every session carries an unreadable frame cannot spend Discord's IDENTIFY budget.

Found by an outside attacker (reading `bot.app.gateway_guard` against deploy/hotpapers.service):
the guard reconnected 8 times in ~3 minutes (waits 1 s … 60 s), then the process stopped and
systemd restarted it after RestartSec=180; a GUILD_CREATE discord.py cannot parse comes with
every new session, so each ~6-minute cycle cost 9 IDENTIFYs: over 2000 a day, past the 1000
after which Discord resets the bot's token (the unit's comment counted one IDENTIFY a start).
And the first reconnect came 1 s after the IDENTIFY that READY answered, inside Discord's
`max_concurrency` window of 5 s, where an IDENTIFY gets op 9 (discord.py sleeps 5 s itself
only before a re-IDENTIFY, and a fresh `connect` is an initial one).

Promised: with the shipped restart policy, a day of such sessions costs fewer than 1000
IDENTIFYs, and the guard never reconnects sooner than the sandbox's (Discord's) window.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.app.gateway_guard import FIRST_WAIT, GatewayGuard
from sandbox.settings import SandboxSettings

DAY = 86_400.0
UNIT = Path(__file__).resolve().parents[2] / "deploy" / "hotpapers.service"


def _restart_seconds() -> float:
    found = re.search(r"^RestartSec=(\d+)", UNIT.read_text(), re.MULTILINE)
    assert found, "deploy/hotpapers.service names no RestartSec"
    return float(found.group(1))


def test_a_day_of_unreadable_sessions_stays_within_the_identify_budget() -> None:
    restart = _restart_seconds()
    now, identifies = [0.0], 0
    while now[0] < DAY:
        identifies += 1  # the process starts: IDENTIFY, READY, then the unreadable frame
        guard = GatewayGuard(monotonic=lambda: now[0])
        while (wait := guard.wait_after_failure()) is not None:
            now[0] += wait
            identifies += 1  # the guard's fresh IDENTIFY; the same frame follows
        now[0] += restart  # the guard gave up; systemd starts the process again
    assert identifies < 1000, identifies


def test_the_first_reconnect_waits_out_the_identify_window() -> None:
    assert SandboxSettings().identify_window <= FIRST_WAIT
