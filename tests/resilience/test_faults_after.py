"""Faults after the effect during the daily fan-out: Discord created the message, the bot never
heard so (issue 10, item 5).

The route runs, then its answer is replaced by a 5xx or the connection is dropped. The bot
cannot know the post exists; its nonce (within Discord's window) and its recovery scan (after
it) must keep the day exactly once. Run with the nonce window shorter than the bot's whole
retry span (0 s: the nonce never dedups) and longer (120 s).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import FakeClock, make_config, running_app
from tests.resilience.test_faults import POST, assert_exactly_once, still_up, subscribed_guild

MODES: dict[str, dict[str, Any]] = {
    "500-after": {"status": 500},  # discord.py retries it itself (after 1 s)
    "503-after": {"status": 503},  # raised at once: the publisher's backoff retries
    "drop-after": {"drop": True},  # no answer at all: a connection error
    # The answer stalls past the bot's post deadline (1 s here): the post is cut off.
    "stall-after": {"latency_ms": 2500},
}


CASES = [
    pytest.param(mode, window, id=f"{mode}-window-{label}")
    for mode in MODES
    for window, label in ((0.0, "short"), (120.0, "long"))
]


@pytest.mark.parametrize(("mode", "nonce_window"), CASES)
async def test_a_fault_after_the_effect_leaves_exactly_one_digest_per_channel(
    sandbox: Sandbox, store: Store, clock: FakeClock, mode: str, nonce_window: float
) -> None:
    sandbox.control.configure(nonce_window=nonce_window)
    channels = await subscribed_guild(sandbox, store, clock, n=4)
    deadline = 1.0 if mode == "stall-after" else 180.0
    config = make_config(schedule={"post_deadline_seconds": deadline})
    async with running_app(sandbox, store, clock, config=config, post_backoff_seconds=0.01) as bot:
        sandbox.control.inject_fault(POST, after=True, times=2, **MODES[mode])
        report = await bot.scheduler.tick()
        for _ in range(3):  # a day left failed is tried again past the scheduler's backoff
            clock.advance(minutes=30)
            await bot.scheduler.tick()
        assert_exactly_once(sandbox, channels)
        assert report.due >= len(channels)
        await still_up(sandbox)
