"""The wording the commands share, and the parsing of what members type. Pure, no discord.py.

Replies are Discord markdown: `<t:…>` timestamps show each reader the time in their own zone,
`<#id>` names a channel without pinging anyone, and every reply the bot writes is made inert
where it may quote others (`safe_reply`). `fit_lines` keeps a reply within Discord's content
limit by cutting whole lines, so a cut never lands inside a mention or a link.

Each service's own reply text sits beside it (`status_text` in `status`, `post_now_text` in
`posting` …); what several of them say, and the parsing of dates and ids, is here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta

from bot import cadence, limits, why
from bot.delivery.targets import TARGETS, known
from bot.errors import UserInputError
from bot.models import SourceHealth, Subscription, parse_arxiv_id
from bot.permissions import BY_NAME, POST, needed
from bot.render import ZWSP, clean, escape, truncate
from bot.schedule import Slot
from bot.sources.registry import title as source_title

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


def message_link(guild_id: int, channel_id: int, message_id: int) -> str:
    """A jump link to a message."""
    return f"{DISCORD}/{guild_id}/{channel_id}/{message_id}"


def ts(moment: datetime, style: str = "f") -> str:
    """A Discord timestamp, shown in each reader's own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def next_text(slot: Slot) -> str:
    """`next: <when> (<in how long>, the digest of <day>)`."""
    what = cadence.span(slot.first, slot.day)
    return f"next: {ts(slot.due_at)} ({ts(slot.due_at, 'R')}, the digest of {what})"


def digest_name(sub: Subscription) -> str:
    """How replies name a digest: its channel, and its name unless it is the default."""
    return f"<#{sub.channel_id}>" + ("" if sub.name == "daily" else f" ({escape(sub.name)})")


def subscription_line(sub: Subscription, slot: Slot | None) -> str:
    """One subscription in `/digest list`, with its next post (`None`: none is scheduled).

    `slot` is the next slot whose day is not posted yet (`bot.services.outcomes.next_unposted`).
    The default daily digest reads as before several digests per channel existed; another
    says its name and how often it posts."""
    parts = [digest_name(sub)]
    if sub.name != "daily" or sub.cadence != "daily":
        parts.append(cadence.describe(sub))
    parts += [f"{sub.post_time} {sub.timezone}", sub.format]
    parts.append(f"up to {sub.limit}")
    if sub.categories:
        parts.append(listed(sub.categories, 6))
    if sub.keywords:
        parts.append("keywords: " + listed([escape(k) for k in sub.keywords], 4))
    if sub.min_score:
        parts.append(f"score ≥ {sub.min_score:g}")
    if not sub.post_empty:
        parts.append("quiet on empty days")
    parts.extend(extras(sub))
    if not sub.enabled:
        parts.append("**disabled**" + (f" ({sub.failing_reason})" if sub.failing_reason else ""))
    elif sub.paused:
        parts.append("**paused** (/digest resume)")
    elif sub.failing_reason:
        parts.append(f"**failing**: {sub.failing_reason}")
    elif slot is not None:
        parts.append(next_text(slot))
    return " · ".join(parts)


def extras(sub: Subscription) -> list[str]:
    """The role, ping, late-riser and vote settings, when set (role mentions never ping in a
    reply: `allowed_mentions` is none)."""
    out = []
    if sub.role_id is not None:
        role = f"<@&{sub.role_id}>"
        if sub.ping == "always":
            out.append(f"pings {role}")
        elif sub.ping == "score":
            out.append(f"pings {role} at score ≥ {sub.ping_min_score:g}")
        else:
            out.append(f"role {role}")
        if sub.self_roles:
            out.append("role button")
    if sub.late_risers:
        out.append(f"late risers: top {sub.late_risers}")
    if sub.server_votes:
        out.append("server votes count")
    return out


def subscribed_text(sub: Subscription, slot: Slot | None, *, updated: bool) -> str:
    """The reply to `/digest subscribe`: what was set, and when the next post is."""
    verb = "Updated" if updated else "Subscribed"
    when = (
        f" Next post {ts(slot.due_at)} (the digest of {cadence.span(slot.first, slot.day)})."
        if slot
        else ""
    )
    if sub.paused:
        when = " It is paused: /digest resume starts it again."
    how = cadence.describe(sub)
    # Within Discord's limits by construction: the change is saved, the reply must go out.
    return fit_lines(
        [f"{verb} {digest_name(sub)}: {how} at {sub.post_time} {sub.timezone}.{when}"],
        [subscription_line(sub, slot)],
    )


