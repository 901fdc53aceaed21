"""`SubscriptionService`: subscribe (every option, every refusal), unsubscribe, list, find."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import UserInputError
from bot.schedule import ManualClock
from bot.services.subscriptions import (
    Changes,
    Kind,
    Place,
    SubscriptionService,
    Where,
    check_permissions,
    refusal,
)
from bot.services.texts import POST_PERMISSIONS
from bot.store.base import Store

from .conftest import ELSEWHERE, GUILD, HERE, NOW, subscription, where

NEXT = "<t:1615712400:f>"  # 2021-03-14 09:00 UTC: the first 09:00 slot after NOW
NEXT_R = "<t:1615712400:R>"


@pytest.fixture
def service(store: Store, clock: ManualClock) -> SubscriptionService:
    return SubscriptionService(
        store, clock=clock, lag_days=1, default_time="09:00", default_timezone="UTC"
    )


async def test_a_new_subscription_takes_the_defaults_and_says_when_it_first_posts(
    service: SubscriptionService, store: Store
) -> None:
    saved = await service.subscribe(where(), Changes())
    assert saved.created
    assert saved.text == (
        f"Subscribed <#{HERE}>: every day at 09:00 UTC. Next post {NEXT} (the digest of "
        f"2021-03-13).\n<#{HERE}> · 09:00 UTC · compact · up to 10 · next: {NEXT} ({NEXT_R}, "
        "the digest of 2021-03-13)"
    )
    stored = await store.find_subscription(HERE, "daily")
    assert stored == saved.subscription
    assert stored is not None and stored.guild_id == GUILD and stored.enabled
    assert stored.created_at is not None and stored.created_at.replace(tzinfo=UTC) == NOW
    assert saved.next_slot is not None and str(saved.next_slot.day) == "2021-03-13"


async def test_every_option_is_saved_as_given(service: SubscriptionService) -> None:
    changes = Changes(
        time="9:05",
        timezone=" Europe/Berlin ",
        categories="cs.CV, -cs.RO",
        limit=3,
        format="detailed",
        min_score=2.5,
        keywords="diffusion, graph",
        post_empty=False,
    )
    sub = (await service.subscribe(where(), changes)).subscription
    assert (sub.post_time, sub.timezone, sub.format) == ("09:05", "Europe/Berlin", "detailed")
    assert sub.categories == ["cs.CV", "-cs.RO"]
    assert (sub.limit, sub.min_score, sub.post_empty) == (3, 2.5, False)
    assert sub.keywords == ["diffusion", "graph"]


async def test_subscribing_again_updates_only_what_is_given_and_resumes_the_channel(
    service: SubscriptionService, store: Store
) -> None:
    await store.upsert_subscription(subscription(limit=5, format="detailed", enabled=False))
    await store.mark_failing(HERE, "Discord refused me access")
    saved = await service.subscribe(where(), Changes(time="18:30"))
    assert not saved.created
    assert saved.text.startswith(f"Updated <#{HERE}>: every day at 18:30 UTC. Next post ")
    sub = saved.subscription
    assert (sub.post_time, sub.limit, sub.format) == ("18:30", 5, "detailed")
    assert sub.enabled and sub.failing_reason is None
    assert sub.created_at == datetime(2021, 3, 1, tzinfo=UTC)  # due from when it was made


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"time": "25:00"},
            "`25:00` is not a time: use HH:MM in 24-hour time, e.g. 09:00 or 18:30",
        ),
        (
            {"timezone": "Mars/Olympus"},
            "`Mars/Olympus` is not an IANA time zone: use a name such as Europe/Berlin, "
            "America/New_York, Asia/Tokyo or UTC",
        ),
        ({"categories": "cs.XX"}, "Unknown arXiv category `cs.XX`."),
        (
            {"categories": "cs.CV, -cs.CV"},
            "cs.CV is both included and excluded; keep one of the two.",
        ),
        ({"limit": 26}, "limit must be a whole number from 1 to 25 (got 26)."),
        ({"limit": 0}, "limit must be a whole number from 1 to 25 (got 0)."),
        ({"format": "fancy"}, "format must be compact or detailed."),
        ({"min_score": -1.0}, "min_score must be a number of 0 or more (got -1.0)."),
        ({"keywords": "x" * 200}, "is too long: at most 60 characters each."),
    ],
)
async def test_a_bad_option_is_refused_and_nothing_is_saved(
    service: SubscriptionService, store: Store, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(UserInputError) as caught:
        await service.subscribe(where(), Changes(**changes))
    assert message in str(caught.value)
    assert await store.find_subscription(HERE, "daily") is None


@pytest.mark.parametrize(
    ("place", "message"),
    [
        (
            Place(Kind.THREAD, parent_id=HERE),
            "A digest cannot be posted inside a thread (Discord allows no thread in a thread). "
            f"Run /digest subscribe in the parent channel <#{HERE}>, or pick a channel with "
            "the channel option.",
        ),
        (
            Place(Kind.THREAD),
            "A digest cannot be posted inside a thread (Discord allows no thread in a thread). "
            "Run /digest subscribe in the parent channel, or pick a channel with the channel "
            "option.",
        ),
        (
            Place(Kind.VOICE),
            "A digest cannot be posted in a voice or stage channel's chat. Pick a text or "
            "announcement channel with the channel option.",
        ),
        (
            Place(Kind.FORUM),
            "Forum and media channels cannot take a digest yet. Pick a text or announcement "
            "channel with the channel option.",
        ),
        (
            Place(Kind.OTHER),
            "<#300> cannot take a digest. Pick a text or announcement channel.",
        ),
    ],
)
async def test_where_no_digest_can_go_is_refused_with_what_to_do(
    service: SubscriptionService, store: Store, place: Place, message: str
) -> None:
    with pytest.raises(UserInputError) as caught:
        await service.subscribe(where(here_id=300, here=place), Changes())
    assert str(caught.value) == message
    assert await store.list_subscriptions() == []


def test_a_text_channel_and_one_the_bot_has_not_cached_can_take_a_digest() -> None:
    assert refusal(Place(Kind.TEXT), 1) is None
    assert refusal(Place(Kind.UNKNOWN), 1) is None


async def test_the_channel_option_is_taken_from_a_thread(service: SubscriptionService) -> None:
    here = Place(Kind.THREAD, parent_id=HERE)
    chosen = where(here_id=300, here=here, chosen_id=ELSEWHERE, chosen_guild_id=GUILD)
    saved = await service.subscribe(chosen, Changes())
    assert saved.subscription.channel_id == ELSEWHERE


async def test_a_channel_of_another_server_is_refused(service: SubscriptionService) -> None:
    foreign = where(chosen_id=ELSEWHERE, chosen_guild_id=GUILD + 1)
    with pytest.raises(UserInputError, match=r"^Pick a channel of this server\.$"):
        await service.subscribe(foreign, Changes())


async def test_without_a_channel_the_option_is_asked_for(service: SubscriptionService) -> None:
    with pytest.raises(UserInputError, match=r"^Pick a channel with the channel option\.$"):
        await service.subscribe(where(here_id=None), Changes())


async def test_missing_permissions_are_named_before_anything_is_saved(
    service: SubscriptionService, store: Store
) -> None:
    no_embeds = frozenset(POST_PERMISSIONS) - {"embed_links"}
    with pytest.raises(UserInputError) as caught:
        await service.subscribe(where(granted=no_embeds), Changes())
    assert str(caught.value) == (
        f"I cannot post in <#{HERE}>: I am missing Embed Links. Give me those permissions "
        "there and subscribe again."
    )
    assert await store.find_subscription(HERE, "daily") is None


async def test_detailed_also_needs_the_thread_permissions(
    service: SubscriptionService, store: Store
) -> None:
    compact_only = where(granted=frozenset(POST_PERMISSIONS))
    await service.subscribe(compact_only, Changes())  # compact: enough
    with pytest.raises(UserInputError) as caught:
        await service.subscribe(compact_only, Changes(format="detailed"))
    assert "I am missing Create Public Threads, Send Messages in Threads." in str(caught.value)
    stored = await store.find_subscription(HERE, "daily")
    assert stored is not None and stored.format == "compact"


async def test_unknown_permissions_are_not_checked(service: SubscriptionService) -> None:
    saved = await service.subscribe(where(granted=None), Changes(format="detailed"))
    assert saved.subscription.format == "detailed"


def test_the_permission_check_names_every_missing_one_as_discord_does() -> None:
    check_permissions(frozenset(POST_PERMISSIONS), HERE, "compact")
    with pytest.raises(UserInputError) as caught:
        check_permissions(frozenset(), HERE, "compact")
    assert "missing View Channel, Send Messages, Embed Links, Read Message History." in str(
        caught.value
    )


async def test_unsubscribe_deletes_and_says_so(service: SubscriptionService, store: Store) -> None:
    await store.upsert_subscription(subscription())
    assert await service.unsubscribe(where()) == (
        f"Unsubscribed <#{HERE}>: no more daily digests there."
    )
    assert await store.find_subscription(HERE, "daily") is None


NO_SUBSCRIPTION = (
    f"<#{HERE}> has no digest subscription. /digest subscribe sets one up; /digest list shows "
    "this server's."
)


async def test_a_channel_without_a_subscription_is_said_so(service: SubscriptionService) -> None:
    with pytest.raises(UserInputError) as caught:
        await service.unsubscribe(where())
    assert str(caught.value) == NO_SUBSCRIPTION


async def test_another_servers_subscription_is_not_this_ones(
    service: SubscriptionService, store: Store
) -> None:
    await store.upsert_subscription(subscription(guild_id=GUILD + 1))
    with pytest.raises(UserInputError) as caught:
        await service.find(where())
    assert str(caught.value) == NO_SUBSCRIPTION
    assert await store.find_subscription(HERE, "daily") is not None  # untouched


async def test_find_returns_the_channels_subscription(
    service: SubscriptionService, store: Store
) -> None:
    await store.upsert_subscription(subscription(ELSEWHERE))
    found = await service.find(where(chosen_id=ELSEWHERE, chosen_guild_id=GUILD))
    assert found.channel_id == ELSEWHERE


async def test_an_empty_list_says_how_to_start(service: SubscriptionService) -> None:
    assert await service.listing(GUILD) == (
        "No subscriptions in this server yet. /digest subscribe sets one up."
    )


async def test_the_list_shows_each_subscription_of_this_server_only(
    service: SubscriptionService, store: Store
) -> None:
    await store.upsert_subscription(subscription())
    await store.upsert_subscription(subscription(ELSEWHERE, enabled=False, limit=3))
    await store.upsert_subscription(subscription(300, guild_id=GUILD + 1))
    assert await service.listing(GUILD) == (
        "**Digests in this server**\n"
        f"• <#{HERE}> · 09:00 UTC · compact · up to 10 · next: {NEXT} ({NEXT_R}, the digest "
        "of 2021-03-13)\n"
        f"• <#{ELSEWHERE}> · 09:00 UTC · compact · up to 3 · **disabled**"
    )


def test_no_changes_change_nothing() -> None:
    assert Changes().validated() == {}


def test_where_without_an_option_is_the_channel_it_runs_in() -> None:
    assert Where(guild_id=GUILD, here_id=HERE).target_id() == HERE


async def test_a_draft_is_what_subscribe_would_save_and_is_saved_nowhere(
    service: SubscriptionService, store: Store
) -> None:
    fresh = await service.draft(where(), Changes(categories="cs.CV, -cs.RO", limit=3))
    assert fresh == subscription(id=None, categories=["cs.CV", "-cs.RO"], limit=3, created_at=NOW)
    assert await store.list_subscriptions() == []
    saved = await store.upsert_subscription(subscription(format="detailed", keywords=["scene"]))
    drafted = await service.draft(where(), Changes(limit=2, post_empty=False))
    assert drafted == saved.model_copy(update={"limit": 2, "post_empty": False})
    assert await store.find_subscription(HERE, "daily") == saved
    with pytest.raises(UserInputError, match="limit must be a whole number"):
        await service.draft(where(), Changes(limit=30))
    with pytest.raises(UserInputError, match="inside a thread"):
        await service.draft(where(here=Place(Kind.THREAD, HERE)), Changes())
