"""`/digest status`: each channel's state, next post and the outcome of each of its last days,
the failing channels, the paper sources' health, the posting loop, the store, the poster lease
and Discord itself, in one message. Plain data in, the reply out.

What the bot's other parts know arrives as plain facts, read when the command runs: the
scheduler's as a `LoopState`, Discord's trouble and the poster lease's state as lines. So the
status is tested with plain data, and it cannot change what it reports on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import cadence
from bot.models import PostRecord, SourceHealth, Subscription, stored_id
from bot.schedule import Clock, Slot
from bot.services.digests import DigestService
from bot.services.outcomes import DayLine, window_days
from bot.services.subscriptions import next_slots
from bot.services.texts import digest_name, fit_lines, listed, next_text, source_problem, ts
from bot.sources import registry
from bot.store.base import Store

STATUS_DAYS = 7  # /digest status shows each channel's last week
Stamp = Callable[[datetime], str]  # how a moment is written (`texts.ts`: a Discord timestamp)


@dataclass(frozen=True)
class LoopState:
    """The posting loop as `/digest status` reports it (from `bot.app.scheduler.Scheduler`)."""

    running: bool
    last_tick_at: datetime | None = None
    waiting: tuple[str, ...] = ()  # the (source, day) digests the last tick could not get
    paused: str | None = None  # why posting is paused right now (None: it is not)


def _no_lines(stamp: Stamp) -> list[str]:
    return []


def _last_text(rec: PostRecord | None) -> str:
    """The channel's latest ledger row in a few words."""
    if rec is None:
        return "nothing posted yet"
    if rec.status == "sent":
        when = f" at {ts(rec.posted_at)}" if rec.posted_at else ""
        return f"last post: the digest of {rec.day}{when}"
    error = f": {rec.error}" if rec.error else ""
    return f"the digest of {rec.day} is **{rec.status}**{error}"


def status_text(
    subs: list[Subscription],
    health: list[SourceHealth],
    sources: set[str],
    *,
    posts: Iterable[PostRecord],
    days: Mapping[int, Sequence[DayLine]],
    next_slots: Mapping[int, Slot | None],
    scheduler_running: bool,
    last_tick: datetime | None,
    waiting: Iterable[str] = (),
    discord_lines: Iterable[str] = (),
    paused: str | None = None,
) -> str:
    """`/digest status`: each channel's state, next post and the outcome of each of its last
    days (`days`, from `outcomes.window_days`), failing channels, source health, the loop.

    `waiting` names the (source, day) digests the last tick could not get; `discord_lines`
    describe trouble with Discord itself (`bot.app.health`); `paused` says why posting is
    paused (the scheduler's `paused_reason`). Fits one message: channels that do not fit are
    counted.
    """
    latest: dict[int, PostRecord] = {}  # by subscription id
    for p in posts:
        if p.subscription_id not in latest or p.day > latest[p.subscription_id].day:
            latest[p.subscription_id] = p
    head = ["**HotPapers status**"]
    loop = "running" if scheduler_running else "**not running**"
    tick = f", last tick {ts(last_tick)}" if last_tick else ""
    head.append(f"Scheduler: {loop}{tick}")
    if paused:
        head.append(f"Posting: **paused**: {paused}")
    waits = list(waiting)
    if waits:
        head.append(f"Waiting for digests (not available yet): {', '.join(waits)}")
    head.extend(discord_lines)
    if not subs:
        head.append("No subscriptions in this server. Use /digest subscribe.")
    entries: list[str] = []
    troubled: list[str] = []
    for sub in subs:
        state = "ok"
        if not sub.enabled:
            state = "**disabled**"
        if sub.failing_reason:
            state = f"**{'failing' if sub.enabled else 'disabled'}**: {sub.failing_reason}"
        key = stored_id(sub)
        slot = next_slots.get(key)
        held = sub.paused and state == "ok"  # a moderator's choice, not trouble
        nxt = f" · {next_text(slot)}" if slot is not None and state == "ok" and not held else ""
        last = _last_text(latest.get(key))
        mine = [d for d in days.get(key, ()) if not d.before]
        recent = " · ".join(f"{d.day:%m-%d} {d.short}" for d in mine)
        what = digest_name(sub)
        if sub.name != "daily" or sub.cadence != "daily":
            what += f" · {cadence.describe(sub)}"
        shown_state = "**paused**" if held else state
        entry = f"• {what} · {shown_state} · {last}{nxt}" + (f"\n  {recent}" if recent else "")
        # Channels that need a moderator come first, so a cut never hides them.
        (troubled if state != "ok" or any(d.trouble for d in mine) else entries).append(entry)
    entries = troubled + entries
    tail = []
    # a channel once, however many of its digests fail (a 403 fails them all)
    failing = list(dict.fromkeys(s.channel_id for s in subs if s.failing_reason or not s.enabled))
    tail.append(
        f"Failing channels: {listed([f'<#{c}>' for c in failing], 10)}"
        if failing
        else "Failing channels: none"
    )
    # The crowds a blend asks (hn, bluesky …) report under their own names: shown when tried.
    crowds = {s.name for s in registry.REGISTRY.signals}
    shown = [h for h in health if h.source in sources or h.source in crowds] or health
    if not shown:
        tail.append(
            "Sources: not fetched yet" + (f" ({', '.join(sorted(sources))})" if sources else "")
        )
    for h in shown:
        if h.ok:
            tail.append(f"Source {h.source}: ok, checked {ts(h.checked_at)}")
        else:
            since = f"since {ts(h.last_ok_at)}" if h.last_ok_at else "never reached yet"
            tail.append(
                f"Source {h.source}: **failing** ({h.consecutive_failures}×, "
                f"{source_problem(h.error)}): unreachable {since}, last tried "
                f"{ts(h.checked_at, 'R')}"
            )
    return fit_lines(head, entries, tail)


