"""/healthz of the real bot against the sandbox: 200 when every part is ok, 503 naming the part.

Each part is made to fail for real: the store refuses writes (as a disk remounted read-only
does), another process takes the poster lease, the sandbox goes away (the gateway is down); a
source whose fetch failed only makes the answer `degraded`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.app.lease import PosterLease
from bot.store.base import Store
from bot.store.sqlite import SqliteStore
from sandbox.app import Sandbox
from tests.app.conftest import FakeClock, make_config, running_app
from tests.app.conftest import clock as clock
from tests.app.conftest import sandbox as sandbox
from tests.app.conftest import store as store
from tests.ops.endpoint import ops_server, scrape_health

CONFIG = make_config(ops={"listen": "127.0.0.1:0"})


async def test_healthy_then_the_store_stops_taking_writes_then_recovers(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    assert isinstance(store, SqliteStore)
    async with running_app(sandbox, store, clock, config=CONFIG) as bot:
        status, body = await scrape_health(bot)
        assert status == 200, body
        assert body["status"] == "ok" and body["failing"] == [] and body["degraded"] == []
        assert body["gateway"]["ok"] and body["gateway"]["connected"] is True
        assert body["store"]["ok"] and body["store"]["writable"] is True
        assert body["store"]["error"] is None
        assert body["lease"] == {
            "ok": True,
            "required": False,
            "held": None,
            "status": "no poster lease is used",
        }
        assert body["sources"] == []
        assert body["checked_at"] == clock.now.isoformat()
        holder = ops_server(bot).health.holder
        assert await store.get_lease(f"healthz:{holder}") is None  # the probe left nothing

        await store._db.execute("PRAGMA query_only = ON")  # every write: SQLITE_READONLY
        status, body = await scrape_health(bot)
        assert status == 503
        assert body["status"] == "failing" and body["failing"] == ["store"]
        assert body["store"]["writable"] is False
        assert body["store"]["error"] == (
            "the store is read-only (the file or its folder cannot be written)"
        )
        assert body["gateway"]["ok"] and body["lease"]["ok"]

        await store._db.execute("PRAGMA query_only = OFF")
        status, body = await scrape_health(bot)
        assert status == 200 and body["failing"] == [] and body["store"]["writable"] is True


async def test_the_lease_taken_by_another_process_is_a_503_naming_the_lease(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    lease = PosterLease(store, clock=clock)
    assert await lease.acquire()
    async with running_app(sandbox, store, clock, config=CONFIG, lease=lease) as bot:
        status, body = await scrape_health(bot)
        assert status == 200, body
        assert body["lease"]["required"] is True and body["lease"]["held"] is True
        assert body["lease"]["status"].startswith(f"this process (holder {lease.holder})")
        # The lease expires (this process stalled) and another process takes it.
        clock.advance(minutes=2)
        other = PosterLease(store, clock=clock, holder="elsewhere:1:beef")
        assert await other.acquire()
        status, body = await scrape_health(bot)
        assert status == 503 and body["failing"] == ["lease"]
        assert body["lease"]["held"] is False
        assert "holder elsewhere:1:beef" in body["lease"]["status"]
        await other.stop(release=True)


async def test_a_failing_source_is_degraded_not_a_503(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    at = datetime(2021, 3, 13, 8, 0, tzinfo=UTC)
    await store.record_source_health("hf", ok=True, at=at)
    await store.record_source_health("hf", ok=False, error="Hugging Face did not answer.", at=at)
    async with running_app(sandbox, store, clock, config=CONFIG) as bot:
        status, body = await scrape_health(bot)
    assert status == 200
    assert body["status"] == "degraded" and body["degraded"] == ["source:hf"]
    assert body["sources"] == [
        {
            "source": "hf",
            "ok": False,
            "consecutive_failures": 1,
            "checked_at": at.isoformat(),
            "last_ok_at": at.isoformat(),
            "error": "Hugging Face did not answer.",
        }
    ]


async def test_the_gateway_down_is_a_503_and_back_up_is_200(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    async with running_app(sandbox, store, clock, config=CONFIG) as bot:
        status, _ = await scrape_health(bot)
        assert status == 200
        port = sandbox.port
        lost = asyncio.ensure_future(bot.wait_for("disconnect"))
        await asyncio.sleep(0)
        await sandbox.stop()  # Discord is gone: the connection closes, reconnects are refused
        await lost
        status, body = await scrape_health(bot)
        assert status == 503 and body["failing"] == ["gateway"]
        assert body["gateway"]["connected"] is False
        assert body["store"]["ok"] and body["lease"]["ok"]
        await sandbox.start("127.0.0.1", port)  # back: the bot resumes by itself
        for _ in range(600):  # bounded: discord.py's reconnect backoff, then RESUME
            status, body = await scrape_health(bot)
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert status == 200 and body["gateway"]["connected"] is True


async def test_an_endpoint_that_cannot_listen_never_stops_the_bot(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    await sandbox.control.add_guild("Lab", channels=["general"])
    async with running_app(sandbox, store, clock, config=CONFIG) as first:
        taken = ops_server(first).port
        config = make_config(ops={"listen": f"127.0.0.1:{taken}"})
        # A second bot on a port in use: no endpoint, but it runs and answers.
        async with running_app(sandbox, store, clock, config=config) as second:
            server = ops_server(second)
            assert not server.serving and server.error is not None
            assert "Address already in use" in server.error
            r = await sandbox.control.invoke("hot")
            assert r.status == "answered"
            assert second.is_ready()


async def test_without_ops_config_there_is_no_endpoint(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    async with running_app(sandbox, store, clock) as bot:
        assert bot.get_cog("OpsCog") is None
        assert bot.publisher.observer is bot.scheduler.observer
        assert type(bot.publisher.observer).__name__ == "NoObserver"
