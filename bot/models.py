"""The data the whole bot passes around: papers, digests, subscriptions. Pure, no I/O.

A paper is keyed by its version-less arXiv id, so v1 and v2 of one paper are one paper (users'
most common complaint about paper bots is the same paper posted twice). Text fields are
whitespace-normalised on the way in, so every later stage can trust them.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from bot.quoting import shown

_WS = re.compile(r"\s+")

# New-style ids (0704.0001 … 2103.06874, 4 or 5 digits after the dot) and old-style ids
# (archive[.subject]/YYMMNNN), each optionally followed by vN.
NEW_ID = re.compile(r"(?P<id>\d{4}\.\d{4,5})(?:v(?P<v>\d+))?")
OLD_ID = re.compile(r"(?P<id>[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?")
_URL_ID = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<rest>.+?)(?:\.pdf)?/?$",
    re.IGNORECASE,
)


def normalize_ws(text: str) -> str:
    """Collapse runs of whitespace (arXiv's line-wrap double spaces, newlines) to one space."""
    return _WS.sub(" ", text).strip()


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Split an arXiv id or abs/pdf URL into (version-less id, version or None).

    Accepts `2103.06874`, `2103.06874v2`, `arXiv:2103.06874`, `astro-ph/0601001v1` and
    `https://arxiv.org/abs/…` / `…/pdf/….pdf`. Raises ValueError with what is accepted.
    """
    raw = text.strip()
    m_url = _URL_ID.match(raw)
    if m_url:
        raw = m_url.group("rest")
    if raw.lower().startswith("arxiv:"):
        raw = raw[6:]
    for pattern in (NEW_ID, OLD_ID):
        m = pattern.fullmatch(raw)
        if m:
            v = m.group("v")
            return m.group("id"), int(v) if v else None
    raise ValueError(
        f"not an arXiv id: {shown(text)} (expected e.g. 2103.06874, 2103.06874v2, "
        "astro-ph/0601001 or an arxiv.org/abs/… URL)"
    )


def canonical_abs_url(arxiv_id: str) -> str:
    """The paper's abstract page: `https://arxiv.org/abs/ID`."""
    return f"https://arxiv.org/abs/{arxiv_id}"


def canonical_pdf_url(arxiv_id: str) -> str:
    """The paper's PDF: `https://arxiv.org/pdf/ID`."""
    return f"https://arxiv.org/pdf/{arxiv_id}"


def _norm(value: object) -> object:
    return normalize_ws(value) if isinstance(value, str) else value


def _norm_list(value: object) -> object:
    if isinstance(value, list):
        out = [normalize_ws(v) if isinstance(v, str) else v for v in value]
        return list(dict.fromkeys(v for v in out if v != ""))  # drop blanks and repeats, keep order
    return value


NormStr = Annotated[str, BeforeValidator(_norm)]
NormList = Annotated[list[str], BeforeValidator(_norm_list)]


QuoteKind = Literal["reaction", "author", "bot"]


class Tweet(BaseModel):
    """One discussion snippet (the blog's embedded tweets, a crowd's quoted post), plain text.

    `source` names the crowd it came from ("" for the blog's tweets, "hn", "bluesky"),
    `likes` is the crowd's own measure of this one post, and `kind` says whether it is a
    person's reaction, the paper's authors announcing it, or a paper bot: reactions are
    quoted first (`bot.render.quote_order`).
    """

    model_config = ConfigDict(frozen=True)

    author: NormStr
    handle: NormStr
    url: str
    text: str
    source: str = ""
    likes: int = 0
    kind: QuoteKind = "reaction"


_KIND_ORDER = {"reaction": 0, "author": 1, "bot": 2}


def quote_order(quote: Tweet) -> tuple[int, int, str]:
    """People's reactions first, then authors' announcements, then paper bots; within each,
    the more liked first (then by link, so the order is total)."""
    return (_KIND_ORDER.get(quote.kind, 3), -quote.likes, quote.url)


class Paper(BaseModel):
    """One arXiv paper as a source saw it on one day, with its metrics and score."""

    model_config = ConfigDict(frozen=True)

    arxiv_id: str
    version: int | None = None
    title: NormStr
    authors: NormList = Field(default_factory=list)
    categories: NormList = Field(default_factory=list)  # primary first
    abstract: NormStr = ""
    abs_url: str = ""  # always https://arxiv.org/abs/ID (model_post_init), input ignored
    pdf_url: str = ""  # always https://arxiv.org/pdf/ID
    # Raw counts by name, e.g. {"retweets": 710, "favorites": 293} or
    # {"upvotes": 120, "github_stars": 900, "comments": 4}. The source is the Digest's.
    metrics: dict[str, int] = Field(default_factory=dict)
    # None: a blended digest's paper no crowd discussed ("no discussion yet", `bot.scoring`).
    score: float | None = 0.0
    tweets: list[Tweet] = Field(default_factory=list)
    # When each crowd's counts were read (crowd name -> aware UTC time), for `/paper`.
    read_at: dict[str, datetime] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _split_version(cls, data: Any) -> Any:
        """Key on the version-less id; keep a version found in the id when none was given."""
        if isinstance(data, dict) and isinstance(data.get("arxiv_id"), str):
            base, version = parse_arxiv_id(data["arxiv_id"])
            data = {**data, "arxiv_id": base}
            if data.get("version") is None and version is not None:
                data["version"] = version
        return data

    def model_post_init(self, __context: object) -> None:
        """Set the links to the canonical arXiv URLs built from the id, whatever a source gave.

        A source's link text is never posted: a digest whose abs link lacks its scheme
        (`arxiv.org/abs/…`) or points at a mirror would become an embed `url` Discord refuses
        ("Not a well formed URL."), after the header and thread already exist.
        """
        object.__setattr__(self, "abs_url", canonical_abs_url(self.arxiv_id))
        object.__setattr__(self, "pdf_url", canonical_pdf_url(self.arxiv_id))

    @property
    def primary_category(self) -> str | None:
        """The primary arXiv category (the first listed), if any."""
        return self.categories[0] if self.categories else None


class Digest(BaseModel):
    """A day's ranked papers from one source; `papers` is in rank order (rank = index + 1).

    A blended digest (`bot.sources.blend`) also says which arXiv archives its universe covers
    (`archives`: a request for another archive fetches that one and merges) and which crowds
    answered (`signals_ok`) or failed, with the failure's sentence (`signals_failed`), so
    the footer and `/digest status` can say which one is down. Other digests leave them empty.
    """

    model_config = ConfigDict(frozen=True)

    day: date
    source: str
    title: str = ""
    papers: list[Paper] = Field(default_factory=list)
    fetched_at: datetime | None = None
    archives: list[str] = Field(default_factory=list)
    signals_ok: list[str] = Field(default_factory=list)
    signals_failed: dict[str, str] = Field(default_factory=dict)
    # Why the day has no papers at all when its source had no day (arXiv announced nothing:
    # "no arXiv announcement on Saturdays"); never stored, recomputed from the calendar, and
    # left out of `model_dump` (so content hashes and stored bodies stay as they were).
    no_announcement: str | None = Field(default=None, exclude=True)

    def model_post_init(self, __context: object) -> None:
        """Give every digest a title, so renderers need not invent one."""
        if not self.title:
            object.__setattr__(self, "title", f"Hot Papers {self.day.isoformat()}")


class Entry(NamedTuple):
    """A paper's place in one stored digest, without its text.

    What it takes to merge a week or a month by paper, filter it by category and score and
    rank it before reading any paper in full: a month is ~600 entries, and building 600
    `Paper`s to show 10 was most of what a month cost (bench/commands.py).
    """

    arxiv_id: str
    day: date
    rank: int  # 1-based, in that day's digest
    score: float | None
    metrics: dict[str, int]
    categories: list[str]


Window = Literal["day", "week", "month"]
# A delivery target's name (`bot.delivery.targets.TARGETS`: "compact", "detailed", …). Not a
# Literal: a new target is one module and one line in that table, not an edit here. Names are
# checked against the table where subscriptions are made (`bot.services.subscriptions`).
Format = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]


