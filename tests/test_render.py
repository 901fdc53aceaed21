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
from bot.render import (
    Format,
    _escape_all,
    clean,
    compact_line,
    defuse,
    empty_notice,
    empty_reason,
    escape,
    header_text,
    pack_embeds,
    paper_embed,
    render_compact,
    render_detailed,
    render_digest,
    render_paper,
    safe,
    short_authors,
    thread_name,
    truncate,
)
from bot.sources.hotpapers_md import load_path

SAMPLE = Path(__file__).resolve().parent.parent / "bot" / "data" / "hot-papers-2021-03-12.md"
Validator = Callable[[dict[str, Any]], list[str]]


def _paper(i: int, **kw: Any) -> Paper:
    base: dict[str, Any] = {"arxiv_id": f"2101.{i:05d}", "title": f"Paper {i}", "score": 100 - i}
    base.update(kw)
    return Paper(**base)


# --- what each piece says, exactly (pins found by the mutation run: .ci/mutate.py) ----------

SAMPLE_DIGEST = load_path(SAMPLE)


def _digest(*papers: Paper, title: str = "") -> Digest:
    return Digest(day=date(2021, 1, 2), source="src", title=title, papers=list(papers))


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("abcdefghij", 10, "abcdefghij"),  # at the limit: untouched
        ("abcdefghijk", 10, "abcdefghi…"),  # one over: the ellipsis takes the last unit
        ("abcdefghi", 10, "abcdefghi"),  # one under
        ("hello world foo", 12, "hello world…"),  # the space is not past the middle: no cut there
        ("aaaa bbbbbbbbbbbbbbbb", 12, "aaaa bbbbbb…"),  # a space in the first half is ignored
        ("alpha beta gamma delta", 12, "alpha beta…"),  # a space past the middle: cut at it
        ("abc def", 6, "abc…"),
        ("see https://a.example/xyz", 20, "see…"),  # never ends inside a URL
        ("x \\\\\\ yy", 6, "x \\\\…"),  # never after a dangling escape backslash
        ("ab\\\\cdef", 6, "ab\\\\c…"),  # an escaped backslash is kept whole
        ("word   spaces  here", 10, "word…"),
    ],
)
def test_truncate_exactly(text: str, limit: int, expected: str) -> None:
    assert truncate(text, limit) == expected
    assert dlen(truncate(text, limit)) <= limit


def test_truncate_counts_astral_characters_twice() -> None:
    assert truncate("🚀" * 5, 10) == "🚀" * 5
    cut = truncate("🚀" * 6, 10)
    assert cut.endswith("…") and dlen(cut) <= 10


def test_clean_drops_control_and_bidi_characters_only() -> None:
    assert clean("a\u202eb\x00c\td\ne\u2066f\x7fg") == "abc\td\nefg"


def test_escape_each_kind_of_markup() -> None:
    assert escape("# heading\n> quote\n- item\n1. first") == (
        "\\# heading\n\\> quote\n\\- item\n1\\. first"
    )
    assert escape("[x](y) `c` ~s~ |p| <b>") == "\\[x\\](y) \\`c\\` \\~s\\~ \\|p\\| \\<b\\>"
    assert escape("@everyone and @here") == "@\u200beveryone and @\u200bhere"
    assert escape("back\\slash") == "back\\\\slash"


def test_defuse_breaks_mentions_but_not_text() -> None:
    assert defuse("<@1> <#2> <:x:3> <a:y:4> @everyone *b*") == (
        "<\u200b@1> <\u200b#2> <\u200b:x:3> <\u200ba:y:4> @\u200beveryone *b*"
    )


def test_safe_escapes_then_cuts() -> None:
    assert safe("a*b " * 5, 10) == "a\\*b a\\*b…"


@pytest.mark.parametrize(
    ("authors", "shown", "expected"),
    [
        ([], 3, "unknown authors"),
        (["A"], 3, "A"),
        (["A", "B", "C"], 3, "A, B, C"),
        (["A", "B", "C", "D"], 3, "A, B, C +1"),
        (["A", "B", "C", "D", "E"], 2, "A, B +3"),
    ],
)
def test_short_authors(authors: list[str], shown: int, expected: str) -> None:
    assert short_authors(authors, shown) == expected


def test_header_text_counts_papers_in_words() -> None:
    one = _digest(_paper(1))
    assert header_text(one) == "**🔥 Hot Papers 2021-01-02** · 1 paper · source: src"
    assert header_text(one, shown=2) == "**🔥 Hot Papers 2021-01-02** · 2 papers · source: src"
    assert header_text(one, shown=0) == "**🔥 Hot Papers 2021-01-02** · 0 papers · source: src"


