"""The signal sources as the factory hands them out: bounded, measured and in the health log.

A blend asks every crowd (Hugging Face, Hacker News, Bluesky) about a day's papers. One crowd
being down, slow or hostile must cost that crowd's counts and nothing else, and a moderator
must see which one it was. So each signal source reaches the blend wrapped in a
`ReportedSignal`:

- whatever the inner source raises leaves as one `SourceError` naming the crowd by its title
  (`bot.sources.boundary`), never another exception type;
- every outcome (ok, or the error's sentence) is recorded under the source's own name in the
  source health that `/digest status` shows (`HealthSink`, the store's
  `record_source_health`), so a status line says "Source hn: failing …" while the others rank;
- a failure to record health is logged, not raised: the counts are still good.

The answer is also trimmed to what the protocol promises: only ids that were asked about.

What every crowd module shares lives here too: the time window around an announcement day
(`window`), the memo that makes a day cost the same few requests however many archives ask
(`DayMemo`), and reading a JSON object out of a body that may be anything (`json_object`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any, Generic, Protocol, TypeVar

from bot.errors import SourceError, UpstreamFormatError
from bot.sources.boundary import boundary
from bot.sources.http import Fetched, snippet
from bot.sources.signals import Signal, SignalSource

log = logging.getLogger(__name__)


class HealthSink(Protocol):
    """Where outcomes go: `Store.record_source_health` has this shape."""

    async def __call__(
        self, source: str, *, ok: bool, error: str | None = None, at: datetime | None = None
    ) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ReportedSignal:
    """A signal source whose outcomes go to the health log and whose errors are SourceErrors."""

    def __init__(
        self,
        inner: SignalSource,
        title: str,
        *,
        health: Callable[[], HealthSink | None],
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.title = title
        self._health = health  # read at each call: the store may be attached after building
        self._clock = clock

    async def signals_for(
        self, day: date, ids: Sequence[str], *, authors: Mapping[str, Sequence[str]] | None = None
    ) -> dict[str, Signal]:
        """The inner source's signals for `ids` (only those), outcome recorded either way."""
        try:
            what = f"sent counts for {day} that could not be read"
            with boundary(self.name, what, title=self.title):
                found = await self.inner.signals_for(day, ids, authors=authors)
                if not isinstance(found, dict):
                    raise TypeError(f"signals_for answered {type(found).__name__}, not a dict")
        except SourceError as exc:
            await self._record(ok=False, error=str(exc))
            raise
        await self._record(ok=True)
        wanted = set(ids)
        return {k: v for k, v in found.items() if k in wanted and isinstance(v, Signal)}

    async def _record(self, *, ok: bool, error: str | None = None) -> None:
        sink = self._health()
        if sink is None:
            return
        try:
            await sink(self.name, ok=ok, error=error, at=self._clock())
        except Exception as exc:  # the store's trouble shows in its own status line
            log.warning("%s: could not record the signal's health: %s", self.name, exc)


MAX_COUNT = 10**12  # no post has a trillion likes; beyond this a count is garbage


def count(value: object) -> int | None:
    """A count that is really a non-negative int of a sane size (JSON true is not 1 point)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        return None
    return value


def window(day: date, before_days: int, after_days: int) -> tuple[datetime, datetime]:
    """The UTC span a crowd is searched over for the papers announced on `day`.

    From `before_days` before the day's start (a paper is often shared the evening it is
    announced, which is the previous day in UTC for arXiv's 20:00 US Eastern) to
    `after_days` after its end: discussion peaks in the first days and then stops counting
    for that day, so a past day's counts settle.
    """
    start = datetime.combine(day, dtime(0), tzinfo=UTC) - timedelta(days=before_days)
    end = datetime.combine(day, dtime(0), tzinfo=UTC) + timedelta(days=1 + after_days)
    return start, end


T = TypeVar("T")


class DayMemo(Generic[T]):
    """What a crowd said about every paper around a day (signals, posts), kept `minutes`.

    The blend asks once per archive (math.AG, quant-ph, …) with that archive's ids; the crowd
    is searched once per day for every arXiv link and each ask is answered from the memo, so
    the requests per day do not grow with the number of archives. Calls for one day share one
    fetch (a lock); at most `days` days are kept (least recently used dropped). A failure is
    kept too, `failure_minutes`, and raised again to every archive that asks meanwhile: an
    outage costs one attempt, not one per archive.
    """

    def __init__(
        self,
        minutes: float,
        *,
        days: int = 8,
        failure_minutes: float = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = minutes * 60
        self.failure_seconds = failure_minutes * 60
        self.days = days
        self.clock = clock
        self._kept: OrderedDict[date, tuple[float, T]] = OrderedDict()
        self._failed: dict[date, tuple[float, SourceError]] = {}
        self._lock = asyncio.Lock()

    async def get(self, day: date, fetch: Callable[[date], Awaitable[T]]) -> T:
        """The memo of `day`, fetched with `fetch` when absent or older than `minutes`."""
        async with self._lock:
            kept = self._kept.get(day)
            if kept is not None and self.clock() - kept[0] < self.seconds:
                self._kept.move_to_end(day)
                return kept[1]
            failed = self._failed.get(day)
            if failed is not None and self.clock() - failed[0] < self.failure_seconds:
                raise failed[1]
            try:
                found = await fetch(day)
            except SourceError as exc:  # BusyError (a member's turn) is not an outage
                self._failed.pop(day, None)
                self._failed[day] = (self.clock(), exc)
                while len(self._failed) > self.days:
                    del self._failed[next(iter(self._failed))]
                raise
            self._failed.pop(day, None)
            self._kept[day] = (self.clock(), found)
            self._kept.move_to_end(day)
            while len(self._kept) > self.days:
                self._kept.popitem(last=False)
            return found


def json_object(fetched: Fetched, title: str) -> dict[str, Any]:
    """The body as a JSON object; UpstreamFormatError for anything else (HTML, a list, junk)."""
    if not fetched.content.strip():
        raise UpstreamFormatError(
            f"{title} sent an empty answer.", detail=f"empty body from {fetched.url}"
        )
    try:
        data: Any = json.loads(fetched.content)
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, a 5,000-digit number
        kind = fetched.content_type or "unknown content type"
        raise UpstreamFormatError(
            f"{title} sent something that is not JSON.",
            detail=f"expected a JSON object from {fetched.url}, got {kind} "
            f"({exc.__class__.__name__}): {snippet(fetched.content)}",
        ) from exc
    if not isinstance(data, dict):
        raise UpstreamFormatError(
            f"{title} sent something that is not a JSON object.",
            detail=f"expected a JSON object from {fetched.url}, got {type(data).__name__}: "
            f"{snippet(fetched.content)}",
        )
    return data
