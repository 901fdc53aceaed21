"""The day's arXiv announcement alone, as a day source: the universe without any crowd.

`AnnouncementSource(listing, archives)` answers `fetch_day(day)` with the papers arXiv
announced on digest day `day` in the archives somebody wants (`archives()`, e.g.
`bot.services.archives.wanted_archives` over the store), in listing order, with no score: a
stand-in that proves the universe end to end until the blend (`bot.sources.blend`, the `hot`
source) joins it with the signals and ranks it. A day without an announcement raises
`NoAnnouncement` from the listing, before any request, which the digest service turns into an
empty day that says why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date

from bot.models import Digest
from bot.sources.arxiv_listing import ArxivListing

Archives = Callable[[], Awaitable[Sequence[str]]]


class AnnouncementSource:
    """A day source over `ArxivListing`: the announcement of the wanted archives, unranked."""

    def __init__(self, listing: ArxivListing, archives: Archives, *, name: str = "arxiv-new"):
        self.listing = listing
        self.archives = archives
        self.name = name

    async def fetch_day(self, day: date) -> Digest:
        """The papers announced on `day` in the wanted archives (NoAnnouncement without one)."""
        papers = await self.listing.announced(day, await self.archives())
        return Digest(day=day, source=self.name, title=f"New on arXiv {day}", papers=papers)
