"""`hotpapers run` (token, config, intents errors; graceful stop) and `hotpapers demo --json`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import discord
import pytest

from bot.cli.run import explain_start_error
from sandbox.testing import running_sandbox
from sandbox.validation import message_rules, validate_body

# Each test runs `hotpapers` as its own process: the slow tier.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CV_IDS = ["2103.06422", "2103.06871", "2103.06877", "2103.06561", "2103.06417"]


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    out.update(extra)
    return out


def hotpapers(*args: str, **kw: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env(**kw),
        timeout=120,
        check=False,
    )


def test_run_without_a_token_is_one_clear_line(tmp_path: Path) -> None:
    r = hotpapers("run")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "hotpapers run: error: DISCORD_TOKEN is not set: export the bot token in that variable"
    ]


def test_run_with_an_invalid_config_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("[schedule]\ntick_seconds = -5\n")
    r = hotpapers("run", "--config", str(bad), DISCORD_TOKEN="x")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "schedule.tick_seconds" in lines[0]


def test_start_errors_are_explained() -> None:
    assert "rejected the token" in (explain_start_error(discord.LoginFailure("x")) or "")
    assert "4014" in (explain_start_error(discord.PrivilegedIntentsRequired(None)) or "")
    assert explain_start_error(RuntimeError("bug")) is None


async def _run_against_sandbox(
    tmp_path: Path, token: str, stop: signal.Signals = signal.SIGTERM
) -> tuple[int, str, list[str]]:
    async with running_sandbox(token="the-right-token") as sandbox:
        await sandbox.control.add_guild("Lab", channels=["general"])
        config = tmp_path / "config.toml"
        config.write_text(
            'log_level = "WARNING"\n'
            f'[discord]\napi_base = "{sandbox.api_base}"\ngateway_url = "{sandbox.gateway_url}"\n'
            f'[store]\npath = "{tmp_path / "db.sqlite3"}"\n'
            '[sources]\ndefault = "hotpapers-md"\n'
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            cwd=ROOT,
            env=env(DISCORD_TOKEN=token),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        if token == "the-right-token":
            async with asyncio.timeout(60):
                while not sandbox.control.commands():
                    await asyncio.sleep(0.05)
            await sandbox.control.wait_for_gateway(identifies=1, timeout=30)
            commands = sorted(c["name"] for c in sandbox.control.commands())
            proc.send_signal(stop)
        else:
            commands = []
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode is not None
        return proc.returncode, err.decode(), commands


async def test_run_with_a_rejected_token_is_one_clear_line(tmp_path: Path) -> None:
    code, err, _ = await _run_against_sandbox(tmp_path, "a-wrong-token")
    assert code == 2
    lines = [line for line in err.splitlines() if "voice will NOT be supported" not in line]
    assert lines == [
        "hotpapers run: error: Discord rejected the token: check DISCORD_TOKEN "
        "(Bot tab of the developer portal)"
    ]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_run_syncs_commands_and_stops_gracefully(
    tmp_path: Path, stop: signal.Signals
) -> None:
    code, err, commands = await _run_against_sandbox(tmp_path, "the-right-token", stop)
    assert commands == ["digest", "history", "hot", "me", "paper", "saved", "search"]
    assert code == 0, err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def demo_json() -> dict:  # type: ignore[type-arg]
    r = hotpapers("demo", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_demo_posts_the_sample_once_and_answers_the_three_commands(demo_json: dict) -> None:  # type: ignore[type-arg]
    assert set(demo_json) == {"messages", "interactions", "pings", "names"}
    messages = demo_json["messages"]
    assert len(messages) == 2  # the daily digest, then the weekly one in the same channel
    assert messages[0]["channel_id"] == messages[1]["channel_id"]
    assert "Hot Papers 2021-03-12" in messages[0]["payload"]["content"]
    asked = [(i["command"], i["options"]) for i in demo_json["interactions"]]
    assert asked[-3:] == [
        ("hot", {}),
        ("hot", {"category": "cs.CV"}),
        ("paper", {"id": "2103.06874"}),
    ]
    cv = demo_json["interactions"][-2]["response"]["data"]["embeds"][0]["description"]
    assert [cv.index(i) for i in CV_IDS] == sorted(cv.index(i) for i in CV_IDS)
    assert cv.count("arxiv.org/abs/") == 5
    paper = demo_json["interactions"][-1]["response"]["data"]
    assert "Posted in this server" in paper["content"]
    for i in demo_json["interactions"]:
        assert isinstance(i["latency_ms"], int | float) and i["latency_ms"] >= 0


def test_demo_shows_a_weekly_digest_that_pings_its_role(demo_json: dict) -> None:  # type: ignore[type-arg]
    names = demo_json["names"]
    role = next(i for i, n in names.items() if n == "cv-readers")
    reader = next(i for i, n in names.items() if n == "reader")
    daily, weekly = (m["payload"] for m in demo_json["messages"])
    assert daily["allowed_mentions"] == {"parse": []} and "<@&" not in daily["content"]
    assert weekly["allowed_mentions"] == {"parse": [], "roles": [role]}
    assert weekly["content"].startswith(
        f"<@&{role}> **🔥 Hot Papers of the week 2021-03-06 – 2021-03-12 · cs.CV** · 5 papers"
    )
    (ping,) = demo_json["pings"]
    assert (ping["roles"], ping["users"], ping["everyone"]) == ([role], [reader], False)
    (click,) = [i for i in demo_json["interactions"] if i["command"] == "click"]
    assert click["options"] == {"button": "🔔 Get cs.CV pings"}
    assert click["response"]["data"]["content"] == (
        f"You'll get <@&{role}> pings. Click again to stop."
    )


def test_demo_payloads_are_valid_under_discords_spec(demo_json: dict) -> None:  # type: ignore[type-arg]
    for m in demo_json["messages"]:
        assert int(m["channel_id"]) > 0
        body = m["payload"]
        assert body["allowed_mentions"]["parse"] == []
        assert validate_body("POST", "/channels/{channel_id}/messages", body) == []
        assert message_rules(body) == []
    for i in demo_json["interactions"]:
        body = i["response"]
        assert (
            validate_body(
                "POST", "/interactions/{interaction_id}/{interaction_token}/callback", body
            )
            == []
        )
        assert message_rules(body["data"]) == []


def test_demo_transcript_is_readable() -> None:
    r = hotpapers("demo")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert (
        "── in #papers ──" in out and "/hot category:cs.CV" in out and "/paper id:2103.06874" in out
    )
    assert out.count("── in #papers ──") == 2
    assert "\n@cv-readers 🔥 Hot Papers of the week 2021-03-06 – 2021-03-12 · cs.CV" in out
    assert "  @cv-readers → reader\n" in out
    assert "── tester clicks 🔔 Get cs.CV pings" in out
    assert "You'll get @cv-readers pings. Click again to stop." in out
    assert "<t:" not in out
