"""Contract: the post ledger (`bot.store.ledger.PostLedger`), for every backend.

These are the properties `bot.publish` builds exactly-once posting on: one winner per claim,
progress that survives a crash, outcomes no stale writer can overwrite.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from bot.models import PostRecord
from bot.store.base import Store
from tests.store.backends import Backend, post

DAY = date(2021, 3, 12)
T0 = datetime(2021, 3, 12, 9, 0, tzinfo=UTC)
T1 = datetime(2021, 3, 12, 9, 5, tzinfo=UTC)
STATUSES = ("pending", "sent", "failed", "empty", "missed")
# Stated here, not derived from bot.store.ledger, so a change of the rules fails this test.
ALLOWED = {(old, new) for old in ("pending", "failed") for new in STATUSES} | {
    ("sent", "sent"),
    ("empty", "empty"),
    ("missed", "missed"),
}


async def _row_in(store: Store, status: str, channel: int = 10) -> PostRecord:
    """A (channel, DAY) row in `status`, reached as the posting path reaches it."""
    claimed = "missed" if status == "missed" else "pending"
    error = "boom" if status in ("missed", "failed") else None
    await store.claim_post(
        post(channel, DAY, status=claimed, arxiv_ids=["2103.00001"], error=error)
    )
    if status not in ("pending", "missed"):
        assert await store.finish_post(
            channel, DAY, status=status, message_ids=[1], thread_id=2, error=error
        )
    got = await store.get_post(channel, DAY)
    assert got is not None and got.status == status
    return got


async def test_the_first_claim_wins_and_later_ones_get_its_row(store: Store) -> None:
    rec = post(10, DAY, nonce="first", arxiv_ids=["2103.06874"], created_at=T0)
    claim = await store.claim_post(rec)
    assert claim.won is True
    assert claim.record == rec  # as given: pending, empty, attempts 0
    again = await store.claim_post(rec.model_copy(update={"nonce": "second", "status": "missed"}))
    assert again.won is False and again.record == rec
    assert await store.get_post(10, DAY) == rec


async def test_a_claim_starts_empty_whatever_the_record_says(store: Store) -> None:
    busy = post(10, DAY, message_ids=[5], thread_id=6, attempts=4, posted_at=T1, generation=3)
    claim = await store.claim_post(busy)
    assert claim.won
    r = claim.record
    assert (r.message_ids, r.thread_id, r.attempts, r.posted_at, r.generation) == (
        [],
        None,
        0,
        None,
        0,
    )
    assert r.created_at is not None  # defaults to now


async def test_a_settled_day_is_claimed_with_its_outcome(store: Store) -> None:
    claim = await store.claim_post(
        post(10, DAY, status="missed", error="the bot was down", late=True)
    )
    assert claim.won
    assert (claim.record.status, claim.record.error, claim.record.late) == (
        "missed",
        "the bot was down",
        True,
    )


async def test_many_claims_at_once_are_each_a_claim(store: Store) -> None:
    taken = await store.claim_post(post(11, DAY, nonce="first"))
    records = [
        post(10, DAY, status="missed", error="the bot was down"),
        post(11, DAY, nonce="second", status="failed"),  # exists: lost, the stored row
        post(12, DAY, status="failed", error="403"),
        post(12, DAY, nonce="again", status="missed"),  # the same (channel, day) twice
    ]
    claims = await store.claim_posts(records)
    assert [c.won for c in claims] == [True, False, True, False]
    assert claims[1].record == taken.record
    assert claims[3].record == claims[2].record
    assert (claims[2].record.status, claims[2].record.error) == ("failed", "403")
    for claim in claims:
        assert await store.get_post(claim.record.channel_id, DAY) == claim.record
    assert await store.claim_posts([]) == []
    with pytest.raises(ValueError, match="unknown post status"):
        await store.claim_posts([post(13, DAY).model_copy(update={"status": "nonsense"})])


async def test_a_lost_claim_on_an_unreadable_row_fails_no_other_claim(
    backend: Backend, store: Store
) -> None:
    """Settlement claims a page of missed days at once: one row edited by hand among them
    must not cost the others their outcome (the batch raised on its read-back)."""
    assert (await store.claim_post(post(11, DAY))).won
    backend.update("posts", {"message_ids": "not json"}, where={"channel_id": 11})
    records = [post(10, DAY, status="missed"), post(11, DAY, status="missed")]
    records.append(post(12, DAY, status="failed", error="403"))
    claims = await store.claim_posts(records)
    assert [c.won for c in claims] == [True, False, True]
    assert claims[1].record == records[1]  # the record given: its stored row cannot be read
    for claim in (claims[0], claims[2]):
        assert await store.get_post(claim.record.channel_id, DAY) == claim.record
    assert await store.get_post(13, DAY) is None


async def test_concurrent_claims_on_one_store_have_exactly_one_winner(store: Store) -> None:
    claims = await asyncio.gather(
        *(store.claim_post(post(10, DAY, nonce=f"n{i}")) for i in range(12))
    )
    winners = [c for c in claims if c.won]
    assert len(winners) == 1
    assert {c.record.nonce for c in claims} == {winners[0].record.nonce}


async def test_concurrent_claims_from_two_stores_have_exactly_one_winner(backend: Backend) -> None:
    a, b = await backend.open(), await backend.open()
    for channel in range(20):
        ca, cb = await asyncio.gather(
            a.claim_post(post(channel, DAY, nonce="A")), b.claim_post(post(channel, DAY, nonce="B"))
        )
        assert [ca.won, cb.won].count(True) == 1, channel
        assert ca.record == cb.record  # both see the winner's row
    assert (await a.counts())["posts"] == 20


async def test_progress_survives_a_crash_and_the_next_process_finishes(backend: Backend) -> None:
    crashed = await backend.open()  # a process that dies mid-post: never used again
    assert (await crashed.claim_post(post(10, DAY, arxiv_ids=["2103.00001"]))).won
    assert await crashed.finish_post(10, DAY, status="pending", message_ids=[111])
    restarted = await backend.open()
    seen = await restarted.get_post(10, DAY)
    assert seen is not None and (seen.status, seen.message_ids, seen.attempts) == (
        "pending",
        [111],
        0,
    )
    resumed = await restarted.claim_post(post(10, DAY, nonce="other"))
    assert not resumed.won and resumed.record == seen
    assert await restarted.finish_post(
        10, DAY, status="sent", message_ids=[111, 112], thread_id=113, posted_at=T1
    )
    # The dead process's last write, arriving late, cannot undo the outcome.
    assert await crashed.finish_post(10, DAY, status="failed", error="timeout") is False
    done = await restarted.get_post(10, DAY)
    assert done is not None
    assert (done.status, done.message_ids, done.thread_id, done.posted_at, done.error) == (
        "sent",
        [111, 112],
        113,
        T1,
        None,
    )


async def test_attempts_times_and_kept_fields(store: Store) -> None:
    await store.claim_post(post(10, DAY))
    assert await store.finish_post(10, DAY, status="pending", message_ids=[1])
    assert await store.finish_post(10, DAY, status="failed", error="503")
    r = await store.get_post(10, DAY)
    assert r is not None and (r.attempts, r.message_ids, r.error, r.posted_at) == (
        1,
        [1],
        "503",
        None,
    )
    assert await store.finish_post(10, DAY, status="pending", thread_id=7)  # a retry resumes
    r = await store.get_post(10, DAY)
    assert r is not None and (r.attempts, r.message_ids, r.thread_id, r.error) == (1, [1], 7, None)
    assert await store.finish_post(10, DAY, status="sent", message_ids=[1, 2], posted_at=T1)
    r = await store.get_post(10, DAY)
    assert r is not None and (r.attempts, r.message_ids, r.thread_id, r.posted_at) == (
        2,
        [1, 2],
        7,
        T1,
    )
    before = datetime.now(UTC)
    await store.claim_post(post(11, DAY))
    assert await store.finish_post(11, DAY, status="empty", error="nothing matched")
    e = await store.get_post(11, DAY)
    assert e is not None and e.posted_at is not None and before <= e.posted_at <= datetime.now(UTC)
    assert (e.status, e.error, e.attempts) == ("empty", "nothing matched", 1)


async def test_the_late_flag_is_set_or_left(store: Store) -> None:
    await store.claim_post(post(10, DAY))
    assert await store.finish_post(10, DAY, status="pending", late=True)
    assert await store.finish_post(10, DAY, status="pending")  # late=None leaves it
    r = await store.get_post(10, DAY)
    assert r is not None and r.late is True
    assert await store.finish_post(10, DAY, status="pending", late=False)
    r = await store.get_post(10, DAY)
    assert r is not None and r.late is False


@pytest.mark.parametrize("old", STATUSES)
async def test_status_transitions_allowed_and_refused(store: Store, old: str) -> None:
    for n, new in enumerate(STATUSES):
        channel = 100 + n
        before = await _row_in(store, old, channel)
        changed = await store.finish_post(channel, DAY, status=new, error="x")
        after = await store.get_post(channel, DAY)
        assert after is not None
        if (old, new) in ALLOWED:
            assert changed is True, (old, new)
            assert (after.status, after.error) == (new, "x")
        else:
            assert changed is False, (old, new)
            assert after == before, (old, new)  # refused: nothing changed


async def test_an_unknown_status_is_a_bug_and_changes_nothing(store: Store) -> None:
    before = await _row_in(store, "pending")
    with pytest.raises(ValueError, match="unknown post status 'posted'"):
        await store.finish_post(10, DAY, status="posted")
    assert await store.get_post(10, DAY) == before


async def test_finishing_a_post_never_claimed_creates_nothing(store: Store) -> None:
    assert await store.finish_post(10, DAY, status="sent", message_ids=[1]) is False
    assert await store.get_post(10, DAY) is None
    assert (await store.counts())["posts"] == 0


@pytest.mark.parametrize("old", ["pending", "failed", "missed"])
async def test_reopen_starts_afresh_with_a_new_generation(store: Store, old: str) -> None:
    before = await _row_in(store, old)
    assert await store.reopen_post(10, DAY, generation=2, late=True, created_at=T1)
    r = await store.get_post(10, DAY)
    assert r is not None
    assert (r.status, r.message_ids, r.thread_id, r.error, r.posted_at) == (
        "pending",
        [],
        None,
        None,
        None,
    )
    assert (r.generation, r.late, r.created_at) == (2, True, T1)
    assert (r.nonce, r.arxiv_ids, r.attempts) == (before.nonce, before.arxiv_ids, before.attempts)
    again = await store.claim_post(post(10, DAY, nonce="late"))
    assert not again.won and again.record == r


async def test_reopen_clears_a_send_time_left_on_an_open_row(backend: Backend) -> None:
    # Only raw data (an older schema's, a hand edit) can leave `posted_at` on an open row;
    # a fresh attempt must not carry it, or history shows it as delivered at that time.
    store = await backend.open()
    await _row_in(store, "failed")
    backend.update("posts", {"posted_at": T0.isoformat()})
    assert await store.reopen_post(10, DAY, generation=1, late=False, created_at=T1)
    r = await store.get_post(10, DAY)
    assert r is not None and (r.status, r.posted_at) == ("pending", None)


@pytest.mark.parametrize("old", ["sent", "empty"])
async def test_a_delivered_post_is_not_reopened(store: Store, old: str) -> None:
    before = await _row_in(store, old)
    assert await store.reopen_post(10, DAY, generation=1, late=True, created_at=T1) is False
    assert await store.get_post(10, DAY) == before
    assert await store.reopen_post(99, DAY, generation=1, late=True, created_at=T1) is False
    assert await store.get_post(99, DAY) is None


async def test_list_posts_filters_and_order(store: Store) -> None:
    rows = [
        (30, 1, date(2021, 3, 1), ["2103.00001"]),
        (10, 1, date(2021, 3, 2), ["2103.00002", "2103.00001"]),
        (20, 2, date(2021, 3, 2), ["2103.00003"]),
        (10, 1, date(2021, 3, 3), []),
    ]
    for channel, guild, day, ids in rows:
        await store.claim_post(post(channel, day, guild_id=guild, arxiv_ids=ids))

    async def keys(**filters: object) -> list[tuple[int, int]]:
        found = await store.list_posts(**filters)  # type: ignore[arg-type]
        return [(p.day.day, p.channel_id) for p in found]

    assert await keys() == [(3, 10), (2, 10), (2, 20), (1, 30)]
    assert await keys(channel_id=10) == [(3, 10), (2, 10)]
    assert await keys(guild_id=1) == [(3, 10), (2, 10), (1, 30)]
    assert await keys(since=date(2021, 3, 2)) == [(3, 10), (2, 10), (2, 20)]
    assert await keys(arxiv_id="2103.00001") == [(2, 10), (1, 30)]
    assert await keys(arxiv_id="2103.00001", guild_id=1, since=date(2021, 3, 2)) == [(2, 10)]
    assert await keys(arxiv_id="2103.09999") == []


async def test_a_nonce_longer_than_discord_allows_is_refused(store: Store) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - each backend raises its own kind
        await store.claim_post(post(10, DAY, nonce="x" * 26))
    assert (await store.counts())["posts"] == 0


async def test_unreadable_times_read_as_none(backend: Backend) -> None:
    store = await backend.open()
    await store.claim_post(post(10, DAY, created_at=T0))
    await store.finish_post(10, DAY, status="sent", posted_at=T1)
    backend.update("posts", {"created_at": "garbage", "posted_at": ""})
    r = await store.get_post(10, DAY)
    assert r is not None and (r.status, r.created_at, r.posted_at) == ("sent", None, None)
    assert [p.channel_id for p in await store.list_posts()] == [10]
