"""Stored data behind one async interface (`Store`, see `bot.store.base`).

`open_store` / `connect` pick the backend from the location (`bot.store.backends`): a path is
SQLite (the default), a `postgresql://` URL is PostgreSQL (`bot.store.postgres`, imported only
when such a store is opened).
"""

from bot.store.backends import BACKENDS, connect, open_store
from bot.store.base import Store
from bot.store.sqlite import SqliteStore
from bot.store.values import Claim

__all__ = ["BACKENDS", "Claim", "SqliteStore", "Store", "connect", "open_store"]
