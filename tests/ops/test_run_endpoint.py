"""`hotpapers run` itself serves the endpoint when configured: the composition root wires it.

The real entry point runs as its own process against the sandbox (the slow tier): /healthz
answers 200 with the poster lease required and held, /metrics answers, and SIGTERM still
stops the bot cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from sandbox.testing import running_sandbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_run_serves_healthz_and_metrics_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    async with running_sandbox() as sandbox:
        await sandbox.control.add_guild("Lab", channels=["general"])
        config = tmp_path / "config.toml"
        config.write_text(
            'log_level = "WARNING"\n'
            f'[discord]\napi_base = "{sandbox.api_base}"\ngateway_url = "{sandbox.gateway_url}"\n'
            f'[store]\npath = "{tmp_path / "db.sqlite3"}"\n'
            '[sources]\ndefault = "hotpapers-md"\n'
            f'[ops]\nlisten = "127.0.0.1:{port}"\n'
        )
        environ = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            cwd=ROOT,
            env={**environ, "DISCORD_TOKEN": "sandbox-token"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            body: dict[str, object] = {}
            status = 0
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                for _ in range(600):  # bounded: start-up, login, READY
                    try:
                        r = await client.get("/healthz")
                    except httpx.TransportError:
                        r = None
                    if r is not None and r.status_code == 200:
                        status, body = r.status_code, r.json()
                        break
                    await asyncio.sleep(0.1)
                metrics = await client.get("/metrics")
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert status == 200, body
    lease = body["lease"]
    assert isinstance(lease, dict) and lease["required"] is True and lease["held"] is True
    assert metrics.status_code == 200
    assert 'hotpapers_posts_total{outcome="sent"} 0.0' in metrics.text
    assert proc.returncode == 0, err.decode()
    assert "Traceback" not in err.decode()
