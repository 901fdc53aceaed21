"""`SearchService`: `/search`'s arguments, its rendering within Discord's limits, and `/paper`'s
autocomplete choices, over the real SQLite store (in memory) with plain data."""

from __future__ import annotations

from datetime import date

import pytest

from bot import limits
from bot.errors import UserInputError
from bot.limits import dlen
from bot.models import Digest, Paper
from bot.schedule import ManualClock
from bot.services.search import SearchRequest, SearchService, hit_line, render_hits
from bot.store.base import Store
from bot.store.search import SearchHit, SearchQuery

from .conftest import DAY


@pytest.fixture
def service(store: Store, clock: ManualClock) -> SearchService:
    return SearchService(store, clock=clock)


def test_a_request_holds_the_words_filters_and_days(service: SearchService) -> None:
    request = service.request(
        "  Audio REPRESENTATIONS  ", "cs.SD, eess", "2021-03-01", DAY.isoformat()
    )
    assert request.text == "Audio REPRESENTATIONS"
    assert request.query == SearchQuery(
        ("audio", "representations"),
        categories=("cs.SD",),
        archives=("eess",),
        since=date(2021, 3, 1),
        until=DAY,
        limit=10,
    )


def test_a_category_brings_its_aliases(service: SearchService) -> None:
    request = service.request("x", "math.IT")
    assert request.query.categories == ("cs.IT", "math.IT")
    assert request.query.archives == ()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("",), "Type a few words to search for"),
        (("\u202e\x00 \t",), "Type a few words to search for"),  # nothing visible is left
        (("🔥🔥",), "`🔥🔥` has no words to search for (letters or digits)"),
        (("x", None, "2021-03-13", "2021-03-12"), "since (2021-03-13) is after until"),
        (("x", None, "2021-13-01"), "`2021-13-01` is not a date"),
        (("x", None, None, "2030-01-01"), "2030-01-01 is outside arXiv's life"),
        (("x", "@everyone"), "Unknown arXiv category `@\u200beveryone`"),
        (("x", "-cs"), "it cannot leave one out (-cs)"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(
    service: SearchService, args: tuple[str | None, ...], message: str
) -> None:
    with pytest.raises(UserInputError) as caught:
        service.request(*args)  # type: ignore[arg-type]
    assert message in str(caught.value)


async def test_a_search_renders_the_stored_papers_that_match(service: SearchService) -> None:
    payloads = await service.search(service.request("fairness"))
    assert payloads == [
        {
            "content": "**🔎 1 paper** matching `fairness`",
            "embeds": [
                {
                    "type": "rich",
                    "description": "**1.** [Fair Mixup: Fairness via Interpolation]"
                    "(https://arxiv.org/abs/2103.06503)\nChing-Yao Chuang, Youssef Mroueh · "
                    "`cs.LG` `cs.CY` `stat.ML` · 2021-03-12 · score 105",
                    "color": 0xB31B1B,
                    "footer": {
                        "text": "Words in the title first, then the authors, then the abstract;"
                        " then by score · /paper <id> for details"
                    },
                }
            ],
            "allowed_mentions": {"parse": []},
        }
    ]


def test_a_full_page_of_long_titles_fits_discord_and_counts_the_rest() -> None:
    hits = [
        SearchHit(f"2101.{n:05d}", "[x](https://evil) @everyone " + "long " * 300, ["A" * 500],
                  ["cs.CV", "bad`cat"], date(2021, 1, 1), 9.5)
        for n in range(1, 101)
    ]  # fmt: skip
    req = SearchRequest("long", SearchQuery(("long",), limit=100))
    [payload] = render_hits(req, hits)
    description = payload["embeds"][0]["description"]
    assert dlen(description) <= limits.EMBED_DESCRIPTION
    assert description.endswith("more") and "…and " in description
    assert "\\[x\\](https://evil) @\u200beveryone" in description  # no masked link, no ping
    assert "bad`cat" not in description
    assert payload["content"] == "**🔎 100 papers (the best ones)** matching `long`"


def test_a_paper_in_no_digest_says_so_and_an_undiscussed_one_has_no_score() -> None:
    never = SearchHit("2101.00001", "Raw", [], [], None, None)
    quiet = SearchHit("2101.00002", "Quiet", ["Ada"], ["cs.LG"], date(2021, 1, 4), None)
    assert hit_line(1, never).endswith("unknown authors · in no digest")
    assert hit_line(2, quiet).endswith("Ada · `cs.LG` · 2021-01-04 · no discussion yet")


async def test_paper_choices_offer_a_typed_id_then_ids_and_titles(
    service: SearchService, store: Store
) -> None:
    assert await service.paper_choices("2103.06874v3") == [
        ("2103.06874 · CANINE: Pre-training an Efficient Tokenization-Free Encoder for Language "
         "Representation", "2103.06874"),
    ]  # fmt: skip
    assert await service.paper_choices("arXiv:2501.00001") == [("2501.00001", "2501.00001")]
    assert await service.paper_choices("   ") == []
    long = Paper(arxiv_id="2103.99999", title="Fair " + "very " * 50 + "long\x00 title", score=1)
    await store.save_digest(Digest(day=DAY, source="other", papers=[long]))
    choices = await service.paper_choices("fair")
    assert [v for _, v in choices] == ["2103.06503", "2103.99999"]  # score 105, then 1
    name = choices[1][0]
    assert len(name) <= 100 and name.endswith("very…") and "\x00" not in name


@pytest.mark.parametrize(
    "text", ['"', "*", "NEAR(", "title:", "\x00", "🔥", "שלום", "x" * 10_000, "a", "2103.", "-"]
)
async def test_paper_choices_take_any_text(service: SearchService, text: str) -> None:
    choices = await service.paper_choices(text)
    assert len(choices) <= 25
    assert all(0 < len(n) <= 100 and 0 < len(v) <= 100 for n, v in choices)
