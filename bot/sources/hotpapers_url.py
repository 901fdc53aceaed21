"""The `hotpapers-md` source: a day's Hot Papers post from a folder or a URL template.

The blog's posts are named by day (`2021-03-12---Hot-Papers.md`, `hot-papers-2021-03-12.md`),
so a folder is searched for a markdown file whose name holds the ISO date, and a URL template
gets the date in place of `{date}`. Parsing is `bot.sources.hotpapers_md.parse_digest`; its
format errors become `UpstreamFormatError` here, so the cache treats a broken post like any
other upstream garbage (nothing stored, health recorded). A day with no post is a
`SourceError`, not an empty day: a wrong folder must not look like a quiet week.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from pathlib import Path

from bot.errors import DigestFormatError, SourceError, UpstreamFormatError
from bot.models import Digest
from bot.sources.hotpapers_md import SOURCE, parse_digest, read_text
from bot.sources.http import Http

log = logging.getLogger(__name__)

NAME = SOURCE


def _checked(digest: Digest, day: date, origin: str) -> Digest:
    """The parsed digest, provided it is the day that was asked for."""
    if digest.day != day:
        raise UpstreamFormatError(f"{NAME}: {origin} is the digest of {digest.day}, not of {day}")
    return digest.model_copy(update={"source": NAME})


class HotPapersDirSource:
    """Posts from a local folder (searched recursively)."""

    name = NAME

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _find(self, day: date) -> list[Path]:
        if not self.folder.is_dir():
            raise SourceError(f"{NAME}: {self.folder} is not a folder (sources.hotpapers_dir)")
        return sorted(p for p in self.folder.rglob(f"*{day.isoformat()}*.md") if p.is_file())

    def _load(self, day: date) -> Digest:
        candidates = self._find(day)
        if not candidates:
            raise SourceError(f"{NAME}: no post for {day} in {self.folder}")
        problems: list[str] = []
        for path in candidates:
            try:
                return _checked(parse_digest(read_text(path), str(path)), day, str(path))
            except (DigestFormatError, UpstreamFormatError) as exc:
                problems.append(str(exc))
            except OSError as exc:
                problems.append(f"{path}: cannot read: {exc.strerror}")
        raise UpstreamFormatError(f"{NAME}: no readable post for {day}: {'; '.join(problems)}")

    async def fetch_day(self, day: date) -> Digest:
        """The post of `day` from the folder (file I/O off the event loop)."""
        return await asyncio.to_thread(self._load, day)


class HotPapersUrlSource:
    """Posts fetched from `template.format(date=YYYY-MM-DD)`."""

    name = NAME

    def __init__(self, http: Http, template: str) -> None:
        if "{date}" not in template:
            raise ValueError("hotpapers_url_template must contain {date}")
        self.http = http
        self.template = template

    async def fetch_day(self, day: date) -> Digest:
        """Download and parse the post of `day`; a 404 is "no post for that day"."""
        url = self.template.replace("{date}", day.isoformat())
        fetched = await self.http.get(url)
        try:
            text = fetched.content.decode("utf-8")
        except UnicodeDecodeError:
            raise UpstreamFormatError(f"{NAME}: {url} is not UTF-8 text") from None
        try:
            digest = parse_digest(text, url)
        except DigestFormatError as exc:
            raise UpstreamFormatError(f"{NAME}: {exc}") from None
        return _checked(digest, day, url)
