"""A plan's pieces and an outcome's flags, as the engine and the scheduler read them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.delivery import Outcome
from bot.delivery.plan import Message, OpenThread, Plan
from bot.delivery.wire import BOT

DAY = date(2026, 1, 2)


def test_a_message_defaults_to_the_channel_by_the_bot_and_a_thread_to_the_first_message() -> None:
    m = Message({"content": "a"})
    assert m.into == "channel" and m.author == BOT
    assert OpenThread("t").on == 0


def test_a_plan_lists_its_messages_in_order_and_its_payloads_by_place() -> None:
    head, one, two = {"content": "h"}, {"content": "1"}, {"content": "2"}
    p = Plan(
        (
            Message(head),
            OpenThread("t"),
            Message(one, into="thread"),
            Message(two, into="thread"),
        )
    )
    assert p.messages == [Message(head), Message(one, into="thread"), Message(two, into="thread")]
    assert p.payloads("channel") == [head]
    assert p.payloads("thread") == [one, two]
    assert Plan().messages == [] and Plan().payloads("channel") == []


def test_an_outcome_starts_with_nothing_recovered_no_wait_and_not_restarted() -> None:
    out = Outcome("sent", 5, DAY)
    assert out.message_ids == [] and out.thread_id is None
    assert out.recovered == 0 and out.retry_after == 0.0 and out.restarted is False
    assert out.error is None and out.was is None


@pytest.mark.parametrize(
    ("status", "retry", "done"),
    [
        ("sent", False, True),
        ("empty", False, True),
        ("already", False, True),
        ("failed", True, False),
        ("forbidden", False, False),
        ("gone", False, False),
        ("rejected", False, False),
    ],
)
def test_only_a_failure_is_retried_and_only_sent_empty_already_are_done(
    status: str, retry: bool, done: bool
) -> None:
    out = Outcome(status, 5, DAY)  # type: ignore[arg-type]
    assert out.retry is retry
    assert out.done is done
