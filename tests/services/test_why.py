"""`WhyService`: `/digest why` over a seeded store and ledger, one case for every reason.

The store holds the bundled sample day (2021-03-12) and a small day before it; each channel's
subscription and ledger rows are seeded so that one paper meets exactly the reason named,
and each reply line is pinned word for word.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

import pytest

from bot import why
from bot.cli.preview import sample_digest
from bot.errors import UserInputError
from bot.models import Digest, Paper, PostRecord
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.services.why import WhyService
from bot.store import open_store
from bot.store.base import Store

from .conftest import GUILD, NOW, make_config, subscription, where

D12 = date(2021, 3, 12)
D11 = date(2021, 3, 11)
OLD = "2103.05001"  # listed on 2021-03-11 only
QUIET = "2103.05002"  # listed on 2021-03-11, no discussion yet (score None)
LINK = f"https://discord.com/channels/{GUILD}"
DAY_BEFORE = Digest(
    day=D11,
    source="hotpapers-md",
    papers=[
        Paper(arxiv_id=OLD, title="An Older Paper", categories=["cs.CV"], score=50.0),
        Paper(arxiv_id=QUIET, title="A *Quiet* Paper", categories=["cs.CV"], score=None),
    ],
)
CV3 = ["2103.06422", "2103.06871", "2103.06877"]  # the top 3 of cs.CV on 2021-03-12
ALL = [p.arxiv_id for p in sample_digest().papers]


async def record(
    store: Store,
    channel: int,
    day: date,
    status: str,
    ids: list[str],
    *,
    messages: list[int] | None = None,
    error: str | None = None,
) -> None:
    """A ledger row as the publisher leaves it."""
    sub = await store.find_subscription(channel, "daily")
    assert sub is not None and sub.id is not None
    claimed = "pending" if status in ("sent", "empty") else status
    row = PostRecord(
        subscription_id=sub.id,
        guild_id=GUILD,
        channel_id=channel,
        day=day,
        source="hotpapers-md",
        nonce=f"n{channel}{day}",
        status=claimed,
        arxiv_ids=ids,
        error=error,
    )
    await store.claim_post(row)
    if status != claimed:
        await store.finish_post(sub.id, day, status=status, message_ids=messages, error=error)


async def seed(store: Store) -> None:
    """Every channel's subscription and ledger (see each case for what it shows)."""
    await store.save_digest(sample_digest(), final=True)
    await store.save_digest(DAY_BEFORE, final=True)
    subs: dict[int, dict[str, Any]] = {
        101: {"categories": ["cs.CV"], "limit": 3},
        102: {"categories": ["cs", "-cs.RO"]},
        103: {"min_score": 200.0},
        104: {"keywords": ["diffusion", "transformer"]},
        105: {"post_time": "18:00"},
        106: {"enabled": False},
        107: {},
        108: {},
        109: {"post_time": "06:00", "created_at": datetime(2021, 3, 13, 8, 0, tzinfo=UTC)},
        110: {},
        111: {},
        112: {},
        113: {},
        114: {},
        115: {"source": "hot"},
        116: {},
        117: {"cadence": "weekdays"},
        118: {"cadence": "weekly", "weekday": 5},  # Saturdays: the week 03-06 … 03-12
        119: {"cadence": "weekly", "weekday": 5},
    }
    for channel, changes in subs.items():
        await store.upsert_subscription(subscription(channel, **changes))
    await record(store, 101, D12, "sent", CV3, messages=[5001])
    await record(store, 101, D11, "sent", [OLD, QUIET], messages=[4001])
    await record(store, 102, D12, "sent", ALL[:10], messages=[5002])
    await record(store, 110, D12, "pending", ALL[:10])
    await record(store, 111, D12, "failed", [], error="Discord refused me access (403)")
    await record(store, 112, D12, "missed", [], error="the bot was down until 2021-03-14")
    await record(store, 113, D12, "sent", ALL[:3], messages=[7001])
    await record(store, 114, D12, "empty", [], error="the source had no papers that day")
    await record(store, 116, date(2021, 3, 10), "empty", [], error="the source had no papers")
    await record(store, 119, D12, "sent", [OLD, *ALL[:9]], messages=[9001])


@pytest.fixture
async def seeded() -> AsyncIterator[Store]:
    async with open_store(":memory:") as s:
        await seed(s)
        yield s


@pytest.fixture
def service(seeded: Store) -> WhyService:
    clock = ManualClock(NOW)  # 2021-03-13 09:00 UTC: the slot of 2021-03-12 at 09:00 is due
    digests = DigestService(seeded, make_config(), None, clock=clock)
    return WhyService(seeded, digests, clock=clock, grace=timedelta(hours=12))


