"""Request bodies Discord would reject are rejected, and the error tree matches Discord's shape."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sandbox import validation
from sandbox.validation import embed_length, errors_tree, validate_body

MESSAGES = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
COMMANDS = "/applications/{application_id}/commands"


def codes(body: object, method: str = "POST", path: str = MESSAGES) -> dict[str, str]:
    """{dotted path: error code} for every problem."""
    return {".".join(p.path): p.code for p in validate_body(method, path, body)}


def test_valid_message_passes() -> None:
    body = {
        "content": "x" * 2000,
        "embeds": [{"title": "t" * 256, "description": "d" * 4096, "color": 0x5865F2}] * 1,
        "nonce": "n" * 25,
        "enforce_nonce": True,
        "allowed_mentions": {"parse": ["users"]},
        "tts": False,
    }
    assert codes(body) == {}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"embeds": [{"description": "x" * 4097}]},
            {"embeds.0.description": "BASE_TYPE_MAX_LENGTH"},
        ),
        ({"embeds": [{"title": "t"}] * 11}, {"embeds": "BASE_TYPE_MAX_LENGTH"}),
        (
            {"embeds": [{"description": "x" * 4000}, {"description": "x" * 2000, "title": "y"}]},
            {"embeds": "MAX_EMBED_SIZE_EXCEEDED"},
        ),
        ({"content": "x" * 2001}, {"content": "BASE_TYPE_MAX_LENGTH"}),
        ({"nonce": "n" * 26}, {"nonce": "BASE_TYPE_MAX_LENGTH"}),
        (
            {"embeds": [{"color": "red"}]},
            # and an embed of only a colour shows nothing (sandbox.message_rules)
            {"embeds.0.color": "BASE_TYPE_BAD_TYPE", "embeds.0.description": "BASE_TYPE_REQUIRED"},
        ),
        (
            {"embeds": [{"fields": [{"name": "n"}]}]},
            {"embeds.0.fields.0.value": "BASE_TYPE_REQUIRED"},
        ),
    ],
)
def test_invalid_message_is_reported_where_discord_reports_it(
    body: dict[str, object], expected: dict[str, str]
) -> None:
    assert codes(body) == expected


def test_6000_counts_title_description_fields_footer_and_author() -> None:
    embed = {
        "title": "a" * 10,
        "description": "b" * 20,
        "fields": [{"name": "c" * 3, "value": "d" * 4}],
        "footer": {"text": "e" * 5, "icon_url": "https://example.org/" + "z" * 100},
        "author": {"name": "f" * 6, "url": "https://example.org"},
        "url": "https://example.org/not-counted",
    }
    assert embed_length([embed, embed]) == 2 * (10 + 20 + 3 + 4 + 5 + 6)
    just_over = [{"description": "x" * 4096}, {"description": "x" * 1904, "footer": {"text": "y"}}]
    assert embed_length(just_over) == 6001
    assert codes({"embeds": just_over}) == {"embeds": "MAX_EMBED_SIZE_EXCEEDED"}
    assert codes({"embeds": [*just_over[:1], {"description": "x" * 1904}]}) == {}


def test_interaction_callback_is_checked_for_its_own_type() -> None:
    assert codes({"type": 4, "data": {"content": "ok"}}, path=CALLBACK) == {}
    assert (
        codes({"type": 8, "data": {"choices": [{"name": "a", "value": "a"}]}}, path=CALLBACK) == {}
    )
    bad = {"type": 4, "data": {"content": "x" * 2001, "embeds": [{"title": "t" * 257}]}}
    assert codes(bad, path=CALLBACK) == {
        "data.content": "BASE_TYPE_MAX_LENGTH",
        "data.embeds.0.title": "BASE_TYPE_MAX_LENGTH",
    }
    assert codes({"type": 99}, path=CALLBACK) != {}


def test_command_sync_body_and_discord_string_integers() -> None:
    good = [{"name": "echo", "description": "d", "default_member_permissions": "32"}]
    assert codes(good, "PUT", COMMANDS) == {}
    assert codes([{"name": "x" * 33, "description": "d"}], "PUT", COMMANDS) == {
        "0.name": "BASE_TYPE_MAX_LENGTH"
    }
    assert codes([{"name": "echo", "default_member_permissions": "manage"}], "PUT", COMMANDS) != {}


def test_errors_tree_has_discord_shape() -> None:
    tree = errors_tree(validate_body("POST", MESSAGES, {"embeds": [{"description": "x" * 4097}]}))
    assert tree == {
        "embeds": {
            "0": {
                "description": {
                    "_errors": [
                        {
                            "code": "BASE_TYPE_MAX_LENGTH",
                            "message": "Must be 4096 or fewer in length.",
                        }
                    ]
                }
            }
        }
    }


def test_spec_is_the_in_package_copy_and_validators_are_cached() -> None:
    assert validation.spec()["openapi"].startswith("3.1")
    assert validation.validator_for("POST", MESSAGES) is validation.validator_for("POST", MESSAGES)
    started = time.perf_counter()
    for _ in range(200):
        validate_body("POST", MESSAGES, {"content": "hi", "embeds": [{"title": "t"}]})
    assert time.perf_counter() - started < 1.0


CALLBACK_BODIES: list[Any] = [
    {"type": 4, "data": {"content": "hi", "allowed_mentions": {"parse": []}}},
    {"type": 4, "data": {"embeds": [{"description": "x" * 4097}]}},
    {"type": 4, "data": {"content": 5}},
    {"type": 4, "data": {"embeds": [{"color": "red"}]}},
    {"type": 5},
    {"type": 5, "data": {"flags": 64}},
    {"type": 7, "data": {"content": "edited"}},
    {"type": 8, "data": {"choices": [{"name": "cs.CV", "value": "cs.CV"}]}},
    {"type": 8, "data": {"choices": "none"}},
    {"type": 9, "data": {"custom_id": "m", "title": "T", "components": []}},
    {"type": 1},
    {"type": 99},
    {"type": "4", "data": {"content": "hi"}},
    {"type": True},
    {"data": {"content": "no type"}},
    [],
]


def test_a_tagged_union_is_checked_on_its_branch_with_the_same_verdicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shortcut = [codes(body, path=CALLBACK) for body in CALLBACK_BODIES]
    monkeypatch.setattr(validation, "tagged_branches", lambda method, path: {})
    assert [codes(body, path=CALLBACK) for body in CALLBACK_BODIES] == shortcut
    assert shortcut[0] == {} and shortcut[4] == {}
    assert shortcut[1] and shortcut[2] and shortcut[8]


def test_a_body_its_branch_accepts_skips_the_other_branches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = validation.validator_for("POST", CALLBACK)
    calls: list[Any] = []

    class Spy:
        def iter_errors(self, body: Any) -> Any:
            calls.append(body)
            assert whole is not None
            return whole.iter_errors(body)

    monkeypatch.setattr(validation, "validator_for", lambda method, path: Spy())
    assert codes(CALLBACK_BODIES[0], path=CALLBACK) == {}
    assert calls == []
    assert codes(CALLBACK_BODIES[2], path=CALLBACK)
    assert calls == [CALLBACK_BODIES[2]]
