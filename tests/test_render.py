"""Rendering: every payload valid under Discord's spec and limits, hostile text made inert."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.limits import dlen, embed_size
from bot.models import Digest, Paper, Tweet
from bot.render import _escape_all, escape, render_digest, render_paper, thread_name, truncate
from bot.sources.hotpapers_md import load_path

SAMPLE = Path(__file__).resolve().parent.parent / "bot" / "data" / "hot-papers-2021-03-12.md"
Validator = Callable[[dict[str, Any]], list[str]]


def _paper(i: int, **kw: Any) -> Paper:
    base: dict[str, Any] = {"arxiv_id": f"2101.{i:05d}", "title": f"Paper {i}", "score": 100 - i}
    base.update(kw)
    return Paper(**base)


@pytest.mark.parametrize("fmt", ["compact", "detailed"])
def test_sample_payloads_are_valid(fmt: str, message_validator: Validator) -> None:
    messages = render_digest(load_path(SAMPLE), fmt)  # type: ignore[arg-type]
    assert messages
    for m in messages:
        assert message_validator(m) == []
        assert m["allowed_mentions"] == {"parse": []}


def test_compact_is_one_message_with_all_sixteen() -> None:
    (msg,) = render_digest(load_path(SAMPLE), "compact")
    (embed,) = msg["embeds"]
    for rank in range(1, 17):
        assert f"**{rank}.** [" in embed["description"]
    assert "more" not in embed["description"]
    assert "](https://arxiv.org/abs/2103.06874)" in embed["description"]
    assert "710 retweets · 293 favorites" in embed["description"]
    assert "Hot Papers 2021-03-12" in msg["content"]


def test_detailed_has_header_then_one_embed_per_paper() -> None:
    messages = render_digest(load_path(SAMPLE), "detailed")
    assert "embeds" not in messages[0]
    embeds = [e for m in messages[1:] for e in m["embeds"]]
    assert [e["footer"]["text"] for e in embeds][:2] == ["arXiv:2103.06874", "arXiv:2103.06422"]
    assert len(embeds) == 16


def test_empty_day_is_one_short_notice(message_validator: Validator) -> None:
    for fmt in ("compact", "detailed"):
        (msg,) = render_digest(Digest(day=date(2020, 12, 7), source="s"), fmt)  # type: ignore[arg-type]
        assert "no hot papers for 2020-12-07" in msg["content"]
        assert message_validator(msg) == []


def test_hostile_text_cannot_ping_or_inject(message_validator: Validator) -> None:
    evil = "@everyone @here <@123> <@&456> <#789> [click](https://evil.example) **bold** `code` # h"
    paper = _paper(
        1,
        title=evil,
        authors=[evil, "\u202eevil\u202c"],
        abstract=evil,
        tweets=[Tweet(author=evil, handle="x", url="https://twitter.com/x/status/1", text=evil)],
    )
    for fmt in ("compact", "detailed"):
        for m in render_digest(Digest(day=date(2021, 1, 1), source="s", papers=[paper]), fmt):  # type: ignore[arg-type]
            assert message_validator(m) == []
            text = str(m)
            assert "@everyone" not in text and "@here" not in text
            assert "<@123>" not in text and "<@&456>" not in text
            # Embed titles are plain text in Discord; everywhere markdown renders, no masked link.
            rendered = str(
                [
                    m.get("content"),
                    [(e.get("description"), e.get("fields")) for e in m.get("embeds", [])],
                ]
            )
            assert "[click](https://evil" not in rendered
            assert "\u202e" not in text


def test_huge_inputs_stay_within_limits(message_validator: Validator) -> None:
    papers = [
        _paper(
            i,
            title="T" * 10_000,
            authors=[f"Author {n} " * 20 for n in range(300)],
            categories=["cs.LG"] * 50,
            abstract="word " * 5000,
            tweets=[Tweet(author="a" * 500, handle="h", url="u", text="🚀" * 3000)] * 3,
        )
        for i in range(40)
    ]
    digest = Digest(day=date(2021, 1, 1), source="s", title="X" * 5000, papers=papers)
    for fmt in ("compact", "detailed"):
        messages = render_digest(digest, fmt)  # type: ignore[arg-type]
        for m in messages:
            assert message_validator(m) == []
    compact = render_digest(digest, "compact")[0]["embeds"][0]["description"]
    assert "more" in compact.splitlines()[-1]  # papers that do not fit are counted, not cut
    detailed = render_digest(digest, "detailed")
    assert sum(len(m.get("embeds", [])) for m in detailed) == 40
    assert dlen(thread_name(digest)) <= 100


def test_truncate_word_boundary_and_never_in_a_link() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("alpha beta gamma delta", 12) == "alpha beta…"
    cut = truncate("see https://arxiv.org/abs/2103.06874 for more", 25)
    assert "https" not in cut and cut.endswith("…")
    assert not truncate("a\\* b\\* c\\* d", 8).rstrip("…").endswith("\\")
    assert dlen(truncate("🚀" * 100, 11)) <= 11


def test_escape_keeps_plain_text_readable() -> None:
    assert escape("Pre-training: 2021-03-12 (v2)") == "Pre-training: 2021-03-12 (v2)"
    assert escape("a*b_c") == "a\\*b\\_c"


def test_render_paper_for_the_paper_command(message_validator: Validator) -> None:
    paper = load_path(SAMPLE).papers[0]
    payload = render_paper(paper, note="Posted here on 2021-03-13.")
    assert message_validator(payload) == []
    assert payload["embeds"][0]["url"] == "https://arxiv.org/abs/2103.06874"


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(min_size=1, max_size=3000),
    abstract=st.text(max_size=6000),
    authors=st.lists(st.text(max_size=300), max_size=40),
    n=st.integers(min_value=0, max_value=30),
)
def test_any_text_fits(title: str, abstract: str, authors: list[str], n: int) -> None:
    if not title.strip():
        title = "t"
    papers = [_paper(i, title=title, abstract=abstract, authors=authors) for i in range(n)]
    digest = Digest(day=date(2021, 1, 1), source="s", papers=papers)
    for fmt in ("compact", "detailed"):
        for m in render_digest(digest, fmt):  # type: ignore[arg-type]
            assert dlen(m.get("content", "")) <= 2000
            assert len(m.get("embeds", [])) <= 10
            assert sum(embed_size(e) for e in m.get("embeds", [])) <= 6000
            assert "@everyone" not in m.get("content", "")


# Characters each step of `escape` reacts to, and ordinary ones, mixed densely.
TRICKY = st.lists(
    st.sampled_from(
        [*"ab 1.#>-@\\*_~`|<>[]\n\t\x0b\x1c\x00\x7f\u202e\u2066\u200b٣é🚀", "everyone", "here"]
    ),
    max_size=30,
).map("".join)


@given(TRICKY)
@settings(max_examples=2000, deadline=None)
def test_escape_shortcut_changes_nothing(text: str) -> None:
    assert escape(text) == _escape_all(text)


@given(st.text(max_size=60))
@settings(max_examples=500, deadline=None)
def test_dlen_counts_utf16_units(text: str) -> None:
    assert dlen(text) == len(text.encode("utf-16-le")) // 2
