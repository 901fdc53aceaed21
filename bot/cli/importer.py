"""Load Hot Papers markdown digests (files, folders, or '-' for stdin) into the store.

Idempotent: importing the same files twice changes no row. Files are saved in batches of
`BATCH`, one transaction each. A file that is not a digest is
reported with its name and line and skipped; the others are still imported.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import config_path, load_config
from bot.errors import HotPapersError
from bot.models import Digest
from bot.sources.hotpapers_md import iter_files, load_path
from bot.store import open_store

HELP = "import Hot Papers markdown digests into the store (idempotent)"
PROGRESS_FROM = 10  # show a progress bar when importing at least this many files
# Files saved per transaction: one commit a file was most of an import's cost
# (bench/imports.py); a batch bounds what one fault leaves to import again.
BATCH = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `hotpapers import`."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file, folder, or '-' (stdin)")
    parser.add_argument("--config", metavar="PATH", help="config file (for the store path)")
    parser.add_argument(
        "--db",
        metavar="LOC",
        help="the store: a SQLite file or a database URL (overrides the config)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary")


def _progress(done: int, total: int, width: int = 30) -> None:
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


async def _import(args: argparse.Namespace) -> int:
    config = load_config(config_path(args.config))
    files: list[str | Path] = []
    for p in args.paths:
        files.extend(["-"] if p == "-" else list(iter_files([p])))
    show = not args.quiet and len(files) >= PROGRESS_FROM and sys.stderr.isatty()
    changed = unchanged = failed = 0
    async with open_store(config.store.location if args.db is None else args.db) as store:
        batch: list[Digest] = []

        async def save() -> None:
            nonlocal changed, unchanged
            done = await store.save_digests(batch, final=True)
            changed += sum(done)
            unchanged += len(done) - sum(done)
            batch.clear()

        for i, f in enumerate(files, start=1):
            try:
                batch.append(load_path(f))
            except HotPapersError as exc:
                failed += 1
                print(f"\nskipped: {exc}" if show else f"skipped: {exc}", file=sys.stderr)
            if len(batch) >= BATCH:
                await save()
            if show:
                _progress(i, len(files))
        await save()
        counts = await store.counts()
    if not args.quiet:
        print(
            f"imported {changed} digest(s), {unchanged} unchanged, {failed} skipped; "
            f"store has {counts['digests']} digests, {counts['papers']} papers"
        )
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    """Import; exit 1 when any file was skipped."""
    return asyncio.run(_import(args))
