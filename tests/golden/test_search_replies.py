"""What `/search` answers, held exactly (through the sandbox with the real bot): hits, a search
that matches nothing, every refusal, and `/paper`'s suggestions.

If a change is meant: `UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/golden && git diff tests/golden`.
"""

from __future__ import annotations

from typing import Any

from sandbox.app import Sandbox
from tests.golden.compare import golden
from tests.golden.test_replies import app as app
from tests.golden.test_replies import clock as clock
from tests.golden.test_replies import sandbox as sandbox
from tests.golden.test_replies import seen
from tests.golden.test_replies import store as store

SEARCHES: list[tuple[str, dict[str, Any]]] = [
    ("hits", {"query": "self supervised"}),
    ("author_and_archive", {"query": "garg", "category": "cs"}),
    ("in_a_range", {"query": "learning", "since": "2021-03-12", "until": "2021-03-12"}),
    ("no_match", {"query": "zebra", "category": "cs.CV, stat.ML", "since": "2021-03-01"}),
    ("empty", {"query": " "}),
    ("no_words", {"query": "***"}),
    ("range_backwards", {"query": "x", "since": "2021-03-12", "until": "2021-03-11"}),
    ("bad_day", {"query": "x", "until": "2021-02-30"}),
    ("excluded_category", {"query": "x", "category": "-cs.RO"}),
]


async def test_search_replies(app: Sandbox) -> None:
    replies = {label: seen(await app.control.invoke("search", o)) for label, o in SEARCHES}
    replies["paper_suggestions"] = {
        text: (await app.control.autocomplete("paper", {"id": text}, "id")).choices
        for text in ("learn", "2103.063", "arXiv:2103.06874v2", "")
    }
    golden("search_replies", replies)
