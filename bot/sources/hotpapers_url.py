"""The `hotpapers-md` source: a day's Hot Papers post from a folder or a URL template.

The blog's posts are named by day (`2021-03-12---Hot-Papers.md`, `hot-papers-2021-03-12.md`),
so a folder is searched for a markdown file whose name holds the ISO date, and a URL template
gets the date in place of `{date}`. Parsing is `bot.sources.hotpapers_md.parse_digest`; its
format errors become `UpstreamFormatError` here, so the cache treats a broken post like any
other upstream garbage (nothing stored, health recorded). A day with no post is an
`UpstreamMissingError` (a `SourceError`, remembered for a while by `DigestService`), not an
empty day: a wrong folder must not look like a quiet week. Messages never show the folder or
the URL (a server path is not for members); those go to `SourceError.detail` and the log.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from pathlib import Path

from pydantic import field_validator

from bot.checks import http_url
from bot.errors import (
    ConfigError,
    DigestFormatError,
    SourceError,
    UpstreamFormatError,
    UpstreamMissingError,
)
from bot.models import Digest
from bot.sources.boundary import boundary
from bot.sources.hotpapers_md import METRICS, parse_digest, read_text
from bot.sources.hotpapers_md import SOURCE as FORMAT_NAME
from bot.sources.http import Http
from bot.sources.spec import Context, Source, SourceSettings, SourceSpec

log = logging.getLogger(__name__)

NAME = FORMAT_NAME
TITLE = "The Hot Papers posts"


def _checked(digest: Digest, day: date, origin: str) -> Digest:
    """The parsed digest, provided it is the day that was asked for."""
    if digest.day != day:
        raise UpstreamFormatError(
            f"{TITLE}: the post found for {day} is the digest of {digest.day}.",
            detail=f"{origin} is the digest of {digest.day}, not of {day}",
        )
    return digest.model_copy(update={"source": NAME})


class HotPapersDirSource:
    """Posts from a local folder (searched recursively)."""

    name = NAME

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _find(self, day: date) -> list[Path]:
        if not self.folder.is_dir():
            raise SourceError(
                f"{TITLE} folder is missing or is not a folder (sources.hotpapers-md.dir).",
                detail=f"{self.folder} is not a folder",
            )
        return sorted(p for p in self.folder.rglob(f"*{day.isoformat()}*.md") if p.is_file())

    def _load(self, day: date) -> Digest:
        candidates = self._find(day)
        if not candidates:
            raise UpstreamMissingError(
                f"{TITLE} have no post for {day}.", detail=f"no post for {day} in {self.folder}"
            )
        problems: list[str] = []
        for path in candidates:
            try:
                return _checked(parse_digest(read_text(path), str(path)), day, str(path))
            except DigestFormatError as exc:
                problems.append(str(exc))
            except UpstreamFormatError as exc:
                problems.append(exc.detail or str(exc))
            except OSError as exc:
                problems.append(f"{path}: cannot read: {exc.strerror}")
        raise UpstreamFormatError(
            f"{TITLE}: the post for {day} could not be read.", detail="; ".join(problems)[:1000]
        )

    async def fetch_day(self, day: date) -> Digest:
        """The post of `day` from the folder (file I/O off the event loop)."""
        with boundary(NAME, f"for {day} could not be read", title=TITLE):
            return await asyncio.to_thread(self._load, day)


class HotPapersUrlSource:
    """Posts fetched from `template.format(date=YYYY-MM-DD)`."""

    name = NAME

    def __init__(self, http: Http, template: str) -> None:
        if "{date}" not in template:
            raise ValueError("sources.hotpapers-md.url_template must contain {date}")
        self.http = http
        self.template = template

    async def fetch_day(self, day: date) -> Digest:
        """Download and parse the post of `day`; a 404 is "no post for that day"."""
        with boundary(NAME, f"for {day} could not be read", title=TITLE):
            return await self._fetch_day(day)

    async def _fetch_day(self, day: date) -> Digest:
        url = self.template.replace("{date}", day.isoformat())
        fetched = await self.http.get(url, accept=(200, 404, 410))
        if fetched.status != 200:
            raise UpstreamMissingError(
                f"{TITLE} have no post for {day}.", detail=f"HTTP {fetched.status} from {url}"
            )
        try:
            text = fetched.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UpstreamFormatError(
                f"{TITLE}: the post for {day} is not UTF-8 text.", detail=url
            ) from exc
        try:
            digest = parse_digest(text, url)
        except DigestFormatError as exc:
            raise UpstreamFormatError(
                f"{TITLE}: the post for {day} is not a Hot Papers digest.", detail=str(exc)
            ) from exc
        return _checked(digest, day, url)


class HotPapersSettings(SourceSettings):
    """`[sources.hotpapers-md]`: a folder of posts, or a URL template with `{date}`.

    With neither, `hotpapers-md` is served from the store only (what `hotpapers import` put
    there); with both, the folder is used.
    """

    dir: str = ""  # a folder of Hot Papers markdown posts (must exist)
    url_template: str = ""  # e.g. https://example.org/posts/{date}---Hot-Papers.md

    @field_validator("url_template")
    @classmethod
    def _template(cls, value: str) -> str:
        if value and "{date}" not in value:
            raise ValueError("must contain {date}, e.g. https://example.org/{date}.md")
        if value:
            http_url(value.replace("{date}", "2021-03-12"))
        return value

    @field_validator("dir")
    @classmethod
    def _folder(cls, value: str) -> str:
        if value and not Path(value).is_dir():
            raise ValueError(f"{value} is not a folder")
        return value


def _build(context: Context, settings: HotPapersSettings) -> Source:
    if settings.dir:
        return HotPapersDirSource(settings.dir)
    if settings.url_template:
        return HotPapersUrlSource(context.http(NAME), settings.url_template)
    raise ConfigError(
        "sources: hotpapers-md needs sources.hotpapers-md.dir or sources.hotpapers-md.url_template"
    )


SOURCE = SourceSpec(
    name=NAME,
    title=TITLE,
    settings=HotPapersSettings,
    fetcher=_build,
    metrics=METRICS,
    moved={"hotpapers_dir": "dir", "hotpapers_url_template": "url_template"},
)
