"""Bluesky as a crowd: off without credentials, one session, bots discounted, authors labelled."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import parse_config
from bot.errors import ConfigError, SourceError
from bot.sources.base import SourceFactory
from bot.sources.bluesky import BlueskySettings
from bot.sources.bluesky_auth import Credentials, SessionGuard
from bot.sources.signals import SignalSource

from .crowd_upstreams import UPSTREAM, Crowds, corpus_json, query
from .lexicon_check import Lexicons

DAY = date(2025, 3, 5)
IDS = ["2503.01234", "2503.04567", "2503.05555", "2503.04571", "2503.09999"]
AUTHORS = {"2503.01234": ["Alice B. Smith", "Chen Wei"]}
ENV = {"BSKY_HANDLE": "hot.test", "BSKY_APP_PASSWORD": "app-pass"}
LEXICONS = UPSTREAM / "bluesky" / "lexicons"


@pytest.fixture
def crowds() -> Crowds:
    return Crowds(
        bsky_pages=[
            corpus_json("bluesky", "searchPosts_arxiv_page0.json"),
            corpus_json("bluesky", "searchPosts_arxiv_page1.json"),
        ]
    )


def factory_for(client: httpx.AsyncClient, env: dict[str, str], **section: Any) -> SourceFactory:
    data = {"sources": {"bluesky": {"base_url": "http://bsky.test", **section}}}
    return SourceFactory(parse_config(data, env=env).sources, client, sleep=_no_sleep)


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def client(crowds: Crowds) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(crowds.handler)) as c:
        yield c


def bluesky_of(factory: SourceFactory) -> SignalSource:
    (bsky,) = [s for s in factory.signals() if s.name == "bluesky"]
    return bsky


# --- the fixtures are what the lexicons say Bluesky answers -----------------------------------


def test_the_fixtures_follow_the_shipped_lexicons() -> None:
    lex = Lexicons.load(LEXICONS)
    page0 = corpus_json("bluesky", "searchPosts_arxiv_page0.json")
    assert lex.check_output(page0, "app.bsky.feed.searchPosts") == []
    for post in page0["posts"]:
        assert lex.check(post["record"], "app.bsky.feed.post") == []
    page1 = corpus_json("bluesky", "searchPosts_arxiv_page1.json")
    # The one deliberately broken view (the parser must skip it), and nothing else.
    assert lex.check_output(page1, "app.bsky.feed.searchPosts") == [
        "$.posts[2]: missing required 'author'"
    ]
    session = corpus_json("bluesky", "createSession.json")
    assert lex.check_output(session, "com.atproto.server.createSession") == []
    refreshed = corpus_json("bluesky", "refreshSession.json")
    assert lex.check_output(refreshed, "com.atproto.server.refreshSession") == []


def test_the_lexicon_checker_finds_wrong_types() -> None:
    lex = Lexicons.load(LEXICONS)
    page = corpus_json("bluesky", "searchPosts_arxiv_page0.json")
    post = page["posts"][0]
    post["likeCount"] = "120"
    post["author"]["handle"] = "not a handle"
    post["embed"]["external"].pop("uri")
    assert lex.check_output({"posts": [post]}, "app.bsky.feed.searchPosts") == [
        "$.posts[0].author.handle: 'not a handle' is not a handle",
        "$.posts[0].embed.external: missing required 'uri'",
        "$.posts[0].likeCount: expected an integer, got str",
    ]
    assert lex.check_output({"cursor": 3}, "app.bsky.feed.searchPosts") == [
        "$: missing required 'posts'",
        "$.cursor: expected a string, got int",
    ]


async def test_what_the_bot_sends_follows_the_lexicons(
    client: httpx.AsyncClient, crowds: Crowds
) -> None:
    await bluesky_of(factory_for(client, ENV)).signals_for(DAY, IDS)
    lex = Lexicons.load(LEXICONS)
    create, *searches = crowds.requests
    assert create.method == "POST"
    assert create.url.path == "/xrpc/com.atproto.server.createSession"
    body = json.loads(create.content)
    assert lex.check_input(body, "com.atproto.server.createSession") == []
    assert searches
    for search in searches:
        assert lex.check_params(query(search), "app.bsky.feed.searchPosts") == []
    first = query(searches[0])
    assert first == {
        "q": ["arxiv.org"],
        "domain": ["arxiv.org"],
        "sort": ["top"],
        "since": ["2025-03-04T00:00:00Z"],
        "until": ["2025-03-09T00:00:00Z"],
        "limit": ["100"],
    }
    assert query(searches[1])["cursor"] == ["1"]


# --- off without credentials; credentials never from the file, never shown ------------------


async def test_without_credentials_bluesky_is_off_and_never_asked(
    client: httpx.AsyncClient, crowds: Crowds
) -> None:
    for env in ({}, {"BSKY_HANDLE": "hot.test"}, {"BSKY_HANDLE": " ", "BSKY_APP_PASSWORD": "x"}):
        factory = factory_for(client, env)
        assert "bluesky" not in [s.name for s in factory.signals()]
        assert "hn" in [s.name for s in factory.signals()]
    assert crowds.count("bsky.test") == 0


@pytest.mark.parametrize("key", ["app_password", "password", "handle", "identifier", "access_jwt"])
def test_credentials_in_the_config_file_are_refused_without_echoing_them(key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"sources": {"bluesky": {key: "s3cret-value"}}}, env={})
    message = str(info.value)
    assert f"sources.bluesky: {key}: never put Bluesky credentials in the config file" in message
    assert "BSKY_HANDLE and BSKY_APP_PASSWORD" in message
    assert "s3cret-value" not in message


async def test_credentials_and_tokens_appear_in_no_repr_log_or_error(
    client: httpx.AsyncClient, crowds: Crowds, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = {"BSKY_HANDLE": "secret-handle.test", "BSKY_APP_PASSWORD": "wrong-pass-123"}
    factory = factory_for(client, wrong)
    section = factory.config.sections["bluesky"]
    assert isinstance(section, BlueskySettings)
    shown = [repr(section), str(section), repr(section.credentials), repr(factory.signals())]
    with pytest.raises(SourceError) as info:
        await bluesky_of(factory).signals_for(DAY, IDS)
    assert str(info.value) == (
        "Bluesky refused the sign-in (AuthenticationRequired); check BSKY_HANDLE and "
        "BSKY_APP_PASSWORD."
    )
    good = factory_for(client, ENV)
    await bluesky_of(good).signals_for(DAY, IDS)
    seen = "\n".join([*shown, str(info.value), info.value.detail, caplog.text])
    for secret in ("secret-handle", "wrong-pass-123", "app-pass", "access-1", "refresh-1"):
        assert secret not in seen


# --- counts, bots and authors ------------------------------------------------------------------


async def test_people_count_bots_are_discounted_and_authors_labelled(
    client: httpx.AsyncClient,
) -> None:
    found = await bluesky_of(factory_for(client, ENV)).signals_for(DAY, IDS, authors=AUTHORS)

    assert sorted(found) == ["2503.01234", "2503.04567", "2503.04571", "2503.05555"]
    paper = found["2503.01234"]  # Alice's announcement + Bob's reaction (twice on two pages)
    assert dict(paper.counts) == {"bsky_likes": 200, "bsky_reposts": 40, "bsky_quotes": 7}
    assert dict(paper.discounted) == {"bsky_likes": 3, "bsky_reposts": 1, "bsky_quotes": 0}
    assert [(q.handle, q.author, q.kind, q.likes) for q in paper.quotes] == [
        ("@alice.bsky.social", "Alice Smith 🔭", "author", 120),
        ("@bob.science", "Bob Okafor", "reaction", 80),
        ("@arxiv-cs-lg.bsky.social", "cs.LG new papers", "bot", 3),
    ]
    bob = paper.quotes[1]
    assert bob.url == "https://bsky.app/profile/bob.science/post/3lk0000000002a"
    assert bob.text.startswith("This is the most convincing result")
    assert paper.links == (bob.url,)
    # paperfeed linked 9 distinct papers (more than bot_paper_limit = 8): a bot, discounted.
    counter = found["2503.04567"]
    assert dict(counter.counts) == {"bsky_likes": 15, "bsky_reposts": 4, "bsky_quotes": 1}
    assert dict(counter.discounted) == {"bsky_likes": 2, "bsky_reposts": 0, "bsky_quotes": 0}
    assert [q.kind for q in counter.quotes] == ["reaction", "bot"]
    assert dict(found["2503.05555"].counts)["bsky_likes"] == 4  # named in the text only
    only_bots = found["2503.04571"]
    assert dict(only_bots.counts) == {}  # read, and no person discussed it
    assert only_bots.discounted["bsky_likes"] == 2


async def test_without_author_names_an_announcement_is_a_reaction(
    client: httpx.AsyncClient,
) -> None:
    found = await bluesky_of(factory_for(client, ENV)).signals_for(DAY, ["2503.01234"])
    assert [q.kind for q in found["2503.01234"].quotes] == ["reaction", "reaction", "bot"]


async def test_configured_bot_handles_and_the_limit_are_the_heuristic(
    client: httpx.AsyncClient,
) -> None:
    factory = factory_for(client, ENV, bot_handles=["@Bob.Science"], bot_paper_limit=9)
    found = await bluesky_of(factory).signals_for(DAY, IDS)
    assert dict(found["2503.01234"].counts)["bsky_likes"] == 120  # Bob is a configured bot
    assert dict(found["2503.04567"].counts)["bsky_likes"] == 17  # 9 papers is not > 9


# --- the session: once, refreshed, guarded -------------------------------------------------------


async def test_one_session_serves_every_day_and_an_expired_token_is_refreshed(
    client: httpx.AsyncClient, crowds: Crowds
) -> None:
    bsky = bluesky_of(factory_for(client, ENV))
    await bsky.signals_for(DAY, IDS)
    await bsky.signals_for(date(2025, 3, 6), IDS)
    assert (crowds.sessions, crowds.refreshes) == (1, 0)

    crowds.expire_next_search = True
    found = await bsky.signals_for(date(2025, 3, 7), IDS)
    assert (crowds.sessions, crowds.refreshes) == (1, 1)
    assert "2503.01234" in found  # the search was asked again with the new token
    refresh = [r for r in crowds.requests if r.url.path.endswith("refreshSession")]
    assert refresh[0].headers["authorization"] == "Bearer refresh-1"


async def test_a_dead_refresh_token_signs_in_again(
    client: httpx.AsyncClient, crowds: Crowds
) -> None:
    bsky = bluesky_of(factory_for(client, ENV))
    await bsky.signals_for(DAY, IDS)

    def refresh_refused(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("refreshSession"):
            return httpx.Response(400, json={"error": "ExpiredToken", "message": "expired"})
        return crowds._bluesky(request)

    crowds.overrides["bsky.test"] = refresh_refused
    crowds.expire_next_search = True
    await bsky.signals_for(date(2025, 3, 6), IDS)
    assert crowds.sessions == 2


async def test_sign_ins_are_capped_at_25_in_five_minutes_with_a_clear_error(
    client: httpx.AsyncClient, crowds: Crowds
) -> None:
    def always_unauthorised(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createSession"):
            return crowds._bluesky(request)
        return httpx.Response(401, json={"error": "AuthenticationRequired", "message": "no"})

    crowds.overrides["bsky.test"] = always_unauthorised
    bsky = bluesky_of(factory_for(client, ENV))
    errors = []
    for n in range(40):
        with pytest.raises(SourceError) as info:
            await bsky.signals_for(date(2025, 3, 1 + n % 28), IDS)
        errors.append(str(info.value))
    assert crowds.count("bsky.test", "/xrpc/com.atproto.server.createSession") == 25
    assert errors[0] == "Bluesky refused the search (AuthenticationRequired)."
    assert errors[-1].startswith("Bluesky: signed in 25 times within 5 minutes; not signing in")


def test_the_guard_admits_again_once_the_window_has_passed() -> None:
    now = [0.0]
    guard = SessionGuard(limit=2, seconds=300, clock=lambda: now[0])
    guard.admit()
    guard.admit()
    with pytest.raises(SourceError, match="signed in 2 times within 5 minutes"):
        guard.admit()
    now[0] = 300.0
    guard.admit()


def test_credentials_need_both_variables() -> None:
    assert Credentials.from_env({"BSKY_HANDLE": "@a.test", "BSKY_APP_PASSWORD": "p"}) is not None
    assert Credentials.from_env({"BSKY_APP_PASSWORD": "p"}) is None
    assert "p" not in repr(Credentials.from_env({"BSKY_HANDLE": "a", "BSKY_APP_PASSWORD": "p"}))


# --- budget and hostile answers ----------------------------------------------------------------


async def test_paging_follows_the_cursor_and_stops_at_the_budget(
    client: httpx.AsyncClient, crowds: Crowds
) -> None:
    page = corpus_json("bluesky", "searchPosts_arxiv_page0.json")
    crowds.bsky_pages = [{**page, "cursor": str(n + 1)} for n in range(30)]
    await bluesky_of(factory_for(client, ENV, max_pages=3)).signals_for(DAY, IDS)
    assert crowds.count("bsky.test", "/xrpc/app.bsky.feed.searchPosts") == 3

    crowds.requests.clear()
    crowds.bsky_pages = [{**page, "cursor": "same"}] * 5  # a cursor that never moves
    await bluesky_of(factory_for(client, ENV, max_pages=5)).signals_for(DAY, IDS)
    assert crowds.count("bsky.test", "/xrpc/app.bsky.feed.searchPosts") == 2


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (b"[]", "^Bluesky sent something that is not a JSON object"),
        (b"<!doctype html><title>Bad gateway</title>", "^Bluesky sent something that is not JSON"),
        (b'{"posts": {"a": 1}}', "^Bluesky sent a search answer without a list of posts"),
        (b'{"posts": [' + b'{"likeCount": 1e999},' * 3 + b"{}]}", None),
        (
            b'{"posts": [], "hitsTotal": ' + b"7" * 5000 + b"}",
            "^Bluesky sent something that is not JSON",
        ),
        (b'{"posts": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", "^Bluesky sent something"),
        (b'{"posts": ["' + b"x" * 5_000_000 + b'"]}', "^Bluesky sent a response larger than"),
    ],
)
async def test_hostile_search_answers_are_clear_errors_or_nothing(
    client: httpx.AsyncClient, crowds: Crowds, body: bytes, pattern: str | None
) -> None:
    def hostile(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("searchPosts"):
            return httpx.Response(200, content=body)
        return crowds._bluesky(request)

    crowds.overrides["bsky.test"] = hostile
    bsky = bluesky_of(factory_for(client, ENV))
    if pattern is None:
        assert await bsky.signals_for(DAY, IDS) == {}  # unusable views are skipped
        return
    with pytest.raises(SourceError, match=pattern):
        await bsky.signals_for(DAY, IDS)


def test_the_lexicons_shipped_are_listed_in_the_readme() -> None:
    readme = (UPSTREAM / "bluesky" / "README.md").read_text(encoding="utf-8")
    for path in sorted(Path(LEXICONS).glob("*.json")):
        nsid = json.loads(path.read_text(encoding="utf-8"))["id"]
        assert f"lexicons/{nsid.replace('.', '/')}.json" in readme, nsid
