"""The buttons on a post (🔖 save, 👍 vote) as raw component JSON, and their custom ids. Pure.

A posted digest carries, under the papers it shows, a way to save each paper to the member's
own list (`/saved`) and to vote for it in this server. The components are plain JSON in the
message payload (rendered here, posted by the delivery engine unchanged), and every click is
told apart only by its `custom_id`, a stable template that names the paper:

    hp:save:<arXiv id>    hp:vote:<arXiv id>       a button for one paper
    hp:save  hp:vote      (and hp:save/1 …)        a select: the paper is the picked value
    hp:unsave:<arXiv id>  hp:unvote:<arXiv id>     "remove" on the private answer to a click

No state lives in the bot: a click on a post made before a restart (or by another process)
parses the same way (`parse`), which is what makes the buttons persistent.

The layout always fits Discord's component limits (components/reference.mdx; enforced by
sandbox/component_rules.py): at most 5 action rows, 5 buttons *or* one select per row, 25
options per select, custom ids of at most 100 characters, labels of at most 80 (an option's
100), whatever the number of papers:

- **few papers** (as many as fit in one row each, 5): one row of 🔖 buttons and one row of 👍
  buttons, labelled with the rank the message shows (`1`, `2`, …): one click, no menu;
- **more papers**: one select per kind ("🔖 Save a paper…", "👍 Vote for a paper…"), one
  option per paper (`3. Title…`), 25 papers per select: a row each, however long the list;
- in a DM (a personal digest: no server) there is nothing to vote in: Save only.

`extra` buttons (e.g. "get the topic role", added by the role feature) come last, five per
row; the papers' rows are planned within the rows left, falling back to selects and then
to as many papers as still fit (never a payload Discord would refuse).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.limits import dlen

Payload = dict[str, Any]
Verb = Literal["save", "vote", "unsave", "unvote"]

PREFIX = "hp"
MAX_ROWS = 5  # action rows per (non components-v2) message
ROW_BUTTONS = 5  # buttons per action row
SELECT_OPTIONS = 25  # options per select
CUSTOM_ID = 100
BUTTON_LABEL = 80
OPTION_LABEL = 100
PLACEHOLDER = 150
ACTION_ROW, BUTTON, STRING_SELECT = 1, 2, 3
PRIMARY, SECONDARY, SUCCESS, DANGER = 1, 2, 3, 4

SAVE_EMOJI, VOTE_EMOJI = "🔖", "👍"
SAVE_PLACEHOLDER = f"{SAVE_EMOJI} Save a paper to your list…"
VOTE_PLACEHOLDER = f"{VOTE_EMOJI} Vote for a paper in this server…"

# What a paper id may be inside a custom id: an arXiv id (new or old style), nothing else.
_ID = r"[A-Za-z0-9][A-Za-z0-9./_-]{0,79}"
_CUSTOM = re.compile(
    rf"{PREFIX}:(?P<verb>save|vote|unsave|unvote)(?::(?P<id>{_ID})|(?:/(?P<part>[1-9]))?)"
)


@dataclass(frozen=True)
class Click:
    """What a custom id asks: a verb, and the paper (None: a select, the paper is its value)."""

    verb: Verb
    arxiv_id: str | None = None


def custom_id(verb: Verb, arxiv_id: str | None = None, part: int = 0) -> str:
    """The custom id of a button for one paper, or of select number `part` (0, 1, …)."""
    if arxiv_id is not None:
        return f"{PREFIX}:{verb}:{arxiv_id}"
    return f"{PREFIX}:{verb}" + (f"/{part}" if part else "")


def parse(text: str) -> Click | None:
    """The click a custom id stands for, or None when it is none of ours (forged, garbage,
    too long): a caller answers that privately, never with a traceback."""
    if len(text) > CUSTOM_ID:
        return None
    m = _CUSTOM.fullmatch(text)
    if m is None:
        return None
    verb: Verb = m["verb"]  # type: ignore[assignment]  # one of the four, by the pattern
    return Click(verb, m["id"])


# The custom ids this module answers for, valid or not (`hp:save…`, `hp:unvote…`): a handler
# matches `NAMESPACE` and lets `parse` decide; other features' ids (`hp:role:…`) are not in it.
NAMESPACE = rf"{PREFIX}:(?:un)?(?:save|vote)(?![a-z])"


def ours(text: str) -> bool:
    """Whether a custom id is in `NAMESPACE` (answered here, forged or not)."""
    return re.match(NAMESPACE, text) is not None


def _fits(text: str, limit: int) -> str:
    if dlen(text) <= limit:
        return text
    while dlen(text) > limit - 1:
        text = text[:-1]
    return text.rstrip() + "…"


def button(
    verb: Verb, arxiv_id: str, label: str, *, emoji: str | None = None, style: int = SECONDARY
) -> Payload:
    """One button for one paper."""
    out: Payload = {
        "type": BUTTON,
        "style": style,
        "label": _fits(label, BUTTON_LABEL),
        "custom_id": custom_id(verb, arxiv_id),
    }
    if emoji:
        out["emoji"] = {"name": emoji}
    return out


def _select(verb: Verb, part: int, placeholder: str, entries: Sequence[Entry]) -> Payload:
    options = [
        {"label": _fits(f"{rank}. {' '.join(title.split())}", OPTION_LABEL), "value": arxiv_id}
        for rank, arxiv_id, title in entries
    ]
    return {
        "type": ACTION_ROW,
        "components": [
            {
                "type": STRING_SELECT,
                "custom_id": custom_id(verb, part=part),
                "placeholder": _fits(placeholder, PLACEHOLDER),
                "min_values": 1,
                "max_values": 1,
                "options": options,
            }
        ],
    }


Entry = tuple[int, str, str]  # (rank shown, arXiv id, title)


def _usable(entries: Sequence[Entry]) -> list[Entry]:
    """Entries whose id fits a custom id (every arXiv id does), each paper once."""
    seen: set[str] = set()
    out: list[Entry] = []
    for rank, arxiv_id, title in entries:
        if arxiv_id in seen or parse(custom_id("unsave", arxiv_id)) is None:
            continue
        seen.add(arxiv_id)
        out.append((rank, arxiv_id, title))
    return out


def post_components(
    entries: Sequence[Entry], *, votes: bool = True, extra: Sequence[Payload] = ()
) -> list[Payload]:
    """The action rows under a message showing `entries` (rank, id, title), in its order.

    `votes`: False in a DM (Save only). `extra`: buttons (type 2 dicts) another feature adds,
    placed last (at most 5 rows of them). Empty when there is nothing to show.
    """
    extra_rows = [
        {"type": ACTION_ROW, "components": list(extra[i : i + ROW_BUTTONS])}
        for i in range(0, min(len(extra), MAX_ROWS * ROW_BUTTONS), ROW_BUTTONS)
    ]
    free = MAX_ROWS - len(extra_rows)
    papers = _usable(entries)
    kinds: list[tuple[Verb, str, str]] = [("save", SAVE_EMOJI, SAVE_PLACEHOLDER)]
    if votes:
        kinds.append(("vote", VOTE_EMOJI, VOTE_PLACEHOLDER))
    rows: list[Payload] = []
    if papers and free >= len(kinds):
        if len(papers) <= ROW_BUTTONS:
            for verb, emoji, _ in kinds:
                label = "Save" if verb == "save" else "Vote"
                buttons = [
                    button(verb, i, label if len(papers) == 1 else str(rank), emoji=emoji)
                    for rank, i, _ in papers
                ]
                rows.append({"type": ACTION_ROW, "components": buttons})
        else:
            per_kind = free // len(kinds)
            shown = papers[: per_kind * SELECT_OPTIONS]
            chunks = [shown[i : i + SELECT_OPTIONS] for i in range(0, len(shown), SELECT_OPTIONS)]
            for verb, _, placeholder in kinds:
                rows.extend(_select(verb, k, placeholder, c) for k, c in enumerate(chunks))
    return rows + extra_rows


def shown_entries(payload: Payload, papers: Sequence[Any]) -> list[Entry]:
    """Which of `papers` (ranked `Paper`s, rank = position + 1) a rendered message shows:
    those whose arXiv link is in its text or an embed's link (a compact list that was cut
    short, "…and 3 more", shows fewer than it was given)."""
    text = [str(payload.get("content") or "")]
    for embed in payload.get("embeds") or []:
        text.append(str(embed.get("description") or ""))
        text.append(f"({embed.get('url') or ''})")
    body = "\n".join(text)
    return [
        (rank, p.arxiv_id, p.title)
        for rank, p in enumerate(papers, start=1)
        if f"({p.abs_url})" in body
    ]


def with_components(
    payload: Payload, papers: Sequence[Any], *, votes: bool, extra: Sequence[Payload] = ()
) -> Payload:
    """`payload` with the rows for the papers it shows (and `extra`); unchanged if none."""
    rows = post_components(shown_entries(payload, papers), votes=votes, extra=extra)
    return {**payload, "components": rows} if rows else payload


def remove_row(click: Click) -> list[Payload]:
    """The one-button row under a private answer: take the save or the vote back."""
    assert click.arxiv_id is not None
    verb: Verb = "unsave" if click.verb == "save" else "unvote"
    label = "Remove from my list" if verb == "unsave" else "Withdraw my vote"
    return [{"type": ACTION_ROW, "components": [button(verb, click.arxiv_id, label, style=DANGER)]}]
