"""`bot.why`: the first reason, in the order the bot applies them; the ledger over the digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot import why
from bot.delivery.compose import compose
from bot.models import Digest, Paper, PostRecord, Subscription

DAY = date(2021, 3, 12)
NOW = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)
GRACE = timedelta(hours=12)


def paper(n: int, cats: list[str], score: float | None, title: str = "A paper") -> Paper:
    return Paper(arxiv_id=f"2103.{n:05d}", title=title, categories=cats, score=score)


# One day: a tells the rules apart (rank order = this order).
PAPERS = [
    paper(1, ["cs.CV"], 900.0, "Diffusion for vision"),
    paper(2, ["cs.RO", "cs.CV"], 800.0, "Diffusion robots"),  # excluded by -cs.RO
    paper(3, ["cs.CL"], 5.0, "Text"),  # outside cs.CV, below 100, no keyword: outside first
    paper(4, ["cs.CV"], 50.0, "Pixels"),  # below 100 and no keyword: below score first
    paper(5, ["cs.CV"], 700.0, "Pixels again"),  # a keyword miss, and after the cut
    paper(6, ["cs.CV"], 600.0, "Diffusion once more"),
    paper(7, ["cs.CV"], 500.0, "Diffusion the last"),  # passes, rank 3 of 3, limit 2
]
DIGEST = Digest(day=DAY, source="test", papers=PAPERS)


def sub(**changes: Any) -> Subscription:
    base: dict[str, Any] = {
        "guild_id": 1,
        "channel_id": 2,
        "id": 3,
        "categories": ["cs.CV", "-cs.RO"],
        "min_score": 100.0,
        "keywords": ["diffusion"],
        "limit": 2,
        "created_at": datetime(2021, 3, 1, tzinfo=UTC),
    }
    return Subscription(**{**base, **changes})


def facts(s: Subscription, record: PostRecord | None = None, **more: Any) -> why.DayFacts:
    slot = why.period_of(s, DAY, lag_days=1)
    return why.DayFacts(DAY, "test", more.pop("digests", [DIGEST]), record, slot, **more)


def verdict(n: int, s: Subscription, record: PostRecord | None = None, **more: Any) -> why.Verdict:
    return why.explain(f"2103.{n:05d}", s, facts(s, record, **more), now=NOW, grace=GRACE)


def row(status: str, ids: list[str], messages: list[int], day: date = DAY) -> PostRecord:
    return PostRecord(
        subscription_id=3,
        guild_id=1,
        channel_id=2,
        day=day,
        source="test",
        nonce="n",
        status=status,
        arxiv_ids=ids,
        message_ids=messages,
    )


def test_the_first_reason_in_the_bots_order() -> None:
    s = sub()
    assert verdict(3, s) == why.OutsideCategories(DAY, ("cs.CL",), ("cs.CV",))
    assert verdict(2, s) == why.Excluded(DAY, ("cs.RO", "cs.CV"), "cs.RO")
    assert verdict(4, s) == why.BelowScore(DAY, 50.0, 100.0)
    assert verdict(5, s) == why.KeywordMiss(DAY, ("diffusion",))
    assert verdict(7, s) == why.BelowCut(DAY, 3, 3, 2)


def test_the_verdicts_agree_with_what_compose_keeps() -> None:
    s = sub()
    kept = {p.arxiv_id for p in compose(s, DIGEST).papers}
    assert kept == {"2103.00001", "2103.00006"}
    for p in PAPERS:
        v = verdict(int(p.arxiv_id[-5:]), s)
        assert isinstance(v, why.Due) == (p.arxiv_id in kept), (p.arxiv_id, v)


def test_the_ledger_wins_over_todays_digest() -> None:
    s = sub(categories=["math.AG"])  # edited since: the paper would be left out now
    sent = row("sent", ["2103.00001"], [99])
    assert verdict(1, s, sent) == why.Posted(DAY, "https://discord.com/channels/1/2/99")
    assert verdict(6, sub(), sent) == why.Changed(DAY, "sent")  # passes now; not posted then


def test_a_personal_digest_links_into_the_dm() -> None:
    s = sub(guild_id=0)
    sent = row("sent", ["2103.00001"], [99])
    assert verdict(1, s, sent) == why.Posted(DAY, "https://discord.com/channels/@me/2/99")


def test_a_paper_without_discussion_counts_as_zero() -> None:
    quiet = Digest(day=DAY, source="test", papers=[paper(9, ["cs.CV"], None, "Diffusion")])
    assert verdict(9, sub(), digests=[quiet]) == why.BelowScore(DAY, None, 100.0)
    assert isinstance(verdict(9, sub(min_score=0.0), digests=[quiet]), why.Due)


def test_a_day_the_bot_never_had_says_what_the_ledger_says() -> None:
    failed = row("failed", [], []).model_copy(update={"error": "the source was unreachable"})
    assert verdict(1, sub(), failed, digests=[]) == why.Failed(DAY, "the source was unreachable")
    closed = facts(sub(), digests=[], no_announcement="no arXiv announcement on Saturdays")
    assert why.explain("2103.00001", sub(), closed, now=NOW, grace=GRACE) == why.NotListed(
        DAY, "test", stored=False, why_none="no arXiv announcement on Saturdays"
    )


def test_posted_on_another_day_links_that_post() -> None:
    other = row("sent", ["2103.00042"], [77], day=DAY - timedelta(days=1))
    assert verdict(42, sub(), posted=[other]) == why.PostedElsewhere(
        DAY, DAY - timedelta(days=1), "https://discord.com/channels/1/2/77"
    )


def test_a_day_no_post_covers_and_a_day_paused_then() -> None:
    weekdays = sub(cadence="weekdays")
    assert why.period_of(weekdays, DAY, lag_days=1) is None  # 03-12 is posted on Saturday
    assert verdict(1, weekdays) == why.OffDay(DAY, "Monday to Friday")
    weekly = why.period_of(sub(cadence="weekly", weekday=0), DAY, lag_days=1)
    assert weekly is not None and (weekly.start, weekly.day) == (
        date(2021, 3, 8),
        DAY + timedelta(days=2),
    )
    resumed = sub(resumed_at=NOW + timedelta(hours=1))  # paused over the day's slot
    assert verdict(1, resumed) == why.Paused(
        DAY, "the digest was paused then (resuming does not post the days it was paused)"
    )
    assert verdict(1, sub(paused=True)) == why.Paused(
        DAY, "the digest is paused; /digest resume starts it again"
    )
