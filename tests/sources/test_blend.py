"""The `hot` blend (`bot.sources.blend`): universe joined with crowds, outages isolated, growth."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.config import SourcesConfig
from bot.errors import NoAnnouncement
from bot.models import Digest, quote_order
from bot.sources.blend import HotSource, archive_of, archives_for
from bot.sources.cache import get_digest
from bot.sources.signals import Quote

from .blendfakes import METRIC_SETS, FakeCrowd, FakeUniverse, paper

TUESDAY = date(2026, 12, 1)
SATURDAY = date(2026, 12, 5)  # the listing of Friday night: none
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # TUESDAY is final

UNIVERSE = {
    "math": [paper("2612.00004", "math.AG"), paper("2612.00005", "math.AG", "cs.CV")],
    "cs": [paper("2612.00001", "cs.CV", "cs.LG"), paper("2612.00002", "cs.CV"),
           paper("2612.00003", "cs.CV")],
    "quant-ph": [paper("2612.00010", "quant-ph")],
}  # fmt: skip
HF = {"2612.00001": {"upvotes": 120}, "2612.00002": {"upvotes": 30, "github_stars": 7}}
HN = {"2612.00002": {"hn_points": 45}, "2612.00004": {"hn_points": 3}}


def hot(*crowds: FakeCrowd, universe: FakeUniverse | None = None, deadline: float = 5) -> HotSource:
    return HotSource(
        universe or FakeUniverse(UNIVERSE),
        crowds,
        METRIC_SETS,
        archives=("cs",),
        signal_deadline=deadline,
    )


async def test_a_day_is_ranked_within_categories_from_every_crowd() -> None:
    src = hot(FakeCrowd("hf", HF), FakeCrowd("hn", HN))
    d = await src.fetch_archives(TUESDAY, ["cs", "math"])
    assert [(p.arxiv_id, p.score) for p in d.papers] == [
        ("2612.00002", 171.6),  # two crowds
        ("2612.00001", 100.0),  # one loud crowd
        ("2612.00004", 57.81),  # the top of math.AG, scored within math.AG
        ("2612.00003", None),  # no discussion yet: listed last, by id
        ("2612.00005", None),
    ]
    assert d.archives == ["cs", "math"] and d.signals_ok == ["hf", "hn"]
    assert d.signals_failed == {} and d.source == "hot"
    top = d.papers[0]
    assert top.metrics == {"upvotes": 30, "github_stars": 7, "hn_points": 45}
    assert set(top.read_at) == {"hf", "hn"}


async def test_one_crowd_down_is_named_and_the_others_still_rank() -> None:
    down = FakeCrowd("hn", HN, down="Hacker News is unreachable (HTTP 503).")
    d = await hot(FakeCrowd("hf", HF), down).fetch_archives(TUESDAY, ["cs"])
    assert d.signals_ok == ["hf"]
    assert d.signals_failed == {"hn": "Hacker News is unreachable (HTTP 503)."}
    assert [(p.arxiv_id, p.score) for p in d.papers][:2] == [
        ("2612.00001", 100.0),
        ("2612.00002", 71.6),
    ]


@pytest.mark.parametrize("how", ["hang", "crash"])
async def test_a_hanging_or_crashing_crowd_costs_only_its_own_counts(how: str) -> None:
    bad = FakeCrowd("hn", HN, hang=how == "hang", crash=how == "crash")
    d = await hot(FakeCrowd("hf", HF), bad, deadline=0.05).fetch_archives(TUESDAY, ["cs"])
    assert d.signals_ok == ["hf"] and list(d.signals_failed) == ["hn"]
    assert "within 0.05 s" in d.signals_failed["hn"] or "KeyError" in d.signals_failed["hn"]
    assert d.papers[0].score == 100.0


async def test_no_announcement_is_the_day_s_outcome_not_an_empty_day() -> None:
    with pytest.raises(NoAnnouncement):
        await hot(FakeCrowd("hf", HF)).fetch_archives(SATURDAY, ["math"])


async def test_quotes_keep_reactions_before_authors_and_bots() -> None:
    quotes = {
        "2612.00002": [
            Quote("bluesky", "Bot", "arxiv-bot", "https://bsky.app/b", "New paper", 900, "bot"),
            Quote("bluesky", "Author", "me", "https://bsky.app/a", "Our paper!", 50, "author"),
            Quote("bluesky", "Ada", "ada", "https://bsky.app/r1", "Great", 3),
            Quote("bluesky", "Bob", "bob", "https://bsky.app/r2", "Wow", 10),
        ]
    }
    d = await hot(FakeCrowd("hn", HN, quotes=quotes)).fetch_archives(TUESDAY, ["cs"])
    got = next(p for p in d.papers if p.arxiv_id == "2612.00002")
    assert [t.handle for t in got.tweets] == ["bob", "ada", "me", "arxiv-bot"]
    assert got.tweets == sorted(got.tweets, key=quote_order)


async def test_a_stored_day_grows_by_the_archive_asked_for_only(store: Any) -> None:
    universe = FakeUniverse(UNIVERSE)
    hn = FakeCrowd("hn", HN)
    src = hot(FakeCrowd("hf", HF), hn, universe=universe)
    config = SourcesConfig()
    first = await get_digest(store, src, TUESDAY, now=NOW, config=config, archives=["cs"])
    assert first.archives == ["cs"] and len(first.papers) == 3
    again = await get_digest(store, src, TUESDAY, now=NOW, config=config, archives=["cs"])
    assert again == first and len(universe.asked) == 1  # covered: no request
    grown = await get_digest(store, src, TUESDAY, now=NOW, config=config, archives=["math"])
    assert universe.asked == [(TUESDAY, ("cs",)), (TUESDAY, ("math",))]  # only the new one
    assert hn.asked[-1] == ["2612.00004", "2612.00005"]  # the crowds asked about new ids only
    assert grown.archives == ["cs", "math"] and len(grown.papers) == 5
    assert [p.score for p in grown.papers] == [171.6, 100.0, 57.81, None, None]
    meta = await store.digest_meta("hot", TUESDAY)
    assert meta.archives == ["cs", "math"] and meta.final
    stored = await store.get_digest("hot", TUESDAY)
    assert isinstance(stored, Digest) and stored.papers == grown.papers


def test_categories_map_to_their_archives() -> None:
    assert archive_of("math.AG") == "math" and archive_of("quant-ph") == "quant-ph"
    assert archive_of("astro-ph.GA") == "astro-ph" and archive_of("nope.XX") is None
    assert archives_for(["cs.CV", "math.AG", "-cs.RO", "cs.LG", "econ.EM"]) == [
        "cs",
        "econ",
        "math",
    ]
