"""The day's arXiv announcement: the RSS parser over spec-built feeds, the API for past days, the
calendar's "no announcement", and the request budget within arXiv's etiquette."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import httpx
import pytest

from bot.config import SourcesConfig
from bot.errors import NoAnnouncement, SourceError, UpstreamFormatError, UserInputError
from bot.sources.arxiv_listing import ArxivListing, archive_categories, parse_rss
from bot.sources.base import SourceFactory
from bot.sources.http import Fetched
from tests.sources.conftest import FakeClock

RSS = Path(__file__).parent / "fixtures" / "arxiv_rss"
GARBAGE = Path(__file__).parents[1] / "corpus" / "upstream" / "arxiv-rss"
WED = date(2026, 5, 13)  # a listing day (Tuesday evening's announcement)
IN_ITS_FEED = datetime(2026, 5, 13, 12, 0, tzinfo=UTC)  # the feeds show WED's listing
NEXT_WEEK = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)  # WED is a past day: the API answers


def fetched(path: Path, url: str = "http://rss.test/rss/cs") -> Fetched:
    return Fetched(url=url, status=200, headers={}, content=path.read_bytes())


# --- the RSS parser -------------------------------------------------------------------------


def test_one_archives_feed() -> None:
    listed, items = parse_rss(fetched(RSS / "cs_2026-05-13.xml"))
    assert listed == WED
    assert [(k, p.arxiv_id, p.version) for k, p in items] == [
        ("new", "2605.11001", 1),
        ("new", "2605.11002", 1),
        ("cross", "2605.11003", 1),
        ("replace-cross", "2203.01250", 3),
        ("replace", "2604.09999", 2),
    ]
    first = items[0][1]
    assert first.title == "Sparse Attention Kernels for Long-Context Vision Transformers"
    assert first.authors == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert first.categories == ["cs.CV", "cs.LG"]
    assert first.abstract.startswith("We study sparse attention")
    assert "<1% of the tokens" in first.abstract
    assert first.metrics == {} and first.score == 0
    assert items[2][1].categories == ["quant-ph", "cs.LG"]  # a cross-list: primary elsewhere


def test_a_combined_feed_with_what_real_feeds_vary_in(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        listed, items = parse_rss(fetched(RSS / "math+astro-ph_2026-05-13.xml"))
    assert listed == WED
    by_id = {p.arxiv_id: (k, p) for k, p in items}
    assert [p.arxiv_id for _, p in items] == [
        "2605.12001",
        "2605.12002",
        "2605.12001",
        "2605.00777",
    ]
    # several dc:creator elements; HTML links as authors; no announce_type nor guid.
    assert by_id["2605.12001"][1].authors == ["Emmy Noether", "Alexander Grothendieck"]
    kind, dwarfs = by_id["2605.12002"]
    assert kind == "new"
    assert dwarfs.authors == ["Vera Rubin", "Edwin Hubble"]
    assert dwarfs.version == 1
    assert "skipped 1 unusable feed item" in caplog.text  # the item with no arXiv id


def test_the_empty_weekend_feed() -> None:
    listed, items = parse_rss(fetched(RSS / "cs_saturday_empty.xml"))
    assert (listed, items) == (date(2026, 5, 16), [])


@pytest.mark.parametrize("path", sorted(GARBAGE.iterdir()), ids=lambda p: p.name)
def test_garbage_feed_is_a_clear_error(path: Path) -> None:
    with pytest.raises(UpstreamFormatError) as info:
        parse_rss(fetched(path))
    assert str(info.value).startswith("arXiv ")
    assert "http" not in str(info.value)


# --- a local stand-in arXiv: RSS feeds and the export API ------------------------------------


def atom(entries: list[tuple[str, list[str]]], version: int = 1) -> bytes:
    """An export-API page in the current format (namespaces on the root, as recorded)."""
    body = "".join(
        f"""<entry><id>http://arxiv.org/abs/{i}v{version}</id>
