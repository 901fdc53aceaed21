"""The marks aggregate: what members mark on papers from a post's buttons (issue 14).

- **Saved papers** are a member's own list (`/saved`, 🔖): one per (user, paper), the same in
  every server and in DMs, listed newest first.
- **Votes** are one 👍 per member per paper per server: (guild, paper, user) is the key, so a
  repeated click, or two at once from several processes, counts once; a vote is taken back
  only by `remove_vote`.

Rules every backend keeps (tests/store/test_marks.py):
- `save_paper` / `add_vote` say what happened: `"added"`, `"already"` (nothing changed, the
  first time stays), or `"unknown"` (the store has no such paper: nothing is written). They
  are atomic: of concurrent calls for one key exactly one is `"added"`.
- `saved_papers` is newest first (ties by arXiv id), at most `limit`; `count_saved` is the
  whole list's length. `vote_counts` holds only papers with at least one vote.
- An unreadable stored time reads as long ago (1970), never an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Marked = Literal["added", "already", "unknown"]


@dataclass(frozen=True)
class SavedPaper:
    """One paper of a member's list: its id, its stored title, when it was saved."""

    arxiv_id: str
    title: str
    saved_at: datetime


class MarkStore(Protocol):
    """Members' saved papers and servers' votes."""

    async def save_paper(
        self, user_id: int, arxiv_id: str, *, at: datetime | None = None
    ) -> Marked:
        """Add a stored paper to a member's list (at `at`, default now)."""
        ...

    async def unsave_paper(self, user_id: int, arxiv_id: str) -> bool:
        """Remove a paper from a member's list; True if it was there."""
        ...

    async def saved_papers(self, user_id: int, *, limit: int = 25) -> list[SavedPaper]:
        """A member's list, newest first (ties by id), at most `limit`."""
        ...

    async def count_saved(self, user_id: int) -> int:
        """How many papers a member's list holds."""
        ...

    async def add_vote(
        self, guild_id: int, arxiv_id: str, user_id: int, *, at: datetime | None = None
    ) -> Marked:
        """A member's 👍 for a stored paper in one server (at `at`, default now)."""
        ...

    async def remove_vote(self, guild_id: int, arxiv_id: str, user_id: int) -> bool:
        """Take a member's vote back; True if there was one."""
        ...

    async def vote_counts(self, guild_id: int, arxiv_ids: Sequence[str]) -> dict[str, int]:
        """Votes per paper in one server, for the papers of `arxiv_ids` that have any."""
        ...
