"""The row mapping (`bot.store.rows`): the one encoding of models into columns and back."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.models import Digest, Paper, PostRecord, Subscription
from bot.store import rows
from bot.store.values import Lease, Start

PARIS_WINTER = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03-12T09:00:00+00:00", datetime(2021, 3, 12, 9, 0, tzinfo=UTC)),
        ("2021-03-12T10:00:00+01:00", datetime(2021, 3, 12, 9, 0, tzinfo=UTC)),
        ("2021-03-12 09:00:00", datetime(2021, 3, 12, 9, 0, tzinfo=UTC)),  # naive: UTC
        ("2021-03-12", datetime(2021, 3, 12, tzinfo=UTC)),
        (None, None),
        ("", None),
        ("garbage", None),
        ("2021-13-45T99:00", None),
    ],
)
def test_stored_times_are_read_tolerantly(text: str | None, expected: datetime | None) -> None:
    assert rows.read_time(text) == expected
    assert rows.read_required_time(text) == (expected or datetime(1970, 1, 1, tzinfo=UTC))


def test_an_unreadable_time_is_logged_shortened(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.store.rows")
    assert rows.read_time("x" * 100) is None
    (record,) = caplog.records
    assert record.getMessage() == f"ignoring an unreadable stored time {'x' * 40!r}"


def test_times_are_stored_as_utc_iso_text() -> None:
    assert rows.to_text(None) is None
    assert rows.to_text(datetime(2021, 3, 12, 10, 0, tzinfo=PARIS_WINTER)) == (
        "2021-03-12T09:00:00+00:00"
    )
    assert rows.to_text(datetime(2021, 3, 12, 9, 0)) == "2021-03-12T09:00:00+00:00"


def test_a_subscription_round_trips() -> None:
    sub = Subscription(
        guild_id=1,
        channel_id=2,
        id=3,
        name="cv",
        cadence="weekly",
        weekday=6,
        paused=True,
        resumed_at=datetime(2021, 3, 2, tzinfo=UTC),
        role_id=4,
        ping="always",
        ping_min_score=1.5,
        self_roles=True,
        late_risers=3,
        user_id=5,
        server_votes=True,
        categories=["cs.CV"],
        keywords=["ünïcode"],
        post_empty=False,
        created_at=datetime(2021, 3, 1, tzinfo=UTC),
    )
    row = rows.subscription_row(sub)
    assert row["keywords"] == '["ünïcode"]' and row["post_empty"] == 0 and row["max_papers"] == 10
    assert rows.subscription_from({**row, "failing_at": None}) == sub


def test_a_claim_and_its_row_round_trip() -> None:
    rec = PostRecord(
        subscription_id=3,
        guild_id=1,
        channel_id=2,
        day=date(2021, 3, 12),
        source="s",
        nonce="n",
        arxiv_ids=["2103.06874"],
        late=True,
        created_at=datetime(2021, 3, 12, tzinfo=UTC),
    )
    row = rows.claim_row(rec)
    stored = {
        **row,
        "message_ids": "[]",
        "thread_id": None,
        "attempts": 0,
        "posted_at": None,
        "generation": 0,
    }
    assert rows.post_from(stored) == rec
    assert rows.ids_text(None) is None and rows.ids_text([1, 2]) == "[1, 2]"


def test_a_paper_reads_back_from_its_row_and_entry() -> None:
    paper = Paper(arxiv_id="2103.06874v3", title="T", authors=["Ada"], score=2.5)
    row = {**rows.paper_row(paper), "score": 2.5}
    assert rows.paper_from(row, ["Ada"], [], {}, []) == paper
    # A NULL score is an entry no crowd discussed: no score, never an invented 0.
    assert rows.paper_from({**row, "score": None, "version": None}, ["Ada"], [], {}, []) == (
        paper.model_copy(update={"score": None, "version": None})
    )


def test_a_blended_entry_keeps_its_read_times_and_old_snippets_get_defaults() -> None:
    read = datetime(2026, 12, 1, 20, 5, tzinfo=UTC)
    paper = Paper(arxiv_id="2103.06874", title="T", score=None, read_at={"hn": read})
    (entry,) = rows.entry_rows(Digest(day=date(2026, 12, 1), source="hot", papers=[paper]))
    assert entry["score"] is None and entry["read_at"] == '{"hn":"2026-12-01T20:05:00+00:00"}'
    old = {"author": "A", "handle": "a", "url": "https://x.test/1", "text": "hi"}
    got = rows.paper_from(
        {**rows.paper_row(paper), "score": None}, [], [], {}, [old], json.loads(entry["read_at"])
    )
    assert got.read_at == {"hn": read}
    assert (got.tweets[0].source, got.tweets[0].likes, got.tweets[0].kind) == ("", 0, "reaction")


def test_leases_and_starts_round_trip() -> None:
    t = datetime(2026, 12, 1, tzinfo=UTC)
    lease = Lease("poster", "h:1:a", t, t + timedelta(minutes=1))
    assert rows.lease_from(rows.lease_row(lease)) == lease
    start = Start(t, timedelta(seconds=4.5))
    assert rows.start_from(rows.start_row(start)) == start
    assert rows.start_from({"at": "nope", "waited_seconds": 0}) is None


def test_an_entrys_snippets_are_stored_as_their_model_dump() -> None:
    """`entry_rows` spells a snippet from its fields directly: the same as `model_dump`."""
    from bot.models import Tweet

    tweets = [
        Tweet(author=" Ada ", handle="ada", url="https://x.test/1", text="ünï", likes=3),
        Tweet(author="B", handle="b", url="https://x.test/2", text="hi", kind="bot", source="hn"),
    ]
    paper = Paper(arxiv_id="2103.06874", title="T", tweets=tweets)
    (entry,) = rows.entry_rows(Digest(day=date(2026, 12, 1), source="hot", papers=[paper]))
    assert json.loads(entry["tweets"]) == [t.model_dump() for t in tweets]
    assert entry["tweets"].startswith('[{"author":"Ada","handle":"ada"')
