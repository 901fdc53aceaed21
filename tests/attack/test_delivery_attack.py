"""Outsider attacks on the rewritten delivery (issue 12): orders of events the engine's own
tests did not write, through the sandbox with the real bot, and with a scripted sender.
"""

from __future__ import annotations

from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.records import Message as SandboxMessage
from sandbox.world import User
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    FakeClock,
    clock,
    make_config,
    running_app,
    sandbox,
    store,
)
from tests.resilience.test_faults import POST, assert_exactly_once, subscribed_guild


def chatter(sb: Sandbox, channel_id: int, n: int, *, content: str = "chat") -> None:
    """`n` messages by a member in a channel (as if typed there)."""
    guild_id = sb.state.channels[channel_id].guild_id
    user = User(sb.state.ids.next(), "chatty")
    for i in range(n):
        sb.state.store_message(
            SandboxMessage(
                id=sb.state.ids.next(),
                channel_id=channel_id,
                guild_id=guild_id,
                author=user,
                content=f"{content} {i}",
            )
        )


async def test_a_busy_channel_does_not_hide_the_message_a_500_after_the_effect_created(
    sandbox: Sandbox,  # noqa: F811
    store: Store,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    """Expected: a 500 after Discord created the message, outside the nonce window, is
    recovered by the read-back whatever else the channel holds: one digest.

    Before: `DiscordSender.recent` read one page (`GET …/messages?after=`, limit 100), the
    oldest 100 messages after the scan's start. A channel where members had written 100
    messages since then (5 minutes before the claim) hid the bot's own message behind them;
    the retry found nothing and posted the digest a second time.
    """
    sandbox.control.configure(nonce_window=0.0)
    channels = await subscribed_guild(sandbox, store, clock, n=1)
    chatter(sandbox, channels[0], 100)
    config = make_config(schedule={"post_deadline_seconds": 180.0})
    async with running_app(sandbox, store, clock, config=config, post_backoff_seconds=0.01) as bot:
        sandbox.control.inject_fault(POST, after=True, times=1, status=503)
        await bot.scheduler.tick()
        assert_exactly_once(sandbox, channels)
