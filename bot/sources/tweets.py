"""Embedded tweet HTML (the blog's `<blockquote class="twitter-tweet">`) to plain text. Pure.

Uses the standard library's HTML parser rather than regexes, so nested tags, entities and
attributes in any order are handled; `<script>` content is dropped.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from bot.models import Tweet

TWEET_BLOCK = re.compile(
    r"<blockquote\b[^>]*class=\"[^\"]*twitter-tweet[^\"]*\"[^>]*>.*?</blockquote>",
    re.DOTALL | re.IGNORECASE,
)
_SCRIPT = re.compile(r"<script\b.*?(?:</script>|$)", re.DOTALL | re.IGNORECASE | re.MULTILINE)
_BYLINE = re.compile(r"^\s*(?:—|&mdash;|-)\s*(?P<author>.*?)\s*\(@(?P<handle>[A-Za-z0-9_]+)\)\s*")
_BLANKS = re.compile(r"[ \t]*\n[ \t]*")


class _TextCollector(HTMLParser):
    """Collects text and link targets; <br> and </p> become newlines; script/style dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.p_text: str | None = None
        self.links: list[str] = []
        self._skip = 0
        self._in_p = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            self._in_p += 1
        elif tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag == "p" and self._in_p:
            self._in_p -= 1
            if self._in_p == 0 and self.p_text is None:
                self.p_text = "".join(self.parts)
                self.parts = []

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Strip tags, unescape entities, keep line breaks; the result is plain text."""
    c = _TextCollector()
    c.feed(fragment)
    c.close()
    text = (c.p_text or "") + "".join(c.parts)
    return _BLANKS.sub("\n", unescape(text)).strip()


def parse_tweet(block: str) -> Tweet:
    """One `<blockquote class="twitter-tweet">…</blockquote>` to a Tweet (fields may be empty)."""
    block = _SCRIPT.sub("", block)
    c = _TextCollector()
    c.feed(block)
    c.close()
    body = _BLANKS.sub("\n", c.p_text or "").strip()
    rest = "".join(c.parts)
    author = handle = ""
    m = _BYLINE.match(rest)
    if m:
        author, handle = m.group("author").strip(), m.group("handle")
    url = ""
    for link in reversed(c.links):
        if "/status/" in link:
            url = link.split("?", 1)[0]
            break
    return Tweet(author=author, handle=handle, url=url, text=body)


def extract_tweets(text: str) -> list[Tweet]:
    """Every embedded tweet in a block of markdown, in order."""
    return [parse_tweet(m.group(0)) for m in TWEET_BLOCK.finditer(text)]
