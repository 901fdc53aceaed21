"""The late risers' pure core (`bot.late_risers`): who deserves a "climbing" follow-up, and
the exact line it posts."""

from __future__ import annotations

from datetime import date, timedelta

from bot.delivery.wire import nonce_for
from bot.late_risers import (
    Climber,
    climbers,
    end_of_week,
    followup_nonce,
    followup_payload,
    followup_text,
    top_of_week,
    week,
)
from bot.limits import payload_violations
from bot.models import Entry, Paper, PostRecord, Subscription

MON = date(2026, 11, 23)
TUE, WED = MON + timedelta(days=1), MON + timedelta(days=2)


def sub(k: int = 3, **kw: object) -> Subscription:
    values: dict[str, object] = {
        "guild_id": 1,
        "channel_id": 10,
        "id": 5,
        "limit": 2,
        "late_risers": k,
    }
    values.update(kw)
    return Subscription.model_validate(values)


def entry(
    pid: str, day: date, rank: int, score: float, cats: tuple[str, ...] = ("cs.CV",)
) -> Entry:
    return Entry(pid, day, rank, score, {"upvotes": int(score)}, list(cats))


def post(
    day: date, ids: list[str], *, status: str = "sent", thread: int | None = None, sid: int = 5
) -> PostRecord:
    return PostRecord.model_validate(
        {
            "subscription_id": sid,
            "guild_id": 1,
            "channel_id": 10,
            "day": day,
            "source": "hf",
            "nonce": "n",
            "status": status,
            "arxiv_ids": ids,
            "thread_id": thread,
            "message_ids": [100],
        }
    )


# Monday: a, b posted (limit 2), c below the cut. Tuesday: c's counts grew (score 50).
ENTRIES = [
    entry("a", MON, 1, 30),
    entry("b", MON, 2, 20),
    entry("c", MON, 3, 10),
    entry("d", TUE, 1, 40),
    entry("e", TUE, 2, 35),
    entry("c", TUE, 3, 50),  # the crowd kept counting: c's best entry of the week
]
POSTS = [post(MON, ["a", "b"], thread=777), post(TUE, ["d", "e"])]


def ranking(s: Subscription, entries: list[Entry] = ENTRIES) -> list[str]:
    return [e.arxiv_id for e in top_of_week(s, entries)]


def test_a_paper_below_its_days_cut_that_enters_the_top_k_is_followed_up_in_its_thread() -> None:
    s = sub(k=3)
    assert ranking(s) == ["c", "d", "e"]
    got = climbers(s, ranking(s), ENTRIES, POSTS, followed=set())
    assert got == [Climber("c", 1, POSTS[0])]
    assert got[0].place_id == 777  # Monday's post opened a thread


def test_without_a_thread_the_follow_up_goes_to_the_channel() -> None:
    posts = [post(MON, ["a", "b"]), POSTS[1]]
    (only,) = climbers(sub(), ranking(sub()), ENTRIES, posts, followed=set())
    assert only.place_id == 10


def test_outside_the_top_k_nothing() -> None:
    # c ranks 1st of the week only with its Tuesday counts; with them lower it is 6th
    entries = [*ENTRIES[:5], entry("c", TUE, 3, 5)]
    s = sub(k=3)
    assert "c" not in ranking(s, entries)
    assert climbers(s, ranking(s, entries), entries, POSTS, followed=set()) == []
    # only the first K of a longer ranking count
    assert climbers(sub(k=1), ["d", "c"], ENTRIES, POSTS, followed=set()) == []


def test_a_paper_the_filters_drop_is_not_ranked() -> None:
    entries = [*ENTRIES[:5], entry("c", TUE, 3, 50, ("cs.RO",))]
    s = sub(k=3, categories=["-cs.RO"])
    assert "c" not in ranking(s, entries)
    assert climbers(s, ranking(s, entries), entries, POSTS, followed=set()) == []
    low = sub(k=3, min_score=60)
    assert ranking(low) == []


