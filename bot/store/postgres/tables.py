"""PostgreSQL's raw table access (`bot.store.copy.Tables`), for copying a store whole.

Rows go in through `COPY` (asyncpg's `copy_records_to_table`), inside the transaction that
first empties the tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.store.copy import TABLES
from bot.store.postgres.connection import LONG_SECONDS, PgBase

Row = tuple[Any, ...]
_BOOKKEEPING = {"schema_version"}


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


class PgTables(PgBase):
    """Tables of a PostgreSQL store (its schema) as rows of values."""

    async def table_names(self) -> list[str]:
        """The store's tables in its schema (the schema version table left out)."""
        found = await self._all(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            " ORDER BY table_name"
        )
        return [r[0] for r in found if r[0] not in _BOOKKEEPING]

    async def table_columns(self, table: str) -> list[str]:
        """The columns of `table`, in their order (none for a table that does not exist)."""
        found = await self._all(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            table,
        )
        return [r[0] for r in found]

    async def table_rows(self, table: str, columns: Sequence[str]) -> list[Row]:
        """Every row of `table` as a tuple of `columns`."""
        assert table in TABLES, table
        found = await self._all(f'SELECT {_quoted(columns)} FROM "{table}"')
        return [tuple(r) for r in found]

    async def replace_tables(self, data: Mapping[str, tuple[Sequence[str], list[Row]]]) -> None:
        """Empty every table and insert `data`, in one transaction."""
        async with self._write() as db:
            await db.execute(f"TRUNCATE {', '.join(TABLES)}")
            for table in TABLES:
                columns, rows = data.get(table, ((), []))
                if rows:
                    await db.copy_records_to_table(
                        table, records=rows, columns=list(columns), timeout=LONG_SECONDS
                    )
