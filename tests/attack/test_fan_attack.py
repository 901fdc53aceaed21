"""Attacks on the fan-out work (issue 16): the pacer's window against discord.py's own resends.

The window rule (`bot.app.pacing.Pacer`) proves at most L requests reach any second of
Discord's only if every request Discord receives passed it. discord.py resends a request
answered 429 by itself, inside the one `HTTPClient.request` call the sender paced, after the
answer's `retry_after` (often a fraction of a second for a route bucket): that resend must
take a window slot of its own, and the slot must not be held while discord.py sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib

from bot.app.bot import HotPapersBot
from bot.app.pacing import Pacer
from bot.app.sender import DiscordSender
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    FakeClock,
    clock,
    running_app,
    sandbox,
    store,
)

POST = "POST /channels/{channel_id}/messages"


class FrozenTime:
    """The pacer's clock held still, so every answer stays in its window and can be counted."""

    def clock(self) -> float:
        return 100.0

    async def sleep(self, _seconds: float) -> None:
        await asyncio.sleep(0)


async def test_a_resend_after_a_route_429_passes_the_window_itself(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["general"])
    channel = next(c.id for c in guild.channels.values() if c.name == "general")
    async with running_app(sandbox, store, clock) as bot:
        assert isinstance(bot, HotPapersBot)
        sender = bot.parts.publisher.sender
        assert isinstance(sender, DiscordSender)
        t = FrozenTime()
        sender.pacer = pacer = Pacer(1000.0, clock=t.clock, sleep=t.sleep, window=(50, 1.0))
        sandbox.control.inject_fault(POST, status=429, retry_after=0.01, times=1)
        await sender.send(channel, {"content": "hello"}, nonce="attack-1")
        statuses = [r.status for r in sandbox.control.requests(route=POST)]
        assert statuses == [429, 200]  # discord.py resent it by itself
        assert pacer.in_flight == 0
        assert len(pacer._answered) == 2  # both requests Discord saw went through the window


async def test_a_post_cancelled_while_its_request_is_out_frees_its_slot(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["general"])
    channel = next(c.id for c in guild.channels.values() if c.name == "general")
    async with running_app(sandbox, store, clock) as bot:
        sender = bot.parts.publisher.sender
        assert isinstance(sender, DiscordSender)
        t = FrozenTime()
        sender.pacer = pacer = Pacer(1000.0, clock=t.clock, sleep=t.sleep, window=(1, 1.0))
        sandbox.control.inject_fault(POST, latency_ms=3_000, times=1)  # no answer while it waits
        post = asyncio.ensure_future(sender.send(channel, {"content": "x"}, nonce="attack-2"))
        while pacer.in_flight == 0:
            await asyncio.sleep(0.01)
        post.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await post
        assert pacer.in_flight == 0  # the window's one slot is free again
        assert len(pacer._answered) == 1
