"""Attacks on the `hot` blend (issue 13, deliverables 3-5), each a finding that was fixed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import SourcesConfig
from bot.errors import SourceError
from bot.models import Paper
from bot.sources.blend import HotSource
from bot.sources.cache import get_digest
from bot.store.sqlite import open_store
from tests.sources.blendfakes import METRIC_SETS, FakeCrowd, FakeUniverse, paper

TUESDAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # TUESDAY is final
UNIVERSE = {"cs": [paper("2612.00001", "cs.CV"), paper("2612.00002", "cs.CV")]}
HF = {"2612.00001": {"upvotes": 120}, "2612.00002": {"upvotes": 30}}


@pytest.mark.parametrize("huge", [10**400, 2**63])
async def test_a_crowd_sending_an_absurd_count_costs_only_its_own_counts(
    huge: int, tmp_path: Path
) -> None:
    """Found: a crowd answering a count too large for a float (10**400) crashed the blend's
    scoring (OverflowError in `MetricSet.score`), and one above SQLite's integers (2**63) made
    `check_storable` refuse the whole digest: either way the day failed for every crowd.
    Promised (bot.sources.blend step 2): "one crowd down, slow or hostile costs that crowd's
    counts and nothing else": the hostile crowd is named in `signals_failed`, the others rank."""
    hostile = FakeCrowd("hn", {"2612.00002": {"hn_points": huge}})
    src = HotSource(FakeUniverse(UNIVERSE), [FakeCrowd("hf", HF), hostile], METRIC_SETS)
    async with open_store(tmp_path / "s.sqlite3") as store:
        d = await get_digest(store, src, TUESDAY, now=NOW, config=SourcesConfig(), archives=["cs"])
    assert d.signals_ok == ["hf"] and list(d.signals_failed) == ["hn"]
    assert "too large" in d.signals_failed["hn"]
    assert [(p.arxiv_id, p.score) for p in d.papers] == [
        ("2612.00001", 100.0),
        ("2612.00002", 71.6),
    ]


async def test_a_past_day_fetched_while_a_crowd_was_down_is_asked_again_later(
    tmp_path: Path,
) -> None:
    """Found: a past day fetched while one crowd was down was stored final, so it was never
    fetched again: the crowd's counts for that day were lost for good and its footer said
    "did not answer" forever. Promised (issue 13: "every signal's outage is isolated"; a past
    day is final): an outage costs the crowd's counts until it answers again, not permanently;
    a day is final once every crowd answered, and until then refetched like today's."""
    hn = FakeCrowd("hn", {"2612.00002": {"hn_points": 45}}, down="Hacker News is down.")
    src = HotSource(FakeUniverse(UNIVERSE), [FakeCrowd("hf", HF), hn], METRIC_SETS)
    config = SourcesConfig()
    later = NOW + timedelta(minutes=config.today_refresh_minutes + 1)
    async with open_store(tmp_path / "s.sqlite3") as store:
        first = await get_digest(store, src, TUESDAY, now=NOW, config=config, archives=["cs"])
        assert list(first.signals_failed) == ["hn"]
        hn.down = None  # Hacker News is back
        again = await get_digest(store, src, TUESDAY, now=later, config=config, archives=["cs"])
        meta = await store.digest_meta("hot", TUESDAY)
    assert again.signals_ok == ["hf", "hn"] and again.signals_failed == {}
    assert (again.papers[0].arxiv_id, again.papers[0].score) == ("2612.00002", 171.6)
    assert meta is not None and meta.final  # every crowd answered: now final


class _DownFor(FakeUniverse):
    """arXiv's listing failing for some archives (the others answer)."""

    def __init__(self, down: set[str]) -> None:
        super().__init__({**UNIVERSE, "math": [paper("2612.00004", "math.AG")]})
        self.down = down

    async def announced(self, day: date, archives: Sequence[str]) -> list[Paper]:
        if self.down & set(archives):
            raise SourceError("arXiv's listing is unreachable (HTTP 503).")
        return await super().announced(day, archives)


async def test_an_archive_that_cannot_be_fetched_is_an_error_not_a_day_without_it(
    tmp_path: Path,
) -> None:
    """Found: a stored day covering `cs` asked for `math` while arXiv failed served the stored
    `cs` digest as if it were the answer, so `/hot category:math.AG` said the day had no such
    papers (and, the day being final, the hot cache kept that answer). Promised
    (bot.sources.cache: "the source is down" never looks like "no papers"): a stored digest
    is served stale only if it covers the archives asked for; otherwise the SourceError
    propagates."""
    universe = _DownFor(set())
    src = HotSource(universe, [FakeCrowd("hf", HF)], METRIC_SETS)
    config = SourcesConfig()
    async with open_store(tmp_path / "s.sqlite3") as store:
        await get_digest(store, src, TUESDAY, now=NOW, config=config, archives=["cs"])
        universe.down = {"math"}
        with pytest.raises(SourceError, match="unreachable"):
            await get_digest(store, src, TUESDAY, now=NOW, config=config, archives=["math"])
        universe.down = set()  # arXiv is back: the day grows
        d = await get_digest(store, src, TUESDAY, now=NOW, config=config, archives=["math"])
    assert "2612.00004" in {p.arxiv_id for p in d.papers} and d.archives == ["cs", "math"]
