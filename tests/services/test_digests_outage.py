"""`DigestService.outage`: the sources' health, only when an upstream source is failing now."""

from __future__ import annotations

import httpx

from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.store.base import Store

from .conftest import NOW, down_digests


async def test_a_store_only_source_has_no_outage(store: Store, digests: DigestService) -> None:
    await store.record_source_health("hotpapers-md", ok=False, error="HTTP 503", at=NOW)
    assert await digests.outage("default") is None


async def test_an_upstream_source_is_out_only_while_its_health_is_failing(
    empty_store: Store, down_client: httpx.AsyncClient, clock: ManualClock
) -> None:
    digests = down_digests(empty_store, down_client, clock)
    assert await digests.outage("default") is None  # never tried
    await empty_store.record_source_health("hf", ok=True, at=NOW)
    assert await digests.outage("hf") is None
    await empty_store.record_source_health("hf", ok=False, error="HTTP 503", at=NOW)
    health = await digests.outage("default")
    assert health is not None and [(h.source, h.ok) for h in health] == [("hf", False)]
