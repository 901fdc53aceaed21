"""The source registry: names, sections, metric descriptors, and a new source in one module.

The registry is swapped (`monkeypatch` on `bot.sources.registry.REGISTRY`) the way a new line
in `SOURCES` would change it; everything reads it at call time, so config, factory, ranking
and render all see the change.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from bot.config import SourcesConfig, parse_config
from bot.errors import ConfigError, SourceError
from bot.models import Digest, Paper
from bot.ranking import rank, score_label, signal
from bot.render import render_digest
from bot.sources import arxiv, blend, bluesky, hf, hn, hotpapers_url, registry
from bot.sources.base import EnrichedSource, SourceFactory
from bot.sources.cache import get_digest
from bot.sources.metrics import Metric, MetricSet
from bot.sources.registry import SOURCES, Registry
from bot.sources.spec import SourceSettings, SourceSpec

from . import tiny_source
from .conftest import FakeClock, Upstreams, raises_source

PAST = date(2025, 3, 31)
NOW = datetime(2025, 4, 2, 9, 0, tzinfo=UTC)
HF_COUNTS = {"upvotes": 120, "github_stars": 900, "comments": 4}


def hf_paper(arxiv_id: str = "2503.00001", **counts: int) -> Paper:
    metrics = counts or HF_COUNTS
    return Paper(arxiv_id=arxiv_id, title="A paper", metrics=metrics, score=metrics["upvotes"])


def use(monkeypatch: pytest.MonkeyPatch, specs: list[SourceSpec[Any]], **kw: Any) -> Registry:
    reg = Registry(specs, **kw)
    monkeypatch.setattr(registry, "REGISTRY", reg)
    return reg


# --- the registry refuses what cannot work ---------------------------------------------------


def test_the_registry_composes_names_with_the_default_first() -> None:
    reg = Registry(SOURCES)
    assert reg.names == ("hot", "hf", "hf+arxiv", "hotpapers-md", "hotpapers-md+arxiv")
    assert [s.name for s in reg.days] == ["hf", "hotpapers-md", "hot"]
    assert [s.name for s in reg.enrichments] == ["arxiv"]
    assert Registry(SOURCES, default="hotpapers-md").names[0] == "hotpapers-md"
    assert reg.title("hf+arxiv") == "Hugging Face (with arXiv)"
    assert reg.title("hotpapers-md") == "The Hot Papers posts"
    assert reg.title("nobody") == "nobody"


def test_two_sources_of_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^two sources are called 'hf'$"):
        Registry([*SOURCES, hf.SOURCE])


def test_a_default_that_is_no_name_is_refused_with_the_names() -> None:
    with pytest.raises(ValueError, match="is not one of") as info:
        Registry(SOURCES, default="arxiv")
    assert str(info.value) == (
        "default source 'arxiv' is not one of hf, hf+arxiv, hotpapers-md, hotpapers-md+arxiv, hot"
    )


def test_one_metric_declared_two_ways_is_refused() -> None:
    other = Metric("upvotes", "likes", "{n} likes", enters="score")
    clash = dataclasses.replace(tiny_source.SOURCE, metrics=MetricSet((other,)))
    with pytest.raises(ValueError, match="'hf' and 'tiny' both declare the metric 'upvotes'"):
        Registry([*SOURCES, clash])


@pytest.mark.parametrize("name", ["hf+x", "default", "Hf", "", "1hf", "h f"])
def test_a_source_name_that_could_not_be_written_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="source name"):
        dataclasses.replace(tiny_source.SOURCE, name=name)


def test_a_spec_is_a_day_source_or_an_enrichment_and_its_moved_keys_exist() -> None:
    with pytest.raises(ValueError, match="give an enricher, or a fetcher and/or a signaller"):
        SourceSpec(name="x", title="X", settings=SourceSettings)
    with pytest.raises(ValueError, match="give an enricher, or a fetcher and/or a signaller"):
        SourceSpec(
            name="x",
            title="X",
            settings=hf.HFSettings,
            fetcher=hf.SOURCE.fetcher,
            enricher=lambda context, settings: arxiv.ArxivClient(context.http("x"), "http://x"),
        )
    with pytest.raises(ValueError, match=r"moved keys to unknown fields \['url'\]"):
        dataclasses.replace(hf.SOURCE, moved={"hf_url": "url"})


def test_metric_descriptors_refuse_what_could_not_be_shown_or_ranked() -> None:
    with pytest.raises(ValueError, match="must contain"):
        Metric("stars", "stars", "stars", enters="score")
    with pytest.raises(ValueError, match="none enters the score"):
        MetricSet((Metric("forks", "forks", "{n} forks", enters="tiebreak"),))
    twice = Metric("stars", "stars", "{n}", enters="score")
    with pytest.raises(ValueError, match="metric declared twice: stars"):
        MetricSet((twice, twice))


# --- config: sources.default and the sections come from the registry --------------------------


def test_an_unknown_default_is_refused_at_load_with_the_registered_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = {"sources": {"default": "tiny"}}
    with pytest.raises(ConfigError) as info:
        parse_config(data, env={})
    assert str(info.value) == (
        "invalid config: sources.default: unknown source 'tiny' "
        "(known: hot, hf, hf+arxiv, hotpapers-md, hotpapers-md+arxiv)"
    )
    use(monkeypatch, [*SOURCES, tiny_source.SOURCE])
    assert parse_config(data, env={}).sources.default == "tiny"
    with pytest.raises(ConfigError, match=r"\(known: hot, hf, hf\+arxiv, .*, tiny, tiny\+arxiv\)$"):
        parse_config({"sources": {"default": "tiny+hf"}}, env={})


def test_a_registered_source_gets_its_own_section(monkeypatch: pytest.MonkeyPatch) -> None:
    section = {"tiny": {"base_url": "http://tiny.test"}}
    with pytest.raises(ConfigError, match=r"^invalid config: sources.tiny: no source is called"):
        parse_config({"sources": section}, env={})
    use(monkeypatch, [*SOURCES, tiny_source.SOURCE])
    tiny = parse_config({"sources": section}, env={}).sources.sections["tiny"]
    assert tiny == tiny_source.TinySettings(base_url="http://tiny.test")
    with pytest.raises(ConfigError) as info:
        parse_config({"sources": {"tiny": {"base_url": "tiny.test"}}}, env={})
    assert str(info.value) == (
        "invalid config: sources.tiny.base_url: 'tiny.test' is not a URL (http:// or https://host/…)"
    )


# --- ranking and render read the descriptors ---------------------------------------------------


def test_the_score_line_and_footer_follow_the_descriptors(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = Digest(day=PAST, source="hf", papers=[hf_paper()])
    before = render_digest(digest, "compact")[0]["embeds"][0]
    assert before["description"].endswith("▲ 120 on Hugging Face · 900★ GitHub · 4 comments")
    assert before["footer"]["text"] == "Ranked by Hugging Face upvotes · /paper <id> for details"

    fake = MetricSet(
        (
            Metric("upvotes", "likes", "{n} likes", enters="score"),
            Metric("comments", "replies", "💬 {n}", enters="tiebreak"),
        )
    )
    use(monkeypatch, [dataclasses.replace(hf.SOURCE, metrics=fake), *SOURCES[1:]])
    after = render_digest(digest, "compact")[0]["embeds"][0]
    assert after["description"].endswith("unknown authors · 120 likes · 💬 4")
    assert after["footer"]["text"] == "Ranked by likes · /paper <id> for details"
    detailed = render_digest(digest, "detailed")[1]["embeds"][0]
    assert {"name": "Score", "value": "120 likes · 💬 4", "inline": True} in detailed["fields"]


def test_the_tiebreak_follows_the_descriptors(monkeypatch: pytest.MonkeyPatch) -> None:
    stars = hf_paper("2503.00001", upvotes=5, github_stars=9)
    talk = hf_paper("2503.00002", upvotes=5, comments=3)
    assert [p.arxiv_id for p in rank([talk, stars])] == ["2503.00001", "2503.00002"]
    only_comments = MetricSet(
        (
            Metric("upvotes", "Hugging Face upvotes", "▲ {n} on Hugging Face", enters="score"),
            Metric("comments", "comments", "{n} comments", enters="tiebreak", weight=10),
        )
    )
    use(monkeypatch, [dataclasses.replace(hf.SOURCE, metrics=only_comments), *SOURCES[1:]])
    assert [p.arxiv_id for p in rank([stars, talk])] == ["2503.00002", "2503.00001"]
    assert score_label(stars) == "▲ 5 on Hugging Face"  # github_stars is no longer shown


def test_a_score_is_the_weighted_sum_of_the_score_metrics() -> None:
    from bot.sources.hotpapers_md import METRICS

    assert METRICS.score({"retweets": 710, "favorites": 293}) == 1003.0
    assert METRICS.score({}) == 0.0
    weighted = MetricSet(
        (
            Metric("retweets", "retweets", "{n} retweets", enters="score", weight=2),
            Metric("favorites", "favorites", "{n} favorites", enters="score"),
        )
    )
    assert weighted.score({"retweets": 10, "favorites": 1}) == 21.0
    assert weighted.signal == "retweets + favorites"


def test_counts_no_source_declares_show_the_bare_score() -> None:
    odd = Paper(arxiv_id="2503.00009", title="x", metrics={"likes": 3}, score=2.5)
    assert score_label(odd) == "score 2.5"
    assert signal([odd]) == "score"


# --- a new source is one module: fetch -> store -> render ---------------------------------------


def tiny_day(request: httpx.Request) -> httpx.Response:
    assert request.url.path == "/2025-03-31.json"
    items = [
        {"id": "2503.01002", "title": "Second by forks", "stars": 12, "forks": 1},
        {"id": "2503.01004", "title": "First by forks", "stars": 12, "forks": 3},
        {"id": "2503.01001", "title": "Few stars", "stars": 2, "forks": 0},
    ]
    return httpx.Response(200, content=json.dumps(items).encode())


async def test_a_source_registered_in_one_line_runs_through_fetch_store_and_render(
    monkeypatch: pytest.MonkeyPatch, upstreams: Upstreams, clock: FakeClock, store: Any
) -> None:
    use(monkeypatch, [*SOURCES, tiny_source.SOURCE])  # the one registry line
    config = parse_config(
        {
            "sources": {
                "default": "tiny+arxiv",
                "tiny": {"base_url": "http://tiny.test"},
                "arxiv": {"base_url": "http://arxiv.test/"},
            }
        },
        env={},
    ).sources

    def route(request: httpx.Request) -> httpx.Response:
        return tiny_day(request) if request.url.host == "tiny.test" else upstreams.handler(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(route)) as client:
        factory = SourceFactory(config, client, clock=clock, sleep=clock.sleep)
        source = factory.build("default")
        assert isinstance(source, EnrichedSource)
        assert source.name == "tiny+arxiv"
        fetched = await get_digest(store, source, PAST, now=NOW, config=config)

    stored = await store.get_digest("tiny+arxiv", PAST)
    assert stored is not None
    assert [p.arxiv_id for p in stored.papers] == ["2503.01004", "2503.01002", "2503.01001"]
    assert [p.score for p in stored.papers] == [12.0, 12.0, 2.0]
    assert stored.papers[0].categories == ["cs.CV", "cs.LG"]  # arXiv joined it, unasked
    assert [p.arxiv_id for p in fetched.papers] == [p.arxiv_id for p in stored.papers]

    message = render_digest(stored, "compact")[0]
    assert message["content"] == ("**🔥 Hot Papers 2025-03-31** · 3 papers · source: tiny+arxiv")
    embed = message["embeds"][0]
    assert embed["description"].split("\n")[:2] == [
        "**1.** [First by forks](https://arxiv.org/abs/2503.01004)",
        "First Author, Second Author, Third Author · `cs.CV` `cs.LG` · ⭐ 12 · 3 forks",
    ]
    assert "⭐ 2\n" not in embed["description"] and embed["description"].endswith("· ⭐ 2")
    assert embed["footer"]["text"] == "Ranked by Tiny Lab stars · /paper <id> for details"


async def test_a_registered_source_is_named_by_its_title_when_it_fails(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    use(monkeypatch, [*SOURCES, tiny_source.SOURCE])
    config = SourcesConfig.model_validate({"max_retries": 0, "tiny": {"base_url": "http://t.x"}})
    transport = httpx.MockTransport(lambda request: httpx.Response(404))
    async with httpx.AsyncClient(transport=transport) as client:
        source = SourceFactory(config, client, clock=clock, sleep=clock.sleep).build("tiny")
        with raises_source(SourceError, r"^Tiny Lab answered HTTP 404\.\n"):
            await source.fetch_day(PAST)
    assert registry.title("tiny+arxiv") == "Tiny Lab (with arXiv)"


def test_an_enrichment_alone_is_not_a_day_source() -> None:
    factory = SourceFactory(SourcesConfig(), httpx.AsyncClient())
    with pytest.raises(ConfigError, match=r"^sources: arxiv supplies metadata, not a day's"):
        factory.build("arxiv")
    assert factory.enrichment("arxiv") is factory.arxiv  # one per factory: one throttle
    with pytest.raises(ConfigError, match="'hf' is not an enrichment"):
        factory.enrichment("hf")


def test_the_bundled_modules_are_the_registered_ones() -> None:
    assert SOURCES == (
        hf.SOURCE,
        hotpapers_url.SOURCE,
        arxiv.SOURCE,
        hn.SOURCE,
        bluesky.SOURCE,
        blend.SOURCE,
    )
    assert registry.REGISTRY.specs == SOURCES
