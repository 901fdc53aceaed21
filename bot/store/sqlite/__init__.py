"""The SQLite backend of `bot.store.Store`: aiosqlite, WAL mode, raw parameterized SQL.

    connection.py     the shared write and read paths, fault mapping, write health
    digests.py        digests and papers        subscriptions.py   subscriptions
    ledger.py         the post ledger           health.py          source health
    leases.py         leases and starts         search.py          full-text search (FTS5)
    marks.py          saved papers and votes
    store.py          all of them: `SqliteStore`
    open.py           open, check and migrate a file (`connect`, `open_store`)

Its SQL schema is `bot/store/migrations/sqlite/`.
"""

from bot.store.sqlite.connection import fault_reason
from bot.store.sqlite.open import SqliteSchema, connect, open_store
from bot.store.sqlite.store import SqliteStore

__all__ = ["SqliteSchema", "SqliteStore", "connect", "fault_reason", "open_store"]
