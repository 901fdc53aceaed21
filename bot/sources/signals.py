"""What a crowd says about papers: counts read at a time, and quoted discussion. Pure, no I/O.

The day's papers come from a *universe* (arXiv's announcement of a day, per archive); how hot
each one is comes from *signals*, one source module per crowd (Hugging Face upvotes, Hacker
News points, Bluesky likes). A signal source answers, for a day and the ids announced that
day, a `Signal` per id it has something on, and nothing for the others: "no discussion" is the
absence of a signal, never a zero count. The blend (`bot.sources.blend`) joins the universe with
every signal that answered and scores each paper within its category and day.

Counts are snapshots (`read_at`): a paper discussed on Tuesday has more points on Wednesday; a
past day is final after the day lag (`schedule`). Quotes carry whether their author is a
paper bot or one of the paper's authors, so people's reactions rank above announcements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol, runtime_checkable

QuoteKind = Literal["reaction", "author", "bot"]


@dataclass(frozen=True)
class Quote:
    """One post or thread that discussed a paper, as plain text (escaped only when rendered)."""

    source: str  # the signal source's name: "hn", "bluesky"
    author: str  # display name as the crowd shows it ("" when it has none)
    handle: str  # "@alice.bsky.social", "pg" (HN user)
    url: str  # the post or the discussion thread
    text: str  # an excerpt, untrusted: render with bot.render's escaping
    likes: int = 0  # the crowd's own measure of this one post (likes, points)
    kind: QuoteKind = "reaction"


@dataclass(frozen=True)
class Signal:
    """What one crowd says about one paper: counts by metric name, when they were read."""

    arxiv_id: str  # version-less
    counts: Mapping[str, int]  # keys are the source's declared metric names
    read_at: datetime  # aware, UTC
    quotes: tuple[Quote, ...] = ()
    links: tuple[str, ...] = ()  # where the discussion is (HN item page, …)
    discounted: Mapping[str, int] = field(default_factory=dict)  # counts left out (paper bots)


@runtime_checkable
class SignalSource(Protocol):
    """A crowd: signals for the papers of a day (raises SourceError when it cannot answer)."""

    name: str

    async def signals_for(
        self, day: date, ids: Sequence[str], *, authors: Mapping[str, Sequence[str]] | None = None
    ) -> dict[str, Signal]:
        """A `Signal` per id in `ids` this crowd discussed around `day` (the announcement day).

        Ids it has nothing on are absent. Ids it found that are not in `ids` are dropped (the
        universe decides which papers a day has). `authors` (optional: each id's author
        names, as the universe knows them) lets a crowd label the authors' own posts
        (`kind="author"`); a crowd without such posts ignores it.
        """
        ...
