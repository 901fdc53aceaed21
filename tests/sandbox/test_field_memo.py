"""The field-by-field proof of validity: it only ever says "valid", and errors stay the same."""

from __future__ import annotations

from typing import Any

from sandbox import field_memo
from sandbox.validation import validate_body, validator_for

ROUTE = ("POST", "/channels/{channel_id}/messages")


def body(nonce: str, title: str = "A paper") -> dict[str, Any]:
    return {
        "content": "Today's papers",
        "embeds": [{"title": title, "url": "https://arxiv.org/abs/2103.00001", "type": "rich"}],
        "allowed_mentions": {"parse": []},
        "nonce": nonce,
        "enforce_nonce": True,
    }


def full_errors(b: dict[str, Any]) -> list[str]:
    validator = validator_for(*ROUTE)
    assert validator is not None
    return sorted(e.message for e in validator.iter_errors(b))


def test_a_valid_body_is_proven_and_its_fields_remembered() -> None:
    field_memo._known.clear()
    assert field_memo.fields_valid(*ROUTE, body("n1"))
    remembered = {k[2] for k in field_memo._known}
    assert {"content", "embeds", "allowed_mentions", "nonce"} <= remembered
    assert field_memo.fields_valid(*ROUTE, body("n2"))  # a new nonce, the rest remembered
    assert full_errors(body("n2")) == []


def test_an_invalid_field_is_never_proven_and_errors_are_the_full_validators() -> None:
    field_memo._known.clear()
    assert field_memo.fields_valid(*ROUTE, body("n1"))  # the valid embeds remembered
    bad = body("n3", title="x" * 257)  # title at most 256
    assert full_errors(bad) != []
    assert not field_memo.fields_valid(*ROUTE, bad)
    errors = validate_body(*ROUTE, bad)
    assert [(e.path, e.code) for e in errors] == [
        (["embeds", "0", "title"], "BASE_TYPE_MAX_LENGTH")
    ]
    wrong_nonce = body("x" * 26)  # a nonce is at most 25 characters
    assert not field_memo.fields_valid(*ROUTE, wrong_nonce)
    assert validate_body(*ROUTE, wrong_nonce) != []


def test_a_missing_required_field_or_a_union_schema_falls_back() -> None:
    thread = ("POST", "/channels/{channel_id}/messages/{message_id}/threads")
    assert field_memo.plain_object(*thread) is not None
    assert not field_memo.fields_valid(*thread, {"auto_archive_duration": 1440})  # no name
    assert field_memo.fields_valid(*thread, {"name": "Papers", "auto_archive_duration": 1440})
    callback = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
    assert field_memo.plain_object(*callback) is None  # a union: the full validator decides
    assert not field_memo.fields_valid(*callback, {"type": 1})


def test_the_memo_keeps_a_digest_of_each_value_not_the_value() -> None:
    """Bounded in bytes, not only in entries: embeds the schema allows (10 × 4,096-character
    descriptions, refused later by the 6,000 total) are remembered in 32 bytes."""
    field_memo._known.clear()
    embeds = [{"title": "t", "description": "d" * 4096} for _ in range(10)]
    assert field_memo.fields_valid(*ROUTE, {"embeds": embeds})
    assert [(e.path, e.code) for e in validate_body(*ROUTE, {"embeds": embeds})] == [
        (["embeds"], "MAX_EMBED_SIZE_EXCEEDED")
    ]
    assert {len(k[3]) for k in field_memo._known} == {32}
