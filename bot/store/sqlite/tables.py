"""SQLite's raw table access (`bot.store.copy.Tables`), for copying a store whole.

The search index (`papers_fts`, its keys `papers_fts_keys` and the shadow tables FTS5 keeps,
`papers_fts_*`) is derived from `papers` and is not a data table: it is never listed nor
copied; the target's triggers fill it from the papers copied into it (migration 0007).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.store.copy import TABLES
from bot.store.sqlite.connection import SqliteBase

Row = tuple[Any, ...]
DERIVED = "papers_fts"


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


class SqliteTables(SqliteBase):
    """Tables of a SQLite store as rows of values."""

    async def table_names(self) -> list[str]:
        """The store's tables (SQLite's own `sqlite_*` tables and the search index left out)."""
        found = await self._all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
        return [r[0] for r in found if r[0] != DERIVED and not r[0].startswith(DERIVED + "_")]

    async def table_columns(self, table: str) -> list[str]:
        """The columns of `table`, in their order (none for a table that does not exist)."""
        found = await self._all("SELECT name FROM pragma_table_info(?) ORDER BY cid", (table,))
        return [r[0] for r in found]

    async def table_rows(self, table: str, columns: Sequence[str]) -> list[Row]:
        """Every row of `table` as a tuple of `columns`."""
        assert table in TABLES, table
        found = await self._all(f'SELECT {_quoted(columns)} FROM "{table}"')
        return [tuple(r) for r in found]

    async def replace_tables(self, data: Mapping[str, tuple[Sequence[str], list[Row]]]) -> None:
        """Empty every table and insert `data`, in one transaction."""
        async with self._write() as db:
            for table in reversed(TABLES):
                await db.execute(f'DELETE FROM "{table}"')
            for table in TABLES:
                columns, rows = data.get(table, ((), []))
                if rows:
                    marks = ", ".join("?" for _ in columns)
                    await db.executemany(
                        f'INSERT INTO "{table}" ({_quoted(columns)}) VALUES ({marks})', rows
                    )
