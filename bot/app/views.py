"""Text the commands show (argument parsing, subscription lines, status, history, what
`/digest post-now` did, permission names, the cut that keeps a reply within Discord's limits).
Pure.

Kept apart from the cogs so it is tested without Discord; Discord's `<t:…>` timestamps show each
reader the time in their own zone, `<#id>` names a channel without pinging anyone.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import cache

import discord
from discord import app_commands

from bot import limits
from bot.app.outcomes import DayLine
from bot.errors import UserInputError
from bot.models import Digest, PostRecord, SourceHealth, Subscription, parse_arxiv_id
from bot.publish import Outcome, compose
from bot.render import ZWSP, clean, empty_reason, escape
from bot.schedule import Slot
from bot.sources.registry import title as source_title
from bot.taxonomy import MAX_CHOICES, complete_list, fit, search

DISCORD = "https://discord.com/channels"
ARXIV_FIRST_DAY = date(1991, 8, 14)  # arXiv's first day: no digest can be older


def parse_day(text: str | None, *, today: date) -> date | None:
    """`2021-03-12` -> date; None stays None; anything else, or a day outside arXiv's life
    (before 1991-08-14, after tomorrow), is a UserInputError. Checked here so that no
    later date arithmetic (a week before year 1) can overflow."""
    if text is None or not text.strip():
        return None
    given = text.strip()
    try:
        day = date.fromisoformat(given)
    except ValueError:
        raise UserInputError(
            f"`{quote(given, 40)}` is not a date: use YYYY-MM-DD, e.g. 2021-03-12."
        ) from None
    last = today + timedelta(days=1)
    if not ARXIV_FIRST_DAY <= day <= last:
        raise UserInputError(
            f"{day.isoformat()} is outside arXiv's life: pick a day from "
            f"{ARXIV_FIRST_DAY.isoformat()} to {last.isoformat()}."
        )
    return day


def quote(text: str, limit: int) -> str:
    """User text quoted inside `code`: no backticks, no mentions, at most `limit` characters."""
    short = clean(text).replace("`", "'")
    short = short if len(short) <= limit else short[: limit - 1] + "…"
    return _PING.sub(lambda m: m.group(0)[0] + ZWSP + m.group(0)[1:], short)


# What can ping or masquerade in a reply; the bot's own `<#id>` and `<t:…>` are left alone.
_PING = re.compile(r"<[@&!]|@(?=everyone|here)", re.IGNORECASE)


def safe_reply(text: str) -> str:
    """A reply the bot wrote, made inert where it may quote others (user or role mentions,
    @everyone): channel mentions and timestamps, which ping nobody, stay intact."""
    return _PING.sub(lambda m: m.group(0)[0] + ZWSP + m.group(0)[1:], clean(text))


def fit_lines(
    head: Sequence[str], lines: Sequence[str], tail: Sequence[str] = (), limit: int = 0
) -> str:
    """`head` + as many `lines` as fit + "… and N more." + `tail`, within Discord's content
    limit (`limits.CONTENT` by default). Whole lines only: a cut never lands inside a mention
    or a link. A head or tail line that is too long on its own is cut with an ellipsis."""
    limit = limit or limits.CONTENT

    def size(parts: Sequence[str]) -> int:
        return limits.dlen("\n".join(parts))

    for shown in range(len(lines), -1, -1):
        more = [f"… and {len(lines) - shown} more."] if shown < len(lines) else []
        parts = [*head, *lines[:shown], *more, *tail]
        if size(parts) <= limit:
            return "\n".join(parts)
    text = "\n".join([*head, *tail])
    return text[: limit - 1] + "…"


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


def history_text(channel_id: int, days: int, lines: Sequence[DayLine], subscribed: bool) -> str:
    """`/history`: every day of the window with its outcome, newest first (`outcomes`)."""
    if not lines:
        return (
            f"Nothing was posted in <#{channel_id}> in the last {days} days, and it has no "
            "digest subscription. /digest subscribe sets one up."
        )
    head = [f"**Every day of the last {days} days in <#{channel_id}>**"]
    if not subscribed:
        head.append("(no digest subscription now; what was recorded before)")
    return fit_lines(head, [f"• {d.day.isoformat()} · {d.text}" for d in lines])


def ts(moment: datetime, style: str = "f") -> str:
    """A Discord timestamp, shown in each reader's own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def next_text(slot: Slot) -> str:
    """`next: <when> (<in how long>, the digest of <day>)`."""
    return f"next: {ts(slot.due_at)} ({ts(slot.due_at, 'R')}, the digest of {slot.day})"


