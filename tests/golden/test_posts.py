"""The posts for the bundled sample, held exactly: compact, detailed (header, thread name,
thread messages) and the empty-day notices. Pure rendering, so the fast mutation runs of
`bot/render.py` use this file (the command replies are in test_replies.py).

If a change is meant: `UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/golden && git diff tests/golden`.
"""

from __future__ import annotations

from datetime import date

from bot.cli.preview import sample_digest
from bot.models import Digest
from bot.render import render_digest, thread_name
from tests.golden.compare import golden


def test_compact_post() -> None:
    golden("compact_post", render_digest(sample_digest(), "compact"))


def test_detailed_post() -> None:
    digest = sample_digest()
    header, *thread = render_digest(digest, "detailed")
    post = {"header": header, "thread_name": thread_name(digest), "thread": thread}
    golden("detailed_post", post)


def test_empty_day_notices() -> None:
    day = Digest(day=date(2021, 3, 14), source="hotpapers-md", title="Hot Papers 2021-03-14")
    golden(
        "empty_notice",
        {
            "source_had_none": render_digest(day, "compact"),
            "filters_removed_one": render_digest(day, "detailed", filtered_from=1),
            "filters_removed_sixteen": render_digest(day, "compact", filtered_from=16),
        },
    )


def test_post_buttons() -> None:
    """The components each posted message carries (the renders above, plus these rows):
    compact (16 papers: selects), detailed (each thread message's papers: buttons), a
    three-paper compact post, and a personal digest in a DM (Save only)."""
    from bot.delivery import compose, target_for
    from bot.models import Subscription

    def rows(**kw: object) -> list[object]:
        sub = Subscription(channel_id=5, **{"guild_id": 1, **kw})
        view = compose(sub, sample_digest())
        plan = target_for(sub).plan(sub, view, candidates=len(sample_digest().papers))
        return [m.payload.get("components") for m in plan.messages]

    golden(
        "post_buttons",
        {
            "compact": rows(limit=16),
            "detailed": rows(format="detailed", limit=16),
            "compact_three": rows(limit=3),
            "dm_compact_three": rows(limit=3, guild_id=0),
        },
    )
