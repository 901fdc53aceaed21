"""Copy a whole store from one location to another (SQLite → PostgreSQL, or back), then
compare the two row for row and report it.

    hotpapers migrate-store --from hotpapers.sqlite3 --to postgresql://bot@db/hotpapers
    hotpapers migrate-store --from postgresql://bot@db/hotpapers --to back.sqlite3

LOC is a SQLite file (created if missing) or a database URL, as `[store]` takes them (a URL's
password is best left to PGPASSWORD or ~/.pgpass; only its scheme and host are ever shown).
Both ends are migrated to the newest schema first. Every row of every table is copied:
digests, papers, subscriptions, the post ledger, source health, leases and starts.

Refused, with nothing written, unless --force: a target that holds any row (a copy never
merges two stores: --force empties the target, then copies), and a store whose poster lease
is held (a bot running on either end would change the ledger during the copy: stop it first).
Refused even with --force: tables or columns that differ between the ends. The copy is one
transaction on the target; exit 0 only when the comparison found every row.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from bot.errors import StoreError
from bot.store import open_store
from bot.store.backends import split
from bot.store.copy import CopyReport, copy_store
from bot.store.urls import shown

HELP = "copy a store to another location (SQLite ↔ PostgreSQL) and verify it row for row"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `hotpapers migrate-store`."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # keep the examples' lines
    parser.add_argument(
        "--from", dest="source", metavar="LOC", required=True, help="the store to copy"
    )
    parser.add_argument(
        "--to", dest="target", metavar="LOC", required=True, help="where to copy it (empty)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace everything in a non-empty target, and copy even while a poster lease is held",
    )


def report_lines(source: str, target: str, report: CopyReport) -> list[str]:
    """What `migrate-store` prints: one line per table, then the verdict."""
    lines = [f"copied {shown(source)} → {shown(target)}"]
    width = max(len(t.table) for t in report.tables)
    for t in report.tables:
        mark = "identical" if t.ok else f"MISMATCH ({t.matched} matched)"
        lines.append(f"  {t.table:<{width}}  {t.rows:>7} rows  {mark}")
    if report.ok:
        lines.append(
            f"verified: all {report.rows} rows of {len(report.tables)} tables are identical "
            "in both stores"
        )
    else:
        lines.append("NOT verified: the target differs from the source (see MISMATCH above)")
    return lines


def _check(args: argparse.Namespace) -> None:
    """Refuse what would copy nothing: one store as both ends, a SQLite source not there
    (opening it would create an empty one)."""
    if args.source == args.target:
        raise StoreError("--from and --to are the same store")
    backend, path = split(args.source)
    if backend == "sqlite" and not os.path.isfile(path):
        raise StoreError(f"--from {path}: no such SQLite file (nothing to copy)")


async def _migrate(args: argparse.Namespace) -> int:
    async with (
        open_store(args.source, writable=False) as source,
        open_store(args.target) as target,
    ):
        report = await copy_store(source, target, force=args.force)
    print("\n".join(report_lines(args.source, args.target, report)))
    return 0 if report.ok else 1


def run(args: argparse.Namespace) -> int:
    """Copy and verify; exit 1 when the comparison found a difference."""
    _check(args)
    return asyncio.run(_migrate(args))
