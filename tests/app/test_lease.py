"""One poster per store: `PosterLease`, the scheduler's gate, two bots on one store file, and a
second `hotpapers run` refused in one line with exit code 2 (issue 11)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app.lease import PosterLease
from bot.cli.preview import sample_digest
from bot.store import open_store
from bot.store.sqlite import SqliteStore
from sandbox.app import Sandbox
from tests.app.conftest import MANAGE_GUILD, SAMPLE_NOW, FakeClock, running_app
from tests.app.test_scheduling import posts_in, subscribe

ROOT = Path(__file__).resolve().parents[2]


async def test_the_lease_is_held_renewed_lost_and_shown(tmp_path: Path) -> None:
    clock = FakeClock(SAMPLE_NOW)
    db = tmp_path / "s.sqlite3"
    async with open_store(db) as s1, open_store(db) as s2:
        first = PosterLease(s1, holder="host-a:1:aaaa", clock=clock)
        second = PosterLease(s2, holder="host-b:2:bbbb", clock=clock)
        assert await first.acquire() and await first.holds()
        assert not await second.acquire() and not await second.holds()
        line = second.status_line()
        assert line == (
            "another HotPapers process (holder host-a:1:aaaa) is posting from this store until "
            f"{(SAMPLE_NOW + timedelta(seconds=60)).isoformat(timespec='seconds')}; "
            "this one will not post"
        )
        clock.advance(seconds=30)
        assert await first.acquire()  # renewed to 30 + 60 s
        clock.advance(seconds=59)
        assert not await second.acquire()  # still held, for one more second
        clock.advance(seconds=2)  # first stopped renewing (e.g. paused): expired, so
        assert await second.acquire() and await second.holds()  # the second takes over,
        assert not await first.holds()  # and the first, back, does not get it back
        assert "holder host-b:2:bbbb" in first.status_line()


async def test_a_store_that_cannot_be_written_takes_the_right_to_post(tmp_path: Path) -> None:
    clock = FakeClock(SAMPLE_NOW)
    async with open_store(tmp_path / "s.sqlite3") as store:
        assert isinstance(store, SqliteStore)
        lease = PosterLease(store, clock=clock)
        assert await lease.acquire() and await lease.holds()
        await store._db.execute("PRAGMA query_only = ON")  # writes now fail: SQLITE_READONLY
        assert not await lease.acquire()
        assert not await lease.holds()  # though the lease itself has not expired yet
        assert lease.status_line().startswith("the store cannot be written (the store is read-only")
        await store._db.execute("PRAGMA query_only = OFF")
        assert await lease.acquire() and await lease.holds()


async def test_two_bots_on_one_store_file_post_once(
    sandbox: Sandbox, tmp_path: Path, clock: FakeClock
) -> None:
    db = tmp_path / "shared.sqlite3"
    async with open_store(db) as s1, open_store(db) as s2:
        await s1.save_digest(sample_digest(), final=True)
        # Two processes' holder ids (in one test process, the same PID would read as a
        # restart of the first: see `holder_is_gone`).
        first = PosterLease(s1, holder="host-a:1:aaaa", clock=clock)
        second = PosterLease(s2, holder="host-b:2:bbbb", clock=clock)
        assert await first.acquire()
        assert not await second.acquire()
        guild = await sandbox.control.add_guild("Lab", channels=["papers"])
        (channel,) = guild.channels
        async with running_app(sandbox, s1, clock, lease=first) as bot1:
            await subscribe(sandbox, channel, time="09:30", timezone="UTC")
            clock.advance(minutes=45)
            assert await first.acquire()  # what its renewal task does every 20 s
            async with running_app(sandbox, s2, clock, lease=second) as bot2:
                paused = await bot2.scheduler.tick()
                assert paused.paused  # the scheduler's gate; the lease says why:
                assert second.status_line().startswith("another HotPapers process (holder ")
                assert paused.due == 0 and not paused.outcomes
                assert posts_in(sandbox, channel) == []
                posted = await bot1.scheduler.tick()
                assert posted.paused is None and posted.sent == 1
                assert "Poster: another HotPapers process" in "\n".join(
                    bot2.services.status.store_lines(str)
                )
        # bot1 stopped gracefully: the lease is released, the second takes over at once...
        assert await s2.get_lease("poster") is None
        assert await second.acquire()
        async with running_app(sandbox, s2, clock, lease=second) as bot2:
            again = await bot2.scheduler.tick()
            assert again.paused is None and again.sent == 0  # ...and does not post it again
        assert len(posts_in(sandbox, channel)) == 1


@pytest.mark.slow
def test_a_second_hotpapers_run_refuses_in_one_line(tmp_path: Path) -> None:
    import asyncio

    db = tmp_path / "h.sqlite3"
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\npath = "{db}"\n', encoding="utf-8")

    async def take() -> None:
        async with open_store(db) as store:
            assert await PosterLease(store).acquire()  # held by this (running) test process

    asyncio.run(take())
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["DISCORD_TOKEN"] = "never-used"  # it exits before it contacts Discord
    r = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("hotpapers run: error: another HotPapers process (holder ")
    assert f":{os.getpid()}:" in lines[0]
    assert lines[0].endswith("is posting from this store until " + lines[0].split("until ")[1])
    assert lines[0].endswith("; this one will not post")


async def test_the_renewal_task_renews_every_third_of_the_ttl_and_releases(
    tmp_path: Path,
) -> None:
    import asyncio

    clock = FakeClock(SAMPLE_NOW)
    slept: list[float] = []
    parked = asyncio.Event()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) > 3:
            parked.set()
            await asyncio.Event().wait()  # until cancelled by stop()
        clock.advance(seconds=seconds)

    async with open_store(tmp_path / "s.sqlite3") as store:
        lease = PosterLease(store, clock=clock, sleep=sleep)
        assert await lease.acquire()
        lease.start()
        await asyncio.wait_for(parked.wait(), 30)
        assert slept[:3] == [20.0, 20.0, 20.0]
        assert lease.lease is not None
        assert lease.lease.expires_at == SAMPLE_NOW + timedelta(seconds=60 + 60)
        await lease.stop()
        assert await store.get_lease("poster") is None


async def test_holds_renews_when_the_task_is_overdue(tmp_path: Path) -> None:
    clock = FakeClock(SAMPLE_NOW)
    async with open_store(tmp_path / "s.sqlite3") as store:
        lease = PosterLease(store, clock=clock)
        assert await lease.acquire()
        clock.advance(minutes=45)  # a clock jump, or a renewal task that stalled
        assert await lease.holds()
        assert lease.lease is not None and lease.lease.expires_at > clock.now


async def test_a_store_that_stops_accepting_writes_pauses_posting_then_resumes(
    sandbox: Sandbox, tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with open_store(tmp_path / "s.sqlite3") as store:
        assert isinstance(store, SqliteStore)
        await store.save_digest(sample_digest(), final=True)
        lease = PosterLease(store, clock=clock)
        assert await lease.acquire()
        guild = await sandbox.control.add_guild("Lab", channels=["papers"])
        (channel,) = guild.channels
        async with running_app(sandbox, store, clock, lease=lease) as bot:
            await subscribe(sandbox, channel, time="09:30", timezone="UTC")
            clock.advance(minutes=45)
            # As when the disk is remounted read-only: every write is SQLITE_READONLY.
            await store._db.execute("PRAGMA query_only = ON")
            reports = []
            for _ in range(5):
                reports.append(await bot.scheduler.tick())
                clock.advance(minutes=1)
            assert all(r.sent == 0 for r in reports)
            assert all(r.paused for r in reports[1:])  # paused once the first write failed
            assert posts_in(sandbox, channel) == []
            status = "\n".join(bot.services.status.store_lines(str))
            assert "Store: **cannot be written** since" in status
            assert "Poster: the store cannot be written (the store is read-only" in status
            shown = await sandbox.control.invoke("digest status", permissions=MANAGE_GUILD)
            assert "Store: **cannot be written** since" in shown.content, shown.content
            refused = await sandbox.control.invoke(
                "digest post-now", {"channel": channel}, permissions=MANAGE_GUILD
            )
            assert refused.ephemeral and refused.content.startswith(
                "Nothing was posted: this bot process may not post right now"
            ), refused.content
            store_errors = [r for r in caplog.records if r.name == "bot.store.sqlite"]
            assert len(store_errors) == 1 and r"store writes are failing" in store_errors[0].msg
            tracebacks = [r for r in caplog.records if r.exc_info]
            assert tracebacks == []  # a StoreError is a warning line, never a traceback
            await store._db.execute("PRAGMA query_only = OFF")  # fixed
            resumed = await bot.scheduler.tick()
            assert resumed.paused is None and resumed.sent == 1
            assert bot.services.status.store_lines(str)[0] == "Store: writable"
        assert len(posts_in(sandbox, channel)) == 1
