"""arXiv: real recorded responses, the Error feed, hostile XML, batching and etiquette."""

from __future__ import annotations

import asyncio
import itertools
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.config import SourcesConfig
from bot.errors import SourceError, UpstreamFormatError, UserInputError
from bot.models import Paper
from bot.sources.arxiv import ArxivClient, enrich, parse_feed
from bot.sources.base import SourceFactory
from bot.sources.http import Fetched

from .conftest import (
    FakeClock,
    Upstreams,
    atom_feed,
    load_recording,
    raises_source,
    unwrap_recording,
)


def fetched(body: bytes, status: int = 200, content_type: str = "application/atom+xml") -> Fetched:
    return Fetched("http://arxiv.test/api/query", status, {"content-type": content_type}, body)


def arxiv_client(client: httpx.AsyncClient, config: SourcesConfig, clock: FakeClock) -> ArxivClient:
    return SourceFactory(config, client, clock=clock, sleep=clock.sleep).arxiv


# --- recorded real responses ------------------------------------------------------------


def test_2016_format_with_per_element_namespaces() -> None:
    rec = load_recording("id_list=1111.2011v2.xml")
    (paper,) = parse_feed(fetched(rec.body))
    assert (paper.arxiv_id, paper.version) == ("1111.2011", 2)
    assert paper.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert paper.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert paper.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert paper.abstract.startswith("Theoretical description of anisotropic systems, such as")
    assert "\n" not in paper.abstract
    assert paper.abstract.endswith("describing a single node.")


def test_current_format_with_root_namespaces_and_a_title_of_zero() -> None:
    rec = load_recording("id_2104.12255v1_s0_m100_6ae69987ffe1.json")
    assert rec.status == 200
    (paper,) = parse_feed(fetched(rec.body))
    assert (paper.arxiv_id, paper.version) == ("2104.12255", 1)
    assert paper.title == "0"
    assert paper.categories == ["cs.CR"]  # primary_category without a scheme
    assert paper.authors == ["Quan Thoi Minh Nguyen"]
    assert "splitting zero" in paper.abstract


def test_recorded_error_feed_is_an_error_never_a_paper() -> None:
    rec = load_recording("id_abc_s0_m100_b79c8dcf6bc3.json")
    assert rec.status == 400
    with raises_source(
        SourceError, r"arXiv refused the request \(HTTP 400\): incorrect id format for abc"
    ):
        parse_feed(fetched(rec.body, status=rec.status))


def test_error_entry_is_rejected_even_with_status_200() -> None:
    rec = load_recording("id_abc_s0_m100_b79c8dcf6bc3.json")
    with raises_source(SourceError, "incorrect id format for abc"):
        parse_feed(fetched(rec.body, status=200))


async def test_error_feed_through_the_client_is_rejected_without_retry(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    rec = load_recording("id_abc_s0_m100_b79c8dcf6bc3.json")
    upstreams.arxiv_override = lambda req: httpx.Response(400, content=rec.body)
    with raises_source(SourceError, "incorrect id format for abc"):
        await arxiv_client(client, sources_config, clock).fetch_many(["2104.12255"])
    assert upstreams.count("arxiv.test") == 1


def test_mojibake_of_the_recorder_is_undone() -> None:
    # the recorded bodies happen to be ASCII; wrap a non-ASCII one the way the recorder did
    sent = atom_feed(["2104.12255"]).replace(b"First Author", "Zoë Müller".encode())
    wrapper = {"url": "u", "status_code": 200, "body": sent.decode("latin-1")}
    assert "Ã«" in json.loads(json.dumps(wrapper))["body"]  # what the recording holds
    rec = unwrap_recording(json.loads(json.dumps(wrapper)))
    assert rec.body == sent
    assert parse_feed(fetched(rec.body))[0].authors[0] == "Zoë Müller"


def test_non_ascii_survives_parsing() -> None:
    body = atom_feed(["2104.12255"]).replace(b"First Author", "Zoë Müller-Škoda".encode())
    (paper,) = parse_feed(fetched(body))
    assert paper.authors[0] == "Zoë Müller-Škoda"


# --- hostile and broken bodies ------------------------------------------------------------

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol4;</title></entry></feed>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&x;</title></entry></feed>"""

BARE_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE feed>
<feed xmlns="http://www.w3.org/2005/Atom"></feed>"""


@pytest.mark.parametrize("body", [BOMB, XXE, BARE_DTD], ids=["billion-laughs", "xxe", "dtd"])
def test_entity_expansion_and_dtds_are_refused(body: bytes) -> None:
    with raises_source(UpstreamFormatError, "refused a body with a DTD or entity"):
        parse_feed(fetched(body))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b"<!DOCTYPE html><html><body>Rate exceeded.</body></html>",
            r"got an HTML page \(HTTP 200\)",
        ),
        (b"  <html><body>Service unavailable</body></html>", "got an HTML page"),
        (b"<rss><channel/></rss>", r"expected an Atom <feed> .* got <rss>"),
        (atom_feed(["2101.00001"])[:300], r"not XML .*: .*'<\?xml"),
        (b"", "empty body"),
        (b"Rate exceeded.", "not XML"),
        (
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>urn:x</id></entry></feed>',
            "entry id 'urn:x' is not an arXiv abs URL",
        ),
    ],
    ids=["html-doctype", "html", "rss", "truncated", "empty", "text", "bad-entry-id"],
)
def test_garbage_is_a_clear_error(body: bytes, message: str) -> None:
    with raises_source(UpstreamFormatError, message):
        parse_feed(fetched(body, content_type="text/html"))


