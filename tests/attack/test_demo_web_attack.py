"""Outside attacks on `hotpapers demo --web` (issue 17): a port that is taken, a SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from bot.cli import main

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def stores(tmp: Path) -> list[Path]:
    """The demo's temporary stores under `tmp` (its $TMPDIR)."""
    return list(tmp.glob("hotpapers-demo-*"))


def test_a_port_in_use_is_one_line_and_exit_2_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Found: `hotpapers demo --web --port P` with P taken died with an OSError traceback
    (exit 1). Promised: one line on stderr naming the port, exit 2, as every CLI error."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["demo", "--web", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        f"hotpapers demo: error: demo: port {port} is in use; pick another with --port"
    ]


async def test_sigterm_stops_the_web_demo_cleanly_and_removes_its_store(tmp_path: Path) -> None:
    """Found: SIGTERM (what a service manager or `kill` sends) killed `demo --web` at once:
    exit 143, the bot never closed, its temporary store left in $TMPDIR. Promised: SIGTERM
    stops it as Ctrl-C does: "Stopped", exit 0, no traceback, nothing left behind."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp_path)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--web",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(60):
            while True:
                line = (await process.stdout.readline()).decode()
                assert line, "the demo ended before it printed the address"
                if "The sandbox is up" in line:
                    break
        assert stores(tmp_path)  # its store, while it runs
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            rest, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        assert "Stopped: the bot and the sandbox are closed." in rest.decode()
        assert "Traceback" not in err.decode()
        assert stores(tmp_path) == []
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
