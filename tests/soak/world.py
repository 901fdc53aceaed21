"""The soak's world: 200 subscriptions over 8 zones, a month of digest days, a local upstream.

Everything here is seeded and pure except `Upstream` (a small aiohttp server on 127.0.0.1 that
answers the slow-drip and stalled requests, so the real `bot.sources.http.Http` with its real
timeouts is what meets them) and `FakeSource` (the digest source the bot's `DigestService`
builds through `FakeFactory`; it consults the run's fault plan on every fetch).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from aiohttp import web

from bot.errors import SourceError
from bot.models import Digest, Paper, Subscription
from bot.schedule import Slot, slot_for
from bot.sources.http import Http

# A month with five DST changes inside it: New York and St. John's (Mar 8), London (Mar 29),
# Sydney and Auckland (Apr 5, local). Kolkata, Kathmandu and UTC have none.
START = datetime(2026, 3, 7, tzinfo=UTC)
ZONES = (
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "America/St_Johns",
    "Asia/Kathmandu",
    "UTC",
)
# On the 15-minute grid (every zone's offset is a multiple of 15 min, so every slot is on a
# tick); 01:30 and 02:30 fall into DST gaps and overlaps in some zones on their change day.
POST_TIMES = ("01:30", "02:30", "09:00")
CATEGORIES = ("cs.CV", "cs.LG", "cs.CL", "cs.AI", "stat.ML", "q-bio.NC")
FILTERS: tuple[dict[str, Any], ...] = (
    {},
    {"categories": ["cs.CV"]},
    {"categories": ["cs.LG", "cs.CL"]},
    {"categories": ["-cs.CV"]},
    {"min_score": 300.0},
    {"keywords": ["learning"]},
    {"keywords": ["zzz-no-paper-says-this"]},  # the channel's filters remove every paper
    {"categories": ["q-bio.NC"], "min_score": 100.0},
)
SOURCE = "hotpapers-md"
GUILDS = 4


def subscriptions(guild_channels: list[tuple[int, int]], created: datetime) -> list[Subscription]:
    """One subscription per (guild, channel): zones, times, filters and formats rotate."""
    subs = []
    for i, (guild_id, channel_id) in enumerate(guild_channels):
        flt = FILTERS[(i // len(ZONES)) % len(FILTERS)]
        subs.append(
            Subscription(
                guild_id=guild_id,
                channel_id=channel_id,
                id=channel_id,
                post_time=POST_TIMES[(i // 3) % len(POST_TIMES)],
                timezone=ZONES[i % len(ZONES)],
                format="detailed" if i % 3 == 0 else "compact",
                limit=3,
                post_empty=i % 5 != 0,
                created_at=created,
                **flt,
            )
        )
    return subs


def expected_slots(sub: Subscription, start: datetime, end: datetime, lag_days: int) -> list[Slot]:
    """Every slot of `sub` due in [start, end), by the pure reference `bot.schedule.slot_for`."""
    zone_day = (start - timedelta(days=2)).date()
    out: list[Slot] = []
    while True:
        slot = slot_for(sub, zone_day, lag_days=lag_days)
        if slot.due_at >= end:
            return out
        if slot.due_at >= start:
            out.append(slot)
        zone_day += timedelta(days=1)


@dataclass
class Days:
    """Which source days are normal, empty (no papers) or missing (the source has no post)."""

    kinds: dict[date, str]
    digests: dict[date, Digest]

    @classmethod
    def generate(cls, rng: random.Random, first: date, last: date) -> Days:
        kinds: dict[date, str] = {}
        digests: dict[date, Digest] = {}
        day = first
        while day <= last:
            roll = rng.random()
            kind = "missing" if roll < 0.08 else "empty" if roll < 0.18 else "normal"
            kinds[day] = kind
            if kind != "missing":
                digests[day] = _digest(rng, day, 0 if kind == "empty" else rng.randint(3, 8))
            day += timedelta(days=1)
        return cls(kinds, digests)


WORDS = ("learning", "vision", "graph", "language", "neural", "sparse", "robust", "protein")


def _digest(rng: random.Random, day: date, n: int) -> Digest:
    papers = []
    for rank in range(n):
        cats = rng.sample(CATEGORIES, rng.randint(1, 3))
        score = float(rng.choice((12, 80, 150, 420, 900)) + rank)
        papers.append(
            Paper(
                arxiv_id=f"{day:%y%m}.{day.day:02d}{rank:03d}",
                title=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} for day {day} #{rank + 1}",
                authors=["A. Author", "B. Author"],
                categories=cats,
                abstract=f"We study {rng.choice(WORDS)} and {rng.choice(WORDS)}.",
                metrics={"retweets": int(score), "favorites": rank},
                score=score,
            )
        )
    return Digest(day=day, source=SOURCE, title=f"Hot Papers {day.isoformat()}", papers=papers)


# --- the upstream ---------------------------------------------------------------------------

SourceFault = Callable[[date, int], "BaseException | str | None"]


@dataclass
class FakeSource:
    """The source the bot fetches days from; `fault(day, attempt)` decides each fetch.

    A fault is an exception to raise, "drip" (a real HTTP request to an upstream that answers
    one byte every 50 ms, forever), "stall" (an upstream that never answers), or None.
    `on_raise`, when set, runs just before an exception is raised (the isolation-breaking
    scratch component uses it, see `harness.BrokenIsolation`).
    """

    days: Days
    fault: SourceFault
    http: Http
    upstream_url: str
    name: str = SOURCE
    attempts: dict[date, int] = field(default_factory=dict)
    on_raise: Callable[[], None] | None = None

    async def fetch_day(self, day: date) -> Digest:
        attempt = self.attempts.get(day, 0)
        self.attempts[day] = attempt + 1
        fault = self.fault(day, attempt)
        if isinstance(fault, BaseException):
            if self.on_raise is not None:
                self.on_raise()
            raise fault
        if fault in ("drip", "stall"):
            await self.http.get(f"{self.upstream_url}/{fault}/{day.isoformat()}")
            raise SourceError(f"{self.name}: the {fault} upstream answered (it never should)")
        digest = self.days.digests.get(day)
        if digest is None:
            raise SourceError(f"{self.name}: no post for {day}")
        return digest


@dataclass
class FakeFactory:
    """Stands in for `SourceFactory`: every source name builds the one `FakeSource`."""

    source: FakeSource

    def build(self, name: str) -> FakeSource:
        return self.source

    def report_health(self, sink: object) -> None:
        """The fake has no crowds (signal sources), so there is nothing to report."""


class Upstream:
    """A local HTTP server: `/drip/…` sends a byte every 50 ms forever, `/stall/…` never answers."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.app.add_routes(
            [web.get("/drip/{day}", self.drip), web.get("/stall/{day}", self.stall)]
        )
        self.requests = 0
        self.url = ""

    async def drip(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        response = web.StreamResponse(headers={"Content-Type": "text/markdown"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while True:
                await response.write(b"#")
                await asyncio.sleep(0.05)
        return response

    async def stall(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        await asyncio.sleep(3600)
        return web.Response(text="")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Upstream]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=0.1
        )
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            yield self
        finally:
            await runner.cleanup()


def upstream_http(client: httpx.AsyncClient, timeout: float) -> Http:
    """The real resilient GET the bot's sources use, with the soak's short timeout, no retries."""
    return Http(client, SOURCE, timeout=timeout, max_retries=0)
