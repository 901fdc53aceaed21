"""Stored data behind one async interface (`Store`); SQLite is the implementation."""

from bot.store.base import Store
from bot.store.sqlite import SqliteStore, connect, open_store

__all__ = ["SqliteStore", "Store", "connect", "open_store"]
