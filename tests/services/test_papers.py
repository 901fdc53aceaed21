"""`PapersService`: `/hot` (arguments, the latest day, a filter that leaves none, no digest,
an unreachable source, the stale-day note) and `/paper` (unknown, in a server, in a DM)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from bot.cli.preview import sample_digest
from bot.errors import UserInputError
from bot.publish import Publisher
from bot.render import render_digest, render_paper
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.services.papers import PapersService
from bot.store.base import Store

from .conftest import DAY, GUILD, HERE, subscription

PAPER = "2103.06874"  # a paper of the sample digest


@pytest.fixture
def service(store: Store, digests: DigestService, clock: ManualClock) -> PapersService:
    return PapersService(store, digests, clock=clock)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("@everyone", None, "day", 10), "Unknown arXiv category `@\u200beveryone`."),
        ((None, "2021-3-1", "day", 10), "`2021-3-1` is not a date: use YYYY-MM-DD"),
        ((None, "1990-01-01", "day", 10), "1990-01-01 is outside arXiv's life"),
        ((None, None, "year", 10), "window must be one of day, week, month (got `year`)."),
        ((None, None, "day", 26), "limit must be a whole number from 1 to 25 (got 26)."),
    ],
)
def test_bad_hot_arguments_are_refused_before_any_work(
    service: PapersService, args: tuple[str | None, str | None, str, int], message: str
) -> None:
    with pytest.raises(UserInputError) as caught:
        service.hot_request(*args)
    assert message in str(caught.value)


def test_a_hot_request_holds_what_was_asked(service: PapersService) -> None:
    request = service.hot_request("cs.CV", "2021-03-12", "week", 5)
    assert (request.day, request.window, request.filter.limit) == (DAY, "week", 5)
    assert request.filter.include == ("cs.CV",)
    assert service.hot_request(None, None, "day", 10).day is None


def test_a_day_not_complete_yet_is_refused_only_when_it_would_be_fetched(
    service: PapersService, empty_store: Store, down_client: httpx.AsyncClient, clock: ManualClock
) -> None:
    assert service.hot_request(None, "2021-03-13", "day", 10).day == date(2021, 3, 13)
    upstream = PapersService(empty_store, _down(empty_store, down_client, clock), clock=clock)
    with pytest.raises(UserInputError) as caught:
        upstream.hot_request(None, "2021-03-13", "day", 10)
    assert str(caught.value) == (
        "2021-03-13 is not complete yet; the latest complete day is 2021-03-12."
    )


def _down(store: Store, client: httpx.AsyncClient, clock: ManualClock) -> DigestService:
    from .conftest import down_digests

    return down_digests(store, client, clock)


async def test_hot_is_the_days_compact_digest(
    service: PapersService, digests: DigestService
) -> None:
    request = service.hot_request("cs.CV", None, "day", 10)
    view = await digests.hot("default", None, "day", request.filter)
    payloads = await service.hot(request)
    assert payloads == render_digest(view.view, "compact")
    assert payloads[0]["content"].startswith("**🔥 Hot Papers 2021-03-12 · cs.CV**")


async def test_a_filter_that_leaves_no_paper_says_so(service: PapersService) -> None:
    payloads = await service.hot(service.hot_request("math.AG", None, "day", 10))
    assert payloads == [
        {"content": "None of the 16 hot papers of Hot Papers 2021-03-12 match math.AG."}
    ]


async def test_a_day_without_a_digest_says_so(service: PapersService) -> None:
    with pytest.raises(UserInputError) as caught:
        await service.hot(service.hot_request(None, "2021-03-01", "day", 10))
    assert str(caught.value) == (
        "There is no digest for 2021-03-01 yet (source: hotpapers-md). Try another date as "
        "YYYY-MM-DD."
    )


async def test_an_unreachable_source_is_named_with_since_when(
    empty_store: Store, down_client: httpx.AsyncClient, clock: ManualClock
) -> None:
    service = PapersService(empty_store, _down(empty_store, down_client, clock), clock=clock)
    with pytest.raises(UserInputError) as caught:
        await service.hot(service.hot_request(None, None, "day", 10))
    assert str(caught.value).startswith("Hugging Face cannot be reached right now. No answer yet")


async def test_an_older_stored_day_shown_instead_of_the_latest_says_so(
    empty_store: Store, down_client: httpx.AsyncClient, clock: ManualClock
) -> None:
    older = sample_digest().model_copy(update={"source": "hf", "day": DAY - timedelta(days=1)})
    await empty_store.save_digest(older, final=True)
    service = PapersService(empty_store, _down(empty_store, down_client, clock), clock=clock)
    payloads = await service.hot(service.hot_request(None, None, "day", 10))
    assert payloads[0]["content"].startswith(
        "-# Hugging Face cannot be reached right now, so this is the latest stored day, not "
        "2021-03-12.\n**🔥 "
    )
    # Asked for that day by date, the note would be wrong: it is the day asked for.
    by_date = await service.hot(service.hot_request(None, "2021-03-11", "day", 10))
    assert by_date[0]["content"].startswith("**🔥 ")


def test_a_paper_id_is_checked_before_any_work(service: PapersService) -> None:
    assert service.paper_id(f"https://arxiv.org/abs/{PAPER}v2") == PAPER
    with pytest.raises(UserInputError, match=r"^Not an arXiv id: `hello`"):
        service.paper_id("hello")


async def test_an_unknown_paper_says_where_to_look(service: PapersService) -> None:
    with pytest.raises(UserInputError) as caught:
        await service.paper("2103.99999", GUILD)
    assert str(caught.value) == (
        "arXiv:2103.99999 has not been in any digest I know of, so I have no metrics for it. "
        "Check the id, or see https://arxiv.org/abs/2103.99999"
    )


async def test_a_paper_says_where_it_was_posted_in_this_server(
    service: PapersService, store: Store, publisher: Publisher
) -> None:
    found = await store.get_paper(PAPER)
    assert found is not None
    assert await service.paper(PAPER, None) == render_paper(found, note="")  # a DM: no server
    assert await service.paper(PAPER, GUILD) == render_paper(
        found, note=f"arXiv:{PAPER} has not been posted in this server yet.\n👍 0 in this server."
    )
    sub = await store.upsert_subscription(subscription())
    await publisher.publish(sub, sample_digest())
    link = f"https://discord.com/channels/{GUILD}/{HERE}/1000"
    assert await service.paper(PAPER, GUILD) == render_paper(
        found,
        note=f"Posted in this server: <#{HERE}> ([jump]({link})) in the digest of 2021-03-12."
        "\n👍 0 in this server.",
    )
    assert await store.add_vote(GUILD, PAPER, 7) == "added"
    assert await store.add_vote(GUILD + 1, PAPER, 8) == "added"  # another server's
    shown = await service.paper(PAPER, GUILD)
    assert str(shown["content"]).endswith("\n👍 1 in this server.")