def subscription_line(sub: Subscription, slot: Slot | None) -> str:
    """One subscription in `/digest list`, with its next post (`None`: none is scheduled).

    `slot` is the next slot whose day is not posted yet (`bot.app.outcomes.next_unposted`)."""
    parts = [f"<#{sub.channel_id}>", f"{sub.post_time} {sub.timezone}", sub.format]
    parts.append(f"up to {sub.limit}")
    if sub.categories:
        parts.append(_listed(sub.categories, 6))
    if sub.keywords:
        parts.append("keywords: " + _listed([escape(k) for k in sub.keywords], 4))
    if sub.min_score:
        parts.append(f"score ≥ {sub.min_score:g}")
    if not sub.post_empty:
        parts.append("quiet on empty days")
    if not sub.enabled:
        parts.append("**disabled**" + (f" ({sub.failing_reason})" if sub.failing_reason else ""))
    elif sub.failing_reason:
        parts.append(f"**failing**: {sub.failing_reason}")
    elif slot is not None:
        parts.append(next_text(slot))
    return " · ".join(parts)


def _listed(items: Sequence[str], shown: int) -> str:
    more = f" +{len(items) - shown}" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _last_text(rec: PostRecord | None) -> str:
    """The channel's latest ledger row in a few words."""
    if rec is None:
        return "nothing posted yet"
    if rec.status == "sent":
        when = f" at {ts(rec.posted_at)}" if rec.posted_at else ""
        return f"last post: the digest of {rec.day}{when}"
    error = f": {rec.error}" if rec.error else ""
    return f"the digest of {rec.day} is **{rec.status}**{error}"


_PROBLEMS = (
    (re.compile(r"HTTP (\d{3})"), None),
    (re.compile(r"timed out|Timeout", re.IGNORECASE), "timed out"),
    (re.compile(r"retry after", re.IGNORECASE), "rate-limited"),
    (re.compile(r"Connect|Errno|refused|resolve|Network|Protocol", re.IGNORECASE), "no connection"),
)


def source_problem(error: str | None) -> str:
    """A source's last error as a kind (`HTTP 503`, `timed out`, `no connection`), never the
    raw text: that holds URLs and socket errors, and stays in the log."""
    for pattern, kind in _PROBLEMS:
        m = pattern.search(error or "")
        if m:
            return kind or f"HTTP {m.group(1)}"
    return "a bad answer" if error else "no answer"


def source_down_text(name: str, health: Iterable[SourceHealth], sentence: str = "") -> str:
    """An upstream outage, said plainly: which source (as people know it), since when.

    `sentence` is the source error's own message when it is one plain sentence (the sources
    write it to be shown); never the raw exception text, which stays in the log.
    """
    label = source_title(name)
    h = next((h for h in health if h.source == name), None)
    if h is None or h.ok:
        first = sentence or f"{label} did not answer just now."
        return f"{first} Please try again later."
    first = sentence or f"{label} cannot be reached right now."
    tried = f"last tried {ts(h.checked_at, 'R')}"
    since = f"No answer since {ts(h.last_ok_at)}" if h.last_ok_at else "No answer yet"
    return f"{first} {since} ({tried}). Please try again later."


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
    latest: dict[int, PostRecord] = {}
    for p in posts:
        if p.channel_id not in latest or p.day > latest[p.channel_id].day:
            latest[p.channel_id] = p
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
        slot = next_slots.get(sub.channel_id)
        nxt = f" · {next_text(slot)}" if slot is not None and state == "ok" else ""
        last = _last_text(latest.get(sub.channel_id))
        mine = [d for d in days.get(sub.channel_id, ()) if not d.before]
        recent = " · ".join(f"{d.day:%m-%d} {d.short}" for d in mine)
        entry = f"• <#{sub.channel_id}> · {state} · {last}{nxt}" + (
            f"\n  {recent}" if recent else ""
        )
        # Channels that need a moderator come first, so a cut never hides them.
        (troubled if state != "ok" or any(d.trouble for d in mine) else entries).append(entry)
    entries = troubled + entries
    tail = []
    failing = [s for s in subs if s.failing_reason or not s.enabled]
    tail.append(
        f"Failing channels: {_listed([f'<#{s.channel_id}>' for s in failing], 10)}"
        if failing
        else "Failing channels: none"
    )
    shown = [h for h in health if h.source in sources] or health
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


