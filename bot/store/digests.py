"""The digests-and-papers aggregate: what a source said about a day, and the papers it named.

A digest is (source, day) → a title, a fetch time, whether it is final, and its ranked entries
(each: a paper, that day's score, metrics and discussion snippets). A paper is stored once by
its version-less arXiv id and shared by every digest that names it.

Rules every backend keeps (tests/store/test_digests.py states them):
- `save_digest` of content equal to the stored one (everything but `fetched_at`) changes no
  paper and no entry; it returns False when not even the bookkeeping (fetch time, finality)
  moved, so re-importing one file is a no-op. Finality only ever goes from False to True.
- Saving a changed digest replaces that day's entries wholesale (ranks 1..n in the given
  order). Paper metadata is never replaced by an empty value, and the highest version wins.
- `save_digests` is `save_digest` of each digest in the given order, in one transaction (a
  backend may start another where a day is named again): the path of an import of many
  files. A fault leaves a transaction's days unwritten, none of them half-written.
- Reads return papers in rank order; lists of days are newest day first, ties by source.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from bot.models import Digest, DigestMeta, Entry, Paper


class DigestStore(Protocol):
    """Digests of sources by day, and the papers they rank."""

    async def save_digest(self, digest: Digest, *, final: bool = True) -> bool:
        """Store a digest (papers upserted; the day's ranked entries replaced).

        Returns True when anything changed, so an import run twice reports no change.
        """
        ...

    async def save_digests(self, digests: Sequence[Digest], *, final: bool = True) -> list[bool]:
        """`save_digest` of each digest in order, in one transaction; one result each.

        A day named twice is saved twice, in order, as two calls would (the second compares
        with the first).
        """
        ...

    async def get_digest(self, source: str, day: date) -> Digest | None:
        """The stored digest of `source` for `day`, papers in rank order, or None."""
        ...

    async def digest_meta(self, source: str, day: date) -> DigestMeta | None:
        """When `source`'s `day` was fetched and whether it is final, or None if never.

        An unreadable stored fetch time reads as long ago (1970), so the day is refetched.
        """
        ...

    async def latest_day(self, source: str | None = None) -> date | None:
        """The most recent stored day (of one source, or of any)."""
        ...

    async def digests_between(self, source: str | None, start: date, end: date) -> list[Digest]:
        """Stored digests with start <= day <= end (inclusive), newest first (then by source),
        papers in rank order; a digest with no entries is included with no papers."""
        ...

    async def window_entries(
        self, source: str, start: date, end: date, *, categories: bool = True
    ) -> tuple[dict[date, str], list[Entry]]:
        """The digests of `source` with start <= day <= end as ({day: title}, their entries),
        entries newest day first and in rank order within a day.

        No paper text is read: enough to merge, filter and rank a window (`bot.filters.pick`).
        `categories=False`: entries with empty categories, for a filter that names none.
        """
        ...

    async def entry_papers(self, source: str, entries: Sequence[Entry]) -> list[Paper]:
        """The papers of `entries` as they stood in those entries (score, metrics), in the
        given order, without discussion snippets; entries no longer stored are left out."""
        ...

    async def get_paper(self, arxiv_id: str) -> Paper | None:
        """The latest stored record of a paper by version-less id, or None: its metadata with
        the score, metrics and snippets of its most recent entry (none: score 0, no metrics)."""
        ...

    async def paper_days(self, arxiv_id: str, source: str | None = None) -> list[tuple[str, date]]:
        """The (source, day) of every stored digest that lists the paper (of one source, or
        of any), newest day first, then by source: where `/digest why` looks for it."""
        ...
