"""A day source that raises NoAnnouncement: the digest service, `/hot`, post-now's wording, the
ledger's reason and the empty notice all say "no arXiv announcement", never "the source had
none"; nothing is stored and the source's health is untouched."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from bot import arxiv_calendar as cal
from bot.config import parse_config
from bot.delivery import compose, empty_reason
from bot.errors import NoAnnouncement
from bot.filters import PaperFilter
from bot.models import Digest, Paper, Subscription
from bot.render import empty_notice
from bot.services.digests import DigestService
from bot.services.papers import HotRequest, PapersService
from bot.sources import registry
from bot.sources.base import SourceFactory
from bot.sources.registry import SOURCES, Registry
from bot.sources.spec import Context, SourceSettings, SourceSpec

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # the Monday after Thanksgiving
THANKSGIVING_FRIDAY = date(2026, 11, 27)
SATURDAY = date(2026, 11, 28)
WEDNESDAY = date(2026, 11, 25)


class Calendared:
    """A day source over arXiv's calendar: one paper on a listing day, else NoAnnouncement."""

    name = "cal"

    def __init__(self) -> None:
        self.fetched: list[date] = []

    async def fetch_day(self, day: date) -> Digest:
        reason = cal.no_announcement(day)
        if reason is not None:
            raise NoAnnouncement(reason)
        self.fetched.append(day)
        paper = Paper(arxiv_id="2611.00001", title="A paper", categories=["math.AG"], score=1)
        return Digest(day=day, source=self.name, papers=[paper])


class NoSettings(SourceSettings):
    """No section."""


@pytest.fixture
def source(monkeypatch: pytest.MonkeyPatch) -> Calendared:
    made = Calendared()

    def build(_: Context, __: NoSettings) -> Calendared:
        return made

    spec = SourceSpec(name="cal", title="arXiv", settings=NoSettings, fetcher=build)
    monkeypatch.setattr(registry, "REGISTRY", Registry([*SOURCES, spec]))
    return made


@pytest.fixture
async def digests(source: Calendared, store: Any) -> Any:
    config = parse_config({"sources": {"default": "cal"}}, env={})
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(404))) as c:
        yield DigestService(store, config, SourceFactory(config.sources, c), clock=lambda: NOW)


async def test_a_day_without_announcement_is_an_empty_day_that_says_why(
    digests: DigestService, store: Any, source: Calendared
) -> None:
    for get in (digests.get, digests.get_for_member):
        day = await get("default", THANKSGIVING_FRIDAY)
        assert day is not None
        assert day.papers == []
        assert day.no_announcement == "no arXiv announcement (arXiv holiday: Thanksgiving)"
    assert await store.get_digest("cal", THANKSGIVING_FRIDAY) is None  # never stored
    assert list(await store.source_health()) == []  # not a failure of the source
    # An announcement day is fetched and stored as ever.
    wednesday = await digests.get("default", WEDNESDAY)
    assert wednesday is not None and wednesday.no_announcement is None
    assert len(wednesday.papers) == 1 and source.fetched == [WEDNESDAY]
    assert "no_announcement" not in wednesday.model_dump()  # stored bodies and hashes unchanged


async def test_hot_for_such_a_day_says_so(digests: DigestService, store: Any) -> None:
    papers = PapersService(store, digests, clock=lambda: NOW)
    [reply] = await papers.hot(HotRequest(filter=PaperFilter(), window="day", day=SATURDAY))
    assert reply["content"] == (
        "There are no papers for 2026-11-28: no arXiv announcement on Saturdays. arXiv "
        "announces new papers Sunday to Thursday at 20:00 US Eastern (except on holidays); "
        "try the day before."
    )
    # A week ending on it still shows the week's other days.
    await digests.get("default", WEDNESDAY)
    week = await digests.hot("default", SATURDAY, "week", PaperFilter())
    assert week.no_announcement is None
    assert [p.arxiv_id for p in week.view.papers] == ["2611.00001"]


def test_the_ledger_reason_and_the_notice() -> None:
    closed = Digest(
        day=SATURDAY, source="cal", no_announcement="no arXiv announcement on Saturdays"
    )
    sub = Subscription(guild_id=1, channel_id=2, categories=["math.AG"])
    view = compose(sub, closed)
    assert view.no_announcement == closed.no_announcement
    assert empty_reason(sub, closed) == "no arXiv announcement on Saturdays"
    quiet = sub.model_copy(update={"post_empty": False})
    assert empty_reason(quiet, closed) == (
        "no arXiv announcement on Saturdays (nothing posted: post_empty is off)"
    )
    assert empty_notice(view)["content"] == (
        "**Hot Papers 2026-11-28 · math.AG** · no papers for 2026-11-28: no arXiv announcement "
        "on Saturdays. Nothing is wrong: arXiv announces new papers Sunday to Thursday at 20:00 "
        "US Eastern, except on holidays."
    )
    plain = Digest(day=SATURDAY, source="cal")
    assert "the source had none" in empty_notice(plain)["content"]


async def test_the_latest_day_is_the_last_one_arxiv_announced(digests: DigestService) -> None:
    # At NOW the latest complete day is Sunday 2026-11-29: no announcement, nor on Saturday,
    # nor on Friday (Thanksgiving); /hot, preview and post-now without a date show Thursday's.
    hot = await digests.hot("default", None, "day", PaperFilter())
    assert hot.end == date(2026, 11, 26)
    assert hot.no_announcement is None
    assert [p.arxiv_id for p in hot.view.papers] == ["2611.00001"]
    end, digest = await digests.latest("default")
    assert end == date(2026, 11, 26) and digest is not None and len(digest.papers) == 1