<updated>2026-05-12T10:00:00Z</updated><published>2026-05-12T10:00:00Z</published>
<title>Paper {escape(i)}</title><summary>Abstract of {escape(i)}.</summary>
<author><name>An Author</name></author>
<link href="https://arxiv.org/abs/{i}v{version}" rel="alternate" type="text/html"/>
<arxiv:primary_category term="{cats[0]}"/>
{"".join(f'<category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in cats)}
</entry>"""
        for i, cats in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom"><id>https://arxiv.org/api/x</id>'
        f"<title>arXiv Query</title>{body}</feed>"
    ).encode()


class StandIn:
    """rss.test serves the fixture feeds; arxiv.test answers API queries from `api` entries."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.feeds: dict[str, bytes] = {
            "cs": (RSS / "cs_2026-05-13.xml").read_bytes(),
            "math+astro-ph": (RSS / "math+astro-ph_2026-05-13.xml").read_bytes(),
        }
        self.api: dict[str, list[tuple[str, list[str]]]] = {}  # archive -> entries
        self.api_override: Callable[[httpx.Request], httpx.Response] | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "rss.test":
            feed = self.feeds.get(request.url.path.removeprefix("/rss/"))
            if feed is None:  # any other archive: an announcement day's feed for it
                feed = self.feeds["cs"]
            return httpx.Response(200, content=feed)
        if request.url.host == "arxiv.test" and request.url.path == "/api/query":
            if self.api_override is not None:
                return self.api_override(request)
            query = parse_qs(urlsplit(str(request.url)).query)
            if "id_list" in query:  # a metadata lookup
                return httpx.Response(200, content=atom([(query["id_list"][0], ["cs.CV"])]))
            q = query["search_query"][0]
            start, size = int(query["start"][0]), int(query["max_results"][0])
            archive = q.split("cat:")[1].split(".")[0].split(" ")[0].rstrip(")")
            entries = self.api.get(archive, [])
            return httpx.Response(200, content=atom(entries[start : start + size]))
        return httpx.Response(404)

    def hosts(self) -> list[str]:
        return [r.url.host for r in self.requests]


@pytest.fixture
def arxiv() -> StandIn:
    return StandIn()


def factory_for(
    arxiv: StandIn, client: httpx.AsyncClient, clock: FakeClock, **section: object
) -> SourceFactory:
    config = SourcesConfig.model_validate(
        {"arxiv": {"base_url": "http://arxiv.test", "rss_base_url": "http://rss.test", **section}}
    )
    return SourceFactory(config, client, clock=clock, sleep=clock.sleep)


async def listing(
    arxiv: StandIn, now: datetime, clock: FakeClock | None = None, **section: object
) -> tuple[ArxivListing, SourceFactory, httpx.AsyncClient]:
    client = httpx.AsyncClient(transport=httpx.MockTransport(arxiv.handler))
    factory = factory_for(arxiv, client, clock or FakeClock(), **section)
    return factory.arxiv_listing(clock=lambda: now), factory, client


async def test_the_current_listing_comes_from_the_feed_without_replacements(
    arxiv: StandIn,
) -> None:
    source, _, client = await listing(arxiv, IN_ITS_FEED)
    async with client:
        papers = await source.announced(WED, ["cs"])
    assert [p.arxiv_id for p in papers] == ["2605.11001", "2605.11002", "2605.11003"]
    assert arxiv.hosts() == ["rss.test"]
    assert str(arxiv.requests[0].url) == "http://rss.test/rss/cs"


async def test_replacements_when_configured(arxiv: StandIn) -> None:
    source, _, client = await listing(arxiv, IN_ITS_FEED, include_replacements=True)
    async with client:
        papers = await source.announced(WED, ["cs"])
    assert len(papers) == 5


async def test_archives_share_one_feed_request_and_duplicates_are_one_paper(
    arxiv: StandIn,
) -> None:
    source, _, client = await listing(arxiv, IN_ITS_FEED)
    async with client:
        papers = await source.announced(WED, ["MATH", "astro-ph", "math"])
    assert [p.arxiv_id for p in papers] == ["2605.12001", "2605.12002", "2605.00777"]
    assert [r.url.path for r in arxiv.requests] == ["/rss/math+astro-ph"]


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 5, 16), "no arXiv announcement on Saturdays"),
        (date(2026, 5, 17), "no arXiv announcement on Sundays"),
        (date(2026, 11, 27), "no arXiv announcement (arXiv holiday: Thanksgiving)"),
    ],
)
async def test_a_day_without_announcement_is_stated_before_any_request(
    arxiv: StandIn, day: date, reason: str
) -> None:
    source, _, client = await listing(arxiv, NEXT_WEEK)
    async with client:
        with pytest.raises(NoAnnouncement) as info:
            await source.announced(day, ["math"])
    assert info.value.reason == reason
    assert not isinstance(info.value, SourceError)
    assert arxiv.requests == []


async def test_an_unknown_archive_is_refused(arxiv: StandIn) -> None:
    source, _, client = await listing(arxiv, NEXT_WEEK)
    async with client:
        with pytest.raises(UserInputError, match="not an arXiv archive"):
            await source.announced(WED, ["cs.CV"])
    assert arxiv.requests == []


