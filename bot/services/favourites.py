"""`/hot scope:server`: this server's favourites, the window's papers ranked by its 👍 votes.

The same window as `/hot` (the day, or the week or month ending on it; its categories), so
"this server's favourites of the week" are the week's papers this server voted for most:
by votes, ties in the crowds' order. Only papers with at least one vote are listed; none is
a sentence saying so and how to vote, never an empty list.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot import limits
from bot.errors import UserInputError
from bot.models import Paper
from bot.render import COLOR, NO_MENTIONS, compact_line, escape, truncate
from bot.services.digests import DigestService
from bot.services.papers import SOURCE, HotRequest
from bot.services.texts import no_announcement_text
from bot.store.base import Store

Payload = dict[str, Any]
DEFAULT_SHOWN = 10
NOT_IN_A_SERVER = "scope:server shows this server's favourites: use it in a server."


def favourites_payload(title: str, papers: list[Paper], votes: dict[str, int]) -> Payload:
    """The compact list of the voted papers, each with its votes."""
    lines = [
        f"{compact_line(n, p)} · 👍 {votes[p.arxiv_id]} in this server"
        for n, p in enumerate(papers, start=1)
    ]
    noun = "paper" if len(papers) == 1 else "papers"
    return {
        "content": truncate(
            f"**👍 This server's favourites** · {escape(truncate(title, 200))} · "
            f"{len(papers)} {noun}",
            limits.CONTENT,
        ),
        "embeds": [
            {
                "type": "rich",
                "description": truncate("\n".join(lines), limits.EMBED_DESCRIPTION),
                "color": COLOR,
                "footer": {"text": "Ranked by this server's 👍 votes · /paper <id> for details"},
            }
        ],
        "allowed_mentions": NO_MENTIONS,
    }


class FavouritesService:
    """This server's most-voted papers of a `/hot` window."""

    def __init__(self, store: Store, digests: DigestService) -> None:
        self.store = store
        self.digests = digests

    async def server_hot(self, request: HotRequest, guild_id: int | None) -> list[Payload]:
        """`/hot scope:server` (a checked `HotRequest`): the window's voted papers, most
        votes first, at most the request's limit."""
        if not guild_id:
            raise UserInputError(NOT_IN_A_SERVER)
        every = replace(request.filter, limit=None)
        hot = await self.digests.hot(SOURCE, request.day, request.window, every)
        if hot.no_announcement:
            return [{"content": no_announcement_text(hot.end, hot.no_announcement)}]
        if not hot:
            raise UserInputError(
                f"There is no digest for {hot.end} yet, so no favourites either. "
                "Try another date as YYYY-MM-DD."
            )
        papers = hot.view.papers
        votes = await self.store.vote_counts(guild_id, [p.arxiv_id for p in papers])
        order = {p.arxiv_id: n for n, p in enumerate(papers)}
        voted = sorted(
            (p for p in papers if votes.get(p.arxiv_id)),
            key=lambda p: (-votes[p.arxiv_id], order[p.arxiv_id]),
        )[: request.filter.limit or DEFAULT_SHOWN]
        title = hot.window_title or hot.view.title
        if not voted:
            text = (
                f"No one in this server has voted for a paper of {escape(truncate(title, 300))}"
                f" ({escape(truncate(request.filter.describe(), 300))}) yet: vote with the 👍 "
                "button under a digest post."
            )
            return [{"content": truncate(text, limits.CONTENT)}]
        return [favourites_payload(title, voted, votes)]
