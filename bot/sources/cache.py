"""The store as a cache in front of the sources: the one entry point for "give me a day".

Rules (the bot's `/hot`, the scheduler and `hotpapers fetch` all go through `get_digest`):

- A day before today (UTC) is **final** once fetched: it is stored with `final=True` and never
  fetched again, so a command for a stored past day makes no upstream request. Unless a crowd
  of a blended digest failed (`Digest.signals_failed`): then it is refreshable like today, so
  the crowd's outage costs its counts until it answers again, not for good.
- Today (or a future day) is stored with `final=False` and fetched again once it is older than
  `sources.today_refresh_minutes`.
- Every fetch records the source's health (ok, or the error's one plain sentence; the last
  success stays as "since when"), for `/digest status`.
- Whatever a source raises leaves `refresh_digest` as a `SourceError` (the boundary of
  `bot.sources.boundary`, for any `Source`, ours or not), and a digest is checked to be
  storable (counts and versions within SQLite's integers, finite scores) before it is saved.
- No day outside arXiv's life (before 1991-08-14, after tomorrow UTC) is ever fetched:
  `check_day` makes it a `UserInputError` before any upstream work.
- An upstream failure stores nothing. If a digest of that day is already stored (today's
  earlier fetch) it is returned, stale, and the failure is visible in the source health;
  otherwise the `SourceError` propagates, so "the source is down" never looks like "no papers"
  (a stored digest that does not cover the archives asked for is not served for them).

- A source that raises `NoAnnouncement` (arXiv announced nothing that day) stores nothing and
  records no health: it is a state of the day, not a failure; it passes through to the caller
  (`bot.services.digests` turns it into an empty day that says why).

Concurrent requests for the same missing day share one fetch (a per-day lock).

A blended source (`bot.sources.blend.Covering`, the `hot` source) covers some arXiv archives
per day. Asked for `archives`, a stored digest is fresh only if it also covers them; when it
is fresh (or final) but misses some, only those are fetched and merged into it (`grow`); when
it is stale, the day is fetched again over every archive it covered plus the new ones, so a
stored day never shrinks.
"""

from __future__ import annotations

import asyncio
import logging
import math
import weakref
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from bot.config import SourcesConfig
from bot.errors import SourceError, UpstreamFormatError, UserInputError
from bot.models import Digest, DigestMeta
from bot.sources.base import Source
from bot.sources.blend import Covering
from bot.sources.boundary import boundary
from bot.sources.registry import title
from bot.store.base import Store

log = logging.getLogger(__name__)

ARXIV_FIRST_DAY = date(1991, 8, 14)  # the first day arXiv (then xxx.lanl.gov) announced papers
_INT_LIMIT = 2**63 - 1  # SQLite's INTEGER; JSON readers of the store stop there too

_locks: weakref.WeakValueDictionary[tuple[int, str, date], asyncio.Lock] = (
    weakref.WeakValueDictionary()
)