Cadence = Literal["daily", "weekdays", "weekly", "monthly"]
Ping = Literal["off", "always", "score"]
# A subscription's short name: unique per channel, typed in commands ("daily", "cv-weekly").
SubName = Annotated[str, Field(pattern=r"^[a-z0-9-]{1,32}$")]
MAX_LATE_RISERS = 10


class Subscription(BaseModel):
    """A channel's standing order for a digest, as a moderator set it up.

    A channel may hold several, told apart by `name` (unique per channel); `id` is the
    store's key for it (None until it is first stored), and the post ledger's. `cadence`
    says which days it posts and which days each post covers (`bot.cadence`). `paused` is
    the moderator's (`/digest pause`); `enabled` is the bot's (cleared when the channel is
    gone). A personal digest (`user_id` set) goes to that user's DM channel, guild 0.
    """

    guild_id: int
    channel_id: int
    id: int | None = None
    name: SubName = "daily"
    cadence: Cadence = "daily"
    weekday: int = Field(default=0, ge=0, le=6)  # 0 = Monday … 6 = Sunday; weekly only
    post_time: str = "09:00"  # HH:MM, local to `timezone`
    timezone: str = "UTC"  # IANA name
    categories: list[str] = Field(default_factory=list)  # empty = all; "-cs.CV" excludes
    limit: int = 10
    format: Format = "compact"
    min_score: float = 0.0
    keywords: list[str] = Field(default_factory=list)  # any must match title or abstract
    post_empty: bool = True  # post a short notice on a day with no papers
    source: str = "default"
    enabled: bool = True
    paused: bool = False
    # When it was last resumed: slots due before then are never posted (no back-posting of
    # the days it was paused) nor settled as missed. Set by `set_paused(..., False)`.
    resumed_at: datetime | None = None
    role_id: int | None = None  # the role a post may mention (`ping`)
    ping: Ping = "off"  # mention `role_id`: never, on every post, or at `ping_min_score`
    ping_min_score: float = 0.0
    self_roles: bool = False  # members may take/give up `role_id` from a button on the post
    late_risers: int = Field(default=0, ge=0, le=MAX_LATE_RISERS)  # top K of the week; 0 off
    user_id: int | None = None  # a personal digest: the user (channel_id is the DM channel)
    server_votes: bool = False  # this server's votes count as a signal in its ranking
    failing_reason: str | None = None  # e.g. "403 Missing Permissions", shown in /digest status
    failing_at: datetime | None = None  # when it last failed (the retry backoff's start)
    created_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether the scheduler posts it: enabled by the bot and not paused by a moderator."""
        return self.enabled and not self.paused


def stored_id(sub: Subscription) -> int:
    """The store id of `sub` (the ledger's key); a ValueError for one never stored."""
    if sub.id is None:
        raise ValueError(f"the subscription of channel {sub.channel_id} is not stored yet")
    return sub.id


PostStatus = Literal["pending", "sent", "failed", "empty", "missed"]
"""`empty` and `missed` are terminal outcomes with a reason in `PostRecord.error` (issue 11)."""


class PostRecord(BaseModel):
    """What was (or is being) posted for one subscription and one period: the exactly-once
    ledger. `day` is the period's key day (`bot.cadence`: the digest day for a daily one)."""

    subscription_id: int
    guild_id: int
    channel_id: int
    day: date
    source: str
    nonce: str
    status: PostStatus = "pending"
    message_ids: list[int] = Field(default_factory=list)
    thread_id: int | None = None
    arxiv_ids: list[str] = Field(default_factory=list)
    attempts: int = 0
    error: str | None = None
    created_at: datetime | None = None
    posted_at: datetime | None = None
    late: bool = False  # posted on a moderator's request after its catch-up window
    generation: int = 0  # bumped when a broken post (thread/header deleted) starts afresh


class DigestMeta(BaseModel):
    """When a stored digest was fetched and whether it is final (a past day never changes)."""

    source: str
    day: date
    fetched_at: datetime
    final: bool
    paper_count: int
    content_hash: str = ""  # what was stored: equal means the same papers (`/hot`'s cache)
    archives: list[str] = Field(default_factory=list)  # a blended digest's covered archives
    signals_ok: list[str] = Field(default_factory=list)
    signals_failed: dict[str, str] = Field(default_factory=dict)


class SourceHealth(BaseModel):
    """The last outcome of a source, for `/digest status` (a failing source is not "no papers")."""

    source: str
    ok: bool
    checked_at: datetime
    last_ok_at: datetime | None = None
    error: str | None = None
    consecutive_failures: int = 0


FollowUpStatus = Literal["pending", "sent", "failed"]


class FollowUp(BaseModel):
    """A late riser's "climbing" follow-up (`bot.late_risers`): one per (subscription, paper).

    Claimed (`pending`) before the message is sent, with the exact `content` it sends, so a
    resumed follow-up sends the same text with the same `nonce` and can be adopted when it
    had gone through. `place_id` is where it goes: the thread of the post of `day` (the post
    whose cut the paper missed), or that post's channel when it opened no thread.
    """

    subscription_id: int
    arxiv_id: str
    day: date
    channel_id: int
    place_id: int
    rank: int
    content: str
    nonce: str
    status: FollowUpStatus = "pending"
    message_id: int | None = None
    attempts: int = 0
    error: str | None = None
    created_at: datetime | None = None
    posted_at: datetime | None = None
