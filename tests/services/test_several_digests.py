"""Several digests per channel in the services: names, cadences, the options of the contract,
pause and resume, and post-now of a weekly digest (its week merged)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from bot.cli.preview import sample_digest
from bot.errors import UserInputError
from bot.models import Subscription
from bot.publish import Publisher
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.services.posting import PostingService
from bot.services.subscribe_options import SubscribeOptions, subscription_name
from bot.services.subscriptions import SubscriptionService
from bot.store.base import Store

from .conftest import GUILD, HERE, MemoryDiscord, where

NEXT = "<t:1615712400:f>"  # 2021-03-14 09:00 UTC


@pytest.fixture
def service(store: Store, clock: ManualClock) -> SubscriptionService:
    return SubscriptionService(
        store, clock=clock, lag_days=1, default_time="09:00", default_timezone="UTC"
    )


def test_names_are_short_lowercase_words() -> None:
    assert subscription_name(None) == "daily"
    assert subscription_name("  CV-Weekly ") == "cv-weekly"
    for bad in ("", "two words", "x" * 33, "ümlaut", "a_b"):
        with pytest.raises(UserInputError, match="is not a digest name"):
            subscription_name(bad)


def test_every_contract_option_validates_to_its_field() -> None:
    options = SubscribeOptions(
        cadence="weekly",
        weekday=4,
        role_id=77,
        ping="score",
        ping_min_score=6.5,
        self_roles=True,
        late_risers=3,
        server_votes=True,
    )
    assert options.validated() == {
        "cadence": "weekly",
        "weekday": 4,
        "role_id": 77,
        "ping": "score",
        "ping_min_score": 6.5,
        "self_roles": True,
        "late_risers": 3,
        "server_votes": True,
    }
    assert options.given() == [
        "cadence",
        "weekday",
        "role_id",
        "ping",
        "ping_min_score",
        "self_roles",
        "late_risers",
        "server_votes",
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cadence": "hourly"}, "cadence must be daily, weekdays, weekly, monthly."),
        ({"weekday": 7}, "weekday must be one of Monday, Tuesday"),
        ({"ping": "loud"}, "ping must be off, always, score."),
        ({"ping_min_score": -1.0}, "ping_min_score must be a number of 0 or more (got -1.0)."),
        ({"late_risers": 11}, "late_risers must be a whole number from 0 (off) to 10."),
    ],
)
def test_a_bad_option_is_refused_by_name(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UserInputError) as refused:
        SubscribeOptions(**options).validated()
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"weekday": 2}, "weekday is for a weekly digest: add cadence:weekly."),
        ({"ping": "always"}, "ping and self_roles need a role: add the role option."),
        ({"self_roles": True}, "ping and self_roles need a role: add the role option."),
        ({"role_id": GUILD}, "Pick a role other than the server's everyone role."),
    ],
)
def test_options_that_do_not_fit_together_are_refused(
    options: dict[str, Any], message: str
) -> None:
    base = Subscription(guild_id=GUILD, channel_id=HERE)
    with pytest.raises(UserInputError) as refused:
        SubscribeOptions(**options).apply(base, guild_id=GUILD)
    assert str(refused.value) == message


async def test_a_second_name_adds_a_digest_and_the_same_name_updates_it(
    service: SubscriptionService, store: Store
) -> None:
    await service.subscribe(where(), SubscribeOptions())
    weekly = await service.subscribe(
        where(), SubscribeOptions(name="Top", cadence="weekly", weekday=6, time="18:00")
    )
    assert weekly.created and weekly.subscription.name == "top"
    assert weekly.text.startswith(
        f"Subscribed <#{HERE}> (top): every Sunday (the week's top) at 18:00 UTC. Next post "
        "<t:1615744800:f> (the digest of the week 2021-03-07 – 2021-03-13)."
    )
    again = await service.subscribe(where(), SubscribeOptions(name="top", limit=5))
    assert not again.created and again.subscription.id == weekly.subscription.id
    assert (again.subscription.cadence, again.subscription.limit) == ("weekly", 5)
    assert [s.name for s in await store.list_subscriptions(channel_id=HERE)] == ["daily", "top"]
    listing = await service.listing(GUILD)
    assert listing.splitlines()[0] == "**Digests in this server**"
    assert (
        f"• <#{HERE}> (top) · every Sunday (the week's top) · 18:00 UTC · compact · up to 5"
        in listing
    )


async def test_pause_and_resume_say_what_they_did(
    service: SubscriptionService, store: Store, clock: ManualClock
) -> None:
    await service.subscribe(where(), SubscribeOptions())
    assert await service.pause(where()) == (
        f"Paused <#{HERE}>: nothing is posted until /digest resume, and the days in between "
        "are skipped (not posted late)."
    )
    sub = await store.find_subscription(HERE, "daily")
    assert sub is not None and sub.paused and sub.resumed_at is None
    assert "**paused** (/digest resume)" in await service.listing(GUILD)
    clock.advance(timedelta(hours=2))
    assert await service.resume(where()) == (
        f"Resumed <#{HERE}>. Next post {NEXT} (the digest of 2021-03-13)."
    )
    sub = await store.find_subscription(HERE, "daily")
    assert sub is not None and not sub.paused and sub.resumed_at == clock()
    assert await service.resume(where()) == (
        f"<#{HERE}> is not paused. Next post {NEXT} (the digest of 2021-03-13)."
    )


async def test_names_autocomplete_from_the_channel_of_this_server(
    service: SubscriptionService,
) -> None:
    for name in ("daily", "cv-weekly", "cv-monthly"):
        await service.subscribe(where(), SubscribeOptions(name=name))
    assert await service.names(GUILD, HERE, "CV") == ["cv-monthly", "cv-weekly"]
    assert await service.names(GUILD + 1, HERE, "") == []
    assert await service.names(GUILD, None, "") == []


async def test_post_now_of_a_weekly_digest_posts_its_latest_complete_week_once(
    store: Store,
    digests: DigestService,
    publisher: Publisher,
    clock: ManualClock,
    fake_discord: MemoryDiscord,
) -> None:
    for back in range(1, 7):  # 6 more days before the sample's: a full week 6 … 12 March
        day = date(2021, 3, 12) - timedelta(days=back)
        await store.save_digest(sample_digest().model_copy(update={"day": day}), final=True)
    subs = SubscriptionService(
        store, clock=clock, lag_days=1, default_time="09:00", default_timezone="UTC"
    )
    await subs.subscribe(where(), SubscribeOptions(name="week", cadence="weekly", weekday=5))
    posting = PostingService(store, digests, publisher, clock=clock, catch_up=timedelta(hours=12))
    # NOW is Saturday 13 March 09:00: the week 6 … 12 March has just been posted by its slot
    request = await posting.check(where(), None, "week")
    posted = await posting.post_now(request)
    assert posted.outcome.status == "sent" and posted.outcome.day == date(2021, 3, 12)
    header = fake_discord.sent(HERE)[0]["content"]
    assert header.startswith("**🔥 Hot Papers of the week 2021-03-06 – 2021-03-12** · 10 papers")
    again = await posting.post_now(await posting.check(where(), None, "week"))
    assert again.outcome.status == "already" and len(fake_discord.sent(HERE)) == 1
    # a date names the week that holds it; a week not over yet is refused at once
    held = await posting.check(where(), "2021-03-09", "week")
    assert held.day == date(2021, 3, 9)
    assert (await posting.post_now(held)).outcome.status == "already"  # the same week
    await subs.subscribe(where(), SubscribeOptions(name="mon", cadence="weekly", weekday=0))
    with pytest.raises(UserInputError) as refused:
        await posting.check(where(), "2021-03-12", "mon")
    assert str(refused.value) == (
        "The weekly digest of 2021-03-08 – 2021-03-14 is not complete yet; post-now posts a "
        "period once its last day is complete."
    )