def test_a_paper_already_posted_or_followed_up_is_not_followed_up_again() -> None:
    s = sub(k=3)
    posted_tuesday = [POSTS[0], post(TUE, ["c", "d"])]
    assert climbers(s, ranking(s), ENTRIES, posted_tuesday, followed=set()) == []
    assert climbers(s, ranking(s), ENTRIES, POSTS, followed={"c"}) == []
    assert climbers(s, ranking(s), ENTRIES, POSTS, followed=set(), posted={"c"}) == []


def test_a_paper_that_did_not_climb_is_not_followed_up() -> None:
    # Monday alone: c is 3rd of the week with the counts it had when it missed the cut
    monday = ENTRIES[:3]
    s = sub(k=3)
    assert ranking(s, monday) == ["a", "b", "c"]
    assert climbers(s, ranking(s, monday), monday, POSTS[:1], followed=set()) == []
    # Tuesday's entry no better than Monday's: still not climbing
    flat = [*ENTRIES[:5], entry("c", TUE, 3, 10)]
    assert climbers(sub(k=6), ranking(sub(k=6), flat), flat, POSTS, followed=set()) == []


def test_off_when_k_is_zero() -> None:
    assert climbers(sub(k=0), ["c"], ENTRIES, POSTS, followed=set()) == []


def test_only_a_day_this_subscription_posted_counts() -> None:
    s = sub(k=3)
    # Monday's post is not sent (failed, empty): c was never below a posted cut
    for status in ("failed", "pending", "empty", "missed"):
        posts = [post(MON, ["a", "b"], status=status), POSTS[1]]
        assert climbers(s, ranking(s), ENTRIES, posts, followed=set()) == [], status
    # another subscription's post of the channel is not this one's: c missed only
    # Tuesday's cut, with the counts it has now (it did not climb since)
    assert climbers(s, ranking(s), ENTRIES, [post(MON, ["a", "b"], sid=6), POSTS[1]], set()) == []


def test_the_follow_up_belongs_to_the_first_posted_day_it_missed() -> None:
    # c was below the cut on Monday and Tuesday: Monday's post (its day) gets the follow-up
    (only,) = climbers(sub(), ranking(sub()), ENTRIES, list(reversed(POSTS)), followed=set())
    assert only.post.day == MON


def test_the_week_ends_on_the_newest_sent_post() -> None:
    assert end_of_week([post(MON, []), post(WED, [], status="failed"), post(TUE, [])]) == TUE
    assert end_of_week([post(MON, [], status="empty")]) is None
    assert week(WED) == (WED - timedelta(days=6), WED)


def test_the_follow_up_line_is_pinned_escaped_and_mentions_nobody() -> None:
    paper = Paper(
        arxiv_id="2611.01234v2",
        title="Diffusion *beats* @everyone <@123> at __scale__",
        metrics={"upvotes": 120},
        score=120,
    )
    text = followup_text(paper, 3)
    assert followup_payload(text) == {
        "content": "📈 Climbing: **Diffusion \\*beats\\* @\u200beveryone \\<@123\\> at "
        "\\_\\_scale\\_\\_** (now #3 this week, ▲ 120 on Hugging Face) "
        "<https://arxiv.org/abs/2611.01234>",
        "allowed_mentions": {"parse": []},
    }
    long = paper.model_copy(update={"title": "word " * 800})
    payload = followup_payload(followup_text(long, 10))
    assert payload_violations(payload) == []
    assert payload["content"].endswith("<https://arxiv.org/abs/2611.01234>")


def test_nonces_are_deterministic_and_no_posts() -> None:
    n = followup_nonce(5, "2611.01234")
    assert n == followup_nonce(5, "2611.01234") and len(n) == 25
    assert n != followup_nonce(6, "2611.01234") != followup_nonce(5, "2611.01235")
    assert n not in {nonce_for(5, 10, MON, k) for k in range(5)}
