"""Fakes for the blend's inputs: a universe (arXiv's announcement) and crowds (signal sources).

Written against the protocols (`bot.sources.blend.Universe`, `bot.sources.signals.SignalSource`),
counting what they are asked, so a test can say how much upstream work a day costs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from bot import arxiv_calendar as cal
from bot.errors import NoAnnouncement, SourceError
from bot.models import Paper
from bot.sources import bluesky, hf, hn
from bot.sources.metrics import MetricSet
from bot.sources.signals import Quote, Signal

READ = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
HN_METRICS = hn.METRICS
BSKY_METRICS = bluesky.METRICS
METRIC_SETS: Mapping[str, MetricSet] = {"hf": hf.METRICS, "hn": HN_METRICS, "bluesky": BSKY_METRICS}


def paper(arxiv_id: str, *categories: str) -> Paper:
    return Paper(arxiv_id=arxiv_id, title=f"Paper {arxiv_id}", categories=list(categories))


class FakeUniverse:
    """Announced papers per archive; the days arXiv's calendar has none raise NoAnnouncement."""

    def __init__(self, by_archive: Mapping[str, Sequence[Paper]]) -> None:
        self.by_archive = {k: list(v) for k, v in by_archive.items()}
        self.asked: list[tuple[date, tuple[str, ...]]] = []

    async def announced(self, day: date, archives: Sequence[str]) -> list[Paper]:
        reason = cal.no_announcement(day)
        if reason is not None:
            raise NoAnnouncement(reason)
        self.asked.append((day, tuple(archives)))
        out: dict[str, Paper] = {}
        for a in archives:
            for p in self.by_archive.get(a, []):
                out.setdefault(p.arxiv_id, p)
        return list(out.values())


class FakeCrowd:
    """A crowd with fixed counts and quotes per id; `down` makes it fail, `hang` never answer."""

    def __init__(
        self,
        name: str,
        counts: Mapping[str, Mapping[str, int]],
        *,
        quotes: Mapping[str, Sequence[Quote]] | None = None,
        down: str | None = None,
        hang: bool = False,
        crash: bool = False,
    ) -> None:
        self.name = name
        self.counts = counts
        self.quotes = quotes or {}
        self.down = down
        self.hang = hang
        self.crash = crash
        self.asked: list[list[str]] = []

    async def signals_for(
        self, day: date, ids: Sequence[str], *, authors: Mapping[str, Sequence[str]] | None = None
    ) -> dict[str, Signal]:
        self.asked.append(list(ids))
        self.authors = dict(authors or {})
        if self.down is not None:
            raise SourceError(self.down)
        if self.crash:
            raise KeyError("a bug in the crowd's parser")
        if self.hang:
            await asyncio.Event().wait()
        return {
            i: Signal(i, dict(self.counts[i]), READ, quotes=tuple(self.quotes.get(i, ())))
            for i in ids
            if i in self.counts
        }