def test_empty_notice_says_why_in_words() -> None:
    assert empty_reason(0) == "the source had none that day"
    assert empty_reason(1) == "this channel's filters removed the day's only paper"
    assert empty_reason(2) == "this channel's filters removed all 2 papers"
    notice = empty_notice(_digest(), filtered_from=3)
    assert notice == {
        "content": "**Hot Papers 2021-01-02** · no hot papers for 2021-01-02 (source: src). "
        "Nothing is wrong: this channel's filters removed all 3 papers.",
        "allowed_mentions": {"parse": []},
    }
    assert render_digest(_digest(), "detailed", filtered_from=3) == [notice]
    assert render_digest(_digest(), "compact", filtered_from=3) == [notice]
    assert render_digest(_digest(), filtered_from=3) == [notice]  # compact by default
    with pytest.raises(ValueError, match="unknown format 'csv': expected 'compact' or 'detailed'"):
        render_digest(_digest(_paper(1)), "csv")  # type: ignore[arg-type]


def test_compact_line_shows_four_valid_categories_and_the_score() -> None:
    paper = _paper(
        1,
        title="A *bold* title",
        authors=["A", "B", "C", "D"],
        categories=["cs.CV", "bad cat!", "cs.LG", "cs.AI", "cs.RO", "cs.CL"],
        metrics={"retweets": 3, "favorites": 4},
        score=7,
    )
    assert compact_line(2, paper) == (
        "**2.** [A \\*bold\\* title](https://arxiv.org/abs/2101.00001)\n"
        "A, B, C +1 · `cs.CV` `cs.LG` `cs.AI` · 3 retweets · 4 favorites"
    )
    bare = _paper(2, score=5)
    assert compact_line(1, bare) == (
        "**1.** [Paper 2](https://arxiv.org/abs/2101.00002)\nunknown authors · score 5"
    )


def test_compact_counts_what_does_not_fit_exactly() -> None:
    papers = [_paper(i, title=f"Paper {i} " + "x" * 140, authors=["A" * 90]) for i in range(60)]
    (msg,) = render_digest(_digest(*papers), "compact")
    description = msg["embeds"][0]["description"]
    lines = description.split("\n")
    shown = sum(1 for line in lines if line.startswith("**") and "](https://arxiv.org" in line)
    assert lines[-1] == f"…and {60 - shown} more"
    assert shown == 13
    assert dlen(description) <= 4096
    # One more entry would not have fitted:
    one_more = "\n".join([*lines[:-1], compact_line(shown + 1, papers[shown]), "…and 1 more"])
    assert dlen(one_more) > 4096
    assert msg["content"] == "**🔥 Hot Papers 2021-01-02** · 60 papers · source: src"


def test_compact_that_fits_exactly_has_no_more_line() -> None:
    (msg,) = render_digest(_digest(*[_paper(i) for i in range(3)]), "compact")
    assert msg["embeds"] == [
        {
            "type": "rich",
            "description": "**1.** [Paper 0](https://arxiv.org/abs/2101.00000)\n"
            "unknown authors · score 100\n"
            "**2.** [Paper 1](https://arxiv.org/abs/2101.00001)\n"
            "unknown authors · score 99\n"
            "**3.** [Paper 2](https://arxiv.org/abs/2101.00002)\n"
            "unknown authors · score 98",
            "color": 0xB31B1B,
            "footer": {"text": "Ranked by score · /paper <id> for details"},
        }
    ]


@pytest.mark.parametrize(
    ("metrics", "signal"),
    [
        ({"upvotes": 3}, "Hugging Face upvotes"),
        ({"upvotes": 3, "retweets": 1}, "Hugging Face upvotes"),
        ({"retweets": 1}, "retweets + favorites"),
        ({"favorites": 1}, "retweets + favorites"),
        ({}, "score"),
    ],
)
def test_compact_footer_names_the_signal(metrics: dict[str, int], signal: str) -> None:
    (msg,) = render_digest(_digest(_paper(1), _paper(2, metrics=metrics)), "compact")
    assert msg["embeds"][0]["footer"] == {"text": f"Ranked by {signal} · /paper <id> for details"}


