"""Building sources by name, the hf+arxiv join, and the Hot Papers folder/URL source."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import httpx
import pytest

from bot.config import SourcesConfig
from bot.errors import ConfigError, SourceError, UpstreamFormatError
from bot.ranking import score_label
from bot.sources.base import EnrichedSource, Source, SourceFactory, build_source
from bot.sources.hf import HFSource
from bot.sources.hotpapers_url import HotPapersDirSource, HotPapersUrlSource

from .conftest import SHARED, FakeClock, Upstreams, hf_day, hf_items, raises_source

DAY = date(2025, 3, 31)
HOTPAPERS = SHARED / "data" / "hotpapers"
SAMPLE = "hot-papers-2021-03-12.md"


def hotpapers_data() -> Path:
    if not (HOTPAPERS / SAMPLE).exists():
        pytest.skip(f"Hot Papers sample posts not available: {HOTPAPERS} (needs ../shared)")
    return HOTPAPERS


# --- the factory ------------------------------------------------------------------------


def test_names_build_the_right_sources(sources_config: SourcesConfig) -> None:
    client = httpx.AsyncClient()
    factory = SourceFactory(sources_config, client)
    assert isinstance(factory.build("hf"), HFSource)
    default = factory.build("default")
    assert isinstance(default, EnrichedSource)
    assert default.name == "hf+arxiv"
    assert isinstance(default.inner, HFSource)
    assert isinstance(default, Source)
    # every enriched source of one factory shares one arXiv client, hence one throttle
    other = factory.build("hf+arxiv")
    assert isinstance(other, EnrichedSource)
    assert other.enrichment is default.enrichment is factory.arxiv


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("arxiv", "arxiv supplies metadata, not a day's ranking; use hf\\+arxiv"),
        ("twitter", "unknown source 'twitter' .*known: hot, hf, hf\\+arxiv, hotpapers-md"),
        ("hf+crossref", "unknown source 'hf\\+crossref'"),
        ("hotpapers-md", "hotpapers-md needs sources.hotpapers-md.dir or"),
    ],
)
def test_bad_names_are_config_errors(name: str, message: str) -> None:
    with raises_source(ConfigError, message):
        build_source(name, SourcesConfig(), httpx.AsyncClient())


def test_hotpapers_md_prefers_the_folder(tmp_path: Path) -> None:
    both = SourcesConfig.model_validate(
        {"hotpapers-md": {"dir": str(tmp_path), "url_template": "http://x/{date}.md"}}
    )
    assert isinstance(build_source("hotpapers-md", both, httpx.AsyncClient()), HotPapersDirSource)
    url = SourcesConfig.model_validate({"hotpapers-md": {"url_template": "http://x/{date}.md"}})
    assert isinstance(build_source("hotpapers-md", url, httpx.AsyncClient()), HotPapersUrlSource)


# --- hf + arxiv ---------------------------------------------------------------------------


async def test_hf_enriched_by_arxiv(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    upstreams.hf_pages[DAY.isoformat()] = hf_day(50)
    src = build_source("hf+arxiv", sources_config, client, clock=clock, sleep=clock.sleep)
    digest = await src.fetch_day(DAY)

    assert (upstreams.count("hf.test"), upstreams.count("arxiv.test")) == (1, 1)
    assert digest.source == "hf+arxiv"
    assert len(digest.papers) == 50
    first, second = digest.papers[0], digest.papers[1]
    assert first.arxiv_id == "2503.10000"
    assert first.categories == ["cs.CV", "cs.LG"]  # primary first
    assert second.categories == ["cs.CL", "cs.AI"]
    assert first.authors == ["First Author", "Second Author", "Third Author"]
    assert first.abstract == "Full arXiv abstract of 2503.10000, with a hard line break."
    assert first.title == "Synthetic paper number 0"  # the title readers saw on HF
    assert first.version == 2
    assert first.score == 500.0  # upvotes stay the score
    assert score_label(first).startswith("▲ 500 on Hugging Face")
    assert [p.score for p in digest.papers] == sorted(
        (p.score or 0.0 for p in digest.papers), reverse=True
    )


async def test_empty_day_asks_arxiv_nothing(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    src = build_source("hf+arxiv", sources_config, client, clock=clock, sleep=clock.sleep)
    digest = await src.fetch_day(DAY)
    assert digest.papers == []
    assert digest.source == "hf+arxiv"
    assert upstreams.count("arxiv.test") == 0


async def test_paper_unknown_to_arxiv_keeps_its_hf_data(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    from .conftest import atom_feed

    upstreams.hf_pages[DAY.isoformat()] = hf_items()
    upstreams.arxiv_override = lambda req: httpx.Response(200, content=atom_feed(["2503.21776"]))
    src = build_source("hf+arxiv", sources_config, client, clock=clock, sleep=clock.sleep)
    digest = await src.fetch_day(DAY)
    by_id = {p.arxiv_id: p for p in digest.papers}
    assert by_id["2503.21776"].categories == ["cs.CV", "cs.LG"]
    assert by_id["2503.20001"].categories == []
    assert by_id["2503.20001"].authors == ["Chen Placeholder"]


# --- Hot Papers from a folder or a URL ------------------------------------------------------


async def test_folder_source_reads_the_day_of_a_real_post(tmp_path: Path) -> None:
    shutil.copy(hotpapers_data() / SAMPLE, tmp_path / "2021-03-12---Hot-Papers.md")
    digest = await HotPapersDirSource(tmp_path).fetch_day(date(2021, 3, 12))
    assert digest.source == "hotpapers-md"
    assert len(digest.papers) == 16
    assert digest.papers[0].arxiv_id == "2103.06874"
    assert score_label(digest.papers[0]).endswith("favorites")


async def test_folder_source_searches_subfolders_of_the_shared_data() -> None:
    digest = await HotPapersDirSource(hotpapers_data().parent).fetch_day(date(2020, 12, 7))
    assert digest.papers == []  # a real day with no papers


async def test_folder_without_the_day_is_a_source_error(tmp_path: Path) -> None:
    with raises_source(
        SourceError,
        r"^The Hot Papers posts have no post for 2021-03-13\.\nno post for 2021-03-13 in ",
    ):
        await HotPapersDirSource(tmp_path).fetch_day(date(2021, 3, 13))
    with raises_source(SourceError, "is not a folder"):
        await HotPapersDirSource(tmp_path / "missing").fetch_day(date(2021, 3, 13))


async def test_broken_post_is_an_upstream_format_error(tmp_path: Path) -> None:
    (tmp_path / "2021-03-12---Hot-Papers.md").write_text("<html>not a post</html>\n")
    with raises_source(UpstreamFormatError, r"Hot-Papers.md:1: not a Hot Papers digest"):
        await HotPapersDirSource(tmp_path).fetch_day(date(2021, 3, 12))


async def test_post_of_another_day_is_refused(tmp_path: Path) -> None:
    # the file's name says the 13th, its content is the digest of the 12th
    text = (hotpapers_data() / SAMPLE).read_text(encoding="utf-8")
    (tmp_path / "2021-03-13---Hot-Papers.md").write_text(text, encoding="utf-8")
    with raises_source(UpstreamFormatError, "is the digest of 2021-03-12, not of 2021-03-13"):
        await HotPapersDirSource(tmp_path).fetch_day(date(2021, 3, 13))


async def test_url_source_fills_the_template_and_parses(clock: FakeClock) -> None:
    body = (hotpapers_data() / SAMPLE).read_bytes()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path.endswith("2021-03-12---Hot-Papers.md"):
            return httpx.Response(200, content=body)
        return httpx.Response(404, text="Not Found")

    config = SourcesConfig.model_validate(
        {"hotpapers-md": {"url_template": "http://blog.test/posts/{date}---Hot-Papers.md"}}
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        src = build_source("hotpapers-md", config, client, clock=clock, sleep=clock.sleep)
        digest = await src.fetch_day(date(2021, 3, 12))
        assert seen == ["http://blog.test/posts/2021-03-12---Hot-Papers.md"]
        assert len(digest.papers) == 16
        with raises_source(SourceError, "have no post for 2021-03-14.\nHTTP 404"):
            await src.fetch_day(date(2021, 3, 14))


async def test_url_source_rejects_non_digest_bodies(clock: FakeClock) -> None:
    config = SourcesConfig.model_validate(
        {"hotpapers-md": {"url_template": "http://blog.test/{date}.md"}}
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"\xff\xfe binary")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        src = build_source("hotpapers-md", config, client, clock=clock, sleep=clock.sleep)
        with raises_source(UpstreamFormatError, "is not UTF-8 text"):
            await src.fetch_day(date(2021, 3, 12))


def test_url_template_must_hold_the_date() -> None:
    with raises_source(ValueError, r"must contain \{date\}"):
        HotPapersUrlSource(None, "http://blog.test/latest.md")  # type: ignore[arg-type]
