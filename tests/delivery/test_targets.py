"""The targets' plans: which steps a post of the bundled sample takes, per format."""

from __future__ import annotations

import pytest

from bot.cli.preview import sample_digest
from bot.delivery import TARGETS, compose, plan, target_for
from bot.delivery.plan import Message, OpenThread, Plan
from bot.delivery.targets.buttons import with_buttons
from bot.delivery.targets.channel import ChannelTarget
from bot.delivery.targets.thread import ThreadTarget
from bot.delivery.wire import BOT
from bot.models import Digest, Subscription
from bot.render import render_digest, thread_name
from bot.services.texts import POST_PERMISSIONS, missing_permissions, needed_permissions


def sub(**kw: object) -> Subscription:
    return Subscription(guild_id=1, channel_id=5, **kw)


def test_each_format_has_its_target() -> None:
    assert set(TARGETS) == {"compact", "detailed"}
    assert isinstance(target_for(sub(format="compact")), ChannelTarget)
    assert isinstance(target_for(sub(format="detailed")), ThreadTarget)
    assert {t.name for t in TARGETS.values()} == {"channel", "thread"}


def test_compact_is_every_message_in_the_channel() -> None:
    s = sub(limit=16)
    view = compose(s, sample_digest())
    steps = target_for(s).plan(s, view, candidates=30)
    expected = with_buttons(s, view, render_digest(view, "compact", filtered_from=30))
    assert steps == Plan(tuple(Message(p) for p in expected))
    # the one message lists 16 papers: a 🔖 and a 👍 select of 16 options each
    rows = expected[0]["components"]
    assert [r["components"][0]["custom_id"] for r in rows] == ["hp:save", "hp:vote"]
    assert [len(r["components"][0]["options"]) for r in rows] == [16, 16]
    assert all(m.into == "channel" and m.author == BOT for m in steps.messages)


def test_detailed_is_a_header_a_thread_on_it_and_the_parts_inside() -> None:
    s = sub(format="detailed", limit=16)
    view = compose(s, sample_digest())
    steps = target_for(s).plan(s, view, candidates=30).steps
    expected = with_buttons(s, view, render_digest(view, "detailed", filtered_from=30))
    assert len(expected) >= 3 and "components" not in expected[0]  # the header shows no paper
    assert all(p["components"] for p in expected[1:])
    assert steps[0] == Message(expected[0])
    assert steps[1] == OpenThread(thread_name(view), on=0)
    assert steps[2:] == tuple(Message(p, into="thread") for p in expected[1:])
    in_channel, in_thread = plan(s, view, candidates=30)
    assert in_channel == expected[:1] and in_thread == expected[1:]


@pytest.mark.parametrize("fmt", ["compact", "detailed"])
def test_an_empty_day_is_one_notice_in_the_channel_or_nothing(fmt: str) -> None:
    empty = Digest(day=sample_digest().day, source="hotpapers-md")
    loud = sub(format=fmt, post_empty=True)
    steps = target_for(loud).plan(loud, empty, candidates=0)
    assert [type(s) for s in steps.steps] == [Message]
    assert steps.payloads("thread") == [] and len(steps.payloads("channel")) == 1
    assert "no hot papers" in str(steps.payloads("channel")[0]["content"])
    quiet = sub(format=fmt, post_empty=False)
    assert target_for(quiet).plan(quiet, empty, candidates=0) == Plan()
    assert plan(quiet, empty) == ([], [])


def test_the_preview_plan_of_an_empty_day_says_the_source_had_none_by_default() -> None:
    empty = Digest(day=sample_digest().day, source="hotpapers-md")
    (notice,), thread = plan(sub(post_empty=True), empty)
    assert thread == [] and str(notice["content"]).endswith("the source had none that day.")
    (filtered,), _ = plan(sub(post_empty=True), empty, candidates=2)
    assert "filters removed all 2 papers" in str(filtered["content"])


def test_each_target_asks_for_the_permissions_its_steps_need_beyond_posting() -> None:
    """The subscribe pre-check reads these: a thread target that forgot one would subscribe a
    channel whose every post then fails with 403."""
    assert TARGETS["compact"].permissions == ()
    assert TARGETS["detailed"].permissions == (
        "create_public_threads",
        "send_messages_in_threads",
    )
    assert needed_permissions("compact") == list(POST_PERMISSIONS)
    assert missing_permissions(POST_PERMISSIONS, "detailed") == [
        "create_public_threads",
        "send_messages_in_threads",
    ]


def test_each_target_says_what_a_moderator_gets_in_a_few_words() -> None:
    """The subscribe command's format description is built from these."""
    assert TARGETS["compact"].summary == "one message"
    assert TARGETS["detailed"].summary == "a header and a thread with one embed per paper"
