"""Digest → Discord message payloads (the JSON body of `POST /channels/{id}/messages`). Pure.

Two formats:
- `compact`: one message, a header and the ranked list (titles linked to arXiv, short author
  lists, categories, and the score with its origin); the score line and the "Ranked by …"
  footer come from the sources' metric descriptors (`bot.ranking`), never from metric names;
- `detailed`: a header message, then the per-paper embeds packed into as few messages as
  Discord's limits allow; the poster opens a thread on the header and posts the rest there.

Safety: paper text is escaped so it cannot inject markdown or masked links, mentions are
defused with a zero-width space and every payload carries `allowed_mentions: {"parse": []}`,
so nothing in a paper can ping anyone. Every payload fits `bot.limits`; text is cut at a word
boundary with an ellipsis, and links are built after cutting so a cut never lands in a link.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from bot import limits
from bot.limits import dlen, embed_size
from bot.models import Digest, Paper, Tweet, quote_order
from bot.ranking import blend_signal, crowd_label, score_label, signal
from bot.scoring import SCALE
from bot.sources.registry import title as source_title

Format = Literal["compact", "detailed"]
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
COLOR = 0xB31B1B  # arXiv red
ELLIPSIS = "…"
ZWSP = "\u200b"

_MD_SPECIAL = re.compile(r"([\\*_~`|<>\[\]])")
_LINE_START = re.compile(r"^(\s*)([#>-])", re.MULTILINE)
_LIST_NUMBER = re.compile(r"^(\s*\d+)\.", re.MULTILINE)
_MENTION = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
_ANGLE_MENTION = re.compile(r"<([@#:]|a:)")
_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]")
_URLISH = re.compile(r"https?://\S*$")
# Whatever any substitution of `escape` would touch (invisible characters included).
_NEEDS_ESCAPE = re.compile(
    r"[\\*_~`|<>\[\]@\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]"
    r"|^\s*(?:[#>-]|\d+\.)",
    re.MULTILINE,
)
_CATEGORY = re.compile(r"[\w.\-]+")
_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]`|\\]{1,400}")
QUOTES_SHOWN = 3  # quoted crowd posts per paper in `detailed` and `/paper`
QUOTE_EXCERPT = 280


def clean(text: str) -> str:
    """Drop control and bidi-override characters, which can reorder or hide text."""
    return _INVISIBLE.sub("", text)


def escape(text: str) -> str:
    """Make untrusted text inert: markdown and `<@…>` mentions escaped, @everyone/@here defused.

    Only characters that change rendering are escaped (inline markers everywhere; headings,
    quotes and lists at a line start), so text stays readable and short. Most titles and
    author lists need nothing: one search says so, instead of five substitutions.
    """
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return _escape_all(text)


def _escape_all(text: str) -> str:
    """`escape` without its shortcut (tests hold the two equal)."""
    escaped = _LINE_START.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", clean(text)))
    escaped = _LIST_NUMBER.sub(r"\1\\.", escaped)
    return _MENTION.sub("@" + ZWSP, escaped)


def defuse(text: str) -> str:
    """For places Discord shows without markdown (embed titles, field names): no mentions."""
    return _ANGLE_MENTION.sub("<" + ZWSP + r"\1", _MENTION.sub("@" + ZWSP, clean(text)))


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` UTF-16 units at a word boundary, adding an ellipsis.

    Never ends inside a URL or after a dangling escape backslash.
    """
    if dlen(text) <= limit:
        return text
    budget = limit - 1
    cut = text
    while dlen(cut) > budget:
        cut = cut[: max(0, len(cut) - max(1, dlen(cut) - budget))]
    space = cut.rfind(" ")
    if space > len(cut) // 2:
        cut = cut[:space]
    url = _URLISH.search(cut)
    if url:
        cut = cut[: url.start()]
    cut = cut.rstrip()
    while cut.endswith("\\") and (len(cut) - len(cut.rstrip("\\"))) % 2 == 1:
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


def safe(text: str, limit: int) -> str:
    """Escape, then fit within `limit`."""
    return truncate(escape(text), limit)


def short_authors(authors: list[str], shown: int = 3) -> str:
    """`A, B, C +4`: the first few authors and how many more."""
    if not authors:
        return "unknown authors"
    head = ", ".join(authors[:shown])
    more = len(authors) - shown
    return f"{head} +{more}" if more > 0 else head


def header_text(digest: Digest, shown: int | None = None) -> str:
    """The first line of every digest message."""
    n = len(digest.papers) if shown is None else shown
    noun = "paper" if n == 1 else "papers"
    return f"**🔥 {safe(digest.title, 200)}** · {n} {noun} · source: {safe(digest.source, 60)}"


ARXIV_DAYS = "arXiv announces new papers Sunday to Thursday at 20:00 US Eastern, except on holidays"


