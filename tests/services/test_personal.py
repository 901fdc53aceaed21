"""`PersonalService` (`/me`): with plain data, a real store and a mailbox that records what
would have gone to Discord."""

from __future__ import annotations

import pytest

from bot.delivery.errors import UNREACHABLE, TransientPostError, UserUnreachable
from bot.errors import UserInputError
from bot.schedule import ManualClock
from bot.services.personal import DMS_CLOSED, MAX_PERSONAL, NO_DM, PersonalService
from bot.services.subscribe_options import SubscribeOptions
from bot.store.base import Store

USER, OTHER = 7, 8


class Mailbox:
    """One DM channel per user (id 1000 + user id); `closed` users get 50007."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.closed: set[int] = set()
        self.down = False

    async def open_dm(self, user_id: int) -> int:
        if self.down:
            raise TransientPostError("503")
        return 1000 + user_id

    async def send(self, channel_id: int, payload: dict[str, object], *, nonce: str) -> int:
        assert len(nonce) <= 25 and payload["allowed_mentions"] == {"parse": []}
        if channel_id - 1000 in self.closed:
            raise UserUnreachable("Cannot send messages to this user (status 403, code 50007)")
        self.sent.append((channel_id, str(payload["content"])))
        return len(self.sent)


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def service(store: Store, clock: ManualClock, mailbox: Mailbox) -> PersonalService:
    return PersonalService(
        store, mailbox, clock=clock, lag_days=1, default_time="09:00", default_timezone="UTC"
    )


async def test_a_personal_digest_lives_in_the_users_dm_under_guild_0(
    service: PersonalService, store: Store, mailbox: Mailbox
) -> None:
    text = await service.subscribe(USER, SubscribeOptions(categories="cs.CV"))
    assert text.startswith("Subscribed your personal digest **daily**: every day at 09:00 UTC")
    [sub] = await store.list_subscriptions(0)
    assert (sub.guild_id, sub.channel_id, sub.user_id, sub.format) == (0, 1007, USER, "compact")
    assert mailbox.sent == [
        (
            1007,
            "Your personal HotPapers digest **daily** will arrive here: every day at 09:00 UTC. "
            "`/me list` shows your digests; `/me unsubscribe` stops one.",
        )
    ]
    await service.subscribe(USER, SubscribeOptions(limit=3))  # an update greets no more
    assert len(mailbox.sent) == 1
    assert (await service.listing(OTHER)) == (
        "You have no personal digest yet. `/me subscribe` sets one up."
    )


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (SubscribeOptions(format="detailed"), "A direct message takes the format compact."),
        (SubscribeOptions(role_id=5), "A personal digest has no role_id option."),
        (SubscribeOptions(server_votes=True), "A personal digest has no server_votes option."),
        (SubscribeOptions(weekday=2), "weekday is for a weekly digest: add cadence:weekly."),
        (SubscribeOptions(name="Not A Name!"), "is not a digest name"),
    ],
)
async def test_options_a_dm_cannot_take_are_refused(
    service: PersonalService, store: Store, options: SubscribeOptions, said: str
) -> None:
    with pytest.raises(UserInputError) as caught:
        await service.subscribe(USER, options)
    assert said in str(caught.value)
    assert await store.list_subscriptions(0) == []


async def test_dms_closed_or_discord_down_save_nothing(
    service: PersonalService, store: Store, mailbox: Mailbox
) -> None:
    mailbox.closed.add(USER)
    with pytest.raises(UserInputError) as caught:
        await service.subscribe(USER, SubscribeOptions())
    assert str(caught.value) == DMS_CLOSED
    mailbox.down = True
    with pytest.raises(UserInputError) as down:
        await service.subscribe(OTHER, SubscribeOptions())
    assert str(down.value) == NO_DM
    assert await store.list_subscriptions(0) == []


async def test_the_cap_is_per_user(service: PersonalService, store: Store) -> None:
    for i in range(MAX_PERSONAL):
        await service.subscribe(USER, SubscribeOptions(name=f"d{i}"))
    with pytest.raises(UserInputError, match="the most one person may have"):
        await service.subscribe(USER, SubscribeOptions(name="more"))
    await service.subscribe(OTHER, SubscribeOptions(name="more"))  # someone else's count
    assert len(await store.list_subscriptions(0)) == MAX_PERSONAL + 1


async def test_a_stopped_digest_says_why_and_resumes_once_the_dm_goes_through(
    service: PersonalService, store: Store, mailbox: Mailbox, clock: ManualClock
) -> None:
    await service.subscribe(USER, SubscribeOptions())
    [sub] = await store.list_subscriptions(0)
    assert sub.id is not None
    await store.set_enabled(sub.id, False)
    await store.mark_failing(sub.id, f"{UNREACHABLE} (code 50007)", at=clock())
    listed = await service.listing(USER)
    assert "stopped since <t:" in listed and "`/me resume name:daily`" in listed
    mailbox.closed.add(USER)
    with pytest.raises(UserInputError):
        await service.resume(USER)
    mailbox.closed.clear()
    assert await service.resume(USER) == "Resumed **daily**: every day at 09:00 UTC, by DM."
    [sub] = await store.list_subscriptions(0)
    assert sub.enabled and sub.failing_reason is None
    assert await service.pause(USER) == "Paused **daily**: `/me resume` starts it again."
    assert "paused" in await service.listing(USER)
