"""Outside attacks on the ops endpoint (issue 15): /healthz and /metrics scraped as the world does.

Each test is a finding: it failed before its fix.
"""

from __future__ import annotations

import asyncio

import httpx

from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import FakeClock, make_config, running_app
from tests.app.conftest import clock as clock
from tests.app.conftest import sandbox as sandbox
from tests.app.conftest import store as store
from tests.ops.endpoint import ops_server

CONFIG = make_config(ops={"listen": "127.0.0.1:0"})


async def test_concurrent_healthz_scrapes_of_a_healthy_bot_all_answer_200(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """Found: every /healthz writes and deletes the same probe row (`healthz:<holder>`), so
    two scrapes at once (Prometheus' blackbox probe and a load balancer, or systemd's watchdog
    and a human) interleaved: one's release deleted the row under the other, whose release then
    found nothing and reported the store "not writable" (503, `failing: ["store"]`) on a
    healthy bot, which a supervisor acting on 503 restarts. Promised: concurrent scrapes of a
    healthy bot each answer 200 with the store writable."""
    async with (
        running_app(sandbox, store, clock, config=CONFIG) as bot,
        httpx.AsyncClient(base_url=ops_server(bot).url) as client,
    ):
        answers = await asyncio.gather(*(client.get("/healthz") for _ in range(8)))
    bodies = [r.json() for r in answers]
    assert [r.status_code for r in answers] == [200] * 8, [b["store"] for b in bodies]
    assert all(b["store"]["writable"] is True for b in bodies)