def unsubscribed_text(sub: Subscription) -> str:
    """The reply to `/digest unsubscribe`."""
    if sub.name == "daily" and sub.cadence == "daily":
        return f"Unsubscribed <#{sub.channel_id}>: no more daily digests there."
    return f"Unsubscribed {digest_name(sub)}: that digest posts no more (what it posted stays)."


def paused_text(sub: Subscription, *, already: bool) -> str:
    """The reply to `/digest pause`."""
    if already:
        return f"{digest_name(sub)} is already paused. /digest resume starts it again."
    return (
        f"Paused {digest_name(sub)}: nothing is posted until /digest resume, and the days in "
        "between are skipped (not posted late)."
    )


def resumed_text(sub: Subscription, slot: Slot | None, *, already: bool) -> str:
    """The reply to `/digest resume`, with the next post."""
    when = (
        f" Next post {ts(slot.due_at)} (the digest of {cadence.span(slot.first, slot.day)})."
        if slot
        else ""
    )
    if already:
        return f"{digest_name(sub)} is not paused.{when}"
    return f"Resumed {digest_name(sub)}.{when}"


def too_many_text(channel_id: int, names: Sequence[str]) -> str:
    """A channel already holds the most digests it may."""
    return (
        f"<#{channel_id}> already has {len(names)} digests ({listed(list(names), 10)}), the "
        "most a channel may hold. Change one (same name) or unsubscribe one first."
    )


def no_subscription_text(channel_id: int, name: str | None) -> str:
    """A channel has no digest (of that name)."""
    what = f"no digest named {escape(name.strip())}" if name else "no digest subscription"
    return (
        f"<#{channel_id}> has {what}. /digest subscribe sets one up; "
        "/digest list shows this server's."
    )


def which_subscription_text(channel_id: int, names: Sequence[str]) -> str:
    """A channel has several digests and the command named none."""
    return (
        f"<#{channel_id}> has {len(names)} digests ({listed(list(names), 10)}): "
        "say which with the name option."
    )


def listed(items: Sequence[str], shown: int) -> str:
    """`a, b, c +2`: the first `shown` items, and how many more there are."""
    more = f" +{len(items) - shown}" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


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


_PERMISSION_NAMES = {  # the member's, not on the bot's list (`bot.permissions`)
    "manage_guild": "Manage Server",
}


def permission_names(missing: Sequence[str]) -> str:
    """`["embed_links", "manage_guild"]` -> `Embed Links, Manage Server` (as Discord shows them)."""
    names = [
        BY_NAME[p].title if p in BY_NAME else _PERMISSION_NAMES.get(p, p.replace("_", " ").title())
        for p in missing
    ]
    return ", ".join(names)


# What every post needs (reading history: the recovery scan); each target adds its own
# (a detailed post's thread: `bot.delivery.targets.thread`). The one list: `bot.permissions`.
POST_PERMISSIONS = POST


def needed_permissions(fmt: str, *, self_roles: bool = False) -> list[str]:
    """The permissions the bot needs in a channel to post a digest of format `fmt` (every
    post's, the target's own: `bot.permissions`), and Manage Roles for `self_roles`."""
    extra = TARGETS[fmt].permissions if known(fmt) else ()
    return needed(extra, self_roles=self_roles)


def missing_permissions(granted: Iterable[str], fmt: str) -> list[str]:
    """The permissions a post of format `fmt` needs in its channel that `granted` lacks."""
    have = set(granted)
    return [n for n in needed_permissions(fmt) if n not in have]


def no_announcement_text(day: date, reason: str) -> str:
    """`/hot` for a day arXiv announced nothing: the day's state, not an error or "none"."""
    return (
        f"There are no papers for {day.isoformat()}: {escape(reason)}. arXiv announces new "
        "papers Sunday to Thursday at 20:00 US Eastern (except on holidays); try the day before."
    )


