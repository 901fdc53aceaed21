"""`bot.app.sender`: every branch of the error mapping, the thread idempotence, and how
messages read back are attributed (so the recovery scan adopts only the bot's own)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, NoReturn

import aiohttp
import discord
import pytest

from bot.app.sender import (
    THREAD_ALREADY_EXISTS,
    UNKNOWN_MESSAGE,
    DiscordSender,
    GlobalLimit,
    attribute,
    mapped,
)
from bot.delivery.errors import (
    ChannelForbidden,
    ChannelGone,
    MessageGone,
    PayloadRejected,
    PostError,
    RateLimitedPost,
    TransientPostError,
)
from bot.delivery.wire import BOT, OTHER, REPLY, fingerprint, webhook_author

ME = 77


class Response:
    def __init__(self, status: int, reason: str = "Reason") -> None:
        self.status, self.reason = status, reason


def http_error(
    cls: type[discord.HTTPException], status: int, code: int = 0, text: str = "t"
) -> discord.HTTPException:
    return cls(Response(status), {"code": code, "message": text})


def raising(exc: BaseException) -> Callable[[], Awaitable[NoReturn]]:
    async def call() -> NoReturn:
        raise exc

    return call


@pytest.mark.parametrize(
    ("exc", "kind", "text"),
    [
        (
            http_error(discord.Forbidden, 403, 50001, "Missing Access"),
            ChannelForbidden,
            "Missing Access (status 403, code 50001)",
        ),
        (
            http_error(discord.NotFound, 404, UNKNOWN_MESSAGE, "Unknown Message"),
            MessageGone,
            "Unknown Message (status 404, code 10008)",
        ),
        (
            http_error(discord.NotFound, 404, 10003, "Unknown Channel"),
            ChannelGone,
            "Unknown Channel (status 404, code 10003)",
        ),
        (
            http_error(discord.DiscordServerError, 503, 0, "Service Unavailable"),
            TransientPostError,
            "Service Unavailable (503)",
        ),
        (
            http_error(discord.HTTPException, 400, 50035, "Invalid Form Body"),
            PayloadRejected,
            "Invalid Form Body (status 400, code 50035)",
        ),
        (http_error(discord.HTTPException, 401, 0, ""), TransientPostError, "Reason (401)"),
        (
            aiohttp.ClientConnectionError("reset"),
            TransientPostError,
            "ClientConnectionError: reset",
        ),
        (ConnectionResetError("peer"), TransientPostError, "ConnectionResetError: peer"),
        (TimeoutError("slow"), TransientPostError, "TimeoutError: slow"),
    ],
)
async def test_every_error_maps_to_its_kind_with_its_reason(
    exc: BaseException, kind: type[PostError], text: str
) -> None:
    with pytest.raises(PostError) as got:
        await mapped(raising(exc))
    assert type(got.value) is kind
    assert str(got.value) == text
    assert got.value.__cause__ is exc


async def test_a_success_passes_through() -> None:
    async def ok() -> int:
        return 5

    assert await mapped(ok) == 5


async def test_an_unexpected_exception_is_not_mapped() -> None:
    with pytest.raises(ValueError, match="a bug"):
        await mapped(raising(ValueError("a bug")))


@pytest.mark.parametrize(("limited", "is_global"), [(False, False), (True, True)])
async def test_a_long_rate_limit_is_rescheduled_global_when_the_watch_saw_one(
    limited: bool, is_global: bool
) -> None:
    watch = GlobalLimit(threshold=1.0, clock=lambda: 0.0)
    if limited:
        watch.saw(429, {"X-RateLimit-Scope": "global", "Retry-After": "60"})
    with pytest.raises(RateLimitedPost) as got:
        await mapped(raising(discord.RateLimited(40.0)), watch)
    assert got.value.retry_after == 40.0 and got.value.is_global is is_global


async def test_a_rate_limit_without_a_watch_is_per_route() -> None:
    with pytest.raises(RateLimitedPost) as got:
        await mapped(raising(discord.RateLimited(2.0)))
    assert not got.value.is_global and str(got.value) == "rate limited for 2 s"


# --- attribution of messages read back ------------------------------------------------


def msg(**kw: Any) -> dict[str, Any]:
    return {"id": "1", "type": 0, "author": {"id": str(ME)}, "content": "c", **kw}


@pytest.mark.parametrize(
    ("message", "me", "who"),
    [
        (msg(), ME, BOT),
        (msg(author={"id": "5"}), ME, OTHER),
        (msg(), None, OTHER),  # the bot's id unknown: nothing is the bot's
        (msg(type=19), ME, REPLY),  # a reply-type message by the bot
        (msg(type=7, author={"id": "5"}), ME, OTHER),  # a system message
        (msg(interaction={"id": "9"}), ME, REPLY),
        (msg(interaction_metadata={"id": "9"}), ME, REPLY),
        (msg(webhook_id=str(ME)), ME, REPLY),  # an interaction follow-up (the app's webhook)
        (msg(webhook_id="4242", author={"id": "4242"}), ME, webhook_author(4242)),
        (msg(webhook_id="4242"), None, webhook_author(4242)),
    ],
)
def test_attribute(message: dict[str, Any], me: int | None, who: str) -> None:
    assert attribute(message, me) == who


class FakeHTTP:
    """The three HTTPClient calls the sender makes, answering from a script."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.calls: list[tuple[str, Any]] = []

    def _answer(self, name: str) -> Any:
        value = self.answers.get(name)
        if isinstance(value, BaseException):
            raise value
        return value

    async def request(self, route: Any, json: Any = None) -> Any:
        self.calls.append((route.path, json))
        return self._answer("request")

    async def logs_from(self, channel_id: int, limit: int, after: Any = None) -> Any:
        self.calls.append(("logs_from", after))
        return self._answer("logs_from")

    async def get_message(self, channel_id: int, message_id: int) -> Any:
        return self._answer("get_message")

    async def delete_message(self, channel_id: int, message_id: int) -> Any:
        self.calls.append(("delete", message_id))
        return self._answer("delete_message")