async def test_a_past_day_comes_from_the_api_over_its_submission_window(arxiv: StandIn) -> None:
    arxiv.api["math"] = [
        (f"2605.2{i:04d}", ["math.AG", "math.NT"] if i % 2 else ["hep-th", "math.AG"])
        for i in range(5)
    ]
    source, _, client = await listing(arxiv, NEXT_WEEK, page_size=2)
    async with client:
        papers = await source.announced(WED, ["math"])
    assert [p.arxiv_id for p in papers] == [f"2605.2{i:04d}" for i in range(5)]
    assert papers[0].categories == ["hep-th", "math.AG"]  # a cross-list: primary first
    assert arxiv.hosts() == ["arxiv.test"] * 3  # five entries, two a page
    query = parse_qs(urlsplit(str(arxiv.requests[0].url)).query)
    # Wednesday's listing is Tuesday 20:00's: Monday 14:00 to Tuesday 14:00 EDT, in UTC.
    assert query["search_query"][0].endswith("AND submittedDate:[202605111800 TO 202605121800]")
    assert all(f"cat:{c}" in query["search_query"][0] for c in archive_categories("math"))
    assert query["sortBy"] == ["submittedDate"]
    assert [q["start"] for q in (parse_qs(urlsplit(str(r.url)).query) for r in arxiv.requests)] == [
        ["0"],
        ["2"],
        ["4"],
    ]


async def test_a_feed_showing_another_listing_is_not_taken_for_the_day(arxiv: StandIn) -> None:
    arxiv.feeds["cs"] = (RSS / "cs_saturday_empty.xml").read_bytes()
    arxiv.api["cs"] = [("2605.11001", ["cs.CV"])]
    source, _, client = await listing(arxiv, IN_ITS_FEED)
    async with client:
        papers = await source.announced(WED, ["cs"])
    assert [p.arxiv_id for p in papers] == ["2605.11001"]
    assert arxiv.hosts() == ["rss.test", "arxiv.test"]


async def test_an_api_error_feed_is_a_source_error(arxiv: StandIn) -> None:
    error = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        b"<id>http://arxiv.org/api/errors#incorrect_id_format</id><title>Error</title>"
        b"<summary>malformed query</summary></entry></feed>"
    )
    arxiv.api_override = lambda _r: httpx.Response(400, content=error)
    source, _, client = await listing(arxiv, NEXT_WEEK)
    async with client:
        with pytest.raises(SourceError, match="refused the request"):
            await source.announced(WED, ["cs"])


# --- the request budget and the etiquette --------------------------------------------------


@pytest.mark.parametrize("n", [1, 4, 5, 9])
async def test_request_budget_per_day_for_n_archives(arxiv: StandIn, n: int) -> None:
    archives = ["cs", "math", "astro-ph", "cond-mat", "physics", "quant-ph", "stat", "eess"]
    archives += ["econ"]
    wanted = archives[:n]
    # The current listing: ceil(n / 4) feed requests.
    clock = FakeClock()
    source, _, client = await listing(arxiv, IN_ITS_FEED, clock)
    async with client:
        await source.announced(WED, wanted)
    assert len(arxiv.requests) == -(-n // 4)
    # A past day: one API request per archive (a page holds a day of cs).
    arxiv.requests.clear()
    clock = FakeClock()
    source, _, client = await listing(arxiv, NEXT_WEEK, clock)
    async with client:
        await source.announced(WED, wanted)
    assert len(arxiv.requests) == n
    # One request at a time, at least 3 s apart: every request after the first waited 3 s.
    assert clock.sleeps == [3.0] * (n - 1)


async def test_one_throttle_for_all_arxiv_traffic(arxiv: StandIn) -> None:
    arxiv.api["cs"] = [("2605.11001", ["cs.CV"])]
    clock = FakeClock()
    source, factory, client = await listing(arxiv, NEXT_WEEK, clock)
    async with client:
        assert source.http.throttle is factory.arxiv.http.throttle
        await source.announced(WED, ["cs"])
        await factory.arxiv.fetch_many(["2605.11001"])  # a metadata lookup waits its turn
    assert clock.sleeps == [3.0]


async def test_a_day_past_the_holiday_table_is_fetched_with_one_warning(
    arxiv: StandIn, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by an attacker: past the table's last year a holiday would silently read as an
    announcement day. The day is still fetched (arXiv may well announce), and the log says
    once per process that the table needs arXiv's newer schedule."""
    monkeypatch.setattr(
        "bot.sources.arxiv_listing.cal.known_through", lambda: WED - timedelta(days=1)
    )
    arxiv.api["math"] = [("2605.20000", ["math.AG"])]
    source, _, client = await listing(arxiv, NEXT_WEEK)
    async with client:
        with caplog.at_level("WARNING"):
            await source.announced(WED, ["math"])
            await source.announced(WED, ["math"])
    said = [r.getMessage() for r in caplog.records if "holiday table" in r.getMessage()]
    assert len(said) == 1 and "bot/data/arxiv_holidays.json" in said[0]
