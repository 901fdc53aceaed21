"""Filters (categories with exclusion, keywords, minimum score, limit) and windows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.cli.preview import sample_digest
from bot.errors import UserInputError
from bot.filters import (
    PaperFilter,
    apply,
    build_filter,
    check_limit,
    check_min_score,
    check_window,
    merge,
    parse_categories,
    parse_keywords,
    select,
    window_range,
)
from bot.models import Digest, Paper


def paper(pid: str, score: float, cats: list[str], title: str = "T", abstract: str = "") -> Paper:
    return Paper(arxiv_id=pid, title=title, categories=cats, score=score, abstract=abstract)


def test_sample_cs_cv_is_exactly_its_five_papers_in_rank_order() -> None:
    digest = sample_digest()
    view = select([digest], build_filter(categories="cs.CV"), end=digest.day)
    ids = [p.arxiv_id for p in view.papers]
    expected = [p.arxiv_id for p in digest.papers if "cs.CV" in p.categories]
    assert len(expected) == 5
    assert ids == expected
    assert "cs.CV" in view.title


def test_categories_are_case_insensitive_and_canonical() -> None:
    assert parse_categories("CS.cv, -cs.ro") == (("cs.CV",), ("cs.RO",))
    assert parse_categories(["astro-ph", "-astro-ph.CO"]) == (("astro-ph",), ("astro-ph.CO",))
    assert parse_categories("") == ((), ())
    assert parse_categories(None) == ((), ())


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("cs.XX", "Unknown arXiv category"),
        ("cs.CVV", "Did you mean cs.CV"),
        ("@everyone", "prefix with -"),
    ],
)
def test_unknown_categories_say_what_is_accepted(text: str, needle: str) -> None:
    with pytest.raises(UserInputError, match=needle):
        parse_categories(text)


def test_including_and_excluding_one_category_is_refused() -> None:
    with pytest.raises(UserInputError, match="both included and excluded"):
        parse_categories("cs.CV, -cs.CV")


def test_exclusion_archives_and_aliases() -> None:
    papers = [
        paper("2101.00001", 9, ["cs.CV", "cs.RO"]),
        paper("2101.00002", 8, ["cs.CL"]),
        paper("2101.00003", 7, ["math.NA"]),
        paper("2101.00004", 6, ["astro-ph.GA"]),
        paper("2101.00005", 5, ["stat.ML", "cs.LG"]),
    ]
    ids = lambda f: [p.arxiv_id[-1] for p in apply(papers, f)]  # noqa: E731
    assert ids(build_filter(categories="-cs.RO")) == ["2", "3", "4", "5"]
    assert ids(build_filter(categories="cs")) == ["1", "2", "5"]
    assert ids(build_filter(categories="cs, -cs.CV")) == ["2", "5"]
    assert ids(build_filter(categories="cs.NA")) == ["3"]  # an alias of math.NA
    assert ids(build_filter(categories="astro-ph")) == ["4"]
    assert ids(build_filter(categories="cs.LG")) == ["5"]  # any category, not only the primary


def test_keywords_min_score_and_limit() -> None:
    papers = [
        paper("2101.00001", 50, ["cs.LG"], title="Diffusion Models Beat GANs"),
        paper("2101.00002", 40, ["cs.LG"], abstract="We train a large  language model."),
        paper("2101.00003", 30, ["cs.LG"], title="Something else"),
    ]
    assert [
        p.arxiv_id for p in apply(papers, build_filter(keywords="diffusion, language model"))
    ] == [
        "2101.00001",
        "2101.00002",
    ]
    assert [p.arxiv_id for p in apply(papers, build_filter(min_score=35))] == [
        "2101.00001",
        "2101.00002",
    ]
    assert [p.arxiv_id for p in apply(papers, build_filter(limit=1))] == ["2101.00001"]
    assert apply(papers, build_filter(keywords="transformer")) == []


def test_validation_messages() -> None:
    with pytest.raises(UserInputError, match="from 1 to 25"):
        check_limit(0)
    with pytest.raises(UserInputError, match="from 1 to 25"):
        check_limit(26)
    assert check_limit(None) is None
    with pytest.raises(UserInputError, match="0 or more"):
        check_min_score(-1)
    with pytest.raises(UserInputError, match="0 or more"):
        check_min_score(float("nan"))
    with pytest.raises(UserInputError, match="day, week, month"):
        check_window("year")
    assert check_window(None) == "day"
    assert check_window("Week") == "week"
    with pytest.raises(UserInputError, match="at most 60"):
        parse_keywords("x" * 61)
    with pytest.raises(UserInputError, match="at most 20"):
        parse_keywords(",".join(f"k{i}" for i in range(21)))
    assert parse_keywords(" a ,A, b  c ,, ") == ("a", "b c")


def test_windows_merge_by_id_keeping_the_best() -> None:
    end = date(2021, 3, 12)
    assert window_range(end, "day") == (end, end)
    assert window_range(end, "week") == (end - timedelta(days=6), end)
    assert window_range(end, "month") == (end - timedelta(days=29), end)
    d1 = Digest(
        day=end,
        source="s",
        papers=[paper("2103.00001v1", 10, ["cs.CV"]), paper("2103.00002", 5, ["cs.CL"])],
    )
    d2 = Digest(
        day=end - timedelta(days=3),
        source="s",
        papers=[paper("2103.00001v2", 30, ["cs.CV"]), paper("2103.00003", 20, ["cs.CL"])],
    )
    old = Digest(
        day=end - timedelta(days=10), source="s", papers=[paper("2103.00004", 99, ["cs.CL"])]
    )
    week = select([d1, d2, old], PaperFilter(), end=end, window="week")
    assert [(p.arxiv_id, p.score) for p in week.papers] == [
        ("2103.00001", 30),
        ("2103.00003", 20),
        ("2103.00002", 5),
    ]
    assert "week" in week.title
    month = select([d1, d2, old], PaperFilter(limit=2), end=end, window="month")
    assert [p.arxiv_id for p in month.papers] == ["2103.00004", "2103.00001"]
    day = select([d1, d2, old], PaperFilter(), end=end, window="day")
    assert [p.arxiv_id for p in day.papers] == ["2103.00001", "2103.00002"]


def test_a_single_day_keeps_the_source_order() -> None:
    digest = sample_digest()
    assert merge([digest]) == list(digest.papers)
