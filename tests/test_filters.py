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
    matches,
    merge,
    parse_categories,
    parse_keywords,
    pick,
    select,
    subscription_filter,
    view_title,
    window_range,
)
from bot.models import Digest, Entry, Paper, Subscription


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

    def ids(f: PaperFilter) -> list[str]:
        return [p.arxiv_id[-1] for p in apply(papers, f)]

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


# --- exact behaviour at each boundary (pins found by the mutation run: .ci/mutate.py) -------


def entry(pid: str, day: int, rank: int, score: float, cats: list[str]) -> Entry:
    return Entry(pid, date(2021, 3, 1) + timedelta(days=day), rank, score, {}, cats)


def test_a_paper_scoring_exactly_min_score_is_kept() -> None:
    """The docs say "only papers scoring at least this": equal is kept, below is dropped."""
    papers = [paper("2103.00001", 100, ["cs.CV"]), paper("2103.00002", 99.5, ["cs.CV"])]
    flt = build_filter(min_score=100)
    assert [p.arxiv_id for p in apply(papers, flt)] == ["2103.00001"]
    entries = [entry("a", 0, 1, 100, ["cs.CV"]), entry("b", 0, 2, 99.5, ["cs.CV"])]
    assert [e.arxiv_id for e in pick(entries, flt)[0]] == ["a"]
    # With no minimum, a paper scoring 0 is kept.
    zero = [paper("2103.00003", 0, ["cs.CV"]), paper("2103.00004", 0.5, ["cs.CV"])]
    assert len(apply(zero, PaperFilter())) == 2
    assert len(apply(zero, build_filter())) == 2
    assert PaperFilter().min_score == 0.0


@pytest.mark.parametrize(
    ("flt", "text"),
    [
        (PaperFilter(), "all categories"),
        (PaperFilter(min_score=0), "all categories"),
        (PaperFilter(min_score=0.5), "score ≥ 0.5"),
        (PaperFilter(min_score=100), "score ≥ 100"),
        (PaperFilter(min_score=100.0), "score ≥ 100"),
        (PaperFilter(keywords=("diffusion",)), "“diffusion”"),
        (PaperFilter(exclude=("cs.RO",)), "not cs.RO"),
        (
            PaperFilter(
                include=("cs.CV", "cs.LG"),
                exclude=("cs.RO", "cs.AI"),
                keywords=("diffusion", "large model"),
                min_score=2.5,
            ),
            "cs.CV, cs.LG, not cs.RO, not cs.AI · “diffusion” or “large model” · score ≥ 2.5",
        ),
    ],
)
def test_describe_exactly(flt: PaperFilter, text: str) -> None:
    assert flt.describe() == text


def test_categories_split_on_commas_semicolons_and_spaces() -> None:
    assert parse_categories("cs.cv;cs.LG cs.AI,,-cs.RO,-stat.ML") == (
        ("cs.CV", "cs.LG", "cs.AI"),
        ("cs.RO", "stat.ML"),
    )
    assert parse_categories(["cs.CV", " ", "-cs.RO", "cs.cv"]) == (("cs.CV",), ("cs.RO",))
    assert parse_categories(None) == ((), ())


def test_category_errors_exactly() -> None:
    accepted = (
        "Use ids such as cs.CV, stat.ML or a whole archive such as cs; prefix with - to exclude "
        "(e.g. -cs.RO)."
    )
    with pytest.raises(UserInputError) as err:
        parse_categories("zzzz")
    assert str(err.value) == f"Unknown arXiv category `zzzz`. {accepted}"
    with pytest.raises(UserInputError) as err:
        parse_categories("cs.CVV")
    assert str(err.value) == (
        f"Unknown arXiv category `cs.CVV`. Did you mean cs.CV, cs.SC, cs.HC? {accepted}"
    )
    with pytest.raises(UserInputError) as err:
        parse_categories("cs.CV,-cs.CV")
    assert str(err.value) == "cs.CV is both included and excluded; keep one of the two."


def test_keyword_limits_exactly() -> None:
    assert parse_keywords("x" * 60) == ("x" * 60,)
    with pytest.raises(UserInputError) as err:
        parse_keywords("x" * 61)
    assert str(err.value) == (
        "Keyword `xxxxxxxxxxxxxxxxxxx…` is too long: at most 60 characters each."
    )
    assert len(parse_keywords(",".join(f"k{i}" for i in range(20)))) == 20
    with pytest.raises(UserInputError) as err:
        parse_keywords(",".join(f"k{i}" for i in range(21)))
    assert str(err.value) == "Too many keywords (21): at most 20, separated by commas."
    assert parse_keywords(["  a  b ", "A B", ""]) == ("a b",)
    assert parse_keywords(None) == ()


def test_settings_errors_exactly() -> None:
    assert check_limit(1) == 1
    assert check_limit(25) == 25
    with pytest.raises(UserInputError) as err:
        check_limit(26)
    assert str(err.value) == "limit must be a whole number from 1 to 25 (got 26)."
    assert check_limit(30, maximum=30) == 30
    assert check_min_score(0) == 0.0 and isinstance(check_min_score(0), float)
    for bad, shown in [(-1, "-1"), (float("inf"), "inf"), (float("nan"), "nan")]:
        with pytest.raises(UserInputError) as err:
            check_min_score(bad)
        assert str(err.value) == f"min_score must be a number of 0 or more (got {shown})."
    with pytest.raises(UserInputError) as err:
        check_window("year")
    assert str(err.value) == "window must be one of day, week, month (got `year`)."
    assert check_window(" MONTH ") == "month"


