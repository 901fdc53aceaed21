"""One Bluesky post view, read defensively: who posted, which papers it names, its counts. Pure.

A `postView` (lexicon app.bsky.feed.defs#postView) is untrusted: every field is checked for
its type and size, counts are non-negative ints of a sane size (`crowds.count`), and a view
that is not usable is None (skipped), never an exception. The papers come from the embedded
card (`embed` views `app.bsky.embed.external#view`, or its `media` inside
`app.bsky.embed.recordWithMedia#view`; the record's own `embed.external.uri` too), the
link facets of the text, and the text (`arXiv:2503.01234` counts), in that order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.sources import links
from bot.sources.crowds import count

LINK_FEATURE = "app.bsky.richtext.facet#link"
_RKEY = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
_HANDLE = re.compile(r"^[A-Za-z0-9.-]{1,253}$")
MAX_LINKS = 50  # facets and embeds read per post; a post with more is not a person's post


@dataclass(frozen=True)
class Post:
    """What counts of one post."""

    uri: str  # at://did/app.bsky.feed.post/rkey
    did: str
    handle: str
    display_name: str
    text: str  # an excerpt (300 characters), untrusted
    papers: tuple[str, ...]
    likes: int
    reposts: int
    quotes: int
    labelled_bot: bool

    @property
    def web_url(self) -> str:
        """The post on bsky.app."""
        rkey = self.uri.rsplit("/", 1)[-1]
        return f"https://bsky.app/profile/{self.handle}/post/{rkey}"


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value[:MAX_LINKS] if isinstance(value, list) else []


def _str(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _external_uris(embed: dict[str, Any]) -> list[str]:
    """`external.uri` of an embed (view or record), also inside recordWithMedia's media."""
    out: list[str] = []
    for candidate in (embed, _dict(embed.get("media"))):
        uri = _dict(candidate.get("external")).get("uri")
        if isinstance(uri, str):
            out.append(uri)
    return out


def papers_of(view: dict[str, Any], record: dict[str, Any], text: str) -> tuple[str, ...]:
    """The papers a post names: card, then link facets, then its text; each once."""
    uris = [*_external_uris(_dict(view.get("embed"))), *_external_uris(_dict(record.get("embed")))]
    for facet in _list(record.get("facets")):
        for feature in _list(_dict(facet).get("features")):
            feature = _dict(feature)
            if feature.get("$type") == LINK_FEATURE and isinstance(feature.get("uri"), str):
                uris.append(feature["uri"])
    found: list[str] = []
    for uri in uris[:MAX_LINKS]:
        arxiv_id = links.id_of_url(uri)
        if arxiv_id is not None and arxiv_id not in found:
            found.append(arxiv_id)
    for arxiv_id in links.ids_in(text, prose=True):
        if arxiv_id not in found:
            found.append(arxiv_id)
    return tuple(found)


def parse_post(view: object) -> Post | None:
    """A postView → Post, or None when it is not a usable post view."""
    if not isinstance(view, dict):
        return None
    uri, author = view.get("uri"), _dict(view.get("author"))
    did, handle = author.get("did"), author.get("handle")
    if not (isinstance(uri, str) and uri.startswith("at://") and len(uri) < 1000):
        return None
    if not (isinstance(did, str) and did.startswith("did:") and len(did) < 300):
        return None
    if not (isinstance(handle, str) and _HANDLE.fullmatch(handle)):
        return None
    if not _RKEY.fullmatch(uri.rsplit("/", 1)[-1]):
        return None
    numbers = [count(view.get(k, 0)) for k in ("likeCount", "repostCount", "quoteCount")]
    if any(n is None for n in numbers):
        return None
    likes, reposts, quotes = (n or 0 for n in numbers)
    record = _dict(view.get("record"))
    text = _str(record.get("text"), 3000)
    labels = [_dict(label).get("val") for label in _list(author.get("labels"))]
    return Post(
        uri=uri,
        did=did,
        handle=handle.lower(),
        display_name=" ".join(_str(author.get("displayName"), 640).split())[:100],
        text=" ".join(text.split())[:300],
        papers=papers_of(view, record, text),
        likes=likes,
        reposts=reposts,
        quotes=quotes,
        labelled_bot="bot" in labels,
    )


def _tokens(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name.casefold())
    # Invisible format characters (zero-width space, soft hyphen, word joiner: category Cf)
    # would split "Ali\u200bce" into two words and let an author's post pass as a reaction.
    plain = "".join(
        c for c in plain if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
    )
    return re.findall(r"[a-z0-9]+", plain)


def names_match(display_name: str, author: str) -> bool:
    """Whether a display name is this author: their first and last name both in it.

    "Alice B. Smith" is "Alice Smith 🔭" and "Dr. alice SMITH"; not "Alice Jones". Case and
    accents are ignored ("José" is "Jose"). A one-word author name must be the whole name.
    """
    mine, theirs = _tokens(display_name), _tokens(author)
    if not mine or not theirs:
        return False
    if len(theirs) == 1:
        return mine == theirs
    return theirs[0] in mine and theirs[-1] in mine
