"""arXiv papers named in crowd posts: ids out of story URLs, embed links and free text. Pure.

A crowd links a paper in many spellings: `https://arxiv.org/abs/2103.06874v2`,
`arxiv.org/pdf/2103.06874.pdf`, `https://www.arxiv.org/html/2403.01234v1#S2`,
`http://export.arxiv.org/abs/hep-th/9901001?context=math`, or just `arXiv:2103.06874` in a
post's text. Each is found here and normalised by `bot.models.parse_arxiv_id` to the
version-less id the universe uses, so v1 and v2 of one paper count as one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.models import parse_arxiv_id

# An arXiv link (abs, pdf, html; new- or old-style id, optional version), anywhere in a text.
# `(?!\d)`: a digit more is not this id ("2103.068745" is no spelling of 2103.06874).
_LINK = re.compile(
    r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
    r"(?P<id>[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(?!\d)(?:v\d+)?",
    re.IGNORECASE,
)
# `arXiv:2103.06874` (new-style only: "arXiv:hep-th/…" is rare and ambiguous in prose).
_PREFIXED = re.compile(r"\barxiv:\s?(?P<id>\d{4}\.\d{4,5})(?!\d)(?:v\d+)?", re.IGNORECASE)
MAX_TEXT = 20_000  # a post or URL longer than this is garbage; only its start is searched


def ids_in(text: str, *, prose: bool = False) -> list[str]:
    """The version-less arXiv ids linked in `text`, in order of appearance, each once.

    `prose` also accepts `arXiv:ID` mentions (a post's text; a URL never needs it).
    """
    text = text[:MAX_TEXT]
    found: list[str] = []
    patterns = (_LINK, _PREFIXED) if prose else (_LINK,)
    hits = sorted(
        (m.start(), m.group("id")) for pattern in patterns for m in pattern.finditer(text)
    )
    for _, raw in hits:
        try:
            arxiv_id, _version = parse_arxiv_id(raw)
        except ValueError:
            continue
        if arxiv_id not in found:
            found.append(arxiv_id)
    return found


HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})


def id_of_url(url: str) -> str | None:
    """The paper an arxiv.org URL links to, or None for any other URL (another host too)."""
    try:
        host = (urlsplit(url.strip()[:MAX_TEXT]).hostname or "").lower()
    except ValueError:  # e.g. a bracketed host that is not an IPv6 address
        return None
    if host not in HOSTS:
        return None
    found = ids_in(url)
    return found[0] if found else None
