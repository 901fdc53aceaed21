"""deploy/hotpapers.service: a restart policy that cannot spend Discord's IDENTIFY budget.

Discord allows `identify_budget` gateway session starts per `identify_budget_window` (1000 per
24 h) and resets the token after that; the sandbox enforces the same numbers, so they are read
from its settings here. Every start of the unit is (at least) one IDENTIFY, so the unit's
restart policy must keep the starts in one window well under the budget even if it crashes at
once every time, leaving the rest for the reconnects of the runs themselves.
"""

from __future__ import annotations

import inspect
import math
import re
from pathlib import Path

from bot.app.lease import TTL
from bot.app.scheduler import Scheduler
from sandbox.settings import SandboxSettings

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "hotpapers.service"
SHARE_FOR_RESTARTS = 0.5  # restarts may use at most half the budget
_UNITS = {"": 1.0, "s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "hr": 3600.0}


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit as {section: {key: [values, in order]}} (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"a setting outside a section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def seconds(value: str) -> float:
    """A systemd time span ("180", "3min", "1h 30min") in seconds."""
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value):
        total += float(number) * _UNITS[unit]
    return total


UNIT_SETTINGS = parse_unit(UNIT.read_text("utf-8"))


def one(section: str, key: str) -> str:
    values = UNIT_SETTINGS[section][key]
    assert len(values) == 1, f"{section}.{key} is set {len(values)} times"
    return values[0]


def test_restarts_cannot_spend_the_identify_budget() -> None:
    sandbox = SandboxSettings()
    budget, window = sandbox.identify_budget, sandbox.identify_budget_window
    assert (budget, window) == (1000, 86_400.0)  # Discord's numbers (gateway.mdx:188)
    allowed = budget * SHARE_FOR_RESTARTS
    assert one("Service", "Restart") == "on-failure"
    restart_sec = seconds(one("Service", "RestartSec"))
    # Crashing at once, every time: one start per RestartSec.
    assert math.ceil(window / restart_sec) <= allowed
    # The start limit lives in [Unit] (in [Service] systemd ignores it); even if an operator
    # cleared it every interval, its bursts stay within the share too.
    assert "StartLimitBurst" not in UNIT_SETTINGS["Service"]
    burst = int(one("Unit", "StartLimitBurst"))
    interval = seconds(one("Unit", "StartLimitIntervalSec"))
    assert interval > 0 and burst >= 1
    assert burst * math.ceil(window / interval) <= allowed
    # The limit is reachable (else it would be decoration): the burst fits in the interval.
    assert burst * restart_sec < interval


def test_stopping_leaves_time_to_finish_the_posts_and_release_the_lease() -> None:
    posts = inspect.signature(Scheduler.stop).parameters["wait_seconds"].default
    release = TTL.total_seconds() / 3  # PosterLease.stop's deadline for the release
    assert one("Service", "KillSignal") == "SIGTERM"
    assert seconds(one("Service", "TimeoutStopSec")) >= posts + release


def test_the_token_comes_from_an_environment_file_only() -> None:
    service = UNIT_SETTINGS["Service"]
    assert one("Service", "EnvironmentFile").startswith("/etc/")
    assert "Environment" not in service
    assert "DISCORD_TOKEN" not in " ".join(v for vs in service.values() for v in vs)


def test_it_runs_the_procfiles_worker() -> None:
    procfile = (ROOT / "Procfile").read_text("utf-8").strip()
    assert procfile == "worker: hotpapers run"
    exec_start = one("Service", "ExecStart").split()
    assert Path(exec_start[0]).name == "hotpapers" and exec_start[1] == "run"
    assert one("Service", "WorkingDirectory") == f"/var/lib/{one('Service', 'StateDirectory')}"


def test_it_is_hardened() -> None:
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictSUIDSGID": "yes",
        "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    }
    assert {k: one("Service", k) for k in expected} == expected
    assert one("Service", "User") != "root"
    assert "@system-service" in UNIT_SETTINGS["Service"]["SystemCallFilter"]


def test_the_readme_deploy_section_names_the_unit() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    deploy = readme[readme.index("## Deploy") :]
    deploy = deploy[: deploy.index("\n## ", 1)]
    assert "deploy/hotpapers.service" in deploy and "EnvironmentFile" in deploy
