"""Fetch a day from a live source into the store, then print a summary (or the --json contract).

A day already stored and still fresh (any past day; today within sources.today_refresh_minutes)
is answered from the store with no upstream request; `--force` fetches it again. Upstream
failures are one line on stderr and exit code 2; nothing is stored and the last good data stays.

`--category C` (repeatable) shows only that category's papers, ranked as `/hot category:C`
ranks them; with the blended `hot` source it also makes the stored day cover C's archive
(fetching that archive's announcement and the crowds' counts when it does not yet).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime, timedelta

import httpx

from bot.config import Config, config_path, load_config
from bot.errors import UserInputError
from bot.filters import PaperFilter, apply, build_filter, view_title
from bot.jsonout import digest_to_json
from bot.models import Digest
from bot.ranking import score_label
from bot.render import render_digest
from bot.sources.base import SOURCE_NAMES, Source, build_source
from bot.sources.blend import Covering, archives_for
from bot.sources.cache import covers, is_final, is_fresh, refresh_digest, scoped
from bot.store import Store, open_store

HELP = "fetch a day from a live source (default hf+arxiv) and store it"
SHOWN = 10


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (expected YYYY-MM-DD)") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `hotpapers fetch`."""
    parser.add_argument(
        "--date",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the day to fetch (default: today minus sources.day_lag_days, in UTC)",
    )
    parser.add_argument(
        "--source", metavar="S", help=f"one of {', '.join(SOURCE_NAMES)} (default: the config's)"
    )
    parser.add_argument(
        "--category",
        action="append",
        metavar="C",
        help="only this arXiv category or archive (repeatable), e.g. math.AG, quant-ph",
    )
    parser.add_argument("--json", action="store_true", help="print the digest as one JSON object")
    parser.add_argument("--format", choices=["compact", "detailed"], default="compact")
    parser.add_argument("--force", action="store_true", help="fetch even if the day is stored")
    parser.add_argument("--config", metavar="PATH", help="config file (sources and store)")
    parser.add_argument(
        "--db",
        metavar="LOC",
        help="the store: a SQLite file or a database URL (overrides the config)",
    )


def _summary(digest: Digest, how: str) -> str:
    lines = [f"{digest.source} {digest.day.isoformat()}: {len(digest.papers)} papers, {how}"]
    for rank, paper in enumerate(digest.papers[:SHOWN], start=1):
        cats = f" [{', '.join(paper.categories[:3])}]" if paper.categories else ""
        lines.append(f"{rank:>3}. {paper.arxiv_id} {paper.title}{cats} — {score_label(paper)}")
    if len(digest.papers) > SHOWN:
        lines.append(f"     … and {len(digest.papers) - SHOWN} more")
    return "\n".join(lines)


async def fetch(
    config: Config,
    db_path: str,
    source_name: str,
    day: date,
    *,
    now: datetime,
    force: bool,
    categories: list[str] | None = None,
) -> tuple[Digest, str]:
    """Fetch (or read back) `day` and say how: the CLI's work, callable from tests.

    `categories`: only those papers, in the day's rank order (see the module docstring).
    """
    flt = build_filter(categories=categories) if categories else PaperFilter()
    timeout = config.sources.timeout_seconds
    async with httpx.AsyncClient(follow_redirects=True, timeout=timeout) as client:
        source = build_source(source_name, config.sources, client)  # a bad name: no DB file
        archives = archives_for(flt.include) if isinstance(source, Covering) else []
        async with open_store(db_path) as store:
            digest, how = await _fetch_into(
                store, source, day, now=now, config=config, force=force, archives=archives
            )
    if not categories:
        return digest, how
    title = view_title(day, "day", digest.title, flt)
    return digest.model_copy(update={"papers": apply(digest.papers, flt), "title": title}), how


async def _fetch_into(
    store: Store,
    source: Source,
    day: date,
    *,
    now: datetime,
    config: Config,
    force: bool,
    archives: list[str],
) -> tuple[Digest, str]:
    meta = await store.digest_meta(source.name, day)
    covered = not archives or covers(meta, archives)
    if not force and is_fresh(meta, now, config.sources) and covered:
        stored = await store.get_digest(source.name, day)
        if stored is not None:
            return stored, "already stored; no upstream request"
    fetching = await scoped(store, source, day, archives, now, config.sources, force=force)
    digest = await refresh_digest(store, fetching, day, now=now)
    state = "final" if is_final(day, now) else "refreshable until the day is over (UTC)"
    if is_final(day, now) and digest.signals_failed:  # stored refreshable (refresh_digest)
        state = "refreshable until every crowd answers"
    return digest, f"fetched and stored ({state})"


def run(args: argparse.Namespace) -> int:
    """Fetch, store, print; errors are HotPapersError (one line on stderr, exit 2)."""
    config = load_config(config_path(args.config))
    now = datetime.now(UTC)
    day: date = args.date or now.date() - timedelta(days=config.sources.day_lag_days)
    if day > now.date() + timedelta(days=1):
        raise UserInputError(f"{day.isoformat()} is in the future")
    db_path = config.store.location if args.db is None else args.db
    source_name = args.source or config.sources.default
    digest, how = asyncio.run(
        fetch(
            config,
            db_path,
            source_name,
            day,
            now=now,
            force=args.force,
            categories=args.category,
        )
    )
    if args.json:
        messages = render_digest(digest, args.format)
        json.dump(digest_to_json(digest, messages), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(_summary(digest, how))
    return 0
