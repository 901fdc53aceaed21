"""Outside attacks on the sandbox's stricter reading (unknown fields, coercion, options).

Found by an outside attacker, each against the rule "where Discord documents a rule the sandbox
enforces it; where the docs are silent, the stricter reading" (discord/discord-api-docs c98d64b):

- Unknown fields passed wherever the body's schema is a union of untagged branches: a webhook
  execute (every interaction follow-up discord.py sends), a thread start (its forum
  `message` included) and an autocomplete's `choices` were not checked at all. Promised:
  refused there too.
- `tts`, accepted at a message's top level (discord.py sends it in edits), was accepted in
  every object one level down (`allowed_mentions.tts`). Promised: only at a message's top.
- Embed fields the docs name were refused as unknown: media `proxy_url`, `content_type`,
  `flags` (message.mdx:533-552) and `proxy_icon_url` (:582, :591), which discord.py sends when
  a bot sends on an embed it received; Discord ignores them (:1073). Promised: accepted.
- A permission set written in digits other than 0-9 ("²", "١٢") passed (str.isdigit).
  Promised: refused, as any non-decimal string is.
- Invoking a command, the sandbox sent values Discord's client cannot: 2^53 for an INTEGER
  (application-commands.mdx:104, up to 2^53-1), 2.5 or True truncated into an INTEGER, a
  string outside the option's `min_length`/`max_length` (:81-82) or not among its `choices`
  (:76). Promised: refused (OptionError) unless a test passes bounds=False.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.interactions import INTEGER, STRING, OptionError, build_data
from sandbox.records import Command
from sandbox.settings import SandboxSettings
from sandbox.state import SandboxState
from sandbox.validation import CALLBACK_ROUTE, THREADS_ROUTE, validate_body

WEBHOOK = ("POST", "/webhooks/{webhook_id}/{webhook_token}")
ROLE = ("POST", "/guilds/{guild_id}/roles")
MESSAGE = ("POST", "/channels/{channel_id}/messages")


def _codes(route: tuple[str, str], body: dict[str, Any]) -> list[tuple[list[Any], str]]:
    return [(p.path, p.code) for p in validate_body(*route, body)]


@pytest.mark.parametrize(
    ("route", "body", "path"),
    [
        (WEBHOOK, {"content": "x", "bogus": 1}, ["bogus"]),
        (WEBHOOK, {"content": "x", "alowed_mentions": {"parse": []}}, ["alowed_mentions"]),
        (WEBHOOK, {"embeds": [{"title": "t", "colour": 1}]}, ["embeds", "0", "colour"]),
        (
            MESSAGE,
            {"content": "x", "allowed_mentions": {"tts": False}},
            ["allowed_mentions", "tts"],
        ),
        (
            MESSAGE,
            {"content": "x", "message_reference": {"message_id": "1", "tts": 0}},
            ["message_reference", "tts"],
        ),
        (THREADS_ROUTE, {"name": "t", "type": 11, "bogus": 1}, ["bogus"]),
        (
            CALLBACK_ROUTE,
            {"type": 8, "data": {"choices": [{"name": "a", "value": "a", "bogus": 1}]}},
            ["data", "choices", "0", "bogus"],
        ),
        (
            THREADS_ROUTE,
            {"name": "t", "message": {"content": "x", "bogus": 1}},
            ["message", "bogus"],
        ),
    ],
    ids=[
        "followup",
        "followup-misspelt",
        "followup-embed",
        "tts-in-allowed-mentions",
        "tts-in-reference",
        "thread",
        "autocomplete-choice",
        "forum-message",
    ],
)
def test_unknown_fields_in_untagged_unions_are_refused(
    route: tuple[str, str], body: dict[str, Any], path: list[Any]
) -> None:
    assert (path, "UNKNOWN_FIELD") in _codes(route, body)


def test_documented_followup_thread_and_embed_fields_still_pass() -> None:
    followup = {"content": "x", "username": "u", "thread_name": "t", "applied_tags": ["1"]}
    assert _codes(WEBHOOK, {**followup, "flags": 4, "tts": False}) == []
    thread = {"name": "t", "auto_archive_duration": 60, "rate_limit_per_user": 5}
    assert _codes(THREADS_ROUTE, {**thread, "type": 11, "invitable": False}) == []
    forum = {**thread, "applied_tags": ["1"], "message": {"content": "x", "flags": 4}}
    assert _codes(THREADS_ROUTE, forum) == []
    assert _codes(THREADS_ROUTE, {**forum, "message": {"content": "x", "tts": False}}) == []
    assert _codes(MESSAGE, {"content": "x", "tts": False}) == []
    for value in ("a", 1, 1.5):
        choice = {"name": "a", "value": value, "name_localizations": {"de": "b"}}
        assert _codes(CALLBACK_ROUTE, {"type": 8, "data": {"choices": [choice]}}) == []
    media = {"url": "https://x.org/i.png", "proxy_url": "https://x.org/p.png", "height": 1}
    received = {
        "title": "t",
        "image": {**media, "content_type": "image/png", "flags": 0},
        "thumbnail": media,
        "video": media,
        "footer": {"text": "f", "proxy_icon_url": "https://x.org/p.png"},
        "author": {"name": "a", "proxy_icon_url": "https://x.org/p.png"},
    }
    assert _codes(MESSAGE, {"embeds": [received]}) == []


@pytest.mark.parametrize("permissions", ["²", "١٢", "8 ", "0x8"])
def test_permissions_in_other_than_decimal_digits_are_refused(permissions: str) -> None:
    assert _codes(ROLE, {"name": "r", "permissions": permissions}) == [
        (["permissions"], "BASE_TYPE_BAD_TYPE")
    ]
    assert _codes(ROLE, {"name": "r", "permissions": "8"}) == []


@pytest.fixture
def lab() -> SandboxState:
    return SandboxState(SandboxSettings())


def _command(option: dict[str, Any]) -> Command:
    payload = {"name": "probe", "type": 1, "options": [{"name": "v", **option}]}
    return Command(id=1, application_id=2, guild_id=None, version=1, payload=payload)


CHOICES = {"type": STRING, "choices": [{"name": "a", "value": "ab"}]}
LENGTHS = {"type": STRING, "min_length": 2, "max_length": 3}


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ({"type": INTEGER}, 2**53),
        ({"type": INTEGER}, -(2**53)),
        ({"type": INTEGER}, 2.5),
        ({"type": INTEGER}, True),
        ({"type": INTEGER, "choices": [{"name": "one", "value": 1}]}, 2),
        (CHOICES, "zz"),
        (LENGTHS, "a"),
        (LENGTHS, "abcd"),
    ],
    ids=[
        "int-2^53",
        "int-minus-2^53",
        "int-fraction",
        "int-bool",
        "int-choice",
        "choice",
        "too-short",
        "too-long",
    ],
)
def test_option_values_discords_client_cannot_send_are_refused(
    lab: SandboxState, option: dict[str, Any], value: Any
) -> None:
    with pytest.raises(OptionError):
        build_data(_command(option), [], {"v": value}, None, lab)


def test_values_the_client_sends_pass_and_bounds_false_lets_the_rest_through(
    lab: SandboxState,
) -> None:
    def value(option: dict[str, Any], v: Any, bounds: bool = True) -> Any:
        data = build_data(_command(option), [], {"v": v}, None, lab, bounds=bounds)
        return data["options"][0]["value"]

    assert value({"type": INTEGER}, 2**53 - 1) == 2**53 - 1
    assert value({"type": INTEGER}, "12") == 12
    assert value(CHOICES, "ab") == "ab"
    assert value(LENGTHS, "abc") == "abc"
    assert value(CHOICES, "zz", bounds=False) == "zz"
    assert value(LENGTHS, "abcd", bounds=False) == "abcd"
