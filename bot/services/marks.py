"""What the buttons on a post do, and `/saved`: plain data in, private answers out.

A click arrives as its custom id (`bot.components`: `hp:save:<id>`, a select's picked value,
…), the member, and the server it happened in (None in a DM). The answer is always private
and short, so it goes out well within Discord's 3 seconds (two indexed reads and one write):

- 🔖 **save**: "Saved …" or "… is already in your list", each with a button to remove it;
- 👍 **vote**: "Voted for …" or "You already voted for this paper": a member's vote is stored
  once per paper and server (the store's key), so repeated clicks never add a second one;
  taking a vote back is its own button ("Withdraw my vote");
- a custom id that is none of ours (garbage, forged, too long) or a paper the store does not
  know is a `UserInputError` with a sentence saying so (the caller answers it privately).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import limits
from bot.components import Click, parse, remove_row
from bot.errors import UserInputError
from bot.models import Paper
from bot.render import safe, truncate
from bot.schedule import Clock
from bot.store.base import Store

Payload = dict[str, Any]
SAVED_SHOWN = 20  # papers `/saved` lists (newest first); the rest are counted

NOT_OURS = (
    "This button is not one I know (it may come from an older version of me). "
    "Use /paper with the paper's id instead."
)
NO_SERVER = "Votes are counted per server, and this is not a server: there is nothing to vote in."


def unknown_paper(arxiv_id: str) -> str:
    """A click on a paper the store does not hold (a post from a store since replaced)."""
    return (
        f"I have no paper arXiv:{arxiv_id} in my store any more, so it cannot be saved or "
        f"voted for. It is at https://arxiv.org/abs/{arxiv_id}"
    )


def _title(paper: Paper) -> str:
    return safe(" ".join(paper.title.split()), 200)


def _votes(n: int) -> str:
    return f"{n} vote{'' if n == 1 else 's'}"


class MarksService:
    """The 🔖 and 👍 buttons and `/saved`, over the store's saved papers and votes."""

    def __init__(self, store: Store, *, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def clicked(self, custom_id: str, values: Sequence[str] | None = None) -> Click:
        """The click a custom id (and a select's picked values) asks for; UserInputError when
        it is not a click of ours or names no single paper."""
        click = parse(custom_id)
        if click is None:
            raise UserInputError(NOT_OURS)
        if click.arxiv_id is None:  # a select: the paper is the one value picked
            picked = list(values or [])
            if len(picked) != 1:
                raise UserInputError(NOT_OURS)
            click = parse(f"{custom_id.partition('/')[0]}:{picked[0]}")
            if click is None:
                raise UserInputError(NOT_OURS)
        return click

    async def click(
        self,
        custom_id: str,
        *,
        user_id: int,
        guild_id: int | None,
        values: Sequence[str] | None = None,
    ) -> Payload:
        """The private answer to one click (see the module)."""
        click = self.clicked(custom_id, values)
        arxiv_id = click.arxiv_id
        assert arxiv_id is not None
        if click.verb in ("vote", "unvote") and not guild_id:
            raise UserInputError(NO_SERVER)
        if click.verb == "unsave":
            gone = await self.store.unsave_paper(user_id, arxiv_id)
            text = (
                f"Removed arXiv:{arxiv_id} from your list."
                if gone
                else f"arXiv:{arxiv_id} was not in your list."
            )
            return {"content": text}
        if click.verb == "unvote":
            assert guild_id
            gone = await self.store.remove_vote(guild_id, arxiv_id, user_id)
            left = (await self.store.vote_counts(guild_id, [arxiv_id])).get(arxiv_id, 0)
            text = (
                f"Your vote for arXiv:{arxiv_id} is withdrawn ({_votes(left)} in this server)."
                if gone
                else f"You had not voted for arXiv:{arxiv_id} in this server."
            )
            return {"content": text}
        paper = await self.store.get_paper(arxiv_id)
        if paper is None:
            raise UserInputError(unknown_paper(arxiv_id))
        at = self.clock()
        if click.verb == "save":
            outcome = await self.store.save_paper(user_id, arxiv_id, at=at)
            if outcome == "unknown":
                raise UserInputError(unknown_paper(arxiv_id))
            text = (
                f"🔖 Saved **{_title(paper)}** (arXiv:{arxiv_id}) to your list: see /saved."
                if outcome == "added"
                else f"🔖 **{_title(paper)}** (arXiv:{arxiv_id}) is already in your list (/saved)."
            )
            return {"content": truncate(text, limits.CONTENT), "components": remove_row(click)}
        assert guild_id
        outcome = await self.store.add_vote(guild_id, arxiv_id, user_id, at=at)
        if outcome == "unknown":
            raise UserInputError(unknown_paper(arxiv_id))
        count = (await self.store.vote_counts(guild_id, [arxiv_id])).get(arxiv_id, 0)
        text = (
            f"👍 Voted for **{_title(paper)}** (arXiv:{arxiv_id}): {_votes(count)} in this "
            "server now."
            if outcome == "added"
            else f"👍 You already voted for this paper (arXiv:{arxiv_id}); a member's vote "
            f"counts once. {_votes(count)} in this server."
        )
        return {"content": truncate(text, limits.CONTENT), "components": remove_row(click)}

    async def saved(self, user_id: int) -> Payload:
        """`/saved`: the member's list, newest first (`SAVED_SHOWN` of them, the rest
        counted), with a menu to remove one; a sentence saying how to save when empty."""
        total = await self.store.count_saved(user_id)
        if not total:
            return {
                "content": "Your list is empty. Save a paper with the 🔖 button under a "
                "digest post; only you can see your list."
            }
        shown = await self.store.saved_papers(user_id, limit=SAVED_SHOWN)
        lines = [
            f"**{n}.** [{safe(' '.join(s.title.split()), 150)}]"
            f"(https://arxiv.org/abs/{s.arxiv_id}) · saved <t:{int(s.saved_at.timestamp())}:d>"
            for n, s in enumerate(shown, start=1)
        ]
        if total > len(shown):
            lines.append(f"…and {total - len(shown)} older (remove some to see them)")
        noun = "paper" if total == 1 else "papers"
        embed = {
            "type": "rich",
            "title": f"🔖 Your saved papers ({total} {noun})",
            "description": truncate("\n".join(lines), limits.EMBED_DESCRIPTION),
            "footer": {"text": "Only you can see this list."},
        }
        options = [
            {"label": truncate(f"{n}. {' '.join(s.title.split())}", 100), "value": s.arxiv_id}
            for n, s in enumerate(shown, start=1)
        ]
        menu = {
            "type": 3,
            "custom_id": "hp:unsave",
            "placeholder": "Remove a paper from your list…",
            "min_values": 1,
            "max_values": 1,
            "options": options,
        }
        return {"embeds": [embed], "components": [{"type": 1, "components": [menu]}]}