@dataclass(frozen=True)
class Case:
    channel: int
    paper: str
    day: str | None
    kind: type
    line: str


CASES = [
    Case(
        101, "2103.06422", None, why.Posted, f"posted in the digest of 2021-03-12: {LINK}/101/5001"
    ),
    Case(101, OLD, None, why.Posted, f"posted in the digest of 2021-03-11: {LINK}/101/4001"),
    Case(
        101,
        OLD,
        "2021-03-12",
        why.PostedElsewhere,
        "not in the digest of 2021-03-12 (the source did not list it that day); it was posted "
        f"in the digest of 2021-03-11: {LINK}/101/4001",
    ),
    Case(
        101,
        "2103.06874",
        "2021-03-11",
        why.NotListed,
        "not posted: The Hot Papers posts did not list it on 2021-03-11. It is listed on "
        "2021-03-12.",
    ),
    Case(
        101,
        "2103.99999",
        None,
        why.NotListed,
        "not posted: it is in none of the stored digests of The Hot Papers posts.",
    ),
    Case(
        115,
        "2103.06874",
        "2021-03-13",
        why.NotListed,
        "not posted: there is no digest of 2021-03-13 (no arXiv announcement on Saturdays).",
    ),
    Case(
        115,
        "2103.06874",
        "2021-03-12",
        why.NotListed,
        "not posted: I have no digest of 2021-03-12 from Hot (arXiv + crowds).",
    ),
    Case(
        116,
        "2103.06874",
        "2021-03-10",
        why.NotListed,
        "not posted: there is no digest of 2021-03-10 (the source had no papers). It is listed "
        "on 2021-03-12.",
    ),
    Case(
        117,
        "2103.06326",
        None,
        why.OffDay,
        "not posted: this digest posts Monday to Friday, and none of its posts covers 2021-03-12.",
    ),
    Case(
        119,
        OLD,
        "2021-03-11",
        why.Posted,
        f"posted in the digest of the week 2021-03-06 – 2021-03-12: {LINK}/119/9001",
    ),
    Case(
        118,
        OLD,
        None,
        why.BelowCut,  # the week's papers merged and ranked: 18 distinct, it ranks 17th
        "not posted in the digest of the week 2021-03-06 – 2021-03-12: it ranked 17 of the 18 "
        "papers that passed the filters, below the cut at 10.",
    ),
    Case(
        101,
        "2103.06874",
        None,
        why.OutsideCategories,
        "not posted in the digest of 2021-03-12: its categories (cs.CL, cs.LG) are outside the "
        "digest's (cs.CV).",
    ),
    Case(
        102,
        "2103.06417",
        None,
        why.Excluded,
        "not posted in the digest of 2021-03-12: it is listed in cs.RO, which the digest "
        "excludes (-cs.RO).",
    ),
    Case(
        103,
        "2103.06332",
        None,
        why.BelowScore,
        "not posted in the digest of 2021-03-12: its score 198 is below the digest's min_score "
        "200.",
    ),
    Case(
        103,
        QUIET,
        None,
        why.BelowScore,
        "not posted in the digest of 2021-03-11: it has no discussion yet, which counts as a "
        "score of 0, below the digest's min_score 200.",
    ),
    Case(
        104,
        "2103.06326",
        None,
        why.KeywordMiss,
        "not posted in the digest of 2021-03-12: its title and abstract have none of the "
        "digest's keywords (“diffusion”, “transformer”).",
    ),
    Case(
        101,
        "2103.06561",
        None,
        why.BelowCut,
        "not posted in the digest of 2021-03-12: it ranked 4 of the 5 papers that passed the "
        "filters, below the cut at 3.",
    ),
    Case(
        109,
        "2103.06326",
        None,
        why.BeforeSubscription,
        "not posted: the digest of 2021-03-12 was due before this digest was set up.",
    ),
    Case(
        106,
        "2103.06326",
        None,
        why.Paused,
        "not posted: the subscription is disabled; /digest subscribe there enables it again.",
    ),
    Case(
        105,
        "2103.06326",
        None,
        why.NotYet,
        "not posted yet: the digest of 2021-03-12 is due <t:1615658400:f> (<t:1615658400:R>).",
    ),
    Case(
        107,
        "2103.06326",
        None,
        why.Due,
        "not posted yet: the digest of 2021-03-12 is due now and is posted shortly.",
    ),
    Case(
        108,
        OLD,
        None,
        why.NoRecord,
        "not posted: the digest of 2021-03-11 was not posted within its catch-up window; "
        "/digest post-now date:2021-03-11 posts it late.",
    ),
    Case(
        110,
        "2103.06326",
        None,
        why.InProgress,
        "the digest of 2021-03-12 is being posted right now.",
    ),
    Case(
        111,
        "2103.06326",
        None,
        why.Failed,
        "not posted: posting the digest of 2021-03-12 failed (Discord refused me access (403)).",
    ),
    Case(
        112,
        "2103.06326",
        None,
        why.Missed,
        "not posted: the digest of 2021-03-12 was missed (the bot was down until 2021-03-14); "
        "/digest post-now date:2021-03-12 posts it late.",
    ),
    Case(
        113,
        "2103.06326",
        None,
        why.Changed,
        "not posted in the digest of 2021-03-12: it was not among the day's papers when the "
        "digest was posted (the day's digest changed since).",
    ),
    Case(
        114,
        "2103.06326",
        None,
        why.Changed,
        "not posted: the digest of 2021-03-12 had no papers when it was handled (the day's "
        "digest changed since).",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.kind.__name__}-{c.channel}-{c.paper}")
async def test_each_reason_is_said_exactly(service: WhyService, case: Case) -> None:
    verdict = await service.verdict(case.paper, await _sub(service, case.channel), _day(case.day))
    assert type(verdict) is case.kind
    reply = await service.why(where(here_id=case.channel), case.paper, case.day)
    assert reply.splitlines()[1] == f"<#{case.channel}> **daily**: {case.line}"


def test_the_cases_cover_every_verdict() -> None:
    assert {c.kind for c in CASES} == set(get_args(why.Verdict))


async def test_the_reply_names_the_paper_with_its_title_escaped(service: WhyService) -> None:
    reply = await service.why(where(here_id=103), f"https://arxiv.org/abs/{QUIET}v2")
    assert reply == (
        f"**arXiv:{QUIET}** · A \\*Quiet\\* Paper\n"
        "<#103> **daily**: not posted in the digest of 2021-03-11: it has no discussion yet, "
        "which counts as a score of 0, below the digest's min_score 200."
    )


async def test_an_unknown_paper_has_no_title_line(service: WhyService) -> None:
    reply = await service.why(where(here_id=101), "2103.99999")
    assert reply == (
        "**arXiv:2103.99999**\n"
        "<#101> **daily**: not posted: it is in none of the stored digests of The Hot Papers posts."
    )


async def test_bad_arguments_and_channels_are_refused(service: WhyService) -> None:
    with pytest.raises(UserInputError, match="Not an arXiv id"):
        await service.why(where(here_id=101), "hello")
    with pytest.raises(UserInputError, match="is not a date"):
        await service.why(where(here_id=101), "2103.06422", "yesterday")
    with pytest.raises(UserInputError, match="has no digest subscription"):
        await service.why(where(here_id=999), "2103.06422")


async def test_why_writes_nothing(service: WhyService, seeded: Store) -> None:
    before = await seeded.counts()
    posts = await seeded.list_posts()
    for case in CASES:
        await service.why(where(here_id=case.channel), case.paper, case.day)
    assert await seeded.counts() == before
    assert await seeded.list_posts() == posts


async def _sub(service: WhyService, channel: int) -> Any:
    sub = await service.store.find_subscription(channel, "daily")
    assert sub is not None
    return sub


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


async def test_a_channel_with_several_digests_gets_one_line_each_or_the_one_named(
    service: WhyService, seeded: Store
) -> None:
    await seeded.upsert_subscription(subscription(130, categories=["cs.CV"], limit=3))
    await seeded.upsert_subscription(
        subscription(
            130, id=131, name="cl-weekly", cadence="weekly", weekday=5, categories=["cs.CL"]
        )
    )
    reply = await service.why(where(here_id=130), "2103.06874")
    assert reply.splitlines()[1:] == [
        "<#130> **cl-weekly**: not posted yet: the digest of the week 2021-03-06 – 2021-03-12 is "
        "due now and is posted shortly.",
        "<#130> **daily**: not posted in the digest of 2021-03-12: its categories (cs.CL, cs.LG) "
        "are outside the digest's (cs.CV).",
    ]
    named = await service.why(where(here_id=130), "2103.06874", name="daily")
    assert named.splitlines()[1:] == reply.splitlines()[2:]
    with pytest.raises(UserInputError) as caught:
        await service.why(where(here_id=130), "2103.06874", name="nope")
    assert str(caught.value) == (
        "<#130> has no digest named nope. /digest subscribe sets one up; "
        "/digest list shows this server's."
    )
