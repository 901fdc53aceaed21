"""Attacks on the crowds (issue 13, deliverable 2): hostile Hacker News and Bluesky answers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import h11
import httpx
import pytest

from bot.config import SourcesConfig, parse_config
from bot.errors import SourceError
from bot.sources import bluesky, links
from bot.sources.base import SourceFactory
from bot.sources.bluesky_posts import Post
from bot.sources.signals import SignalSource
from tests.sources.crowd_upstreams import Crowds, corpus_json

DAY = date(2025, 3, 5)
IDS = ["2503.01234", "2503.04567", "hep-th/9901001", "2503.09999", "2503.77777"]
SECRET = "SECRETJWTPAYLOAD"


async def _no_sleep(_seconds: float) -> None:
    return None


def _signal(factory: SourceFactory, name: str) -> SignalSource:
    (found,) = [s for s in factory.signals() if s.name == name]
    return found


@pytest.fixture
def crowds() -> Crowds:
    return Crowds(hn_pages=[corpus_json("hn", "search_by_date_arxiv.json")])


@pytest.fixture
async def client(crowds: Crowds) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(crowds.handler)) as c:
        yield c


async def test_a_hit_whose_object_id_is_a_unicode_digit_is_skipped_not_the_day(
    crowds: Crowds, client: httpx.AsyncClient
) -> None:
    """Found: `parse_hit` accepted `objectID` "²" (`str.isdigit()` is true for superscripts),
    and `signals_of` sorts stories by `int(item_id)`, which raises ValueError: one odd hit
    failed all of Hacker News for the day ("… sent counts that could not be read").
    Promised (hn.py): "a single odd hit is skipped with a warning"; the other stories count."""
    page = corpus_json("hn", "search_by_date_arxiv.json")
    odd = dict(page["hits"][0], objectID="²")
    page["hits"].insert(0, odd)
    crowds.hn_pages = [page]
    config = SourcesConfig.model_validate({"hn": {"base_url": "http://hn.test"}})
    found = await _signal(SourceFactory(config, client, sleep=_no_sleep), "hn").signals_for(
        DAY, IDS
    )
    plain = corpus_json("hn", "search_by_date_arxiv.json")
    crowds.hn_pages = [plain]
    expected = await _signal(SourceFactory(config, client, sleep=_no_sleep), "hn").signals_for(
        DAY, IDS
    )
    assert found and sorted(found) == sorted(expected)
    for arxiv_id, signal in found.items():  # the odd hit added nothing
        assert (signal.counts, signal.links) == (
            expected[arxiv_id].counts,
            expected[arxiv_id].links,
        )


def _wire_checked(crowds: Crowds) -> httpx.MockTransport:
    """The stand-in behind the header check httpcore's h11 makes before a request leaves."""

    def handler(request: httpx.Request) -> httpx.Response:
        h11.Request(method=request.method, target="/", headers=list(request.headers.raw))
        return crowds.handler(request)

    return httpx.MockTransport(handler)


async def test_a_session_token_unfit_for_a_header_is_refused_and_never_echoed(
    crowds: Crowds, caplog: pytest.LogCaptureFixture
) -> None:
    """Found: a PDS answering createSession with an `accessJwt` holding a NUL or CR (anything
    but a newline was accepted) made the next search fail inside h11 with
    "Illegal header value b'Bearer <the whole JWT>'"; `Http` put that message in the
    SourceError's detail, which is logged: the session token in the logs.
    Promised (bluesky_auth.py): tokens appear in no log line and no error message; a token that
    cannot be used is a clear UpstreamFormatError, and no request carries it."""
    crowds.overrides["bsky.test"] = lambda _r: httpx.Response(
        200,
        json={"accessJwt": f"eyJhbGc.{SECRET}\x00x", "refreshJwt": "eyJ.r.s", "did": "did:x"},
    )
    env = {"BSKY_HANDLE": "hot.test", "BSKY_APP_PASSWORD": "app-pass"}
    config = parse_config({"sources": {"bluesky": {"base_url": "http://bsky.test"}}}, env=env)
    async with httpx.AsyncClient(transport=_wire_checked(crowds)) as client:
        bsky = _signal(SourceFactory(config.sources, client, sleep=_no_sleep), "bluesky")
        with caplog.at_level(logging.DEBUG), pytest.raises(SourceError) as caught:
            await bsky.signals_for(DAY, IDS)
    for text in (str(caught.value), caught.value.detail, caplog.text):
        assert SECRET not in text
    assert "session token that cannot be used" in str(caught.value)
    assert [r.url.path for r in crowds.requests] == ["/xrpc/com.atproto.server.createSession"]


@pytest.mark.parametrize(
    "text",
    [
        "https://arxiv.org/abs/2503.012345",
        "https://arxiv.org/pdf/2503.012345v2",
        "arXiv:2503.012345",
    ],
)
def test_an_id_with_a_digit_too_many_names_no_paper(text: str) -> None:
    """Found: the link patterns had no end after the number, so `arxiv.org/abs/2503.012345`
    (a typo, or a made-up id) credited 2503.01234, another paper, with the story's points.
    Promised (links.py): a crowd's link is read as the paper it names, or as none."""
    assert links.ids_in(text, prose=True) == []
    assert links.id_of_url(text) is None
    assert links.ids_in(text.replace("012345", "01234"), prose=True) == ["2503.01234"]


def _post(display_name: str) -> Post:
    return Post(
        uri="at://did:plc:alice/app.bsky.feed.post/3kabc",
        did="did:plc:alice",
        handle="alice.bsky.social",
        display_name=display_name,
        text="Our new paper!",
        papers=("2503.01234",),
        likes=40,
        reposts=3,
        quotes=1,
        labelled_bot=False,
    )


@pytest.mark.parametrize("invisible", ["\u200b", "\u00ad", "\u2060", "\ufeff"])
def test_an_invisible_character_does_not_hide_an_authors_own_post(invisible: str) -> None:
    """Found: `names_match` split display names on any character outside [a-z0-9], so an
    author named "Ali<zero-width space>ce Smith" (shown on Bluesky as "Alice Smith") no longer
    matched the author "Alice B. Smith" and their own announcement was quoted as a reaction.
    Promised (bluesky.py, issue 13 item 4): authors' own posts are labelled "author" and
    ranked below people's reactions."""
    name = f"Ali{invisible}ce Smith"
    found = bluesky.signals_of(
        [_post(name)],
        datetime(2025, 3, 6, tzinfo=UTC),
        bots=frozenset(),
        authors={"2503.01234": ["Alice B. Smith", "Chen Wei"]},
    )
    assert [q.kind for q in found["2503.01234"].quotes] == ["author"]
