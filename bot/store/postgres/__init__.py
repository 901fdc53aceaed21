"""The PostgreSQL backend of `bot.store.Store`: asyncpg, a pool, raw parameterized SQL.

    connection.py     the pool's write and read paths, fault mapping, write health, locks
    digests.py        digests and papers        subscriptions.py   subscriptions
    ledger.py         the post ledger           health.py          source health
    leases.py         leases and starts         search.py          full-text search (GIN)
    store.py          all of them: `PgStore`
    open.py           connect, migrate under a lock, probe a write (`connect`, `open_store`)

Its SQL schema is `bot/store/migrations/postgresql/`, the same tables, columns and encoding
as SQLite's. Adding a method (say, a per-source advisory lock for sharded processes): declare
it in the aggregate's protocol in bot/store/, write it in the matching module here and in
bot/store/sqlite/, and test it in tests/store/ (the contract suite runs it on both).
"""

from bot.store.postgres.connection import fault_reason
from bot.store.postgres.open import PgSchema, connect, open_store
from bot.store.postgres.store import PgStore

__all__ = ["PgSchema", "PgStore", "connect", "fault_reason", "open_store"]
