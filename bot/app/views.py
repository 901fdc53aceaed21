"""Text the commands show (argument parsing, subscription lines, status, history). Pure.

Kept apart from the cogs so it is tested without Discord; Discord's `<t:…>` timestamps show each
reader the time in their own zone, `<#id>` names a channel without pinging anyone.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache

from discord import app_commands

from bot.errors import UserInputError
from bot.models import PostRecord, SourceHealth, Subscription, parse_arxiv_id
from bot.schedule import next_slot
from bot.taxonomy import MAX_CHOICES, complete_list, fit, search

DISCORD = "https://discord.com/channels"


def parse_day(text: str | None) -> date | None:
    """`2021-03-12` -> date; None stays None; anything else is a UserInputError."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserInputError(
            f"{text[:40]!r} is not a date: use YYYY-MM-DD, e.g. 2021-03-12."
        ) from None


def parse_paper_id(text: str) -> str:
    """An arXiv id or URL -> version-less id; UserInputError saying what is accepted."""
    try:
        return parse_arxiv_id(text[:300])[0]
    except ValueError as exc:
        raise UserInputError(str(exc).replace("not an arXiv id", "Not an arXiv id")) from None


def category_choices(current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for one category: `cs.CV — Computer Vision and Pattern Recognition`."""
    negate = current.strip().startswith("-")
    query = current.strip().lstrip("-")
    out = []
    for cat in search(query):
        value = f"-{cat.id}" if negate else cat.id
        label = f"-{cat.label}" if negate else cat.label
        out.append(app_commands.Choice(name=fit(label), value=value))
    return out


def category_list_choices(current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for a comma-separated list of categories (the last one is completed)."""
    return [app_commands.Choice(name=label, value=value) for label, value in complete_list(current)]


@cache
def _zones() -> tuple[str, ...]:
    names = {z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"}
    return tuple(sorted(n for n in names if not n.startswith(("Etc/", "SystemV/", "posix/"))))


POPULAR_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Australia/Sydney",
)


def zone_choices(current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for an IANA time zone: prefix matches first, then any part of the name."""
    q = current.strip().casefold().replace(" ", "_")
    if not q:
        return [app_commands.Choice(name=z, value=z) for z in POPULAR_ZONES]
    zones = _zones()
    first = [z for z in zones if z.casefold().startswith(q)]
    city = [z for z in zones if z not in first and z.casefold().split("/")[-1].startswith(q)]
    rest = [z for z in zones if z not in first and z not in city and q in z.casefold()]
    return [app_commands.Choice(name=z, value=z) for z in (first + city + rest)[:MAX_CHOICES]]


def message_link(guild_id: int, channel_id: int, message_id: int) -> str:
    """A jump link to a message."""
    return f"{DISCORD}/{guild_id}/{channel_id}/{message_id}"


def posted_note(arxiv_id: str, guild_id: int, posts: list[PostRecord]) -> str:
    """`/paper`'s line on when (and where) the paper was posted in this server."""
    sent = [p for p in posts if p.status == "sent"]
    if not sent:
        return f"arXiv:{arxiv_id} has not been posted in this server yet."
    parts = []
    for p in sent[:5]:
        where = f"<#{p.channel_id}>"
        if p.message_ids:
            where = f"{where} ([jump]({message_link(guild_id, p.channel_id, p.message_ids[0])}))"
        parts.append(f"{where} in the digest of {p.day.isoformat()}")
    more = f" and {len(sent) - 5} more" if len(sent) > 5 else ""
    return f"Posted in this server: {'; '.join(parts)}{more}."


def history_text(guild_id: int, posts: list[PostRecord], days: int) -> str:
    """`/history`: one line per digest day posted in this channel, newest first."""
    if not posts:
        return f"Nothing was posted in this channel in the last {days} days."
    lines = [f"**Posted in this channel in the last {days} days**"]
    for p in posts:
        n = len(p.arxiv_ids)
        what = f"{n} paper{'s' if n != 1 else ''}" if n else "no papers (empty day)"
        if p.status == "sent" and p.message_ids:
            link = message_link(guild_id, p.channel_id, p.message_ids[0])
            state = f"[posted]({link})"
        elif p.status == "sent":
            state = "nothing to post (empty day, notices off)"
        else:
            state = f"{p.status}: {p.error or 'in progress'}"
        lines.append(f"• {p.day.isoformat()} · {what} · {p.source} · {state}")
    text = "\n".join(lines)
    return text if len(text) <= 2000 else text[:1990].rsplit("\n", 1)[0] + "\n…"


def ts(moment: datetime, style: str = "f") -> str:
    """A Discord timestamp, shown in each reader's own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def subscription_line(sub: Subscription, now: datetime, lag_days: int) -> str:
    """One subscription in `/digest list`, with its next post time."""
    parts = [f"<#{sub.channel_id}>", f"{sub.post_time} {sub.timezone}", sub.format]
    parts.append(f"up to {sub.limit}")
    if sub.categories:
        parts.append(", ".join(sub.categories))
    if sub.keywords:
        parts.append("keywords: " + ", ".join(sub.keywords))
    if sub.min_score:
        parts.append(f"score ≥ {sub.min_score:g}")
    if not sub.post_empty:
        parts.append("quiet on empty days")
    if not sub.enabled:
        parts.append("**disabled**" + (f" ({sub.failing_reason})" if sub.failing_reason else ""))
    elif sub.failing_reason:
        parts.append(f"**failing**: {sub.failing_reason}")
    else:
        slot = next_slot(sub, now, lag_days=lag_days)
        parts.append(f"next: {ts(slot.due_at)} ({ts(slot.due_at, 'R')}, the digest of {slot.day})")
    return " · ".join(parts)


def status_text(
    subs: list[Subscription],
    posts: Iterable[PostRecord],
    health: list[SourceHealth],
    sources: set[str],
    *,
    scheduler_running: bool,
    last_tick: datetime | None,
    waiting: Iterable[str] = (),
    discord_lines: Iterable[str] = (),
) -> str:
    """`/digest status`: last post per channel, failing channels, source health, the loop.

    `waiting` names the (source, day) digests the last tick could not get; `discord_lines`
    describe trouble with Discord itself (`bot.app.health`).
    """
    latest: dict[int, PostRecord] = {}
    for p in posts:
        if p.channel_id not in latest or p.day > latest[p.channel_id].day:
            latest[p.channel_id] = p
    lines = ["**HotPapers status**"]
    loop = "running" if scheduler_running else "**not running**"
    tick = f", last tick {ts(last_tick)}" if last_tick else ""
    lines.append(f"Scheduler: {loop}{tick}")
    waits = list(waiting)
    if waits:
        lines.append(f"Waiting for digests (not available yet): {', '.join(waits)}")
    lines.extend(discord_lines)
    if not subs:
        lines.append("No subscriptions in this server. Use /digest subscribe.")
    for sub in subs:
        rec = latest.get(sub.channel_id)
        if rec is None:
            last = "nothing posted yet"
        elif rec.status == "sent":
            when = f" at {ts(rec.posted_at)}" if rec.posted_at else ""
            last = f"last post: the digest of {rec.day}{when}"
        else:
            error = f": {rec.error}" if rec.error else ""
            last = f"the digest of {rec.day} is **{rec.status}**{error}"
        state = "ok"
        if not sub.enabled:
            state = "**disabled**"
        if sub.failing_reason:
            state = f"**{'failing' if sub.enabled else 'disabled'}**: {sub.failing_reason}"
        lines.append(f"• <#{sub.channel_id}> · {state} · {last}")
    failing = [s for s in subs if s.failing_reason or not s.enabled]
    lines.append(
        f"Failing channels: {', '.join(f'<#{s.channel_id}>' for s in failing)}"
        if failing
        else "Failing channels: none"
    )
    shown = [h for h in health if h.source in sources] or health
    if not shown:
        lines.append(
            "Sources: not fetched yet" + (f" ({', '.join(sorted(sources))})" if sources else "")
        )
    for h in shown:
        if h.ok:
            lines.append(f"Source {h.source}: ok, checked {ts(h.checked_at)}")
        else:
            since = f", last success {ts(h.last_ok_at)}" if h.last_ok_at else ", never succeeded"
            lines.append(
                f"Source {h.source}: **failing** ({h.consecutive_failures}×): "
                f"{(h.error or '')[:200]}{since}"
            )
    text = "\n".join(lines)
    return text if len(text) <= 2000 else text[:1990].rsplit("\n", 1)[0] + "\n…"
