"""Every `/healthz` part has its own deadline: a hung lease check or source-health read answers
503/degraded in time instead of hanging the scrape (the last session's note: the lease check
had none, up to the 30 s statement timeout on a hung server)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.ops.health import Health, Part
from bot.store import open_store

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def gateway() -> Part:
    return Part(True, {"connected": True, "latency_ms": 40.0})


async def test_a_hung_lease_check_is_a_503_naming_the_deadline(tmp_path: Path) -> None:
    async def hung() -> Part:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async with open_store(tmp_path / "s.sqlite3") as store:
        health = Health(
            store, gateway=gateway, lease=hung, holder="t", clock=lambda: NOW, probe_timeout=0.05
        )
        status, body = await asyncio.wait_for(health.report(), 10)
    assert status == 503
    assert body["failing"] == ["lease"]
    assert body["lease"] == {
        "ok": False,
        "required": True,
        "held": None,
        "status": "the lease check did not finish within 0.05 s",
    }


async def test_a_failing_lease_check_is_a_503_with_its_reason(tmp_path: Path) -> None:
    async def broken() -> Part:
        raise OSError("connection reset")

    async with open_store(tmp_path / "s.sqlite3") as store:
        health = Health(store, gateway=gateway, lease=broken, holder="t", clock=lambda: NOW)
        status, body = await health.report()
    assert status == 503
    assert body["lease"]["status"] == "the lease check failed: connection reset"


async def test_a_hung_source_health_read_is_degraded_not_hung(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.sqlite3") as store:

        async def hung(*_: Any, **__: Any) -> list[Any]:
            await asyncio.Event().wait()
            return []

        store.source_health = hung  # type: ignore[method-assign]
        health = Health(store, gateway=gateway, holder="t", clock=lambda: NOW, probe_timeout=0.05)
        status, body = await asyncio.wait_for(health.report(), 10)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["sources"] == [
        {"source": None, "ok": False, "error": "source health was not read within 0.05 s"}
    ]
