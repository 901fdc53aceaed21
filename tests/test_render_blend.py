"""Rendering a blended (`hot`) digest: where each score came from, "no discussion yet", the
crowds that did not answer, quoted posts (escaped, people before bots) and `/paper`'s breakdown,
all within Discord's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.limits import EMBEDS_TOTAL, embed_size, payload_violations
from bot.models import Digest, Paper, Tweet
from bot.render import (
    NO_MENTIONS,
    compact_line,
    paper_embed,
    quote_fields,
    render_compact,
    render_detailed,
    render_paper,
)
from bot.sources import hf

READ = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def quote(handle: str, likes: int, kind: str = "reaction", **kw: str) -> Tweet:
    return Tweet(
        author=kw.get("author", handle.title()), handle=handle, source=kw.get("source", "bluesky"),
        url=kw.get("url", f"https://bsky.app/profile/{handle}/post/1"),
        text=kw.get("text", f"{handle} says hi"), likes=likes, kind=kw.get("kind", kind),
    )  # fmt: skip


HOT = Paper(
    arxiv_id="2612.00002", title="Two crowds", authors=["Ada"], categories=["cs.CV"],
    metrics={"upvotes": 30, "hn_points": 45}, score=171.6,
    read_at={"hf": READ, "hn": READ}, tweets=[quote("bob", 10), quote("bot", 900, "bot")],
)  # fmt: skip
QUIET = Paper(arxiv_id="2612.00003", title="Nobody yet", categories=["cs.CV"], score=None)
DAY = Digest(
    day=date(2026, 12, 1), source="hot", papers=[HOT, QUIET],
    signals_ok=["hf", "hn"], signals_failed={"bluesky": "Bluesky is unreachable."},
)  # fmt: skip


def test_each_line_says_where_its_score_came_from_or_that_there_is_none() -> None:
    assert compact_line(1, HOT).endswith("`cs.CV` · ▲ 30 on Hugging Face · 45 points HN")
    assert compact_line(2, QUIET).endswith("`cs.CV` · no discussion yet")


def test_the_footer_names_the_crowds_and_the_one_that_did_not_answer() -> None:
    (message,) = render_compact(DAY)
    assert message["embeds"][0]["footer"]["text"] == (
        "Ranked by Hugging Face + Hacker News within each category · Bluesky did not answer"
        " · /paper <id> for details"
    )


def test_quotes_put_people_first_escape_text_and_drop_unsafe_links() -> None:
    evil = quote(
        "eve", 5, text="@everyone <@123> **bold** [x](https://evil.test)", url="javascript:alert(1)"
    )
    fields = quote_fields([quote("bot", 900, "bot"), evil, quote("me", 50, "author"),
                           quote("bob", 10)])  # fmt: skip
    assert [f["name"] for f in fields] == [
        "💬 Bob (@bob) on Bluesky · 10 ♥",
        "💬 Eve (@eve) on Bluesky · 5 ♥",
        "💬 Me (@me) on Bluesky · 50 ♥ · the authors",
    ]  # three shown; the paper bot, most liked, ranks last
    assert fields[0]["value"] == "bob says hi\n[open the post](https://bsky.app/profile/bob/post/1)"
    assert fields[1]["value"] == (
        "@\u200beveryone \\<@123\\> \\*\\*bold\\*\\* \\[x\\](https://evil.test)"
    )  # no link: the URL was not a plain http(s) link


def test_paper_shows_the_breakdown_with_read_times() -> None:
    (embed,) = render_paper(HOT)["embeds"]
    by_name = {f["name"]: f["value"] for f in embed["fields"]}
    stamp = int(READ.timestamp())
    assert by_name["Where the score comes from"] == (
        f"Hugging Face: ▲ 30 on Hugging Face (read <t:{stamp}:f>)\n"
        f"Hacker News: 45 points HN (read <t:{stamp}:f>)\n"
        "score 171.6 within cs.CV (each crowd adds up to 100: docs/ranking.md)"
    )
    assert "Where the score comes from" not in {f["name"] for f in paper_embed(HOT)["fields"]}


def test_the_largest_paper_fits_discord_s_limits_in_every_format() -> None:
    big = HOT.model_copy(
        update={
            "title": "T" * 400,
            "authors": ["A" * 50] * 40,
            "abstract": "word " * 2000,
            "categories": ["cs.CV"] * 30,
            "tweets": [quote("h" * 200, 10**9, author="N" * 300, text="🚀" * 3000)] * 5,
        }
    )
    detailed = render_detailed(DAY.model_copy(update={"papers": [big] * 12}))
    for payload in [render_paper(big), *render_compact(DAY), *detailed]:
        assert payload_violations(payload) == [], payload_violations(payload)
        assert payload["allowed_mentions"] == NO_MENTIONS
    assert embed_size(render_paper(big)["embeds"][0]) <= EMBEDS_TOTAL
    assert hf.METRICS.matches(big.metrics)
