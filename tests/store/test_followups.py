"""Contract: the follow-up ledger (`bot.store.followups.FollowUpLedger`), for every backend.

What a late riser's follow-up (`bot.services.late_risers`) builds "once, never twice, never
lost" on: one winner per (subscription, paper), progress that survives a crash, a sent
follow-up no stale writer can undo.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from bot.models import FollowUp
from bot.store.base import Store
from tests.store.backends import Backend

DAY = date(2021, 3, 12)
T0 = datetime(2021, 3, 12, 9, 0, tzinfo=UTC)
T1 = datetime(2021, 3, 14, 9, 5, tzinfo=UTC)
# Stated here, not derived from bot.store.followups, so a change of the rules fails this test.
ALLOWED = {(old, new) for old in ("pending", "failed") for new in ("pending", "sent", "failed")}
ALLOWED.add(("sent", "sent"))


def followup(sub: int = 7, arxiv_id: str = "2103.00001", **kw: object) -> FollowUp:
    values: dict[str, object] = {
        "subscription_id": sub,
        "arxiv_id": arxiv_id,
        "day": DAY,
        "channel_id": 100 + sub,
        "place_id": 900 + sub,
        "rank": 3,
        "content": f"📈 Climbing: {arxiv_id}",
        "nonce": "n" * 25,
        "created_at": T0,
    }
    values.update(kw)
    return FollowUp.model_validate(values)


async def test_the_first_claim_wins_and_later_ones_get_its_row(store: Store) -> None:
    rec = followup()
    claim = await store.claim_followup(rec)
    assert claim.won and claim.record == rec
    again = await store.claim_followup(rec.model_copy(update={"content": "other", "rank": 1}))
    assert not again.won and again.record == rec
    assert await store.get_followup(7, "2103.00001") == rec
    assert await store.get_followup(7, "2103.00002") is None
    assert await store.get_followup(8, "2103.00001") is None
    # another subscription's follow-up of the same paper is its own
    assert (await store.claim_followup(followup(sub=8))).won


async def test_a_claim_starts_empty_whatever_the_record_says(store: Store) -> None:
    claim = await store.claim_followup(
        followup(message_id=5, attempts=4, posted_at=T1, created_at=None)
    )
    r = claim.record
    assert (r.status, r.message_id, r.attempts, r.posted_at) == ("pending", None, 0, None)
    assert r.created_at is not None  # defaults to now


@pytest.mark.parametrize("old", ["pending", "sent", "failed"])
@pytest.mark.parametrize("new", ["pending", "sent", "failed"])
async def test_sent_is_terminal_and_open_rows_take_any_status(
    store: Store, old: str, new: str
) -> None:
    await store.claim_followup(followup())
    if old != "pending":
        assert await store.finish_followup(7, "2103.00001", status=old, message_id=41, error="x")
    before = await store.get_followup(7, "2103.00001")
    done = await store.finish_followup(7, "2103.00001", status=new, message_id=42, error="y")
    assert done is ((old, new) in ALLOWED)
    after = await store.get_followup(7, "2103.00001")
    assert after is not None and before is not None
    if done:
        assert (after.status, after.message_id, after.error) == (new, 42, "y")
    else:
        assert after == before


async def test_attempts_count_outcomes_and_sent_sets_posted_at(store: Store) -> None:
    await store.claim_followup(followup())
    assert await store.finish_followup(7, "2103.00001", status="failed", error="503")
    assert await store.finish_followup(7, "2103.00001", status="pending", message_id=None)
    got = await store.get_followup(7, "2103.00001")
    assert got is not None and (got.attempts, got.posted_at, got.error) == (1, None, None)
    assert await store.finish_followup(7, "2103.00001", status="sent", message_id=77, posted_at=T1)
    got = await store.get_followup(7, "2103.00001")
    assert got is not None
    assert (got.status, got.message_id, got.attempts, got.posted_at) == ("sent", 77, 2, T1)
    # None leaves the stored message id
    assert await store.finish_followup(7, "2103.00001", status="sent", posted_at=T1)
    got = await store.get_followup(7, "2103.00001")
    assert got is not None and got.message_id == 77


async def test_writes_to_a_missing_row_or_with_an_unknown_status_change_nothing(
    store: Store,
) -> None:
    assert not await store.finish_followup(7, "2103.00001", status="sent", message_id=1)
    with pytest.raises(ValueError, match="unknown follow-up status"):
        await store.claim_followup(followup().model_copy(update={"status": "empty"}))
    assert await store.get_followup(7, "2103.00001") is None
    await store.claim_followup(followup())
    with pytest.raises(ValueError, match="unknown follow-up status"):
        await store.finish_followup(7, "2103.00001", status="missed")


async def test_concurrent_claims_from_two_stores_have_exactly_one_winner(backend: Backend) -> None:
    a, b = await backend.open(), await backend.open()
    for n in range(12):
        pid = f"2103.{n:05d}"
        ca, cb = await asyncio.gather(
            a.claim_followup(followup(arxiv_id=pid, content="A")),
            b.claim_followup(followup(arxiv_id=pid, content="B")),
        )
        assert [ca.won, cb.won].count(True) == 1, pid
        assert ca.record == cb.record
    claims = await asyncio.gather(
        *(a.claim_followup(followup(arxiv_id="2199.00001", content=f"c{i}")) for i in range(8))
    )
    assert [c.won for c in claims].count(True) == 1
    assert len({c.record.content for c in claims}) == 1


async def test_progress_survives_a_crash(backend: Backend) -> None:
    crashed = await backend.open()
    assert (await crashed.claim_followup(followup())).won
    assert await crashed.finish_followup(7, "2103.00001", status="pending", message_id=555)
    restarted = await backend.open()
    seen = await restarted.get_followup(7, "2103.00001")
    assert seen is not None and (seen.status, seen.message_id) == ("pending", 555)
    assert await restarted.finish_followup(7, "2103.00001", status="sent", posted_at=T1)
    # the dead process's late write cannot undo it
    assert not await crashed.finish_followup(7, "2103.00001", status="failed", error="late")
    final = await restarted.get_followup(7, "2103.00001")
    assert final is not None and (final.status, final.message_id) == ("sent", 555)


async def test_list_followups_filters_and_orders(store: Store) -> None:
    older = date(2021, 3, 10)
    for rec in [
        followup(sub=7, arxiv_id="2103.00002"),
        followup(sub=7, arxiv_id="2103.00001"),
        followup(sub=8, arxiv_id="2103.00001", day=older),
        followup(sub=5, arxiv_id="2103.00009"),
    ]:
        assert (await store.claim_followup(rec)).won
    listed = [(f.subscription_id, f.arxiv_id) for f in await store.list_followups()]
    assert listed == [(5, "2103.00009"), (7, "2103.00001"), (7, "2103.00002"), (8, "2103.00001")]
    mine = await store.list_followups(subscription_id=7)
    assert [f.arxiv_id for f in mine] == ["2103.00001", "2103.00002"]
    assert [f.subscription_id for f in await store.list_followups(channel_id=108)] == [8]
    assert [f.subscription_id for f in await store.list_followups(since=DAY)] == [5, 7, 7]
    assert await store.list_followups(subscription_id=8, since=DAY) == []
