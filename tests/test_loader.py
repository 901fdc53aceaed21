"""The Hot Papers loader on every real post and on malformed inputs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.errors import DigestFormatError
from bot.sources.hotpapers_md import (
    load_path,
    load_paths,
    parse_digest,
    parse_stamp,
    repair_mojibake,
)
from bot.sources.tweets import html_to_text, parse_tweet

SAMPLE = Path(__file__).resolve().parent.parent / "bot" / "data" / "hot-papers-2021-03-12.md"

FRONT = """---
title: Hot Papers 2021-05-01
date: 2021-05-02T10:00:00.Z
template: "post"
---
"""


def test_every_real_post_loads(shared_hotpapers: Path) -> None:
    digests = load_paths([shared_hotpapers])
    by_day = {d.day.isoformat(): d for d in digests}
    assert set(by_day) == {"2020-12-07", "2021-03-12", "2021-04-20"}
    assert by_day["2020-12-07"].papers == []
    assert len(by_day["2021-03-12"].papers) == 16
    assert len(by_day["2021-04-20"].papers) == 19
    assert all(p.abstract == "" for p in by_day["2021-04-20"].papers)
    for d in digests:
        for p in d.papers:
            assert p.title and "  " not in p.title
            assert p.abs_url.startswith("https://arxiv.org/abs/")
            assert p.categories, p.arxiv_id


def test_sample_reference_values() -> None:
    d = load_path(SAMPLE)
    assert d.day.isoformat() == "2021-03-12"
    assert d.title == "Hot Papers 2021-03-12"
    assert d.fetched_at is not None and d.fetched_at.isoformat() == "2021-03-13T14:47:01+00:00"
    first = d.papers[0]
    assert first.arxiv_id == "2103.06874"
    assert first.title.startswith(
        "CANINE: Pre-training an Efficient Tokenization-Free Encoder for Language Representation"
    )
    assert first.authors == ["Jonathan H. Clark", "Dan Garrette", "Iulia Turc", "John Wieting"]
    assert first.categories == ["cs.CL", "cs.LG"]
    assert first.metrics == {"retweets": 710, "favorites": 293}
    assert first.score == 1003
    assert first.tweets[1].handle == "arankomatsuzaki"
    assert first.tweets[1].url == "https://twitter.com/arankomatsuzaki/status/1370192295165759498"
    # Ranked as the blog ranked them: by retweets + favorites, descending.
    scores = [p.score or 0.0 for p in d.papers]
    assert scores == sorted(scores, reverse=True)
    cv = [p.arxiv_id for p in d.papers if "cs.CV" in p.categories]
    assert cv == ["2103.06422", "2103.06871", "2103.06877", "2103.06561", "2103.06417"]


def test_mojibake_is_repaired_and_good_text_untouched() -> None:
    d = load_path(SAMPLE)
    smplicit = next(p for p in d.papers if p.arxiv_id == "2103.06871")
    assert "Guillem Alenyà" in smplicit.authors
    assert d.papers[0].tweets[0].author == "小川雄太郎"
    for good in ["José Luis Montiel Olea", "Gašper Beguš", "Rücklé", "α-Posteriors", "🚨 ok"]:
        assert repair_mojibake(good) == good


def test_tweet_html_becomes_plain_text() -> None:
    block = (
        '<blockquote class="twitter-tweet"><p lang="ar" dir="rtl">مرحبا &amp; &lt;b&gt;'
        '<br>line2 <a href="https://t.co/x">https://t.co/x</a></p>&mdash; Name Here '
        '(@handle_1) <a href="https://twitter.com/handle_1/status/42?ref_src=twsrc">May 1</a>'
        "</blockquote>"
    )
    t = parse_tweet(block)
    assert t.text == "مرحبا & <b>\nline2 https://t.co/x"
    assert (t.author, t.handle) == ("Name Here", "handle_1")
    assert t.url == "https://twitter.com/handle_1/status/42"
    assert html_to_text("<p>a<script>alert(1)</script>b</p>") == "ab"


def test_paper_without_tweets_and_odd_spacing() -> None:
    text = FRONT + (
        "\n# 1. A  Title   with $\\alpha$ & spaces\n\nAlice,  Bob\n\n"
        "- retweets: 1,200, favorites: 3 (05/02/2021 10:00:00)\n\n"
        "- links: [abs](https://arxiv.org/abs/2105.00001v2) | [pdf](https://arxiv.org/pdf/2105.00001v2)\n"
        "- [cs.LG](https://arxiv.org/list/cs.LG/recent)\n\n\n\n"
    )
    d = parse_digest(text, "x.md")
    p = d.papers[0]
    assert p.title == "A Title with $\\alpha$ & spaces"
    assert p.authors == ["Alice", "Bob"]
    assert (p.arxiv_id, p.version) == ("2105.00001", 2)
    assert p.metrics == {"retweets": 1200, "favorites": 3}
    assert p.abstract == "" and p.tweets == []


def test_old_style_ids_and_missing_counts() -> None:
    text = FRONT + (
        "# 1. Old\n\nA. Author\n\n- links: [abs](https://arxiv.org/abs/astro-ph/0601001v1)\n"
        "- [astro-ph](https://arxiv.org/list/astro-ph/recent)\n\nAbstract here.\n"
    )
    p = parse_digest(text).papers[0]
    assert (p.arxiv_id, p.version) == ("astro-ph/0601001", 1)
    assert p.metrics == {} and p.score == 0
    assert p.abstract == "Abstract here."


def test_duplicate_paper_in_one_day_kept_once() -> None:
    block = "# {n}. T\n\nA\n\n- links: [abs](https://arxiv.org/abs/2105.00001v{n})\n\n"
    d = parse_digest(FRONT + block.format(n=1) + block.format(n=2))
    assert [p.arxiv_id for p in d.papers] == ["2105.00001"]


def test_day_comes_from_filename_when_title_has_none(tmp_path: Path) -> None:
    f = tmp_path / "2021-06-01---Hot-Papers.md"
    f.write_text("---\ntitle: Hot Papers\n---\n", encoding="utf-8")
    assert load_path(f).day.isoformat() == "2021-06-01"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("just some text\n", 1, "no YAML front matter"),
        ("\n\n# 1. Heading\n", 3, "no YAML front matter"),
        ("---\ntitle: [unclosed\n---\n", 3, "invalid YAML"),
        ("---\ntitle: nothing\n---\n", 2, "cannot tell the digest's day"),
        (FRONT + "stray text\n", 6, "text before the first paper heading"),
        (FRONT + "# 1. No links\n\nA\n", 6, "has no arXiv abs/pdf link"),
        (
            FRONT + "# 1. Bad\n\n- links: [abs](https://arxiv.org/abs/nonsense)\n",
            6,
            "not an arXiv id",
        ),
    ],
)
def test_malformed_inputs_name_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(DigestFormatError) as info:
        parse_digest(text, "bad.md")
    assert info.value.line == line
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"bad.md:{line}: ")


def test_invalid_utf8_and_binary(tmp_path: Path) -> None:
    f = tmp_path / "bad.md"
    f.write_bytes(b"---\ntitle: Hot Papers 2021-01-01\n---\n\xff\xfe\n")
    with pytest.raises(DigestFormatError, match=r"bad\.md:4: not valid UTF-8"):
        load_path(f)
    with pytest.raises(DigestFormatError, match="binary data"):
        parse_digest("---\x00\x00", "b.md")
    with pytest.raises(DigestFormatError, match="no such file"):
        load_paths([tmp_path / "missing"])


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(SAMPLE.read_text(encoding="utf-8")))
    assert len(load_paths(["-"])[0].papers) == 16


def test_stamp_forms() -> None:
    assert parse_stamp("2021-03-13T14:47:01.Z") is not None
    assert parse_stamp("2021-03-13T14:47:01Z") is not None
    assert parse_stamp("garbage") is None
