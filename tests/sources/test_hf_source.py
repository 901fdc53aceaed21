"""Hugging Face Daily Papers: schema-built days, paging, and hostile or broken bodies."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest

from bot.config import SourcesConfig
from bot.errors import SourceError, UpstreamFormatError
from bot.ranking import score_label
from bot.sources.base import build_source
from bot.sources.hf import HFSource, parse_item

from .conftest import FakeClock, Upstreams, hf_day, hf_items, raises_source

DAY = date(2025, 3, 31)


def hf(client: httpx.AsyncClient, config: SourcesConfig, clock: FakeClock) -> HFSource:
    source = build_source("hf", config, client, clock=clock, sleep=clock.sleep)
    assert isinstance(source, HFSource)
    return source


async def test_fixture_day_parses_every_field_we_use(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    upstreams.hf_pages[DAY.isoformat()] = hf_items()
    digest = await hf(client, sources_config, clock).fetch_day(DAY)

    assert digest.source == "hf"
    assert digest.day == DAY
    assert [p.arxiv_id for p in digest.papers] == ["2503.21776", "2503.19999", "2503.20001"]
    top = digest.papers[0]
    assert top.title == "Synthetic Video Reasoning with Reinforcement Learning"
    assert top.authors == ["Ada Example", "Brahim Sample"]  # whitespace normalised
    assert top.metrics == {"upvotes": 120, "github_stars": 900, "comments": 4}
    assert top.score == 120.0
    assert score_label(top) == "▲ 120 on Hugging Face · 900★ GitHub · 4 comments"
    assert top.abs_url == "https://arxiv.org/abs/2503.21776"
    # the minimal item: no stars, hard line breaks collapsed, unknown keys ignored
    minimal = digest.papers[2]
    assert minimal.metrics == {"upvotes": 7, "comments": 0}
    assert minimal.abstract == "An abstract that keeps arXiv's hard line breaks."
    # equal upvotes (7): the one with more stars+comments ranks first, deterministically
    assert digest.papers[1].metrics["github_stars"] == 15


async def test_request_shape(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    await hf(client, sources_config, clock).fetch_day(DAY)
    (req,) = upstreams.requests
    assert req.url.path == "/api/daily_papers"
    assert dict(req.url.params) == {"date": "2025-03-31", "limit": "100", "p": "0"}


async def test_empty_day_is_an_empty_digest_not_an_error(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    digest = await hf(client, sources_config, clock).fetch_day(date(2025, 3, 30))
    assert digest.papers == []
    assert upstreams.count("hf.test") == 1


async def test_fifty_papers_cost_one_request(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    upstreams.hf_pages[DAY.isoformat()] = hf_day(50)
    digest = await hf(client, sources_config, clock).fetch_day(DAY)
    assert len(digest.papers) == 50
    assert upstreams.count("hf.test") == 1


async def test_full_pages_are_followed_until_a_short_one(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    upstreams.hf_pages[DAY.isoformat()] = hf_day(250)
    digest = await hf(client, sources_config, clock).fetch_day(DAY)
    assert len(digest.papers) == 250
    assert [r.url.params["p"] for r in upstreams.requests] == ["0", "1", "2"]
    scores = [p.score or 0.0 for p in digest.papers]
    assert scores == sorted(scores, reverse=True)


async def test_exactly_full_last_page_costs_one_empty_request(
    upstreams: Upstreams, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    config = SourcesConfig.model_validate({"hf": {"base_url": "http://hf.test", "page_size": 10}})
    upstreams.hf_pages[DAY.isoformat()] = hf_day(20)
    digest = await hf(client, config, clock).fetch_day(DAY)
    assert len(digest.papers) == 20
    assert upstreams.count("hf.test") == 3


async def test_server_ignoring_the_page_parameter_does_not_loop(
    upstreams: Upstreams, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    config = SourcesConfig.model_validate({"hf": {"base_url": "http://hf.test", "page_size": 3}})
    upstreams.hf_override = lambda req: httpx.Response(200, json=hf_day(3))
    digest = await hf(client, config, clock).fetch_day(DAY)
    assert len(digest.papers) == 3
    assert upstreams.count("hf.test") == 2


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            httpx.Response(
                200,
                text="<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
                headers={"content-type": "text/html"},
            ),
            r"expected a JSON array .* got text/html \(JSONDecodeError.*'<!DOCTYPE html>",
        ),
        (httpx.Response(200, text=json.dumps(hf_items())[:700]), r"expected a JSON array"),
        (httpx.Response(200, text=""), r"empty body"),
        (httpx.Response(200, text="   \n"), r"empty body"),
        (httpx.Response(200, json={"error": "Invalid"}), r"expected a JSON array .* got dict"),
        (httpx.Response(200, json=["a", 1, None]), r"none of the items .* item is str"),
        (
            httpx.Response(200, json=[{"paper": {"id": "2503.00001", "upvotes": "many"}}]),
            r"paper.upvotes is 'many', not an integer",
        ),
        (
            httpx.Response(200, json=[{"paper": {"id": 2503.00001, "upvotes": 3}}]),
            r"paper.id is float, not a string",
        ),
        (
            httpx.Response(200, json=[{"paper": {"id": "not-an-id", "upvotes": 3, "title": "x"}}]),
            r"paper.id: not an arXiv id: `not-an-id`",
        ),
        (httpx.Response(200, content=b"\xff\xfe\x00garbage"), r"expected a JSON array"),
    ],
)
async def test_garbage_is_a_clear_format_error(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    response: httpx.Response,
    message: str,
) -> None:
    upstreams.hf_override = lambda req: response
    with raises_source(UpstreamFormatError, message):
        await hf(client, sources_config, clock).fetch_day(DAY)


async def test_one_bad_item_is_skipped_not_fatal(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    items: list[object] = [*hf_items(), {"paper": {"id": "2503.1", "upvotes": True}}, 42]
    upstreams.hf_override = lambda req: httpx.Response(200, json=items)
    digest = await hf(client, sources_config, clock).fetch_day(DAY)
    assert len(digest.papers) == 3
    assert "skipped 2 unusable item(s)" in caplog.text


async def test_invalid_date_400_is_a_source_error_without_retry(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    upstreams.hf_override = lambda req: httpx.Response(400, json={"error": "Invalid date"})
    with raises_source(
        SourceError,
        r"^Hugging Face answered HTTP 400\.\nHTTP 400 from http://hf.test/api/daily_papers",
    ):
        await hf(client, sources_config, clock).fetch_day(DAY)
    assert upstreams.count("hf.test") == 1


def test_parse_item_prefers_top_level_title_and_paper_summary() -> None:
    item = hf_items()[0]
    item["title"] = "Top-level  title"
    item["paper"]["summary"] = "paper summary"
    item["summary"] = "top summary"
    paper = parse_item(item)
    assert paper.title == "Top-level title"
    assert paper.abstract == "paper summary"


def test_parse_item_keeps_a_version_given_in_the_id() -> None:
    item = hf_items()[1]
    item["paper"]["id"] = "2503.20001v3"
    paper = parse_item(item)
    assert (paper.arxiv_id, paper.version) == ("2503.20001", 3)