def _utc(moment: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def check_day(day: date, now: datetime) -> None:
    """A UserInputError for a day arXiv cannot have: before 1991-08-14 or after tomorrow (UTC)."""
    tomorrow = _utc(now).date() + timedelta(days=1)
    if day < ARXIV_FIRST_DAY:
        raise UserInputError(
            f"{day.isoformat()} is before arXiv's first day ({ARXIV_FIRST_DAY.isoformat()}); "
            "pick a later date."
        )
    if day > tomorrow:
        raise UserInputError(f"{day.isoformat()} is in the future; pick a date up to today.")


def check_storable(name: str, digest: Digest) -> None:
    """UpstreamFormatError when a digest holds numbers the store cannot keep."""
    for paper in digest.papers:
        numbers = [*paper.metrics.values(), paper.version or 0]
        if any(abs(n) > _INT_LIMIT for n in numbers) or (
            paper.score is not None and not math.isfinite(paper.score)
        ):
            raise UpstreamFormatError(
                f"{title(name)} sent a number too large to be real.",
                detail=f"paper {paper.arxiv_id}: metrics {paper.metrics}, version "
                f"{paper.version}, score {paper.score}"[:500],
            )


def is_final(day: date, now: datetime) -> bool:
    """A day before today (UTC) no longer changes once fetched."""
    return day < _utc(now).date()


def is_fresh(meta: DigestMeta | None, now: datetime, config: SourcesConfig) -> bool:
    """Whether a stored digest can be served without asking upstream."""
    if meta is None:
        return False
    if meta.final:
        return True
    age = _utc(now) - _utc(meta.fetched_at)
    return age < timedelta(minutes=config.today_refresh_minutes)


async def refresh_digest(store: Store, source: Source, day: date, *, now: datetime) -> Digest:
    """Fetch `day` from upstream now, store it, record health; SourceError on failure.

    Nothing is stored on failure, so the last good digest stays. Use `get_digest` unless the
    user explicitly asked to fetch again. Raises SourceError (whatever the source raised), or
    UserInputError for a day outside arXiv's life or when members' requests are too many.
    """
    check_day(day, now)
    try:
        with boundary(
            source.name, f"sent a day ({day}) that could not be read", title=title(source.name)
        ):
            digest = await source.fetch_day(day)
            check_storable(source.name, digest)
    except SourceError as exc:
        log.error("%s: fetching %s failed: %s %s", source.name, day, exc, exc.detail)
        await store.record_source_health(source.name, ok=False, error=str(exc), at=now)
        raise
    digest = digest.model_copy(update={"source": source.name, "fetched_at": _utc(now)})
    final = is_final(day, now) and not digest.signals_failed  # a crowd's outage is not final
    await store.save_digest(digest, final=final)
    await store.record_source_health(source.name, ok=True, at=now)
    log.info(
        "%s: stored %s (%d papers, %s)",
        source.name,
        day,
        len(digest.papers),
        "final" if final else "refreshable",
    )
    return digest


def covers(meta: DigestMeta | Digest | None, archives: Sequence[str]) -> bool:
    """Whether a stored digest's universe includes every archive of `archives`."""
    return meta is not None and set(archives) <= set(meta.archives)


class _Grown:
    """A covering source asked for some archives of one day, merged into a stored digest."""

    def __init__(self, source: Covering, archives: Sequence[str], base: Digest | None) -> None:
        self.source = source
        self.name = source.name
        self.archives = list(archives)
        self.base = base

    async def fetch_day(self, day: date) -> Digest:
        return await self.source.fetch_archives(day, self.archives, base=self.base)


async def scoped(
    store: Store,
    source: Source,
    day: date,
    archives: Sequence[str],
    now: datetime,
    config: SourcesConfig,
    *,
    force: bool = False,
) -> Source:
    """The source to fetch `day` with so that the stored digest covers `archives` (see the
    module docstring): the source itself when it covers no archives or none are asked for.
    `force`: fetch every archive again (`hotpapers fetch --force`), merging into nothing."""
    if not isinstance(source, Covering):
        return source
    meta = await store.digest_meta(source.name, day)
    if meta is None:
        return _Grown(source, archives or source.archives, None)
    wanted = sorted(set(archives) | set(meta.archives))
    fresh = is_fresh(meta, now, config) and not force
    base = await store.get_digest(source.name, day) if fresh else None
    return _Grown(source, wanted, base)


async def get_digest(
    store: Store,
    source: Source,
    day: date,
    *,
    now: datetime,
    config: SourcesConfig,
    archives: Sequence[str] = (),
) -> Digest:
    """The digest of `source` for `day`: from the store when fresh, else fetched and stored.

    `now` is the caller's clock (aware; naive means UTC). `archives`: for a covering source,
    the arXiv archives the digest must cover (module docstring). Raises SourceError only when
    upstream fails and nothing of that day is stored.
    """
    cached = await _fresh_from_store(store, source.name, day, now, config, archives)
    if cached is not None:
        return cached
    key = (id(store), source.name, day)
    lock = _locks.get(key)
    if lock is None:
        lock = _locks[key] = asyncio.Lock()
    async with lock:
        cached = await _fresh_from_store(store, source.name, day, now, config, archives)
        if cached is not None:  # another task fetched it while we waited
            return cached
        try:
            fetching = await scoped(store, source, day, archives, now, config)
            return await refresh_digest(store, fetching, day, now=now)
        except SourceError:
            stale = await store.get_digest(source.name, day)
            if stale is None or not _covered(source, stale, archives):  # would say "no papers"
                raise
            log.warning("%s: serving the stored %s from %s", source.name, day, stale.fetched_at)
            return stale


async def ensure_digest(
    store: Store,
    source: Source,
    day: date,
    *,
    now: datetime,
    config: SourcesConfig,
    archives: Sequence[str] = (),
) -> None:
    """Make sure the store holds `source`'s `day` by the rules above, without reading it back.

    For callers that then read only part of it (a ranked week reads no paper it does not
    show): a fresh day costs one small query. Raises SourceError as `get_digest` does.
    """
    meta = await store.digest_meta(source.name, day)
    if is_fresh(meta, now, config) and _covered(source, meta, archives):
        return
    await get_digest(store, source, day, now=now, config=config, archives=archives)


def _covered(
    source: Source | str, meta: DigestMeta | Digest | None, archives: Sequence[str]
) -> bool:
    """Whether a stored digest needs no more archives for this request."""
    if not archives or (not isinstance(source, str) and not isinstance(source, Covering)):
        return True
    return covers(meta, archives)


async def _fresh_from_store(
    store: Store,
    source: str,
    day: date,
    now: datetime,
    config: SourcesConfig,
    archives: Sequence[str] = (),
) -> Digest | None:
    meta = await store.digest_meta(source, day)
    if not is_fresh(meta, now, config) or not _covered(source, meta, archives):
        return None
    return await store.get_digest(source, day)
