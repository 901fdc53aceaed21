"""`LateRisers` over the real store, the real `Publisher` and an in-memory Discord.

The rules end to end in milliseconds: the week's ranking with keywords (whole digests), a
failing follow-up recorded on its own row only (never the subscription's state) and tried
again up to `MAX_ATTEMPTS`, a paper posted before the week, subscriptions that do not want
follow-ups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.delivery.errors import TransientPostError
from bot.delivery.followup import FollowUpPoster
from bot.delivery.retry import RetryPolicy
from bot.models import Digest, Paper, Subscription
from bot.publish import Publisher
from bot.schedule import ManualClock
from bot.services.late_risers import MAX_ATTEMPTS, RECHECK, LateRisers
from bot.store.base import Store
from tests.services.conftest import MemoryDiscord

SOURCE = "hotpapers-md"
WED, THU = date(2021, 3, 10), date(2021, 3, 11)
FRI = date(2021, 3, 12)


def paper(n: int, upvotes: int, title: str = "") -> Paper:
    return Paper(
        arxiv_id=f"2103.0000{n}",
        title=title or f"Paper {n}",
        abstract="About diffusion." if n % 2 else "About robots.",
        categories=["cs.CV"],
        metrics={"upvotes": upvotes},
        score=upvotes,
    )


async def _no_sleep(seconds: float) -> None:
    return None


async def world(store: Store, **sub: object) -> tuple[Subscription, Publisher, MemoryDiscord]:
    """Wednesday's and Thursday's posts made (compact, limit 1); paper 3 climbed on Thursday."""
    discord = MemoryDiscord()
    publisher = Publisher(store, discord, attempts=1, sleep=_no_sleep)
    values: dict[str, object] = {
        "guild_id": 1,
        "channel_id": 100,
        "limit": 1,
        "late_risers": 2,
        "source": SOURCE,
    }
    values.update(sub)
    stored = await store.upsert_subscription(Subscription.model_validate(values))
    days = {
        WED: [paper(1, 30), paper(3, 10), paper(2, 5)],
        THU: [paper(5, 60), paper(3, 50), paper(4, 40)],
    }
    for day, papers in days.items():
        digest = Digest(day=day, source=SOURCE, papers=papers)
        await store.save_digest(digest, final=True)
        assert (await publisher.publish(stored, digest)).status == "sent"
    return stored, publisher, discord


def service(store: Store, discord: MemoryDiscord, clock: ManualClock) -> LateRisers:
    policy = RetryPolicy(2, 0.0, 0.0, _no_sleep)
    return LateRisers(
        store,
        FollowUpPoster(store, discord, policy, clock=clock),
        default_source=SOURCE,
        clock=clock,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2021, 3, 12, 9, 30, tzinfo=UTC))


async def test_a_climber_is_followed_up_once_in_the_channel(
    empty_store: Store, clock: ManualClock
) -> None:
    sub, _, discord = await world(empty_store)
    late = service(empty_store, discord, clock)
    (done,) = await late.check(sub)
    assert (done.arxiv_id, done.status, done.rank, done.day) == ("2103.00003", "sent", 2, WED)
    assert discord.sent(100)[-1]["content"] == (
        "📈 Climbing: **Paper 3** (now #2 this week, ▲ 50 on Hugging Face) "
        "<https://arxiv.org/abs/2103.00003>"
    )
    assert await late.check(sub) == []
    assert len(discord.sent(100)) == 3  # two posts, one follow-up


async def test_keywords_rank_whole_digests(empty_store: Store, clock: ManualClock) -> None:
    sub, _, discord = await world(empty_store, keywords=["diffusion"])
    # Thursday's post (limit 1, diffusion papers: 5 and 3) carried 5; 3 climbed
    (done,) = await service(empty_store, discord, clock).check(sub)
    assert done.arxiv_id == "2103.00003"
    robots, _, discord2 = await world_again(empty_store, keywords=["robots"])
    assert await service(empty_store, discord2, clock).check(robots) == []


async def world_again(store: Store, **sub: object) -> tuple[Subscription, Publisher, MemoryDiscord]:
    return await world(store, channel_id=200, name="robots", **sub)


async def test_a_failing_follow_up_is_its_own_and_is_given_up_after_its_attempts(
    empty_store: Store, clock: ManualClock
) -> None:
    sub, _, discord = await world(empty_store)
    late = service(empty_store, discord, clock)
    for attempt in range(1, MAX_ATTEMPTS + 2):
        discord.faults = [TransientPostError("503")] * 2
        await late.check(sub)
        row = await empty_store.get_followup(sub.id or 0, "2103.00003")
        assert row is not None and row.status == "failed"
        assert row.attempts == min(attempt, MAX_ATTEMPTS), attempt
        assert row.error == "TransientPostError: 503"
    stored = await empty_store.get_subscription(sub.id or 0)
    assert stored is not None and stored.failing_reason is None and stored.enabled
    assert len(discord.sent(100)) == 2  # the posts only


async def test_a_paper_posted_before_the_week_is_not_followed_up(
    empty_store: Store, clock: ManualClock
) -> None:
    sub, publisher, discord = await world(empty_store)
    earlier = Digest(day=WED - timedelta(days=9), source=SOURCE, papers=[paper(3, 99)])
    await empty_store.save_digest(earlier, final=True)
    assert (await publisher.publish(sub, earlier)).status == "sent"
    assert await service(empty_store, discord, clock).check(sub) == []


async def test_who_is_checked_and_when(empty_store: Store, clock: ManualClock) -> None:
    sub, _, discord = await world(empty_store)
    late = service(empty_store, discord, clock)
    now = clock()
    assert late.due(sub, now)  # never checked in this process
    await late.check(sub)
    assert not late.due(sub, now) and late.due(sub, now, posted=True)
    assert late.due(sub, now + RECHECK)
    for other in (
        sub.model_copy(update={"late_risers": 0}),
        sub.model_copy(update={"cadence": "weekly"}),
        sub.model_copy(update={"paused": True}),
        sub.model_copy(update={"id": None}),
    ):
        assert not late.due(other, now, posted=True)
        assert await late.check(other) == []
