"""`PostingService`: `/digest preview` and `/digest post-now`, every outcome said as it is."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from bot.cli.preview import sample_digest
from bot.errors import UserInputError
from bot.models import PostRecord
from bot.publish import (
    ChannelForbidden,
    ChannelGone,
    PayloadRejected,
    Publisher,
    RateLimitedPost,
    TransientPostError,
    compose,
    nonce_for,
    plan,
)
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.services.posting import NOT_POSTER, PREVIEW_MESSAGES, PostingService
from bot.store.base import Store

from .conftest import (
    DAY,
    GUILD,
    HERE,
    NOW,
    MemoryDiscord,
    down_digests,
    subscription,
    where,
)

LINK = f"https://discord.com/channels/{GUILD}/{HERE}/1000"  # the first message MemoryDiscord makes


class Gate:
    """The poster lease as the service sees it: held or not."""

    def __init__(self, held: bool) -> None:
        self.held = held

    async def holds(self) -> bool:
        return self.held


def posting(
    store: Store,
    digests: DigestService,
    publisher: Publisher,
    clock: ManualClock,
    gate: Gate | None = None,
) -> PostingService:
    return PostingService(
        store, digests, publisher, clock=clock, catch_up=timedelta(hours=12), gate=gate
    )


@pytest.fixture
def service(
    store: Store, digests: DigestService, publisher: Publisher, clock: ManualClock
) -> PostingService:
    return posting(store, digests, publisher, clock)


# --- preview ----------------------------------------------------------------------------------


async def test_a_compact_preview_is_the_post_itself(service: PostingService, store: Store) -> None:
    sub = await store.upsert_subscription(subscription())
    digest = sample_digest()
    expected, _ = plan(sub, compose(sub, digest), candidates=len(digest.papers))
    assert await service.preview(sub) == expected
    assert len(expected) == 1


async def test_a_detailed_preview_shows_the_header_and_the_thread(
    service: PostingService, store: Store
) -> None:
    sub = await store.upsert_subscription(subscription(format="detailed"))
    digest = sample_digest()
    header, thread = plan(sub, compose(sub, digest), candidates=len(digest.papers))
    assert len(header) == 1 and thread
    assert await service.preview(sub) == header + thread


async def test_a_long_preview_shows_its_first_messages_and_how_many_more(
    service: PostingService, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = await store.upsert_subscription(subscription(format="detailed", limit=25))
    digest = sample_digest()
    header, thread = plan(sub, compose(sub, digest), candidates=len(digest.papers))
    assert PREVIEW_MESSAGES == 5
    assert len(header + thread) == 6  # the header and 16 embeds in 5 thread messages
    assert await service.preview(sub) == [
        *(header + thread)[:4],
        {"content": "-# … and 2 more messages in the post (6 in all)."},
    ]
    monkeypatch.setattr("bot.services.posting.PREVIEW_MESSAGES", 6)
    assert await service.preview(sub) == header + thread  # all of it fits: no note


async def test_a_preview_of_a_quiet_empty_day_says_why_nothing_would_be_posted(
    service: PostingService, store: Store
) -> None:
    sub = subscription(categories=["math.AG"], post_empty=False)  # a draft: never saved
    assert await service.preview(sub) == [
        {
            "content": "Nothing would be posted for 2021-03-12 (Hot Papers 2021-03-12): this "
            "channel's filters removed all 16 papers, and empty-day notices are off "
            "(post_empty)."
        }
    ]


async def test_a_preview_without_any_digest_says_to_import_one(
    empty_store: Store, publisher: Publisher, clock: ManualClock, config: object
) -> None:
    digests = DigestService(empty_store, config, None, clock=clock)  # type: ignore[arg-type]
    service = posting(empty_store, digests, publisher, clock)
    with pytest.raises(UserInputError) as caught:
        await service.preview(subscription())
    assert str(caught.value) == (
        "No digest is stored yet for source hotpapers-md; import one with `hotpapers import`."
    )


async def test_a_preview_while_the_source_is_down_says_since_when(
    empty_store: Store,
    publisher: Publisher,
    clock: ManualClock,
    down_client: httpx.AsyncClient,
) -> None:
    digests = down_digests(empty_store, down_client, clock)
    service = posting(empty_store, digests, publisher, clock)
    with pytest.raises(UserInputError) as caught:
        await service.preview(subscription())
    assert str(caught.value).startswith("Hugging Face cannot be reached right now. No answer yet")
    assert str(caught.value).endswith("Please try again later.")


# --- post-now: the checks before any work -----------------------------------------------------


async def test_post_now_checks_the_day_and_the_subscription_at_once(
    service: PostingService, store: Store
) -> None:
    with pytest.raises(UserInputError, match=r"^`tomorrow` is not a date: use YYYY-MM-DD"):
        await service.check(where(), "tomorrow")
    with pytest.raises(UserInputError) as caught:
        await service.check(where(), "2021-03-13")
    assert str(caught.value) == (
        "2021-03-13 is not complete yet; the latest complete day is 2021-03-12."
    )
    with pytest.raises(UserInputError, match="has no digest subscription"):
        await service.check(where(), None)
    await store.upsert_subscription(subscription())
    request = await service.check(where(), "2021-03-11")
    assert (request.day, request.asked_at, request.subscription.channel_id) == (
        DAY - timedelta(days=1),
        NOW,
        HERE,
    )


# --- post-now: what was done ------------------------------------------------------------------


async def test_post_now_posts_the_latest_day_then_never_again(
    service: PostingService, store: Store, fake_discord: MemoryDiscord
) -> None:
    await store.upsert_subscription(subscription())
    posted = await service.post_now(await service.check(where(), None))
    assert posted.outcome.status == "sent" and not posted.late
    assert posted.text == f"Posted the digest of 2021-03-12 to <#{HERE}> ({LINK})."
    assert len(fake_discord.sent(HERE)) == 1
    again = await service.post_now(await service.check(where(), "2021-03-12"))
    assert again.outcome.status == "already"
    assert again.text == (
        f"The digest of 2021-03-12 was already posted in <#{HERE}> on <t:{int(NOW.timestamp())}"
        f":f> ({LINK}); a day is never posted twice."
    )
    assert len(fake_discord.sent(HERE)) == 1


async def test_a_day_past_its_catch_up_window_is_posted_late(
    service: PostingService, store: Store, clock: ManualClock
) -> None:
    await store.upsert_subscription(subscription())
    clock.set(NOW + timedelta(days=1))
    posted = await service.post_now(await service.check(where(), "2021-03-12"))
    assert posted.late
    assert posted.text == (
        f"Posted the digest of 2021-03-12 to <#{HERE}> ({LINK}). It is marked as posted late."
    )
    record = await store.get_post(HERE, DAY)
    assert record is not None and record.late


async def test_post_now_resumes_a_disabled_subscription(
    service: PostingService, store: Store
) -> None:
    await store.upsert_subscription(subscription(enabled=False))
    posted = await service.post_now(await service.check(where(), None))
    assert posted.outcome.status == "sent"
    stored = await store.find_subscription(HERE, "daily")
    assert stored is not None and stored.enabled


async def test_nothing_is_posted_while_another_process_may_post(
    store: Store,
    digests: DigestService,
    publisher: Publisher,
    clock: ManualClock,
    fake_discord: MemoryDiscord,
) -> None:
    await store.upsert_subscription(subscription())
    service = posting(store, digests, publisher, clock, gate=Gate(held=False))
    with pytest.raises(UserInputError) as caught:
        await service.post_now(await service.check(where(), None))
    assert str(caught.value) == NOT_POSTER
    assert fake_discord.sent(HERE) == [] and await store.get_post(HERE, DAY) is None
    service.gate = Gate(held=True)
    assert (await service.post_now(await service.check(where(), None))).outcome.status == "sent"


async def test_a_day_that_is_not_stored_is_said_so(service: PostingService, store: Store) -> None:
    await store.upsert_subscription(subscription())
    with pytest.raises(UserInputError) as caught:
        await service.post_now(await service.check(where(), "2021-03-11"))
    assert str(caught.value) == f"There is no digest of 2021-03-11 to post to <#{HERE}>."


async def test_a_day_the_filters_empty_posts_the_notice_or_says_why_not(
    service: PostingService, store: Store, fake_discord: MemoryDiscord
) -> None:
    await store.upsert_subscription(subscription(categories=["math.AG"]))
    posted = await service.post_now(await service.check(where(), None))
    assert posted.text == (
        f"Posted the empty-day notice of 2021-03-12 to <#{HERE}> ({LINK}): this channel's "
        "filters removed all 16 papers."
    )
    await store.upsert_subscription(subscription(300, categories=["math.AG"], post_empty=False))
    quiet = await service.post_now(await service.check(where(here_id=300), None))
    assert quiet.text == (
        "Nothing was posted to <#300> for 2021-03-12: this channel's filters removed all 16 "
        "papers, and empty-day notices are off (post_empty)."
    )
    assert fake_discord.sent(300) == []


async def _ledger(store: Store, status: str, error: str | None = None) -> None:
    sub = await store.find_subscription(HERE, "daily")
    assert sub is not None and sub.id is not None
    await store.claim_post(
        PostRecord(
            subscription_id=sub.id,
            guild_id=GUILD,
            channel_id=HERE,
            day=DAY,
            source="hotpapers-md",
            nonce=nonce_for(sub.id, HERE, DAY),
            status=status,
            error=error,
            created_at=NOW,
        )
    )


async def test_a_missed_day_is_said_to_be_missed_with_how_to_post_it_late(
    service: PostingService, store: Store
) -> None:
    await store.upsert_subscription(subscription())
    await _ledger(store, "missed", "the bot was not running")
    posted = await service.post_now(await service.check(where(), None))
    assert posted.text == (
        f"The digest of 2021-03-12 is recorded as missed in <#{HERE}> (the bot was not "
        "running). Post it late with /digest post-now date:2021-03-12."
    )


async def test_a_day_handled_as_empty_says_so(service: PostingService, store: Store) -> None:
    await store.upsert_subscription(subscription())
    await _ledger(store, "pending")
    await store.finish_post(HERE, DAY, status="empty", error="the source had no papers")
    posted = await service.post_now(await service.check(where(), None))
    assert posted.text == (
        f"The digest of 2021-03-12 was already handled in <#{HERE}>: nothing to post (the "
        "source had no papers)."
    )


FAILURES = [
    (
        ChannelForbidden("403"),
        f"Posting the digest of 2021-03-12 to <#{HERE}> failed: Discord refused me access or a "
        "permission there (I need View Channel, Send Messages, Embed Links, Read Message "
        "History). Fix the channel's permissions, then run /digest subscribe there again to "
        "resume.",
    ),
    (
        ChannelGone("404"),
        f"Posting the digest of 2021-03-12 failed: <#{HERE}> no longer exists; its "
        "subscription is disabled.",
    ),
    (
        PayloadRejected("400"),
        f"Posting the digest of 2021-03-12 to <#{HERE}> failed: Discord refused the message as "
        "invalid. That is a bug on my side and has been logged; the channel is marked failing "
        "until it is fixed.",
    ),
    (
        RateLimitedPost(120),
        f"Posting the digest of 2021-03-12 to <#{HERE}> is delayed: Discord asked me to wait "
        "120 s. Nothing is lost; the scheduler will post it after that.",
    ),
    (
        TransientPostError("503"),
        f"Posting the digest of 2021-03-12 to <#{HERE}> failed for now: Discord did not answer "
        "in time. Nothing is lost; the scheduler will try again shortly.",
    ),
]


@pytest.mark.parametrize(("error", "text"), FAILURES, ids=lambda v: type(v).__name__)
async def test_a_failed_post_is_said_in_words(
    service: PostingService,
    store: Store,
    fake_discord: MemoryDiscord,
    error: Exception,
    text: str,
) -> None:
    await store.upsert_subscription(subscription())
    fake_discord.faults.append(error)
    posted = await service.post_now(await service.check(where(), None))
    assert posted.text == text
    assert fake_discord.sent(HERE) == []