def empty_reason(filtered_from: int) -> str:
    """Why a view has no papers: the source had none, or the filters removed all of them."""
    if filtered_from == 1:
        return "this channel's filters removed the day's only paper"
    if filtered_from > 1:
        return f"this channel's filters removed all {filtered_from} papers"
    return "the source had none that day"


def empty_notice(digest: Digest, *, filtered_from: int = 0) -> dict[str, Any]:
    """The one short message for a day with no papers (a state, not an error).

    `filtered_from` is how many papers the source had before the channel's filters: a day
    emptied by the filters must not be announced as a day the source had nothing. A day arXiv
    announced nothing says so (`Digest.no_announcement`), never "the source had none".
    """
    if digest.no_announcement:
        text = (
            f"**{safe(digest.title, 200)}** · no papers for {digest.day.isoformat()}: "
            f"{safe(digest.no_announcement, 200)}. Nothing is wrong: {ARXIV_DAYS}."
        )
        return {"content": truncate(text, limits.CONTENT), "allowed_mentions": NO_MENTIONS}
    return {
        "content": truncate(
            f"**{safe(digest.title, 200)}** · no hot papers for {digest.day.isoformat()} "
            f"(source: {safe(digest.source, 60)}). Nothing is wrong: "
            f"{empty_reason(filtered_from)}.",
            limits.CONTENT,
        ),
        "allowed_mentions": NO_MENTIONS,
    }


def compact_line(rank: int, paper: Paper) -> str:
    """One ranked entry: linked title, then short authors, categories, score with its origin."""
    title = safe(paper.title, 150)
    cats = " ".join(f"`{c}`" for c in paper.categories[:4] if _CATEGORY.fullmatch(c))
    details = [safe(short_authors(paper.authors), 100)]
    if cats:
        details.append(cats)
    details.append(score_label(paper))
    return f"**{rank}.** [{title}]({paper.abs_url})\n" + " · ".join(details)


def render_compact(digest: Digest) -> list[dict[str, Any]]:
    """One message: a header line and one embed holding the ranked list (up to 4096 chars).

    Papers that do not fit are counted ("…and 3 more"), never cut mid-entry.
    """
    if not digest.papers:
        return [empty_notice(digest)]
    lines = [compact_line(i, p) for i, p in enumerate(digest.papers, start=1)]
    description = ""
    for shown in range(len(lines), 0, -1):
        body = lines[:shown]
        if shown < len(lines):
            body.append(f"…and {len(lines) - shown} more")
        description = "\n".join(body)
        if dlen(description) <= limits.EMBED_DESCRIPTION:
            break
    embed = {
        "type": "rich",
        "description": description,
        "color": COLOR,
        "footer": {
            "text": truncate(
                f"Ranked by {ranked_by(digest)} · /paper <id> for details", limits.FOOTER_TEXT
            )
        },
    }
    return [{"content": header_text(digest), "embeds": [embed], "allowed_mentions": NO_MENTIONS}]


def ranked_by(digest: Digest) -> str:
    """What a digest's list is ranked by: the crowds of a blended digest (and which one did
    not answer), else the metric descriptors' words ("Hugging Face upvotes")."""
    if digest.signals_ok or digest.signals_failed:
        return blend_signal(digest.signals_ok, digest.signals_failed)
    return signal(digest.papers)


def quote_fields(quotes: list[Tweet], shown: int = QUOTES_SHOWN) -> list[dict[str, Any]]:
    """Crowd posts quoted under a paper: people's reactions first (`quote_order`), each with
    author, handle, where and how liked, an escaped excerpt and its link (only a plain
    http(s) link: anything else is left out rather than put in a masked link)."""
    fields: list[dict[str, Any]] = []
    for q in sorted(quotes, key=quote_order)[:shown]:
        handle = q.handle.lstrip("@")
        who = f"{q.author} (@{handle})" if q.author and handle else q.author or handle or "someone"
        where = source_title(q.source) if q.source else ""
        name = f"💬 {who}" + (f" on {where}" if where else "")
        if q.likes:
            name += f" · {q.likes:,} ♥"
        if q.kind != "reaction":
            name += " · the authors" if q.kind == "author" else " · a paper bot"
        value = safe(" ".join(q.text.split()), QUOTE_EXCERPT) or "—"
        if _SAFE_URL.fullmatch(q.url):
            value += f"\n[open the post]({q.url})"
        fields.append({"name": truncate(escape(name), 200), "value": value, "inline": False})
    return fields


def breakdown(paper: Paper) -> str:
    """`/paper`'s breakdown: each crowd's counts and when they were read, then the score."""
    lines = []
    for crowd, at in sorted(paper.read_at.items()):
        counts = crowd_label(crowd, paper.metrics) or "counted"
        lines.append(f"{source_title(crowd)}: {counts} (read <t:{int(at.timestamp())}:f>)")
    if paper.score is not None:
        within = f" within {paper.primary_category}" if paper.primary_category else ""
        lines.append(
            f"score {paper.score:g}{within} (each crowd adds up to {SCALE:g}: docs/ranking.md)"
        )
    return truncate("\n".join(lines), limits.FIELD_VALUE)


