"""The store's contract: one async interface, `Store`, composed of one small protocol per aggregate.

    Store = DigestStore        digests and papers         bot/store/digests.py
          + SubscriptionStore  subscriptions (by id)      bot/store/subscriptions.py
          + PostLedger         the exactly-once ledger    bot/store/ledger.py
          + FollowUpLedger     late risers' follow-ups    bot/store/followups.py
          + SourceHealthLog    sources' last outcomes     bot/store/health.py
          + LeaseStore         the poster lease, starts   bot/store/leases.py
          + FetchLockStore     one fetcher per source     bot/store/locks.py
          + MarkStore          saved papers and votes     bot/store/marks.py
          + PaperSearch        full-text search of papers bot/store/search.py
          + housekeeping       write_health, counts, close (below)

Callers keep calling `store.claim_post(...)` and friends on one object; a component that
needs one aggregate may ask for just that protocol. Only backends write SQL; each aggregate's
module states its rules in its docstring, and tests/store/ checks every backend against all of
them (the contract suite, parametrised by a `backend` fixture). The headline rules:

- **Idempotent imports.** Saving a digest equal to the stored one changes nothing and says so.
- **One winner per (subscription, day).** Of concurrent `claim_post` calls, from one process
  or many, exactly one gets `Claim.won`; everyone gets the row as stored.
- **Durable on return.** Every write that returned is seen by every other connection and
  survives a crash; a failed or cancelled write leaves nothing half-written.
- **Outcomes are terminal.** `sent`, `empty` and `missed` rows accept only their own status
  (`missed` may be reopened to post late); open rows (`pending`, `failed`) accept any.
- **Never two lease holders**, and every caller is told the same holder; never two holders
  of one fetch lock.
- **Tolerant reads.** An unreadable stored time is None where optional and long ago (1970)
  where required, never an exception.
- **Ordered results** as each method states (newest day first; by channel id and name; by
  source).
- **Migrations** bring a database of every older version to the newest and keep its data;
  a database newer than the code is refused.

Adding a backend (e.g. PostgreSQL): a package beside `bot/store/sqlite/` implementing the five
aggregates (sharing `bot.store.rows` for the row mapping and the pure rules in `ledger` and
`leases`), its SQL in `bot/store/migrations/postgresql/`, and one line in the contract suite's
`HARNESSES` (tests/store/backends.py) with the harness that opens it.
"""

from __future__ import annotations

from typing import Protocol

from bot.store.digests import DigestStore
from bot.store.followups import FollowUpClaim, FollowUpLedger
from bot.store.health import SourceHealthLog
from bot.store.leases import LeaseStore
from bot.store.ledger import PostLedger
from bot.store.locks import FetchLockStore
from bot.store.marks import MarkStore
from bot.store.search import PaperSearch
from bot.store.subscriptions import SubscriptionStore
from bot.store.values import Claim, Lease, Start, WriteHealth

__all__ = [
    "COUNTED",
    "Claim",
    "DigestStore",
    "FetchLockStore",
    "FollowUpClaim",
    "FollowUpLedger",
    "Lease",
    "LeaseStore",
    "MarkStore",
    "PaperSearch",
    "PostLedger",
    "SourceHealthLog",
    "Start",
    "Store",
    "SubscriptionStore",
    "WriteHealth",
]

# What `counts()` reports, in this order: the data a digest import or a post adds to.
COUNTED = ("papers", "digests", "digest_entries", "subscriptions", "posts", "source_health")


class Store(
    DigestStore,
    SubscriptionStore,
    PostLedger,
    FollowUpLedger,
    SourceHealthLog,
    LeaseStore,
    FetchLockStore,
    MarkStore,
    PaperSearch,
    Protocol,
):
    """Async access to papers, digests, subscriptions, posts, source health, leases, fetch
    locks, the search over papers, and members' saved papers and votes."""

    def write_health(self) -> WriteHealth:
        """Whether writes currently succeed (no I/O: the outcome of the last writes)."""
        ...

    async def counts(self) -> dict[str, int]:
        """Row counts of each kind in `COUNTED` (for idempotency checks and `/digest status`)."""
        ...

    async def close(self) -> None:
        """Release the connection(s)."""
        ...
