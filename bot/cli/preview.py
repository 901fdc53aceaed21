"""Show a digest exactly as the bot would post it, with no token and no network.

With no options, renders the bundled sample digest (Hot Papers 2021-03-12).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from importlib import resources
from pathlib import Path

from bot.config import config_path, load_config
from bot.errors import UserInputError
from bot.filters import apply, build_filter
from bot.jsonout import digest_to_json
from bot.models import Digest
from bot.render import render_digest
from bot.sources.hotpapers_md import load_path, parse_digest
from bot.store import open_store
from bot.store.backends import split
from bot.textview import messages_to_text

HELP = "show a digest as the bot would post it (default: the bundled sample)"
SAMPLE = "hot-papers-2021-03-12.md"


def sample_digest() -> Digest:
    """The sample digest shipped inside the package."""
    text = resources.files("bot").joinpath("data", SAMPLE).read_text(encoding="utf-8")
    return parse_digest(text, f"bot/data/{SAMPLE}")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (expected YYYY-MM-DD)") from None


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return n


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `hotpapers preview`."""
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--digest", metavar="PATH", help="a Hot Papers markdown file ('-' = stdin)")
    src.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="a day from the store")
    parser.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="CAT",
        help="keep papers in this arXiv category (repeatable), e.g. cs.CV",
    )
    parser.add_argument("--limit", type=_positive, metavar="N", help="at most N papers")
    parser.add_argument("--format", choices=["compact", "detailed"], default="compact")
    parser.add_argument("--json", action="store_true", help="print one JSON object (a contract)")
    parser.add_argument("--config", metavar="PATH", help="config file (for the store path)")
    parser.add_argument(
        "--db",
        metavar="LOC",
        help="the store: a SQLite file or a database URL (overrides the config)",
    )
    parser.add_argument("--source", help="with --date: which source's digest (default: any)")


async def _from_store(path: str, day: date, source: str | None) -> Digest:
    async with open_store(path, writable=False) as store:
        if source:
            found = await store.get_digest(source, day)
        else:
            found = next(iter(await store.digests_between(None, day, day)), None)
    if found is None:
        raise UserInputError(f"no digest stored for {day.isoformat()}")
    return found


def run(args: argparse.Namespace) -> int:
    """Render and print; errors are raised as HotPapersError (one line on stderr, exit 2)."""
    # A config named on the command line is read even when nothing in it is needed: a broken
    # file is said at once, not at the next command that happens to need it.
    config = load_config(config_path(args.config)) if args.config else None
    if args.digest:
        digest = load_path(args.digest)
    elif args.date:
        db_path = args.db or (config or load_config(config_path(None))).store.location
        backend, file = split(db_path)
        if backend == "sqlite" and not Path(file).exists():
            raise UserInputError(
                f"no database at {file}: run `hotpapers import` or `hotpapers fetch` first"
            )
        digest = asyncio.run(_from_store(db_path, args.date, args.source))
    else:
        digest = sample_digest()
    # The bot's own category filter (ids, whole archives, "-" to exclude), without its cap of
    # 25 papers: a preview may show a whole day.
    papers = apply(digest.papers, build_filter(categories=args.category))
    digest = digest.model_copy(update={"papers": papers[: args.limit]})
    messages = render_digest(digest, args.format)
    if args.json:
        json.dump(digest_to_json(digest, messages), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(messages_to_text(messages, detailed=args.format == "detailed"))
    return 0
