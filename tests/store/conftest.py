"""The store contract: what every backend of `bot.store.Store` must do, checked for each one.

Every test in tests/store/test_*.py takes the `backend` fixture (or `store`, one store on it)
and runs once per backend listed in `tests/store/backends.py:HARNESSES`: SQLite, and
PostgreSQL on a real server the tests start (tests/pgserver.py; those runs are in the slow
tier, and skipped, saying why, where no PostgreSQL binaries are installed). tests/store/sqlite/
holds what only SQLite promises (its fault mapping, its file checks at open).

The contract, in brief (each aggregate's module in bot/store/ states its rules in full):

Digests and papers (test_digests.py)
    Saving content equal to the stored digest changes nothing and returns False; only the
    bookkeeping (a newer fetch time, becoming final) may move, and finality never goes back.
    A changed digest replaces the day's entries; a paper's metadata is never replaced by an
    empty value and its highest version wins. Reads are in rank order; lists of digests are
    newest day first, then by source.
Subscriptions (test_subscriptions.py)
    One per channel; an upsert replaces the settings and keeps `created_at` and `failing_at`;
    lists are by channel id; deleting one keeps its posts.
The post ledger (test_ledger.py), what the exactly-once posting path relies on
    Of concurrent claims of one (channel, day), from one store or many, exactly one wins and
    all see the winner's row. Whatever a call wrote is there for the next process after a
    crash: a resumed post finds its progress and can finish it. `pending`/`failed` rows take
    any status; `sent`/`empty`/`missed` rows take only their own (a stale writer is refused,
    returns False, changes nothing); `reopen_post` restarts an open or missed row with a new
    generation and refuses a delivered one; an unknown status is a ValueError. Outcomes count
    attempts, `sent`/`empty` set `posted_at`, None leaves ids and thread as they were.
Source health (test_health.py)
    Failures count up until a success resets them; the last success's time survives.
Leases and starts (test_leases.py)
    Of concurrent acquires, from one store or many, at most one holder holds afterwards and
    all are told the same holder; renewal keeps `acquired_at`; expiry and `dead` allow a
    take-over; release only by the holder.
Search (test_search.py)
    Every term is required, the last a prefix; hits are ordered by tier (every term in the
    title, then in the authors, then anywhere), then best score, then day, then id; category,
    archive and date-range filters (the days a paper was listed) and the limit; the index
    follows every write of papers and entries, a copy and a migration's backfill; no typed
    text is an error or query syntax; `/paper`'s suggestions (ids, then titles).
Everywhere
    An unreadable stored time is None where optional and 1970 where required (a lease then
    counts as expired, a fetch as stale), never an exception (test_rows.py, and per aggregate).
    Migrations take a database of every older version to the newest and keep its data; a
    database from the future is refused (test_migrations.py). `counts()` names the six
    tables of `bot.store.base.COUNTED` (test_base.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store.base import Store
from tests.store.backends import HARNESSES, STARTS_A_SERVER, Backend

_PARAMS = [
    pytest.param(name, marks=[pytest.mark.slow] if name in STARTS_A_SERVER else [])
    for name in sorted(HARNESSES)
]


@pytest.fixture(params=_PARAMS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """Each backend in turn, on a database of this test's own."""
    harness = HARNESSES[request.param](tmp_path)
    try:
        yield harness
    finally:
        await harness.close()


@pytest.fixture
async def store(backend: Backend) -> Store:
    """One store on the backend's main database."""
    return await backend.open()
