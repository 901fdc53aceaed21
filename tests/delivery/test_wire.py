"""Nonces and fingerprints are stable across releases: a bot restarted on a newer version
mid-post must compute the same nonce for the same message, or Discord's dedup misses it."""

from __future__ import annotations

import hashlib
from datetime import date

from bot.delivery.wire import BOT, OTHER, REPLY, fingerprint, nonce_for, webhook_author

DAY = date(2021, 3, 12)


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:25]


def test_the_nonce_key_format_is_fixed() -> None:
    assert nonce_for(500, DAY) == sha("500:2021-03-12")
    assert nonce_for(500, DAY, 3) == sha("500:2021-03-12:3")
    assert nonce_for(500, DAY, 0, 2) == sha("500:2021-03-12#2")
    assert nonce_for(500, DAY, 3, 1) == sha("500:2021-03-12:3#1")


def test_the_fingerprint_reads_content_and_embed_text_only() -> None:
    payload = {"content": " Hi ", "embeds": [{"title": "T", "description": "D", "url": "u"}]}
    expected = hashlib.sha256(b"Hi\x1fT\x1fD").hexdigest()[:32]
    assert fingerprint(payload) == expected
    assert fingerprint({**payload, "nonce": "x", "id": "9"}) == expected
    assert fingerprint({}) == hashlib.sha256(b"").hexdigest()[:32]


def test_every_attribution_is_distinct() -> None:
    assert len({BOT, REPLY, OTHER, webhook_author(1), webhook_author(2)}) == 5
