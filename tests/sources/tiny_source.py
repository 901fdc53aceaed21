"""A tiny test-only source module: all a new source declares, and nothing else.

`GET {base_url}/{day}.json` answers `[{"id": "2503.00001", "title": "…", "stars": 12,
"forks": 3}, …]`. It is registered by tests only (`tests/sources/test_registry.py`): in the
bot, this module plus one line in `bot.sources.registry.SOURCES` would be the whole change.
"""

from __future__ import annotations

import json
from datetime import date

from pydantic import field_validator

from bot.checks import http_url
from bot.models import Digest, Paper
from bot.sources.boundary import boundary
from bot.sources.http import Http
from bot.sources.metrics import Metric, MetricSet, rank, tiebreak_keys
from bot.sources.spec import Context, SourceSettings, SourceSpec

NAME = "tiny"
TITLE = "Tiny Lab"
METRICS = MetricSet(
    (
        Metric("stars", "Tiny Lab stars", "⭐ {n}", enters="score"),
        Metric("forks", "forks", "{n} forks", enters="tiebreak"),
    )
)


class TinySettings(SourceSettings):
    """`[sources.tiny]`: where the Tiny Lab lives."""

    base_url: str = "https://tiny.example"

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return http_url(value)


class TinySource:
    """One day of the Tiny Lab's list, ranked by stars."""

    name = NAME

    def __init__(self, http: Http, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")

    async def fetch_day(self, day: date) -> Digest:
        """The day's papers, ranked by the declared metrics."""
        with boundary(NAME, f"sent a day ({day}) that could not be read", title=TITLE):
            fetched = await self.http.get(f"{self.base_url}/{day.isoformat()}.json")
            papers = []
            for item in json.loads(fetched.content):
                counts = {"stars": item["stars"], "forks": item["forks"]}
                papers.append(
                    Paper(
                        arxiv_id=item["id"],
                        title=item["title"],
                        metrics=counts,
                        score=METRICS.score(counts),
                    )
                )
            return Digest(day=day, source=NAME, papers=rank(papers, tiebreak_keys([METRICS])))


def _build(context: Context, settings: TinySettings) -> TinySource:
    return TinySource(context.http(NAME), settings.base_url)


SOURCE = SourceSpec(name=NAME, title=TITLE, settings=TinySettings, fetcher=_build, metrics=METRICS)
