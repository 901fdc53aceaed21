"""`StatusService`: `/digest status` from plain facts (the loop, Discord, the lease, the store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.cli.preview import sample_digest
from bot.publish import Publisher
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.services.status import LoopState, StatusService
from bot.store.base import Store

from .conftest import ELSEWHERE, GUILD, HERE, NOW, subscription

TICK = datetime(2021, 3, 13, 8, 59, tzinfo=UTC)


def service(
    store: Store, digests: DigestService, clock: ManualClock, loop: LoopState, **kw: Any
) -> StatusService:
    return StatusService(
        store, digests, clock=clock, grace=timedelta(hours=12), loop=lambda: loop, **kw
    )


async def test_a_server_without_subscriptions_is_told_how_to_start(
    store: Store, digests: DigestService, clock: ManualClock
) -> None:
    text = await service(store, digests, clock, LoopState(running=False)).status(GUILD)
    assert text == (
        "**HotPapers status**\n"
        "Scheduler: **not running**\n"
        "Store: writable\n"
        "No subscriptions in this server. Use /digest subscribe.\n"
        "Failing channels: none\n"
        "Sources: not fetched yet"
    )


async def test_the_loop_discord_and_the_poster_lease_are_reported_as_given(
    store: Store, digests: DigestService, clock: ManualClock
) -> None:
    loop = LoopState(
        running=True,
        last_tick_at=TICK,
        waiting=("hf 2021-03-12",),
        paused="Discord's global rate limit: posting resumes in 30 s",
    )
    status = service(
        store,
        digests,
        clock,
        loop,
        discord_lines=lambda stamp: [f"Discord: reconnected at {stamp(TICK)}"],
        poster_line=lambda: "this process (holder h)",
    )
    when = f"<t:{int(TICK.timestamp())}:f>"
    assert (await status.status(GUILD)).splitlines()[:7] == [
        "**HotPapers status**",
        f"Scheduler: running, last tick {when}",
        "Posting: **paused**: Discord's global rate limit: posting resumes in 30 s",
        "Waiting for digests (not available yet): hf 2021-03-12",
        "Store: writable",
        "Poster: this process (holder h)",
        f"Discord: reconnected at {when}",
    ]
    assert status.store_lines(str) == ["Store: writable", "Poster: this process (holder h)"]


async def test_each_channel_shows_its_last_post_its_next_and_its_week(
    store: Store, digests: DigestService, clock: ManualClock, publisher: Publisher
) -> None:
    sub = await store.upsert_subscription(subscription())
    await store.upsert_subscription(subscription(ELSEWHERE, guild_id=GUILD + 1))  # not ours
    await publisher.publish(sub, sample_digest())
    await store.record_source_health("hotpapers-md", ok=True, at=TICK)
    text = await service(store, digests, clock, LoopState(running=True)).status(GUILD)
    posted = f"<t:{int(NOW.timestamp())}:f>"
    nxt = "<t:1615712400:f> (<t:1615712400:R>, the digest of 2021-03-13)"
    assert f"• <#{HERE}> · ok · last post: the digest of 2021-03-12 at {posted} · next: {nxt}" in (
        text
    )
    assert "  03-13 not yet due · 03-12 ✅ · 03-11 not posted: past the catch-up window" in text
    assert f"<#{ELSEWHERE}>" not in text
    assert text.endswith(
        f"Failing channels: none\nSource hotpapers-md: ok, checked <t:{int(TICK.timestamp())}:f>"
    )


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        ({"enabled": False}, "**disabled**"),
        ({"failing_reason": "Discord refused me access"}, "**failing**: Discord refused me access"),
    ],
)
async def test_a_channel_in_trouble_comes_first_and_is_listed_as_failing(
    store: Store,
    digests: DigestService,
    clock: ManualClock,
    changes: dict[str, object],
    state: str,
) -> None:
    await store.upsert_subscription(subscription(created_at=NOW))  # no day to account for yet
    await store.upsert_subscription(subscription(ELSEWHERE, created_at=NOW, **changes))
    text = await service(store, digests, clock, LoopState(running=True)).status(GUILD)
    entries = [line for line in text.splitlines() if line.startswith("• ")]
    assert entries[0].startswith(f"• <#{ELSEWHERE}> · {state} · nothing posted yet")
    assert entries[1].startswith(f"• <#{HERE}> · ok · nothing posted yet · next: ")
    assert f"Failing channels: <#{ELSEWHERE}>" in text
