"""SQLite without FTS5: the store refuses to open, saying why, instead of failing at the first
search (or at migration 0007 with SQLite's own "no such module")."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.errors import StoreError
from bot.store import connect
from bot.store.sqlite import open as sqlite_open
from bot.store.sqlite.search import check_fts5


class NoFts5:
    """A connection whose SQLite was built without FTS5 (as SQLite answers then)."""

    async def execute(self, sql: str, *args: Any) -> None:
        raise sqlite3.OperationalError("no such module: fts5")


async def test_an_sqlite_without_fts5_is_named_at_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(StoreError) as caught:
        await check_fts5(NoFts5())  # type: ignore[arg-type]
    text = str(caught.value)
    assert text.startswith(f"this Python's SQLite {sqlite3.sqlite_version} lacks the FTS5")
    assert "(no such module: fts5)" in text and "or PostgreSQL" in text

    async def refuse(db: object) -> None:
        await check_fts5(NoFts5())  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite_open, "check_fts5", refuse)
    with pytest.raises(StoreError, match="lacks the FTS5 full-text search"):
        await connect(tmp_path / "bot.sqlite3")
    raw = sqlite3.connect(tmp_path / "bot.sqlite3")
    try:
        assert raw.execute("PRAGMA user_version").fetchone() == (0,)  # refused before migrating
    finally:
        raw.close()


async def test_this_python_has_fts5(tmp_path: Path) -> None:
    store = await connect(tmp_path / "bot.sqlite3")  # the probe ran and passed
    await store.close()
