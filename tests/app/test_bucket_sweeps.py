"""discord.py's sweep of idle rate-limit buckets, amortized (`amortize_bucket_sweeps`)."""

from __future__ import annotations

import asyncio

import pytest
from discord.http import HTTPClient, Ratelimit

from bot.app.sender import amortize_bucket_sweeps


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counted = [0]
    inactive = Ratelimit.is_inactive

    def counting(self: Ratelimit) -> bool:
        counted[0] += 1
        return inactive(self)

    monkeypatch.setattr(Ratelimit, "is_inactive", counting)
    return counted


async def test_a_fan_out_of_new_buckets_costs_linear_checks(checks: list[int]) -> None:
    http = HTTPClient(asyncio.get_running_loop())
    amortize_bucket_sweeps(http)
    for i in range(3_000):
        http.get_ratelimit(f"POST /channels/{i}/messages")
    assert len(http._buckets) == 3_000
    assert checks[0] <= 4 * 3_000  # discord.py's own: ~3,000 × 2,750 / 2


async def test_idle_buckets_are_still_dropped(checks: list[int]) -> None:
    http = HTTPClient(asyncio.get_running_loop())
    amortize_bucket_sweeps(http)
    for i in range(255):
        http.get_ratelimit(f"old {i}")
    for bucket in http._buckets.values():
        bucket._last_request -= 301  # idle for more than 300 s
    http.get_ratelimit("new")  # the 256th: a sweep
    assert list(http._buckets) == ["new"]
    for i in range(600):
        http.get_ratelimit(f"busy {i}")
    assert len(http._buckets) == 601  # nothing idle: kept
