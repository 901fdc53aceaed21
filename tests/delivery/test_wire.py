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
    # Since migration 0006 (several digests per channel) the key leads with the subscription
    # id: a post left pending across that upgrade is found by the recovery scan instead.
    assert nonce_for(7, 500, DAY) == sha("7/500:2021-03-12")
    assert nonce_for(7, 500, DAY, 3) == sha("7/500:2021-03-12:3")
    assert nonce_for(7, 500, DAY, 0, 2) == sha("7/500:2021-03-12#2")
    assert nonce_for(7, 500, DAY, 3, 1) == sha("7/500:2021-03-12:3#1")


def test_two_digests_of_one_channel_never_share_a_nonce() -> None:
    assert nonce_for(7, 500, DAY) != nonce_for(8, 500, DAY)


def test_the_fingerprint_reads_content_and_embed_text_only() -> None:
    payload = {"content": " Hi ", "embeds": [{"title": "T", "description": "D", "url": "u"}]}
    expected = hashlib.sha256(b"Hi\x1fT\x1fD").hexdigest()[:32]
    assert fingerprint(payload) == expected
    assert fingerprint({**payload, "nonce": "x", "id": "9"}) == expected
    assert fingerprint({}) == hashlib.sha256(b"").hexdigest()[:32]


def test_every_attribution_is_distinct() -> None:
    assert len({BOT, REPLY, OTHER, webhook_author(1), webhook_author(2)}) == 5