def test_empty_feed_is_no_papers() -> None:
    assert parse_feed(fetched(atom_feed([]))) == []


# --- ids, batching and etiquette ----------------------------------------------------------


async def test_ids_are_sent_version_less_and_deduplicated(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    got = await arxiv_client(client, sources_config, clock).fetch_many(
        [
            "2103.06874v2",
            "arXiv:2103.06874",
            "astro-ph/0601001v1",
            "https://arxiv.org/abs/1111.2011",
        ]
    )
    (req,) = upstreams.requests
    query = parse_qs(urlsplit(str(req.url)).query)
    assert query["id_list"] == ["2103.06874,astro-ph/0601001,1111.2011"]
    assert query["max_results"] == ["3"]
    assert set(got) == {"2103.06874", "astro-ph/0601001", "1111.2011"}
    assert got["astro-ph/0601001"].version == 2  # the fake arXiv answers v2


async def test_invalid_id_fails_before_any_request(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    with raises_source(UserInputError, "not an arXiv id: `abc`"):
        await arxiv_client(client, sources_config, clock).fetch_many(["2103.06874", "abc"])
    assert upstreams.requests == []


async def test_unknown_ids_are_absent_not_fatal(
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: SourcesConfig,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    upstreams.arxiv_override = lambda req: httpx.Response(200, content=atom_feed(["2101.00001"]))
    got = await arxiv_client(client, sources_config, clock).fetch_many(["2101.00001", "2101.00002"])
    assert list(got) == ["2101.00001"]
    assert "no metadata for 1 id(s): ['2101.00002']" in caplog.text


async def test_250_ids_are_three_requests_at_least_three_seconds_apart(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    times: list[float] = []
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        times.append(clock.now)
        ids = parse_qs(request.url.query.decode())["id_list"][0].split(",")
        sizes.append(len(ids))
        return httpx.Response(200, content=atom_feed(ids))

    upstreams.arxiv_override = handler
    got = await arxiv_client(client, sources_config, clock).fetch_many(
        f"2101.{i:05d}" for i in range(250)
    )
    assert len(got) == 250
    assert sizes == [100, 100, 50]
    assert all(b - a >= 3.0 for a, b in itertools.pairwise(times))
    assert clock.sleeps == [3.0, 3.0]


async def test_concurrent_lookups_share_the_throttle(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    arxiv = arxiv_client(client, sources_config, clock)
    times: list[float] = []
    in_flight = 0
    peak = 0

    async def slow_handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        times.append(clock.now)
        await asyncio.sleep(0)
        in_flight -= 1
        ids = parse_qs(request.url.query.decode())["id_list"][0].split(",")
        return httpx.Response(200, content=atom_feed(ids))

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow_handler)) as c:
        arxiv.http.client = c
        await asyncio.gather(*(arxiv.fetch_many([f"2101.0000{i}"]) for i in range(4)))
    assert peak == 1
    assert [b - a for a, b in itertools.pairwise(times)] == [3.0, 3.0, 3.0]


async def test_retries_are_spaced_by_the_throttle_too(
    upstreams: Upstreams, client: httpx.AsyncClient, sources_config: SourcesConfig, clock: FakeClock
) -> None:
    times: list[float] = []
    answers = [httpx.Response(503), httpx.Response(200, content=atom_feed(["2101.00001"]))]

    def handler(req: httpx.Request) -> httpx.Response:
        times.append(clock.now)
        return answers.pop(0)

    upstreams.arxiv_override = handler
    await arxiv_client(client, sources_config, clock).fetch_many(["2101.00001"])
    assert len(times) == 2
    assert times[1] - times[0] >= 3.0


def test_enrich_takes_arxiv_metadata_and_keeps_the_score() -> None:
    hf = Paper(
        arxiv_id="2101.00001",
        title="HF title",
        authors=["A"],
        metrics={"upvotes": 9},
        score=9.0,
    )
    meta = Paper(
        arxiv_id="2101.00001v3",
        title="arXiv title",
        authors=["A", "B", "C"],
        categories=["cs.CV", "cs.LG"],
        abstract="Full abstract.",
    )
    out = enrich(hf, meta)
    assert out.categories == ["cs.CV", "cs.LG"]
    assert out.authors == ["A", "B", "C"]
    assert out.abstract == "Full abstract."
    assert out.title == "HF title"
    assert (out.score, out.metrics, out.version) == (9.0, {"upvotes": 9}, 3)
    assert enrich(hf, None) is hf
