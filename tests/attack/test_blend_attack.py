"""Attacks on the `hot` blend (issue 13, deliverables 3-5), each a finding that was fixed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.config import SourcesConfig
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
