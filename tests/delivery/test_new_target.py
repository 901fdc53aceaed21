"""A new delivery target is one module plus one line in `TARGETS` (docs/architecture.md).

The test-only `headline` target (tests/delivery/headline_target.py) is registered with one
line and then goes the whole way without any other change: `/digest subscribe` accepts it and
asks for its permissions, the store keeps its name (migration 0004 dropped the old CHECK), the
engine posts its plan exactly once, and the ledger records it. A stored format that no target
has any more fails that post with a stated reason instead of crashing the tick.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.cli.preview import sample_digest
from bot.delivery import TARGETS, compose
from bot.errors import UserInputError
from bot.publish import Publisher
from bot.render import header_text
from bot.schedule import ManualClock
from bot.services.subscriptions import Changes, SubscriptionService
from bot.services.texts import POST_PERMISSIONS, needed_permissions
from bot.store.base import Store
from tests.delivery.headline_target import HeadlineTarget
from tests.services.conftest import DAY, HERE, MemoryDiscord, subscription, where


@pytest.fixture
def headline() -> Iterator[None]:
    TARGETS["headline"] = HeadlineTarget()  # the one registration line
    yield
    del TARGETS["headline"]


def service(store: Store, clock: ManualClock) -> SubscriptionService:
    return SubscriptionService(
        store, clock=clock, lag_days=1, default_time="09:00", default_timezone="UTC"
    )


@pytest.mark.usefixtures("headline")
async def test_a_registered_target_is_subscribed_stored_and_posted_exactly_once(
    store: Store, clock: ManualClock, publisher: Publisher, fake_discord: MemoryDiscord
) -> None:
    assert needed_permissions("headline") == [*POST_PERMISSIONS, "mention_everyone"]
    subs = service(store, clock)
    with pytest.raises(UserInputError) as refused:
        await subs.subscribe(where(granted=frozenset(POST_PERMISSIONS)), Changes(format="headline"))
    assert "Mention Everyone" in str(refused.value)

    saved = await subs.subscribe(
        where(granted=frozenset([*POST_PERMISSIONS, "mention_everyone"])),
        Changes(format="headline"),
    )
    stored = await store.find_subscription(HERE, "daily")
    assert stored is not None and stored.format == "headline" == saved.subscription.format

    first = await publisher.publish(stored, sample_digest())
    again = await publisher.publish(stored, sample_digest())
    assert (first.status, again.status) == ("sent", "already")
    sent = fake_discord.sent(HERE)
    assert [m["content"] for m in sent] == [header_text(compose(stored, sample_digest()))]
    assert stored.id is not None
    record = await store.get_post(stored.id, DAY)
    assert record is not None and record.status == "sent"
    assert record.message_ids == first.message_ids and len(record.message_ids) == 1


async def test_the_formats_offered_are_the_targets(store: Store, clock: ManualClock) -> None:
    with pytest.raises(UserInputError) as refused:
        await service(store, clock).subscribe(where(), Changes(format="headline"))
    assert str(refused.value) == "format must be compact or detailed."


async def test_a_stored_format_no_target_has_fails_its_post_with_the_reason(
    store: Store, publisher: Publisher, fake_discord: MemoryDiscord
) -> None:
    gone = await store.upsert_subscription(subscription(format="forum"))
    outcome = await publisher.publish(gone, sample_digest())
    reason = "this bot has no `forum` format (it posts compact or detailed)"
    assert (outcome.status, outcome.error) == ("rejected", reason)
    assert fake_discord.sent(HERE) == []
    assert await store.get_post(HERE, DAY) is None  # nothing claimed: nothing to recover
    stored = await store.find_subscription(HERE, "daily")
    assert stored is not None and stored.failing_reason == reason