def paper_embed(
    paper: Paper,
    rank: int | None = None,
    *,
    abstract_limit: int = 1200,
    breakdown_shown: bool = False,
) -> dict[str, Any]:
    """One paper as an embed: title linked to arXiv, abstract, authors, categories, score, links,
    quoted discussion; `breakdown_shown` (`/paper`) adds each crowd's counts and read time.
    The abstract is shortened when the whole embed would pass Discord's 6000 characters."""
    prefix = f"{rank}. " if rank is not None else ""
    fields: list[dict[str, Any]] = [
        {
            "name": "Authors",
            "value": safe(", ".join(paper.authors) or "unknown", 300),
            "inline": False,
        },
    ]
    if paper.categories:
        fields.append(
            {"name": "Categories", "value": safe(", ".join(paper.categories), 200), "inline": True}
        )
    fields.append({"name": "Score", "value": truncate(score_label(paper), 200), "inline": True})
    fields.append(
        {
            "name": "Links",
            "value": f"[abs]({paper.abs_url}) · [pdf]({paper.pdf_url})",
            "inline": True,
        }
    )
    crowd = [t for t in paper.tweets if t.source]
    blog = [t for t in paper.tweets if not t.source]
    if paper.read_at and breakdown_shown:
        fields.append(
            {"name": "Where the score comes from", "value": breakdown(paper), "inline": False}
        )
    fields.extend(quote_fields(crowd))
    if blog:
        t = blog[0]
        who = f"{t.author} (@{t.handle})" if t.handle else t.author or "someone"
        snippet = safe(" ".join(t.text.split()), 240)
        more = f" (+{len(blog) - 1} more)" if len(blog) > 1 else ""
        fields.append(
            {
                "name": truncate(f"Discussed by {escape(who)}{more}", 200),
                "value": snippet or "—",
                "inline": False,
            }
        )
    embed: dict[str, Any] = {
        "type": "rich",
        "title": prefix + safe(paper.title, limits.EMBED_TITLE - len(prefix)),
        "url": paper.abs_url,
        "color": COLOR,
        "fields": fields,
        "footer": {
            "text": f"arXiv:{paper.arxiv_id}" + (f"v{paper.version}" if paper.version else "")
        },
    }
    if paper.abstract:
        embed["description"] = safe(paper.abstract, abstract_limit)
        while embed_size(embed) > limits.EMBEDS_TOTAL and abstract_limit > 100:
            abstract_limit -= max(100, embed_size(embed) - limits.EMBEDS_TOTAL)
            embed["description"] = safe(paper.abstract, max(100, abstract_limit))
    return embed


def pack_embeds(embeds: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Greedily group embeds into messages of at most 10 and at most 6000 characters."""
    groups: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for e in embeds:
        n = embed_size(e)
        if current and (
            len(current) == limits.EMBEDS_PER_MESSAGE or size + n > limits.EMBEDS_TOTAL
        ):
            groups.append(current)
            current, size = [], 0
        current.append(e)
        size += n
    if current:
        groups.append(current)
    return groups


def render_detailed(digest: Digest) -> list[dict[str, Any]]:
    """A header message, then the per-paper embeds (for a thread opened on the header)."""
    if not digest.papers:
        return [empty_notice(digest)]
    header = {
        "content": truncate(
            header_text(digest) + "\nDetails of each paper are in the thread below.", limits.CONTENT
        ),
        "allowed_mentions": NO_MENTIONS,
    }
    embeds = [paper_embed(p, i) for i, p in enumerate(digest.papers, start=1)]
    return [header] + [{"embeds": g, "allowed_mentions": NO_MENTIONS} for g in pack_embeds(embeds)]


def render_digest(
    digest: Digest, fmt: Format = "compact", *, filtered_from: int = 0
) -> list[dict[str, Any]]:
    """The payloads to post for a digest, in order; see the module docstring for the formats.

    `filtered_from`: the papers of the day before filtering (see `empty_notice`)."""
    if not digest.papers and fmt in ("compact", "detailed"):
        return [empty_notice(digest, filtered_from=filtered_from)]
    if fmt == "compact":
        return render_compact(digest)
    if fmt == "detailed":
        return render_detailed(digest)
    raise ValueError(f"unknown format {fmt!r}: expected 'compact' or 'detailed'")


def render_paper(paper: Paper, rank: int | None = None, *, note: str = "") -> dict[str, Any]:
    """One paper as a message payload (for `/paper`): the embed plus an optional plain note."""
    payload: dict[str, Any] = {
        "embeds": [paper_embed(paper, rank, abstract_limit=3000, breakdown_shown=True)],
        "allowed_mentions": NO_MENTIONS,
    }
    if note:
        payload["content"] = truncate(note, limits.CONTENT)
    return payload


def thread_name(digest: Digest) -> str:
    """The thread a detailed digest opens (at most 100 characters)."""
    return truncate(defuse(digest.title), limits.THREAD_NAME)
