"""Copying a whole store from one backend to another, row for row, and proving it did.

`hotpapers migrate-store` (bot/cli/migrate_store.py) is the front; the work is here, over each
backend's raw table access (`Tables`: a SQLite and a PostgreSQL store both have it). Both ends
are migrated to the newest schema when opened, and both backends keep the same tables,
columns and encoding (`bot.store.rows`), so a row is copied as its values, unchanged.

The rules:
- **Every table, every row.** The tables are `TABLES`, in an order that respects foreign keys.
  A table or a column that one end has and the other lacks (a migration not mirrored yet) is
  refused before anything is written: nothing would be copied silently short.
- **Never a merge.** A target that holds any row is refused unless `force`, which empties it
  first; either way the target is written in one transaction (a failure leaves it as it was).
- **Not under a running bot.** While either end's poster lease is held and unexpired, the copy
  is refused (its ledger would move on during the copy) unless `force`.
- **Verified.** After the copy both ends are read back whole and compared row for row per
  table (as multisets of rows: `starts` has no key); the report says what matched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from bot.errors import StoreError
from bot.store.base import Store

# Parents before children (digest_entries, saved and votes reference papers).
TABLES = (
    "papers",
    "digests",
    "digest_entries",
    "subscriptions",
    "posts",
    "followups",
    "source_health",
    "leases",
    "starts",
    "saved",
    "votes",
)
POSTER_LEASE = "poster"

Row = tuple[Any, ...]


@runtime_checkable
class Tables(Protocol):
    """A backend's raw view of its tables, for copying a store whole (tests and this module
    only; everything else goes through `Store`)."""

    async def table_names(self) -> list[str]:
        """The store's data tables (not the backend's own bookkeeping, such as its version)."""
        ...

    async def table_columns(self, table: str) -> list[str]:
        """The columns of `table`, in their order."""
        ...

    async def table_rows(self, table: str, columns: Sequence[str]) -> list[Row]:
        """Every row of `table` as a tuple of `columns`."""
        ...

    async def replace_tables(self, data: Mapping[str, tuple[Sequence[str], list[Row]]]) -> None:
        """In one transaction: empty every table of `TABLES` (children first), then insert
        `data[table] = (columns, rows)` in `TABLES` order."""
        ...


@dataclass(frozen=True)
class TableReport:
    """One table's copy: the rows read from the source, and how many the target matched."""

    table: str
    rows: int
    matched: int

    @property
    def ok(self) -> bool:
        return self.rows == self.matched


@dataclass(frozen=True)
class CopyReport:
    """Every table's outcome; `ok` when every row of every table is in the target."""

    tables: list[TableReport]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def _tables(store: Store, which: str) -> Tables:
    if not isinstance(store, Tables):
        raise StoreError(f"the {which} store's backend cannot be copied table by table")
    return store


async def _columns(source: Tables, target: Tables) -> dict[str, list[str]]:
    """Each table's columns, the same at both ends; refuses any difference."""
    for end, names in (
        ("source", await source.table_names()),
        ("target", await target.table_names()),
    ):
        unknown = sorted(set(names) - set(TABLES))
        if unknown:
            raise StoreError(
                f"the {end} store has table(s) this code cannot copy: {', '.join(unknown)}"
            )
    out: dict[str, list[str]] = {}
    for table in TABLES:
        have, want = await source.table_columns(table), await target.table_columns(table)
        if set(have) != set(want):
            only = sorted(set(have) ^ set(want))
            raise StoreError(
                f"table {table} differs between the stores (columns {', '.join(only)}): "
                "their schema versions do not match"
            )
        out[table] = have
    return out


async def _refuse_live_poster(store: Store, which: str, now: datetime) -> None:
    # Every poster lease: `poster`, and a sharded bot's one per shard (`poster:shard-0-of-2`,
    # `bot.sharding.lease_name`), which holds no `poster` at all.
    names = [r[0] for r in await _tables(store, which).table_rows("leases", ["name"])]
    for name in sorted(names):
        if name != POSTER_LEASE and not name.startswith(f"{POSTER_LEASE}:"):
            continue
        lease = await store.get_lease(name)
        if lease is not None and lease.expires_at > now:
            raise StoreError(
                f"a bot is posting from the {which} store (lease held by {lease.holder}): "
                "stop it first, or pass --force"
            )


async def copy_store(
    source: Store, target: Store, *, force: bool = False, now: datetime | None = None
) -> CopyReport:
    """Copy every row of `source` into `target` and compare them (see the module)."""
    src, dst = _tables(source, "source"), _tables(target, "target")
    columns = await _columns(src, dst)
    if not force:
        at = now or datetime.now().astimezone()
        await _refuse_live_poster(source, "source", at)
        await _refuse_live_poster(target, "target", at)
        filled = [t for t in TABLES if await dst.table_rows(t, columns[t][:1])]
        if filled:
            raise StoreError(
                f"the target store is not empty ({', '.join(filled)}): copy into an empty "
                "store, or pass --force to replace everything in it"
            )
    data = {t: (columns[t], await src.table_rows(t, columns[t])) for t in TABLES}
    await dst.replace_tables(data)
    return await compare(source, target, columns)


async def compare(
    source: Store, target: Store, columns: dict[str, list[str]] | None = None
) -> CopyReport:
    """Read both stores whole and count, per table, the source's rows found in the target
    (as multisets: a row present twice must be there twice); extra target rows count against."""
    src, dst = _tables(source, "source"), _tables(target, "target")
    cols = columns or await _columns(src, dst)
    reports: list[TableReport] = []
    for table in TABLES:
        have = Counter(await src.table_rows(table, cols[table]))
        got = Counter(await dst.table_rows(table, cols[table]))
        matched = sum((have & got).values())
        extra = sum((got - have).values())
        reports.append(TableReport(table, sum(have.values()), matched - extra))
    return CopyReport(reports)
