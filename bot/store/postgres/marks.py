"""PostgreSQL's marks aggregate (`bot.store.marks.MarkStore`): saved papers and votes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.store import rows
from bot.store.marks import Marked, SavedPaper
from bot.store.postgres.connection import PgBase, affected

# Insert only a paper the store knows, and only once (as SQLite's: no foreign-key error).
_SAVE = (
    "INSERT INTO saved (user_id, arxiv_id, saved_at)"
    " SELECT $1, arxiv_id, $2 FROM papers WHERE arxiv_id = $3 ON CONFLICT DO NOTHING"
)
_VOTE = (
    "INSERT INTO votes (guild_id, arxiv_id, user_id, voted_at)"
    " SELECT $1, arxiv_id, $2, $3 FROM papers WHERE arxiv_id = $4 ON CONFLICT DO NOTHING"
)


class PgMarks(PgBase):
    """Saved papers and votes on PostgreSQL."""

    async def _outcome(self, added: bool, arxiv_id: str) -> Marked:
        if added:
            return "added"
        known = await self._one("SELECT 1 FROM papers WHERE arxiv_id = $1", arxiv_id)
        return "already" if known else "unknown"

    async def save_paper(
        self, user_id: int, arxiv_id: str, *, at: datetime | None = None
    ) -> Marked:
        """Add a stored paper to a member's list, once."""
        async with self._write() as db:
            status = await db.execute(_SAVE, user_id, rows.to_text(at or rows.now()), arxiv_id)
        return await self._outcome(affected(status) > 0, arxiv_id)

    async def unsave_paper(self, user_id: int, arxiv_id: str) -> bool:
        """Remove a paper from a member's list; True if it was there."""
        async with self._write() as db:
            status = await db.execute(
                "DELETE FROM saved WHERE user_id = $1 AND arxiv_id = $2", user_id, arxiv_id
            )
        return affected(status) > 0

    async def saved_papers(self, user_id: int, *, limit: int = 25) -> list[SavedPaper]:
        """A member's list, newest first (ties by id)."""
        found = await self._all(
            "SELECT s.arxiv_id, p.title, s.saved_at FROM saved s"
            " JOIN papers p ON p.arxiv_id = s.arxiv_id WHERE s.user_id = $1"
            " ORDER BY s.saved_at DESC, s.arxiv_id LIMIT $2",
            user_id,
            max(0, limit),
        )
        return [SavedPaper(r[0], r[1], rows.read_required_time(r[2])) for r in found]

    async def count_saved(self, user_id: int) -> int:
        """How many papers a member's list holds."""
        row = await self._one("SELECT count(*) FROM saved WHERE user_id = $1", user_id)
        return int(row[0]) if row else 0

    async def add_vote(
        self, guild_id: int, arxiv_id: str, user_id: int, *, at: datetime | None = None
    ) -> Marked:
        """A member's one vote for a stored paper in one server."""
        when = rows.to_text(at or rows.now())
        async with self._write() as db:
            status = await db.execute(_VOTE, guild_id, user_id, when, arxiv_id)
        return await self._outcome(affected(status) > 0, arxiv_id)

    async def remove_vote(self, guild_id: int, arxiv_id: str, user_id: int) -> bool:
        """Take a member's vote back; True if there was one."""
        async with self._write() as db:
            status = await db.execute(
                "DELETE FROM votes WHERE guild_id = $1 AND arxiv_id = $2 AND user_id = $3",
                guild_id,
                arxiv_id,
                user_id,
            )
        return affected(status) > 0

    async def vote_counts(self, guild_id: int, arxiv_ids: Sequence[str]) -> dict[str, int]:
        """Votes per paper in one server, for the given papers that have any."""
        if not arxiv_ids:
            return {}
        found = await self._all(
            "SELECT arxiv_id, count(*) FROM votes WHERE guild_id = $1"
            " AND arxiv_id = ANY($2::text[]) GROUP BY arxiv_id",
            guild_id,
            list(arxiv_ids),
        )
        return {r[0]: int(r[1]) for r in found}