def test_paper_embed_every_field() -> None:
    paper = _paper(
        1,
        arxiv_id="2101.00001v3",
        title="A *bold* title",
        authors=["A", "B"],
        categories=["cs.CV", "cs.LG"],
        abstract="The *abstract*.",
        metrics={"retweets": 3, "favorites": 4},
        score=7,
        tweets=[
            Tweet(author="Ann", handle="", url="u", text="  hi   there "),
            Tweet(author="B", handle="b", url="u", text="x"),
            Tweet(author="C", handle="c", url="u", text="y"),
        ],
    )
    assert paper_embed(paper, 2) == {
        "type": "rich",
        "title": "2. A \\*bold\\* title",
        "url": "https://arxiv.org/abs/2101.00001",
        "color": 0xB31B1B,
        "fields": [
            {"name": "Authors", "value": "A, B", "inline": False},
            {"name": "Categories", "value": "cs.CV, cs.LG", "inline": True},
            {"name": "Score", "value": "3 retweets · 4 favorites", "inline": True},
            {
                "name": "Links",
                "value": "[abs](https://arxiv.org/abs/2101.00001) · "
                "[pdf](https://arxiv.org/pdf/2101.00001)",
                "inline": True,
            },
            {"name": "Discussed by Ann (+2 more)", "value": "hi there", "inline": False},
        ],
        "footer": {"text": "arXiv:2101.00001v3"},
        "description": "The \\*abstract\\*.",
    }


def test_paper_embed_fallbacks() -> None:
    paper = _paper(2, tweets=[Tweet(author="", handle="", url="u", text="   ")])
    embed = paper_embed(paper)
    assert embed["title"] == "Paper 2"
    assert "description" not in embed
    assert embed["footer"] == {"text": "arXiv:2101.00002"}
    assert [f["name"] for f in embed["fields"]] == [
        "Authors",
        "Score",
        "Links",
        "Discussed by someone",
    ]
    assert embed["fields"][0]["value"] == "unknown"
    assert embed["fields"][-1]["value"] == "—"
    one = paper_embed(_paper(3, tweets=[Tweet(author="Bo", handle="bo_x", url="u", text="t")]))
    assert one["fields"][-1] == {"name": "Discussed by Bo (@bo\\_x)", "value": "t", "inline": False}


def test_paper_embed_cuts_title_and_abstract_to_their_limits() -> None:
    paper = _paper(1, title="w " * 300, abstract="a" * 4000)
    embed = paper_embed(paper, 10, abstract_limit=100)
    assert dlen(embed["title"]) <= 256 and embed["title"].startswith("10. w w")
    assert dlen(embed["title"]) >= 250
    assert embed["description"] == "a" * 99 + "…"
    assert render_paper(paper)["embeds"][0]["description"] == "a" * 2999 + "…"
    assert paper_embed(paper)["description"] == "a" * 1199 + "…"


def test_render_paper_note() -> None:
    paper = _paper(1)
    assert render_paper(paper, 4) == {
        "embeds": [paper_embed(paper, 4, abstract_limit=3000)],
        "allowed_mentions": {"parse": []},
    }
    assert render_paper(paper, note="n" * 2500)["content"] == "n" * 1999 + "…"


def _sized(n: int) -> dict[str, Any]:
    return {"title": "t" * n}


@pytest.mark.parametrize(
    ("sizes", "groups"),
    [
        ([10] * 10, [10]),  # ten embeds: one message
        ([10] * 11, [10, 1]),  # eleven: the eleventh starts a new one
        ([10] * 21, [10, 10, 1]),
        ([3000, 3000], [2]),  # exactly 6000 characters fit in one message
        ([3000, 3001], [1, 1]),  # one more does not
        ([5999, 1, 1], [2, 1]),
        ([10] * 10 + [3000, 3000], [10, 2]),  # a new message counts from zero
        ([4000, 3000, 3000], [1, 2]),
        ([6000], [1]),
        ([], []),
    ],
)
def test_pack_embeds_at_the_limits(sizes: list[int], groups: list[int]) -> None:
    packed = pack_embeds([_sized(n) for n in sizes])
    assert [len(g) for g in packed] == groups
    assert [e["title"] for g in packed for e in g] == ["t" * n for n in sizes]


def test_detailed_packs_the_sample_into_few_messages() -> None:
    header, *rest = render_digest(SAMPLE_DIGEST, "detailed")
    assert header == {
        "content": "**🔥 Hot Papers 2021-03-12** · 16 papers · source: hotpapers-md\n"
        "Details of each paper are in the thread below.",
        "allowed_mentions": {"parse": []},
    }
    assert [len(m["embeds"]) for m in rest] == [3, 3, 3, 3, 4]
    assert all(m["allowed_mentions"] == {"parse": []} for m in rest)
    titles = [e["title"] for m in rest for e in m["embeds"]]
    assert titles[0].startswith("1. CANINE") and titles[-1].startswith("16. Research Software")


