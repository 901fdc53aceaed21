"""Attacks on `/digest why` and `/digest preview`: the verdict and the preview must say what
the bot actually did or would do (the ledger, the post-now path, subscribe's refusals)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.cli.preview import sample_digest
from bot.errors import UserInputError
from bot.models import Digest, Paper, PostRecord
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.services.posting import PostingService
from bot.services.subscribe_options import MAX_PER_CHANNEL, SubscribeOptions
from bot.services.subscriptions import SubscriptionService
from bot.services.why import WhyService
from bot.store import open_store
from bot.store.base import Store
from tests.services.conftest import GUILD, HERE, NOW, make_config, subscription, where

SATURDAY = date(2021, 3, 13)
LINK = f"https://discord.com/channels/{GUILD}/{HERE}"


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    async with open_store(":memory:") as s:
        await s.save_digest(sample_digest(), final=True)
        yield s


async def test_a_weekend_day_posted_by_post_now_is_posted_for_a_weekdays_digest(
    store: Store,
) -> None:
    """`/digest post-now date:` posts a weekend's day of a `weekdays` digest (the day's own
    slot, `slot_covering`); asked about that day, why must say posted, not "off day"."""
    weekend = sample_digest().model_copy(update={"day": SATURDAY})
    await store.save_digest(weekend, final=True)
    sub = await store.upsert_subscription(subscription(HERE, cadence="weekdays"))
    assert sub.id is not None
    paper = weekend.papers[0].arxiv_id
    row = PostRecord(
        subscription_id=sub.id,
        guild_id=GUILD,
        channel_id=HERE,
        day=SATURDAY,
        source="hotpapers-md",
        nonce="n1",
        status="pending",
        arxiv_ids=[paper],
    )
    await store.claim_post(row)
    await store.finish_post(sub.id, SATURDAY, status="sent", message_ids=[777])
    clock = ManualClock(datetime(2021, 3, 15, 12, 0, tzinfo=UTC))
    digests = DigestService(store, make_config(), None, clock=clock)
    service = WhyService(store, digests, clock=clock, grace=timedelta(hours=12))
    reply = await service.why(where(), paper, "2021-03-13")
    assert reply.splitlines()[1] == (
        f"<#{HERE}> **daily**: posted in the digest of 2021-03-13: {LINK}/777"
    )


def paper(arxiv_id: str, score: float) -> Paper:
    return Paper(arxiv_id=arxiv_id, title=f"Paper {arxiv_id}", categories=["cs.CV"], score=score)


async def test_a_weekly_preview_never_mixes_two_periods(store: Store) -> None:
    """A weekly digest on Wednesdays: its last post (03-10) holds 03-03 … 03-09, the next
    03-10 … 03-16. Previewed on 03-13, it shows what post-now would post (the week of
    03-09, when stored), else the week so far; never the 7 days 03-06 … 03-12, which are
    no post of it (the old preview showed 03-08's paper with 03-11's)."""
    day = "hotpapers-md"
    await store.save_digest(
        Digest(day=date(2021, 3, 8), source=day, papers=[paper("2103.04001", 9999.0)]), final=True
    )
    await store.save_digest(
        Digest(day=date(2021, 3, 11), source=day, papers=[paper("2103.05001", 9998.0)]), final=True
    )
    clock = ManualClock(NOW)
    digests = DigestService(store, make_config(), None, clock=clock)
    posting = PostingService(
        store,
        digests,
        publisher=None,  # type: ignore[arg-type]  # a preview publishes nothing
        clock=clock,
        catch_up=timedelta(hours=12),
    )
    sub = subscription(HERE, cadence="weekly", weekday=2, limit=3)
    so_far = str(await posting.preview(sub))  # 03-09 not stored: the week so far
    assert "Hot Papers of the week 2021-03-10 – 2021-03-12" in so_far
    assert "2103.05001" in so_far and "2103.04001" not in so_far
    await store.save_digest(
        Digest(day=date(2021, 3, 9), source=day, papers=[paper("2103.04501", 1.0)]), final=True
    )
    last = str(await posting.preview(sub))  # the week post-now posts: 03-03 … 03-09
    assert "Hot Papers of the week 2021-03-03 – 2021-03-09" in last
    assert "2103.04001" in last and "2103.04501" in last and "2103.05001" not in last
    saved = await store.upsert_subscription(sub)
    assert saved.id is not None
    row = PostRecord(
        subscription_id=saved.id,
        guild_id=GUILD,
        channel_id=HERE,
        day=date(2021, 3, 9),
        source="hotpapers-md",
        nonce="n9",
        status="pending",
        arxiv_ids=["2103.04001"],
    )
    await store.claim_post(row)
    await store.finish_post(saved.id, date(2021, 3, 9), status="sent", message_ids=[1])
    after = str(await posting.preview(saved))  # that week is posted: the next one so far
    assert "Hot Papers of the week 2021-03-10 – 2021-03-12" in after


async def test_preview_refuses_a_new_digest_in_a_full_channel_as_subscribe_does(
    store: Store,
) -> None:
    clock = ManualClock(NOW)
    subs = SubscriptionService(
        store, clock=clock, lag_days=1, default_time="09:00", default_timezone="UTC"
    )
    for n in range(MAX_PER_CHANNEL):
        await store.upsert_subscription(subscription(HERE, id=None, name=f"d{n}"))
    more = SubscribeOptions(name="one-more")
    with pytest.raises(UserInputError) as by_subscribe:
        await subs.subscribe(where(), more)
    with pytest.raises(UserInputError) as by_preview:
        await subs.draft(where(), more)
    assert str(by_preview.value) == str(by_subscribe.value)