def test_a_subscriptions_filter_is_its_settings() -> None:
    sub = Subscription(
        guild_id=1,
        channel_id=2,
        categories=["cs.cv", "-cs.RO"],
        keywords=["diffusion"],
        min_score=3,
        max_papers=5,
    )
    assert subscription_filter(sub) == PaperFilter(
        include=("cs.CV",),
        exclude=("cs.RO",),
        keywords=("diffusion",),
        min_score=3,
        limit=sub.limit,
    )


def test_an_archive_is_the_archive_only_and_aliases_match_each_other() -> None:
    ph = paper("2103.00001", 5, ["math-ph"])
    ag = paper("2103.00002", 5, ["math.AG"])
    assert apply([ph, ag], build_filter(categories="math")) == [ag]
    na = paper("2103.00003", 5, ["math.NA"])
    assert apply([na, ag], build_filter(categories="cs.NA")) == [na]
    assert apply([na, ag], build_filter(categories="-cs.NA")) == [ag]
    # An archive that is also a category (math-ph) matches its alias (math.MP) too.
    mp = paper("2103.00004", 5, ["math.MP"])
    assert apply([mp, ag], build_filter(categories="math-ph")) == [mp]


def test_filters_without_a_given_taxonomy_use_the_bundled_one() -> None:
    cv = paper("2103.00001", 5, ["cs.CV"], title="Diffusion")
    lg = paper("2103.00002", 5, ["cs.LG"], title="Diffusion")
    flt = build_filter(categories="cs.CV")
    assert matches(cv, flt) and not matches(lg, flt)
    assert apply([cv, lg], build_filter(categories="cs.CV", keywords="diffusion")) == [cv]
    entries = [entry("a", 0, 1, 5, ["cs.CV"]), entry("b", 0, 2, 5, ["cs.LG"])]
    assert pick(entries, flt) == ([entries[0]], 2)


def test_a_keyword_matches_in_the_title_or_the_abstract_never_across_them() -> None:
    p = paper("2103.00001", 5, ["cs.CV"], title="Deep", abstract="Learning for all")
    assert matches(p, build_filter(keywords="deep"))
    assert matches(p, build_filter(keywords="learning FOR"))
    assert not matches(p, build_filter(keywords="deeplearning"))
    assert not matches(p, build_filter(keywords="deep learning"))


def test_pick_keeps_the_first_of_equal_entries_and_counts_distinct_papers() -> None:
    first, again = entry("a", 0, 1, 5, ["cs.CV"]), entry("a", 1, 1, 5, ["cs.CV"])
    chosen, distinct = pick([first, again, entry("b", 1, 2, 9, ["cs.LG"])], PaperFilter())
    assert chosen == [entry("b", 1, 2, 9, ["cs.LG"]), first]
    assert distinct == 2
    # One day: its own order (ranks), even against the scores.
    day = [entry("x", 0, 2, 50, ["cs.CV"]), entry("y", 0, 1, 1, ["cs.CV"])]
    assert [e.arxiv_id for e in pick(day, PaperFilter())[0]] == ["y", "x"]
    # Two days: by score.
    days = [entry("x", 0, 2, 50, ["cs.CV"]), entry("y", 1, 1, 1, ["cs.CV"])]
    assert [e.arxiv_id for e in pick(days, PaperFilter())[0]] == ["x", "y"]
    assert pick([], PaperFilter()) == ([], 0)
    assert pick(day, build_filter(categories="cs.LG")) == ([], 2)
    with pytest.raises(ValueError, match=r"^keywords match") as err:
        pick(day, build_filter(keywords="x"))
    assert str(err.value) == "keywords match paper text: filter whole digests with select()"


def test_view_titles_exactly() -> None:
    end = date(2021, 3, 12)
    assert view_title(end, "day", None, PaperFilter()) == "Hot Papers 2021-03-12"
    assert view_title(end, "day", "Own title", PaperFilter()) == "Own title"
    assert view_title(end, "week", "Own", PaperFilter()) == (
        "Hot Papers of the week 2021-03-06 – 2021-03-12"
    )
    assert view_title(end, "month", None, build_filter(categories="cs.CV")) == (
        "Hot Papers of the month 2021-02-11 – 2021-03-12 · cs.CV"
    )
    assert view_title(end, "day", "x" * 300, PaperFilter()) == "x" * 200


def test_select_over_no_digest_is_an_empty_titled_view() -> None:
    end = date(2021, 3, 12)
    view = select([], PaperFilter(), end=end)
    assert view == Digest(day=end, source="", title="Hot Papers 2021-03-12")
    assert select([], PaperFilter(), end=end, source="hf").source == "hf"
    d = Digest(day=end, source="src", title="Own", papers=[paper("2103.00001", 1, ["cs.CV"])])
    view = select([d], PaperFilter(), end=end)
    assert (view.source, view.title, len(view.papers)) == ("src", "Own", 1)


def test_a_negative_limit_from_a_hand_edited_row_keeps_nothing_instead_of_raising() -> None:
    """The commands refuse a limit below 1 (`check_limit`), but a stored row edited by hand
    can hold one; cutting to it must not raise inside a post (islice refuses a negative stop)."""
    papers = [paper("2103.00001", 10, ["cs.CV"]), paper("2103.00002", 5, ["cs.CV"])]
    assert apply(papers, PaperFilter(limit=-1)) == []
    assert apply(papers, PaperFilter(limit=0)) == []
    assert [p.arxiv_id for p in apply(papers, PaperFilter(limit=1))] == ["2103.00001"]
    entries = [entry("2103.00001", 0, 1, 10, ["cs.CV"]), entry("2103.00002", 1, 1, 5, ["cs.CV"])]
    assert pick(entries, PaperFilter(limit=-1))[0] == []
