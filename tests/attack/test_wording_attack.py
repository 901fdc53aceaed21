"""What users read must be true and read as English: counts with the right words, a filter
named once, sentences that end. Found by an outside attacker (issue 12); each test failed
before its fix."""

from __future__ import annotations

from datetime import date

from bot.models import Digest
from bot.render import render_digest

DAY = Digest(day=date(2021, 3, 14), source="hotpapers-md", title="Hot Papers 2021-03-14")


def test_empty_notice_of_a_single_filtered_paper_does_not_say_all_1() -> None:
    """A day whose only paper the filters removed says so in words, not "all 1 paper"."""
    (notice,) = render_digest(DAY, "compact", filtered_from=1)
    assert "all 1 " not in notice["content"], notice["content"]
    assert "only paper" in notice["content"], notice["content"]