class StatusService:
    """`/digest status` over the store, the digests and the facts of the running bot."""

    def __init__(
        self,
        store: Store,
        digests: DigestService,
        *,
        clock: Clock,
        grace: timedelta,
        loop: Callable[[], LoopState],
        discord_lines: Callable[[Stamp], list[str]] = _no_lines,
        poster_line: Callable[[], str] | None = None,
    ) -> None:
        self.store = store
        self.digests = digests
        self.clock = clock
        self.grace = grace  # the catch-up window: a day past it with no post is "not posted"
        self.loop = loop
        self.discord_lines = discord_lines  # trouble with Discord itself (`bot.app.health`)
        self.poster_line = poster_line  # the poster lease, when this process has one

    def store_lines(self, stamp: Stamp) -> list[str]:
        """Status lines about the store and the poster lease."""
        lines = [self.store.write_health().line(stamp)]
        if self.poster_line is not None:
            lines.append(f"Poster: {self.poster_line()}")
        return lines

    async def status(self, guild_id: int) -> str:
        """The server's `/digest status` message."""
        now = self.clock()
        subs = await self.store.list_subscriptions(guild_id)
        since = now.date() - timedelta(days=STATUS_DAYS + 2)
        posts = await self.store.list_posts(guild_id=guild_id, since=since)
        health = await self.store.source_health()
        sources = {self.digests.resolve(s.source) for s in subs}
        lag = self.digests.lag_days
        days = {
            stored_id(s): window_days(
                s,
                [p for p in posts if p.subscription_id == s.id],
                now,
                days=STATUS_DAYS,
                lag_days=lag,
                grace=self.grace,
                guild_id=s.guild_id,
            )
            for s in subs
        }
        slots = await next_slots(self.store, subs, clock=self.clock, lag_days=lag)
        loop = self.loop()
        return status_text(
            subs,
            health,
            sources,
            posts=posts,
            days=days,
            next_slots=slots,
            scheduler_running=loop.running,
            last_tick=loop.last_tick_at,
            waiting=loop.waiting,
            discord_lines=[*self.store_lines(ts), *self.discord_lines(ts)],
            paused=loop.paused,
        )
