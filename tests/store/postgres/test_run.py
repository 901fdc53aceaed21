"""The whole bot on PostgreSQL: `hotpapers import` into it, then `hotpapers run` against the
sandbox posts the day's digest to every due channel, and the ledger in PostgreSQL says so; a
second `hotpapers run` on the same database is refused by the first one's lease.

The processes are real (`python -m bot`), the store is the test server's (tests/pgserver.py),
selected by `[store] url = "postgresql://…"` in the config file.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import Subscription
from bot.publish import nonce_for
from bot.store import open_store
from sandbox.testing import running_sandbox
from tests import pgserver
from tests.resilience.test_crash import ROOT, TICK_LINE, BotProcess, digest_file, schedules

pytestmark = pytest.mark.slow


async def test_hotpapers_run_on_postgresql_posts_the_digest_to_every_due_channel(
    tmp_path: Path,
) -> None:
    server = pgserver.server()
    url = server.url(server.schema("run"))
    now = datetime.now(UTC)
    plan = schedules(now)
    assert plan, f"no zone has a due slot at {now}"
    zone, (at, day) = sorted(plan.items())[0]
    sample = tmp_path / f"{day.isoformat()}---Hot-Papers.md"
    sample.write_text(digest_file(day), encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "import", "--db", url, str(sample)),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    assert out.decode().startswith("imported 1 digest(s), 0 unchanged, 0 skipped")

    async with running_sandbox() as sandbox:
        guild = await sandbox.control.add_guild("Lab", channels=["a", "b", "c"])
        channels = sorted(guild.channels)
        async with open_store(url) as store:
            for channel_id in channels:
                await store.upsert_subscription(
                    Subscription(
                        guild_id=guild.id,
                        channel_id=channel_id,
                        id=channel_id,
                        post_time=at,
                        timezone=zone,
                        format="compact",
                        created_at=now - timedelta(days=3),
                    )
                )
        config = tmp_path / "config.toml"
        config.write_text(
            'log_level = "INFO"\n'
            f'[discord]\napi_base = "{sandbox.api_base}"\n'
            f'gateway_url = "{sandbox.gateway_url}"\n'
            f'[store]\nurl = "{url}"\n'
            '[sources]\ndefault = "hotpapers-md"\n'
            "[schedule]\ntick_seconds = 0.2\ncatch_up_hours = 12\n",
            encoding="utf-8",
        )
        bot = await BotProcess.start(config)
        try:

            def posted(lines: list[str]) -> bool:
                ticks = [m for m in map(TICK_LINE.search, lines) if m]
                return any(m.group(2) == str(len(channels)) for m in ticks)

            await bot.wait_for_line(posted)
            # A second process on the same database sees the first one's lease: refused.
            second = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "bot", "run", "--config", str(config)),
                cwd=ROOT,
                env={**os.environ, "DISCORD_TOKEN": "never-used"},
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, refused = await asyncio.wait_for(second.communicate(), 60)
            assert second.returncode == 2, refused.decode()
            assert "another HotPapers process (holder " in refused.decode()
        finally:
            code = await bot.terminate()
        assert code == 0, bot.log()

        async with open_store(url) as store:
            ledger = {p.channel_id: p for p in await store.list_posts() if p.day == day}
            lease = await store.get_lease("poster")
        me = sandbox.state.bot_user.id
        for channel_id in channels:
            mine = [m for m in sandbox.control.messages(channel_id) if int(m["author"]["id"]) == me]
            assert len(mine) == 1 and f"Hot Papers {day}" in mine[0]["content"], mine
            post = ledger[channel_id]
            assert post.status == "sent" and post.message_ids == [int(mine[0]["id"])]
            assert mine[0].get("nonce") in (None, nonce_for(post.subscription_id, channel_id, day))
        assert lease is None or lease.expires_at <= datetime.now(UTC)  # released at the stop
