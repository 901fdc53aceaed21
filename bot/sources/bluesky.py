"""Bluesky as a crowd: posts linking arXiv papers, their likes, reposts and quotes.

Optional: on only when `BSKY_HANDLE` and `BSKY_APP_PASSWORD` are in the environment
(`bluesky_auth`; never in the config file, which refuses such keys). Without them every other
crowd still ranks the day, and nothing is asked of Bluesky.

    GET {base}/xrpc/app.bsky.feed.searchPosts?q=arxiv.org&domain=arxiv.org&sort=top
        &since=START&until=END&limit=100&cursor=C          (Authorization: Bearer <access>)

answers `{posts: [postView…], cursor?}` (lexicons app.bsky.feed.searchPosts and
app.bsky.feed.defs#postView, shipped in tests/corpus/upstream/bluesky/lexicons). A post names
its papers in the embedded card (`embed.external.uri`, also inside `recordWithMedia`), in the
link facets of its text (`record.facets[].features[]` of type `app.bsky.richtext.facet#link`)
and in the text itself (parsed in `bluesky_posts`); each paper it names gets its likes,
reposts and quotes.

**Paper bots are discounted**, deterministically: an account is a bot when its handle is in
`[sources.bluesky] bot_handles`, when its profile carries the label `bot`, or when it linked
more than `bot_paper_limit` distinct papers among the day's posts (no person shares 8 papers
in a few days; a feed bot shares hundreds). A bot's counts go to `Signal.discounted`, not to
`counts`, and its posts are quotes of kind "bot": a bot that posts every new paper makes no
paper hot. A paper only bots posted has a Signal with empty counts (read, nobody discussed).

**Authors' own posts** are labelled kind "author" when the poster's display name matches one
of the paper's authors (`authors=` of `signals_for`: first and last name, case and accents
ignored). Their counts stay: people reacted to them. The blend ranks the kinds.

Budget: a day is one sign-in at start (then refreshes), and at most `max_pages` search
requests, memoised `cache_minutes` for every archive that asks (`crowds.DayMemo`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import Field, PrivateAttr, field_validator, model_validator

from bot.checks import http_url
from bot.errors import UpstreamFormatError
from bot.sources.bluesky_auth import TITLE, Credentials, Session
from bot.sources.bluesky_posts import Post, names_match, parse_post
from bot.sources.crowds import DayMemo, json_object, window
from bot.sources.http import Http
from bot.sources.metrics import Metric, MetricSet
from bot.sources.signals import Quote, QuoteKind, Signal
from bot.sources.spec import Context, SourceSettings, SourceSpec

log = logging.getLogger(__name__)

NAME = "bluesky"
MAX_BYTES = 4_000_000  # 100 post views are ~300 kB
QUOTES = 5  # per paper, most liked first
_SECRET_WORDS = ("password", "secret", "token", "jwt", "handle", "identifier")
METRICS = MetricSet(
    (
        Metric("bsky_likes", "Bluesky likes", "{n} ♥ Bluesky", enters="score"),
        Metric("bsky_reposts", "Bluesky reposts", "{n} ⟲ Bluesky", enters="score"),
        Metric("bsky_quotes", "Bluesky quotes", "{n} quotes Bluesky", enters="tiebreak"),
    )
)
_COUNTS = (("bsky_likes", "likes"), ("bsky_reposts", "reposts"), ("bsky_quotes", "quotes"))


def bots_among(posts: Sequence[Post], handles: frozenset[str], limit: int) -> frozenset[str]:
    """The DIDs of the paper bots among the posters (see the module docstring)."""
    papers: dict[str, set[str]] = {}
    bots: set[str] = set()
    for post in posts:
        papers.setdefault(post.did, set()).update(post.papers)
        if post.labelled_bot or post.handle.lower() in handles:
            bots.add(post.did)
    bots.update(did for did, mine in papers.items() if len(mine) > limit)
    return frozenset(bots)


def signals_of(
    posts: Sequence[Post],
    read_at: datetime,
    *,
    bots: frozenset[str],
    authors: Mapping[str, Sequence[str]],
) -> dict[str, Signal]:
    """Each paper's posts: people's counts summed, bots' discounted, the most liked quoted."""
    by_paper: dict[str, list[Post]] = {}
    for post in posts:
        for arxiv_id in post.papers:
            by_paper.setdefault(arxiv_id, []).append(post)
    out: dict[str, Signal] = {}
    for arxiv_id, mine in by_paper.items():
        people = [p for p in mine if p.did not in bots]
        robots = [p for p in mine if p.did in bots]
        counts = {m: sum(getattr(p, f) for p in people) for m, f in _COUNTS} if people else {}
        discounted = {m: sum(getattr(p, f) for p in robots) for m, f in _COUNTS} if robots else {}
        ranked = sorted(mine, key=lambda p: (-p.likes, -p.reposts, p.uri))[:QUOTES]
        names = authors.get(arxiv_id, ())
        quotes = tuple(_quote(p, _kind(p, bots, names)) for p in ranked)
        out[arxiv_id] = Signal(
            arxiv_id=arxiv_id,
            counts=counts,
            read_at=read_at,
            quotes=quotes,
            links=tuple(q.url for q in quotes if q.kind == "reaction")[:1],
            discounted=discounted,
        )
    return out


