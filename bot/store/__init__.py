"""Stored data behind one async interface (`Store`, see `bot.store.base`); SQLite implements it."""

from bot.store.base import Store
from bot.store.sqlite import SqliteStore, connect, open_store
from bot.store.values import Claim

__all__ = ["Claim", "SqliteStore", "Store", "connect", "open_store"]
