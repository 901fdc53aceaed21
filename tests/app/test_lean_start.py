"""`hotpapers run` starts and posts without loading what only some bots use.

The real entry point runs as its own process against the sandbox (the slow tier) under
`python -X importtime`, which lists every module the process imported. It posts a due digest
from its store; by then it has not imported the ops endpoint's libraries (no `[ops] listen`),
nor a parser of fetched data (YAML and front matter, the HTML and XML parsers): those are
loaded on first use (docs/benchmarks.md, "Fourth pass: memory"), and this test keeps the
saving from rotting. A config error is still refused at start, before any of that.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.preview import sample_digest
from bot.models import Subscription
from bot.schedule import slot_for
from bot.store import open_store
from sandbox.testing import running_sandbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# Loaded only by the bots that use them, at that first use (or at start with `[ops] listen`).
NOT_AT_START = (
    "prometheus_client",  # bot.ops.metrics: with an ops endpoint only
    "aiohttp.web",  # bot.ops.server: the same
    "yaml",  # bot.sources.hotpapers_md: the first post parsed
    "frontmatter",
    "html.parser",  # bot.sources.tweets: the same
    "defusedxml",  # bot.sources.arxiv, arxiv_listing: the first feed read
    "xml.etree.ElementTree",
    "sandbox",  # never the bot's
)


def imported(stderr: str) -> set[str]:
    """Every module `-X importtime` reported."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    return {**out, "DISCORD_TOKEN": "sandbox-token"}


async def test_run_posts_a_due_digest_without_loading_what_it_does_not_use(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    store_path = tmp_path / "db.sqlite3"
    async with running_sandbox() as sandbox:
        guild = await sandbox.control.add_guild("Lab", channels=["papers"])
        channel = next(c.id for c in guild.channels.values() if c.name == "papers")
        at = now - timedelta(minutes=2)  # due two minutes ago, created an hour ago
        sub = Subscription(
            guild_id=guild.id,
            channel_id=channel,
            post_time=f"{at:%H:%M}",
            timezone="UTC",
            created_at=now - timedelta(hours=1),
        )
        slot = slot_for(sub, at.date(), lag_days=1)
        async with open_store(store_path) as store:
            await store.save_digest(sample_digest().model_copy(update={"day": slot.day}))
            await store.upsert_subscription(sub)
        config = tmp_path / "config.toml"
        config.write_text(
            'log_level = "WARNING"\n'
            f'[discord]\napi_base = "{sandbox.api_base}"\ngateway_url = "{sandbox.gateway_url}"\n'
            f'[store]\npath = "{store_path}"\n'
            '[sources]\ndefault = "hotpapers-md"\n'
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            cwd=ROOT,
            env=env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            for _ in range(900):  # bounded: start-up, READY, the first tick, the post
                if sandbox.control.messages(channel) or proc.returncode is not None:
                    break
                await asyncio.sleep(0.1)
            posted = sandbox.control.messages(channel)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 60)
    text = err.decode()
    assert proc.returncode == 0, text[-2000:]
    assert len(posted) == 1
    # The sample's own title (its day moved to the slot's): the post is the stored digest.
    first_line = posted[0]["content"].split("\n", 1)[0]
    assert first_line == "**🔥 Hot Papers 2021-03-12** · 10 papers · source: hotpapers-md"
    names = imported(text)
    assert "bot.app.compose" in names and "discord" in names  # the listing is complete
    loaded = sorted(n for n in names if n.startswith(NOT_AT_START))
    assert loaded == []


def test_a_config_error_is_still_refused_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text('[ops]\nlisten = "not an address"\n')
    r = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env(),
        timeout=120,
        check=False,
    )
    assert r.returncode == 2
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("hotpapers run: error: ") and "ops.listen" in line
