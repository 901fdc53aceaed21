"""Category lists as members type them (issue 12 attack): a space after the minus, a minus
with nothing after it, a category excluded through its archive. Each reply must say what was
wrong, and what is saved must be what the member meant."""

from __future__ import annotations

import pytest

from bot.errors import UserInputError
from bot.filters import parse_categories
from bot.services.subscriptions import Changes


def test_a_space_after_the_minus_still_excludes() -> None:
    """`-cs.RO, - stat.ML` excludes both: not "Unknown arXiv category ``" (the space split
    `- stat.ML` into a bare `-` and an *included* stat.ML)."""
    assert parse_categories("-cs.RO, - stat.ML") == ((), ("cs.RO", "stat.ML"))
    assert Changes(categories="cs.CV, - cs.RO").validated()["categories"] == ["cs.CV", "-cs.RO"]


@pytest.mark.parametrize("given", ["-", "cs.CV, -", "cs.CV, -,"])
def test_a_bare_minus_says_a_category_is_missing(given: str) -> None:
    """A `-` with no category after it is named as such, not as the unknown category ``."""
    with pytest.raises(UserInputError) as caught:
        parse_categories(given)
    message = str(caught.value)
    assert "``" not in message, message
    assert "after" in message and "-cs.RO" in message, message


def test_a_category_excluded_through_its_archive_is_refused() -> None:
    """`cs.CV, -cs` can never show a paper (every cs.CV paper is in cs): refused as
    `cs.CV, -cs.CV` is, rather than saved as a subscription that posts only empty days.
    The other way round (`cs, -cs.RO`: all of cs but robotics) stays allowed."""
    with pytest.raises(UserInputError) as caught:
        parse_categories("cs.CV, -cs")
    assert "cs.CV" in str(caught.value) and "excluded" in str(caught.value), caught.value
    assert parse_categories("cs, -cs.RO") == (("cs",), ("cs.RO",))


def test_a_stored_list_with_an_archive_overlap_still_reads() -> None:
    """Subscriptions saved before the archive check keep their filter (publish reads them)."""
    assert parse_categories(["cs.CV", "-cs"]) == (("cs.CV",), ("cs",))