def test_thread_name_is_the_defused_title_cut_to_100() -> None:
    assert thread_name(SAMPLE_DIGEST) == "Hot Papers 2021-03-12"
    assert thread_name(_digest(title="@everyone " + "x" * 200)) == (
        "@\u200beveryone " + "x" * 88 + "…"
    )


def test_truncate_to_one_unit_is_the_ellipsis_alone() -> None:
    assert truncate("ab", 1) == "…"
    assert truncate("🚀🚀", 2) == "…"


def test_long_titles_and_sources_are_cut_in_headers_and_notices() -> None:
    digest = Digest(day=date(2021, 1, 2), source="s" * 100, title="t" * 300)
    cut_title, cut_source = "t" * 199 + "…", "s" * 59 + "…"
    assert header_text(digest) == f"**🔥 {cut_title}** · 0 papers · source: {cut_source}"
    assert empty_notice(digest)["content"] == (
        f"**{cut_title}** · no hot papers for 2021-01-02 (source: {cut_source}). "
        "Nothing is wrong: the source had none that day."
    )


def test_compact_line_cuts_title_and_authors_to_their_share() -> None:
    paper = _paper(1, title="T" * 400, authors=["A" * 300])
    title_line, details = compact_line(1, paper).split("\n")
    assert title_line == f"**1.** [{'T' * 149}…](https://arxiv.org/abs/2101.00001)"
    assert details == f"{'A' * 99}… · score 99"


def test_an_empty_digest_renders_its_notice_in_either_format() -> None:
    empty = _digest()
    assert render_compact(empty) == [empty_notice(empty)]
    assert render_detailed(empty) == [empty_notice(empty)]
    assert empty_notice(empty)["content"].endswith("the source had none that day.")


def test_compact_with_one_paper() -> None:
    (msg,) = render_digest(_digest(_paper(7)), "compact")
    assert msg["embeds"][0]["description"] == (
        "**1.** [Paper 7](https://arxiv.org/abs/2101.00007)\nunknown authors · score 93"
    )


def test_compact_that_fills_the_description_exactly_shows_everything() -> None:
    # 17 entries of 240 characters and 16 newlines: exactly 4096, the limit.
    papers = []
    for rank in range(1, 18):
        base = _paper(rank, title="x" * 120, authors=["a"])
        pad = 240 - dlen(compact_line(rank, base))
        papers.append(_paper(rank, title="x" * 120, authors=["a" * (1 + pad)]))
        assert dlen(compact_line(rank, papers[-1])) == 240
    description = render_digest(_digest(*papers), "compact")[0]["embeds"][0]["description"]
    assert dlen(description) == 4096
    assert "more" not in description
    # One character more and the last entry gives way to the count.
    papers[-1] = _paper(17, title="x" * 120, authors=["a" * (2 + pad)])
    description = render_digest(_digest(*papers), "compact")[0]["embeds"][0]["description"]
    assert description.endswith("\n…and 1 more")


def test_paper_embed_cuts_categories_and_the_discussion_name_at_200() -> None:
    paper = _paper(
        1, categories=["c" * 300], tweets=[Tweet(author="N" * 300, handle="", url="u", text="t")]
    )
    fields = {f["name"][:12]: f for f in paper_embed(paper)["fields"]}
    assert fields["Categories"]["value"] == "c" * 199 + "…"
    authors = paper_embed(_paper(2, authors=["A" * 400]))["fields"][0]
    assert authors == {"name": "Authors", "value": "A" * 299 + "…", "inline": False}
    assert fields["Discussed by"]["name"] == "Discussed by " + "N" * 186 + "…"


# --- validity under Discord's spec and limits, whatever the input ------------------------


@pytest.mark.parametrize("fmt", ["compact", "detailed"])
def test_sample_payloads_are_valid(fmt: Format, message_validator: Validator) -> None:
    messages = render_digest(load_path(SAMPLE), fmt)
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
        (msg,) = render_digest(Digest(day=date(2020, 12, 7), source="s"), fmt)
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
        for m in render_digest(Digest(day=date(2021, 1, 1), source="s", papers=[paper]), fmt):
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
        messages = render_digest(digest, fmt)
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
        for m in render_digest(digest, fmt):
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


def test_an_absurd_score_is_cut_to_the_fields_200_characters() -> None:
    """A source's float of 1e250 is a whole number with 251 digits: its label would pass the
    field's limit; it is cut there with an ellipsis, the rest of the embed unchanged."""
    (score,) = [f for f in paper_embed(_paper(1, score=1e250), 1)["fields"] if f["name"] == "Score"]
    assert len(score["value"]) == 200
    assert score["value"] == ("score " + str(int(1e250)))[:199] + "…"
