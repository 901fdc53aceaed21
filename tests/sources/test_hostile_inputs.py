"""Hostile upstream input: whatever a source or parser meets, it leaves as a SourceError.

Each body below once escaped as another exception type (OverflowError, ValueError,
RecursionError, or an OverflowError from the store on save), which the scheduler does not
contain. Now each is one plain sentence naming the source, the original chained for the log,
nothing stored, and the source's health saying so.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.errors import DigestFormatError, SourceError, UpstreamFormatError
from bot.models import Digest, Paper
from bot.sources.base import SourceFactory
from bot.sources.cache import get_digest, refresh_digest
from bot.sources.hotpapers_md import parse_digest
from bot.sources.hotpapers_url import HotPapersUrlSource
from bot.sources.http import Http

from .conftest import (
    FakeClock,
    Upstreams,
    assert_plain_sentence,
    atom_feed,
    hf_items,
    raises_source,
)

NOW = datetime(2025, 4, 2, 9, 0, tzinfo=UTC)
DAY = date(2025, 3, 31)
SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "data" / "hot-papers-2021-03-12.md"


def _item(**paper: Any) -> dict[str, Any]:
    item = hf_items()[0]
    item["paper"].update(paper)
    return item


HOSTILE_HF: dict[str, bytes] = {
    "upvotes-beyond-float": json.dumps([_item(upvotes=10**400)]).encode(),
    "5000-digit-number": b'[{"paper": {"id": "2503.00001", "upvotes": ' + b"9" * 5000 + b"}}]",
    "nested-100000-deep": b"[" * 100_000 + b"]" * 100_000,
    "version-beyond-sqlite": json.dumps([_item(id="2503.00001v" + "9" * 30)]).encode(),
    "all-nulls": b'[{"paper": null, "title": null}, null]',
    "object-not-list": b'{"paper": {"id": "2503.00001"}}',
    "number-not-list": b"12",
}


@pytest.mark.parametrize("body", HOSTILE_HF.values(), ids=HOSTILE_HF.keys())
async def test_hostile_hf_bodies_are_source_errors_with_health_recorded(
    body: bytes, upstreams: Upstreams, client: httpx.AsyncClient, sources_config: Any, store: Any
) -> None:
    upstreams.hf_override = lambda req: httpx.Response(200, content=body)
    source = SourceFactory(sources_config, client).build("hf")  # no arXiv to mend versions
    with pytest.raises(SourceError) as info:
        await get_digest(store, source, DAY, now=NOW, config=sources_config)
    assert_plain_sentence(info.value, "Hugging Face")
    assert await store.get_digest("hf", DAY) is None
    [health] = await store.source_health()
    assert not health.ok and health.error == str(info.value)


def _feed_with(entry_id: str) -> bytes:
    return atom_feed(["2503.10000"]).replace(
        b"http://arxiv.org/abs/2503.10000v2", entry_id.encode()
    )


HOSTILE_ARXIV: dict[str, bytes] = {
    "truncated": atom_feed(["2503.10000"])[:300],
    "version-beyond-sqlite": _feed_with("http://arxiv.org/abs/2503.10000v" + "9" * 30),
    "5000-digit-version": _feed_with("http://arxiv.org/abs/2503.10000v" + "9" * 5000),
    "no-id": atom_feed(["2503.10000"]).replace(b"<id>http://arxiv.org/abs/2503.10000v2</id>", b""),
    "not-a-feed": b"<rss><channel/></rss>",
}


@pytest.mark.parametrize("body", HOSTILE_ARXIV.values(), ids=HOSTILE_ARXIV.keys())
async def test_hostile_arxiv_bodies_are_source_errors(
    body: bytes,
    upstreams: Upstreams,
    client: httpx.AsyncClient,
    sources_config: Any,
    store: Any,
    clock: FakeClock,
) -> None:
    upstreams.hf_pages[DAY.isoformat()] = [_item(id="2503.10000")]
    upstreams.arxiv_override = lambda req: httpx.Response(200, content=body)
    factory = SourceFactory(sources_config, client, clock=clock, sleep=clock.sleep)
    with pytest.raises(SourceError) as info:
        await get_digest(store, factory.build("hf+arxiv"), DAY, now=NOW, config=sources_config)
    assert_plain_sentence(info.value, "arXiv")
    assert await store.get_digest("hf+arxiv", DAY) is None


COUNT = r"retweets: \d+"
HOSTILE_MD = {
    "impossible-yaml-date": lambda text: text.replace("date:", "date: 2021-02-30\nwas:", 1),
    "5000-digit-count": lambda text: re.sub(COUNT, "retweets: " + "9" * 5000, text, count=1),
    "trillion-count": lambda text: re.sub(COUNT, "retweets: 1,000,000,000,000", text, count=1),
}


@pytest.mark.parametrize("mutate", HOSTILE_MD.values(), ids=HOSTILE_MD.keys())
def test_hostile_markdown_is_a_digest_format_error_naming_the_file(mutate: Any) -> None:
    text = mutate(SAMPLE.read_text(encoding="utf-8"))
    with pytest.raises(DigestFormatError, match=r"^post\.md"):
        parse_digest(text, "post.md")


@pytest.mark.parametrize("mutate", HOSTILE_MD.values(), ids=HOSTILE_MD.keys())
async def test_hostile_markdown_from_a_url_is_a_source_error(mutate: Any) -> None:
    text = mutate(SAMPLE.read_text(encoding="utf-8"))
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, text=text))
    )
    source = HotPapersUrlSource(Http(client, "hotpapers-md"), "http://blog.test/{date}.md")
    with raises_source(
        UpstreamFormatError, r"^The Hot Papers posts: the post for 2021-03-12"
    ) as info:
        await source.fetch_day(date(2021, 3, 12))
    assert_plain_sentence(info.value, "Hot Papers")


class Exploding:
    """A source (not ours) that raises whatever it is given."""

    name = "hf"

    def __init__(self, error: BaseException | None) -> None:
        self.error = error

    async def fetch_day(self, day: date) -> Digest:
        if self.error is not None:
            raise self.error
        return Digest(day=day, source=self.name, papers=[Paper(arxiv_id="2503.00001", title="t")])


@pytest.mark.parametrize(
    "error",
    [
        KeyError("paper"),
        TypeError("'NoneType' object is not subscriptable"),
        ValueError("x"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        ZeroDivisionError(),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_any_exception_from_any_source_is_a_source_error_and_unhealthy(
    error: Exception, store: Any
) -> None:
    await refresh_digest(store, Exploding(None), date(2025, 3, 30), now=NOW)  # a success first
    with pytest.raises(SourceError) as info:
        await refresh_digest(store, Exploding(error), DAY, now=NOW)
    assert info.value.__cause__ is error  # chained for the log
    assert str(info.value) == "Hugging Face sent a day (2025-03-31) that could not be read."
    [health] = await store.source_health()
    assert (health.ok, health.error, health.consecutive_failures) == (False, str(info.value), 1)
    assert health.last_ok_at == NOW  # "failing since" stays answerable
