"""Late risers: which papers deserve a "climbing" follow-up, and what it says. Pure.

A subscription with `late_risers = K > 0` posts one short follow-up for a paper that was
below its cut when its day was posted but has since entered the top K of its week (issue 14
item 8): crowds keep counting after a day is posted, and a paper found late is still news.

A paper deserves a follow-up *now* when all of these hold:

- it is in the week's top K as this subscription ranks it: the 7 days ending on the
  subscription's newest posted day, merged by paper keeping its best entry and filtered by
  the subscription's categories, keywords and `min_score` (`bot.filters.pick` / `select`,
  the ranking `/hot window:week` shows), cut to K;
- it was in the store on a day of that week this subscription *posted* (a `sent` post),
  and none of the subscription's posts carries it (it was below the cut, or filtered out
  by its score then);
- it climbed: its best score of the week is higher than its score on the first posted day
  it missed (a paper merely ranked K-th when K exceeds the daily limit has not risen);
- it has no follow-up yet (the follow-up ledger, `bot.store.followups`, has no row for it).

The follow-up belongs to the first such day: it goes into that post's thread when the post
opened one, else into the channel (`Climber.place_id`). The ledger row is claimed before the
message is sent and records the exact content, so a resumed follow-up sends the same text
with the same nonce (`followup_nonce`) and the recovery scan can adopt it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot import limits
from bot.filters import PaperFilter, pick, subscription_filter, window_range
from bot.models import Entry, Paper, PostRecord, Subscription
from bot.ranking import score_label
from bot.render import safe, truncate

TITLE_CHARS = 200  # the follow-up is one short line: a long title is cut


@dataclass(frozen=True)
class Climber:
    """A paper that deserves a follow-up: its place in the week and the post it missed."""

    arxiv_id: str
    rank: int  # 1-based, in the subscription's ranking of the week
    post: PostRecord  # the first post of the week the paper was below the cut of

    @property
    def place_id(self) -> int:
        """Where the follow-up goes: the post's thread if it opened one, else its channel."""
        return self.post.thread_id if self.post.thread_id is not None else self.post.channel_id


def week(end: date) -> tuple[date, date]:
    """The inclusive days of the week ending on `end` (`/hot window:week`'s)."""
    return window_range(end, "week")


def week_filter(sub: Subscription) -> PaperFilter:
    """The subscription's filter, cut to its top K instead of its daily limit."""
    return replace(subscription_filter(sub), limit=max(sub.late_risers, 1))


def top_of_week(sub: Subscription, entries: Iterable[Entry]) -> list[Entry]:
    """The week's top K as `sub` ranks them, from the week's entries, best first.

    A subscription with keywords needs the papers' text: rank whole digests with
    `bot.filters.select(digests, week_filter(sub), end=, window="week")` instead.
    """
    chosen, _ = pick(entries, week_filter(sub))
    return chosen


def end_of_week(posts: Iterable[PostRecord]) -> date | None:
    """The day the week to check ends on: the subscription's newest sent post (None: none)."""
    return max((p.day for p in posts if p.status == "sent"), default=None)


def climbers(
    sub: Subscription,
    ranking: Sequence[str],
    stored: Iterable[Entry],
    posts: Iterable[PostRecord],
    followed: Set[str],
    *,
    posted: Set[str] = frozenset(),
) -> list[Climber]:
    """The papers of `ranking` that deserve a follow-up now, best first (the rules above).

    `ranking`: the week's ids as the subscription ranks them (`top_of_week` or `select`);
    only the first K count. `stored`: the week's entries (which paper was in the store on
    which day, with which score). `posts`: this subscription's posts of the week (any
    status). `followed`: the papers that already have a follow-up row (any status).
    `posted`: papers its other posts carried (before the week). Off (empty) when `late_risers` is 0.
    """
    k = sub.late_risers
    if k <= 0:
        return []
    mine = [p for p in posts if p.subscription_id == sub.id]
    carried = set(posted).union(*(p.arxiv_ids for p in mine))
    sent = {p.day: p for p in mine if p.status == "sent"}
    missed: dict[str, Entry] = {}  # each paper's entry of the first posted day it missed
    best: dict[str, float] = {}
    for e in stored:
        score = e.score or 0.0
        best[e.arxiv_id] = max(best.get(e.arxiv_id, score), score)
        if e.day in sent and (e.arxiv_id not in missed or e.day < missed[e.arxiv_id].day):
            missed[e.arxiv_id] = e
    out: list[Climber] = []
    for rank, pid in enumerate(ranking[:k], start=1):
        if pid in followed or pid in carried or pid not in missed:
            continue
        if best[pid] <= (missed[pid].score or 0.0):
            continue  # in the top K with the counts it had when it missed the cut: not climbing
        out.append(Climber(pid, rank, sent[missed[pid].day]))
    return out


def followup_nonce(subscription_id: int, arxiv_id: str) -> str:
    """The deterministic nonce of a subscription's follow-up for a paper (25 hex characters).

    Distinct from every post's nonce (`bot.delivery.wire.nonce_for` hashes other keys), so
    Discord's dedup never hands a follow-up a post's message or the reverse.
    """
    key = f"climbing/{subscription_id}:{arxiv_id}"
    return hashlib.sha256(key.encode()).hexdigest()[: limits.NONCE]


def followup_text(paper: Paper, rank: int) -> str:
    """The follow-up's one line: escaped title, its place this week, its counts, its link.

    The link is in angle brackets: one short line, no preview card.
    """
    title = safe(paper.title, TITLE_CHARS)
    text = (
        f"📈 Climbing: **{title}** (now #{rank} this week, {score_label(paper)}) <{paper.abs_url}>"
    )
    return truncate(text, limits.CONTENT)


def followup_payload(content: str) -> dict[str, Any]:
    """The message a follow-up posts: its content, mentioning nobody."""
    return {"content": content, "allowed_mentions": {"parse": []}}