def why_text(verdict: why.Verdict, span: Callable[[date], str] = date.isoformat) -> str:
    """One verdict of `/digest why` as a sentence (after the digest's label): posted with its
    link, or not and the first reason, in the bot's order (`bot.why`). `span` names a post's
    key day (`2021-03-12`; a weekly post's `the week 2021-03-06 – 2021-03-12`). Ledger
    reasons and keywords are escaped; categories are canonical ids."""
    v = verdict
    of = f"the digest of {span(v.day)}" if v.day is not None else ""
    match v:
        case why.Posted():
            return f"posted in {of}: {v.link}"
        case why.PostedElsewhere():
            return (
                f"not in {of} (the source did not list it that day); "
                f"it was posted in the digest of {span(v.other)}: {v.link}"
            )
        case why.OffDay():
            return f"not posted: this digest posts {v.when}, and none of its posts covers {v.day}."
        case why.NotListed():
            return _not_listed(v, span)
        case why.OutsideCategories():
            return (
                f"not posted in {of}: its categories ({', '.join(v.categories)}) "
                f"are outside the digest's ({', '.join(v.wanted)})."
            )
        case why.Excluded():
            return (
                f"not posted in {of}: it is listed in {v.by}, which the digest excludes (-{v.by})."
            )
        case why.BelowScore() if v.score is None:
            return (
                f"not posted in {of}: it has no discussion yet, which counts as "
                f"a score of 0, below the digest's min_score {v.min_score:g}."
            )
        case why.BelowScore():
            return (
                f"not posted in {of}: its score {v.score:g} is below the "
                f"digest's min_score {v.min_score:g}."
            )
        case why.KeywordMiss():
            words = listed([f"“{escape(k)}”" for k in v.keywords], 5)
            return (
                f"not posted in {of}: its title and abstract have none of the "
                f"digest's keywords ({words})."
            )
        case why.BelowCut():
            return (
                f"not posted in {of}: it ranked {v.rank} of the {v.passed} "
                f"papers that passed the filters, below the cut at {v.limit}."
            )
    return _undelivered(v, span)


def _not_listed(v: why.NotListed, span: Callable[[date], str]) -> str:
    source = source_title(v.source)
    also = ""
    if v.listed_on:
        also = f" It is listed on {listed([d.isoformat() for d in v.listed_on], 3)}."
    if v.day is None:
        return f"not posted: it is in none of the stored digests of {source}."
    when = span(v.day)
    if v.stored:
        on = "on" if when == v.day.isoformat() else "in"
        return f"not posted: {source} did not list it {on} {when}.{also}"
    if v.why_none:
        return f"not posted: there is no digest of {span(v.day)} ({escape(v.why_none)}).{also}"
    return f"not posted: I have no digest of {span(v.day)} from {source}.{also}"


def _undelivered(v: why.Verdict, span: Callable[[date], str]) -> str:
    of = f"the digest of {span(v.day)}" if v.day is not None else ""

    def reason(text: str | None) -> str:
        return f" ({truncate(escape(text), 200)})" if text else ""

    match v:
        case why.BeforeSubscription():
            return f"not posted: {of} was due before this digest was set up."
        case why.Paused():
            return f"not posted: {escape(v.why)}."
        case why.NotYet():
            when = f"{ts(v.due_at)} ({ts(v.due_at, 'R')})"
            return f"not posted yet: {of} is due {when}."
        case why.Due():
            return f"not posted yet: {of} is due now and is posted shortly."
        case why.NoRecord():
            return (
                f"not posted: {of} was not posted within its catch-up window; "
                f"/digest post-now date:{v.day} posts it late."
            )
        case why.InProgress():
            return f"{of} is being posted right now."
        case why.Failed():
            return f"not posted: posting {of} failed{reason(v.reason)}."
        case why.Missed():
            return (
                f"not posted: {of} was missed{reason(v.reason)}; "
                f"/digest post-now date:{v.day} posts it late."
            )
        case why.Changed() if v.status == "empty":
            return (
                f"not posted: {of} had no papers when it was handled "
                "(the day's digest changed since)."
            )
        case why.Changed():
            return (
                f"not posted in {of}: it was not among the day's papers when "
                "the digest was posted (the day's digest changed since)."
            )
    return "no verdict."  # pragma: no cover - every verdict kind is matched above