def sender(http: FakeHTTP) -> DiscordSender:
    return DiscordSender(http, lambda: ME)  # type: ignore[arg-type]


async def test_recent_returns_every_message_attributed_oldest_first() -> None:
    data = [
        msg(id="30", content="b", edited_timestamp="2021-03-13T09:00:00+00:00"),
        msg(id="10", nonce=123),
        msg(id="20", author={"id": "5"}),
    ]
    http = FakeHTTP(logs_from=data)
    after = datetime(2021, 3, 13, 9, tzinfo=UTC)
    got = await sender(http).recent(1, after=after)
    assert [(m.id, m.author, m.nonce, m.edited) for m in got] == [
        (10, BOT, "123", False),
        (20, OTHER, None, False),
        (30, BOT, None, True),
    ]
    assert got[0].fingerprint == fingerprint({"content": "c"})
    assert http.calls == [("logs_from", discord.utils.time_snowflake(after))]


async def test_send_adds_the_nonce_and_enforces_it() -> None:
    http = FakeHTTP(request={"id": "99"})
    assert await sender(http).send(1, {"content": "x"}, nonce="n") == 99
    assert http.calls == [
        ("/channels/{channel_id}/messages", {"content": "x", "nonce": "n", "enforce_nonce": True})
    ]


async def test_a_thread_that_exists_already_is_that_thread() -> None:
    exists = http_error(discord.HTTPException, 400, THREAD_ALREADY_EXISTS, "already")
    assert await sender(FakeHTTP(request=exists)).create_thread(1, 55, "n") == 55
    assert await sender(FakeHTTP(request={"id": "56"})).create_thread(1, 55, "n") == 56
    other = http_error(discord.HTTPException, 400, 50035, "Invalid Form Body")
    with pytest.raises(PayloadRejected):
        await sender(FakeHTTP(request=other)).create_thread(1, 55, "n")


@pytest.mark.parametrize(
    ("answer", "present"),
    [
        ({"id": "1"}, True),
        (http_error(discord.NotFound, 404, UNKNOWN_MESSAGE), False),
        (http_error(discord.NotFound, 404, 10003), False),
    ],
)
async def test_exists(answer: Any, present: bool) -> None:
    assert await sender(FakeHTTP(get_message=answer)).exists(1, 2) is present


async def test_exists_does_not_hide_a_403() -> None:
    with pytest.raises(ChannelForbidden):
        await sender(FakeHTTP(get_message=http_error(discord.Forbidden, 403))).exists(1, 2)


@pytest.mark.parametrize("code", [UNKNOWN_MESSAGE, 10003])
async def test_deleting_what_is_gone_already_is_fine(code: int) -> None:
    await sender(FakeHTTP(delete_message=http_error(discord.NotFound, 404, code))).delete(1, 2)


async def test_a_failed_delete_is_reported() -> None:
    with pytest.raises(ChannelForbidden):
        await sender(FakeHTTP(delete_message=http_error(discord.Forbidden, 403))).delete(1, 2)