def _kind(post: Post, bots: frozenset[str], names: Sequence[str]) -> QuoteKind:
    if post.did in bots:
        return "bot"
    if post.display_name and any(names_match(post.display_name, n) for n in names):
        return "author"
    return "reaction"


def _quote(post: Post, kind: QuoteKind) -> Quote:
    return Quote(
        source=NAME,
        author=post.display_name,
        handle=f"@{post.handle}",
        url=post.web_url,
        text=post.text,
        likes=post.likes,
        kind=kind,
    )


class BlueskySignal:
    """The `bluesky` signal (see the module docstring)."""

    name = NAME

    def __init__(self, http: Http, settings: BlueskySettings, credentials: Credentials) -> None:
        self.http = http
        self.settings = settings
        self.session = Session(http, settings.base_url, credentials)
        self.memo: DayMemo[list[Post]] = DayMemo(settings.cache_minutes, clock=http.clock)
        self.bot_handles = frozenset(h.lower().removeprefix("@") for h in settings.bot_handles)

    def __repr__(self) -> str:
        return f"BlueskySignal({self.settings.base_url!r})"

    async def signals_for(
        self, day: date, ids: Sequence[str], *, authors: Mapping[str, Sequence[str]] | None = None
    ) -> dict[str, Signal]:
        """Signals for those of `ids` Bluesky posted about in the window around `day`."""
        posts = await self.memo.get(day, self._fetch)
        wanted = set(ids)
        mine = [p for p in posts if wanted.intersection(p.papers)]
        bots = bots_among(posts, self.bot_handles, self.settings.bot_paper_limit)
        found = signals_of(mine, self.http.wall_clock(), bots=bots, authors=authors or {})
        return {i: found[i] for i in ids if i in found}

    async def _fetch(self, day: date) -> list[Post]:
        s = self.settings
        start, end = window(day, s.window_before_days, s.window_after_days)
        posts: dict[str, Post] = {}
        cursor: str | None = None
        for _page in range(s.max_pages):
            params: dict[str, str | int] = {
                "q": s.query,
                "domain": "arxiv.org",
                "sort": "top",
                "since": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "until": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "limit": s.page_size,
            }
            if cursor:
                params["cursor"] = cursor
            fetched = await self.session.get("app.bsky.feed.searchPosts", params)
            data = json_object(fetched, TITLE)
            views: Any = data.get("posts")
            if not isinstance(views, list):
                raise UpstreamFormatError(
                    f"{TITLE} sent a search answer without a list of posts.",
                    detail=f"'posts' is {type(views).__name__} in the answer from {fetched.url}",
                )
            for view in views:
                post = parse_post(view)
                if post is not None and post.papers:
                    posts.setdefault(post.uri, post)
            nxt = data.get("cursor")
            if not views or not isinstance(nxt, str) or not nxt or nxt == cursor:
                break
            cursor = nxt[:1000]
        else:
            log.info("%s: stopped after %d pages for %s (the budget)", NAME, s.max_pages, day)
        log.info("%s: %s: %d posts linking papers", NAME, day, len(posts))
        return list(posts.values())


class BlueskySettings(SourceSettings):
    """`[sources.bluesky]`: where to search, the window, the budget and the known bots.

    The account comes from the environment only; a key that looks like a credential here is
    refused with a sentence saying where it belongs.
    """

    base_url: str = "https://bsky.social"  # the account's PDS; it proxies the search
    query: str = Field(default="arxiv.org", min_length=1, max_length=200)
    max_pages: int = Field(default=5, ge=1, le=20)  # search requests per day at most
    page_size: int = Field(default=100, ge=1, le=100)
    window_before_days: int = Field(default=1, ge=0, le=7)
    window_after_days: int = Field(default=3, ge=0, le=14)
    cache_minutes: int = Field(default=60, ge=1, le=1440)
    bot_handles: list[str] = Field(default_factory=list, max_length=1000)
    bot_paper_limit: int = Field(default=8, ge=1, le=1000)
    _credentials: Credentials | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if any(word in str(key).lower() for word in _SECRET_WORDS if key != "bot_handles"):
                    raise ValueError(
                        f"{key}: never put Bluesky credentials in the config file; set "
                        "BSKY_HANDLE and BSKY_APP_PASSWORD in the environment"
                    )
        return data

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return http_url(value)

    @property
    def credentials(self) -> Credentials | None:
        """The account from the environment (None: Bluesky is off)."""
        return self._credentials


def _from_env(settings: BlueskySettings, env: Mapping[str, str]) -> BlueskySettings:
    done = settings.model_copy()
    done._credentials = Credentials.from_env(env)
    return done


def _build(context: Context, settings: BlueskySettings) -> BlueskySignal | None:
    if settings.credentials is None:
        return None
    http = context.http(NAME)
    http.max_bytes = min(http.max_bytes, MAX_BYTES)
    return BlueskySignal(http, settings, settings.credentials)


SOURCE = SourceSpec(
    name=NAME,
    title=TITLE,
    settings=BlueskySettings,
    signaller=_build,
    from_env=_from_env,
    metrics=METRICS,
)