_PERMISSION_NAMES = {  # where Discord's name is not the attribute title-cased
    "manage_guild": "Manage Server",
    "send_messages_in_threads": "Send Messages in Threads",
}


def permission_names(missing: Sequence[str]) -> str:
    """`["embed_links", "manage_guild"]` -> `Embed Links, Manage Server` (as Discord shows them)."""
    names = [_PERMISSION_NAMES.get(p, p.replace("_", " ").title()) for p in missing]
    return ", ".join(names)


def missing_permissions(perms: discord.Permissions, fmt: str) -> list[str]:
    """The permissions a post needs that `perms` lacks (reading history: the recovery scan)."""
    needed = ["view_channel", "send_messages", "embed_links", "read_message_history"]
    if fmt == "detailed":
        needed += ["create_public_threads", "send_messages_in_threads"]
    return [n for n in needed if not getattr(perms, n)]


def post_now_text(
    guild_id: int,
    sub: Subscription,
    digest: Digest,
    out: Outcome,
    record: PostRecord | None,
    *,
    late: bool,
) -> str:
    """Exactly what `/digest post-now` did: sent (with a link), already posted (when), nothing
    to post (why), or failed (why, in words: Discord's raw error stays in the log)."""
    where, day = f"<#{sub.channel_id}>", out.day
    link = (
        f" ({message_link(guild_id, sub.channel_id, out.message_ids[0])})"
        if out.message_ids
        else ""
    )
    candidates = len(digest.papers)
    shown = compose(sub, digest).papers
    status = str(out.status)
    if status == "already" and out.was == "missed":
        why = f" ({out.error})" if out.error else ""
        return (
            f"The digest of {day} is recorded as missed in {where}{why}. Post it late with "
            f"/digest post-now date:{day}."
        )
    if status == "already" and out.was == "empty":
        why = out.error or empty_reason(candidates)
        return f"The digest of {day} was already handled in {where}{link}: nothing to post ({why})."
    if status == "already":
        posted_at: datetime | None = record.posted_at if record else None
        when = f" on {ts(posted_at)}" if posted_at else ""
        return (
            f"The digest of {day} was already posted in {where}{when}{link}; "
            "a day is never posted twice."
        )
    marked = " It is marked as posted late." if late else ""
    if status == "sent" and out.message_ids and shown:
        return f"Posted the digest of {day} to {where}{link}.{marked}"
    if status in ("sent", "empty") and out.message_ids:
        why = empty_reason(candidates)
        return f"Posted the empty-day notice of {day} to {where}{link}: {why}.{marked}"
    if status in ("sent", "empty"):
        return (
            f"Nothing was posted to {where} for {day}: {empty_reason(candidates)}, and "
            "empty-day notices are off (post_empty)."
        )
    if status == "forbidden":
        needed = permission_names(missing_permissions(discord.Permissions.none(), sub.format))
        return (
            f"Posting the digest of {day} to {where} failed: Discord refused me access or a "
            f"permission there (I need {needed}). Fix the channel's permissions, then run "
            "/digest subscribe there again to resume."
        )
    if status == "gone":
        return (
            f"Posting the digest of {day} failed: {where} no longer exists; "
            "its subscription is disabled."
        )
    if status == "rejected":
        return (
            f"Posting the digest of {day} to {where} failed: Discord refused the message as "
            "invalid. That is a bug on my side and has been logged; the channel is marked "
            "failing until it is fixed."
        )
    if status == "failed" and out.retry_after > 0:
        return (
            f"Posting the digest of {day} to {where} is delayed: Discord asked me to wait "
            f"{out.retry_after:.0f} s. Nothing is lost; the scheduler will post it after that."
        )
    if status == "failed":
        return (
            f"Posting the digest of {day} to {where} failed for now: Discord did not answer in "
            "time. Nothing is lost; the scheduler will try again shortly."
        )
    return f"The digest of {day} for {where} ended as {status}."
