"""The retry policy alone: how many tries, which waits between them, what is not retried, and
the look before each retry. A recording `sleep`, no store, no Discord."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.delivery.errors import ChannelForbidden, RateLimitedPost, TransientPostError
from bot.delivery.retry import RetryPolicy


def policy(
    attempts: int, backoff: float = 1.0, cap: float = 30.0
) -> tuple[RetryPolicy, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return RetryPolicy(attempts, backoff, cap, sleep), slept


def failing(
    times: int, exc: Exception, then: int = 7
) -> tuple[Callable[[], Awaitable[int]], list[int]]:
    calls: list[int] = []

    async def op() -> int:
        calls.append(len(calls) + 1)
        if len(calls) <= times:
            raise exc
        return then

    return op, calls


async def test_a_first_success_is_returned_without_a_wait() -> None:
    p, slept = policy(3)
    op, calls = failing(0, TransientPostError("503"))
    assert await p.run(op) == 7
    assert calls == [1] and slept == []


async def test_transient_errors_are_retried_with_doubling_waits_up_to_the_cap() -> None:
    p, slept = policy(6, backoff=2.0, cap=10.0)
    op, calls = failing(5, TransientPostError("503"))
    assert await p.run(op) == 7
    assert len(calls) == 6
    assert slept == [2.0, 4.0, 8.0, 10.0, 10.0]


async def test_the_last_attempts_error_is_raised_after_attempts_minus_one_waits() -> None:
    p, slept = policy(3, backoff=1.0, cap=30.0)
    err = TransientPostError("502 Bad Gateway")
    op, calls = failing(10, err)
    with pytest.raises(TransientPostError) as raised:
        await p.run(op)
    assert raised.value is err
    assert len(calls) == 3 and slept == [1.0, 2.0]


@pytest.mark.parametrize("attempts", [0, 1, -2])
async def test_at_least_one_try_is_made_and_one_means_no_retry(attempts: int) -> None:
    p, slept = policy(attempts)
    op, calls = failing(1, TransientPostError("503"))
    with pytest.raises(TransientPostError):
        await p.run(op)
    assert calls == [1] and slept == []
    op, calls = failing(0, TransientPostError("503"))
    assert await p.run(op) == 7


async def test_a_long_rate_limit_and_a_permanent_error_are_not_retried() -> None:
    for exc in (RateLimitedPost(120.0), ChannelForbidden("Missing Access")):
        p, slept = policy(5)
        op, calls = failing(1, exc)
        with pytest.raises(type(exc)):
            await p.run(op)
        assert calls == [1] and slept == []


async def test_before_each_retry_not_before_the_first_try_a_look_may_answer() -> None:
    p, slept = policy(5)
    looks: list[int] = []
    answers: list[int | None] = [None, 42]

    async def look() -> int | None:
        looks.append(len(looks) + 1)
        return answers[len(looks) - 1]

    op, calls = failing(10, TransientPostError("timeout"))
    assert await p.run(op, before_retry=look) == 42
    assert calls == [1, 2]  # the first retry's look found nothing, the second's found it
    assert looks == [1, 2] and slept == [1.0, 2.0]


async def test_a_look_that_finds_nothing_lets_the_retry_send() -> None:
    p, _ = policy(3)

    async def look() -> int | None:
        return None

    op, calls = failing(1, TransientPostError("timeout"))
    assert await p.run(op, before_retry=look) == 7
    assert calls == [1, 2]
