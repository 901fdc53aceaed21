"""Boundary tables for every limit in `bot.limits`: at the limit, one below and one above.

Two things are held for each limit. The bot's own check (`payload_violations`) and the
sandbox's validator (Discord's spec plus its documented rules, `sandbox/validation.py`) agree:
both accept the limit and one below, both refuse one above. And what the renderer makes from
inputs of those sizes stays within the limit, which the validator confirms.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from bot import limits
from bot.limits import dlen, embed_size, payload_violations
from bot.models import Digest, Paper, Tweet
from bot.render import pack_embeds, paper_embed, render_digest, render_paper, thread_name
from sandbox.validation import validate_body

MESSAGES = ("POST", "/channels/{channel_id}/messages")
THREAD = ("POST", "/channels/{channel_id}/messages/{message_id}/threads")
Body = dict[str, Any]


def _fields(n: int, name: str = "n", value: str = "v") -> list[dict[str, Any]]:
    return [{"name": name, "value": value} for _ in range(n)]


# limit name -> (the route, a body whose measured size is n)
BODIES: dict[str, tuple[tuple[str, str], Callable[[int], Body]]] = {
    "CONTENT": (MESSAGES, lambda n: {"content": "x" * n}),
    "EMBEDS_PER_MESSAGE": (MESSAGES, lambda n: {"embeds": [{"title": "t"} for _ in range(n)]}),
    "EMBEDS_TOTAL": (
        MESSAGES,
        lambda n: {
            "embeds": [{"description": "d" * (n // 2)}, {"description": "d" * (n - n // 2)}]
        },
    ),
    "EMBED_TITLE": (MESSAGES, lambda n: {"embeds": [{"title": "x" * n}]}),
    "EMBED_DESCRIPTION": (MESSAGES, lambda n: {"embeds": [{"description": "x" * n}]}),
    "EMBED_FIELDS": (MESSAGES, lambda n: {"embeds": [{"fields": _fields(n)}]}),
    "FIELD_NAME": (MESSAGES, lambda n: {"embeds": [{"fields": _fields(1, name="x" * n)}]}),
    "FIELD_VALUE": (MESSAGES, lambda n: {"embeds": [{"fields": _fields(1, value="x" * n)}]}),
    "FOOTER_TEXT": (MESSAGES, lambda n: {"embeds": [{"footer": {"text": "x" * n}}]}),
    "AUTHOR_NAME": (MESSAGES, lambda n: {"embeds": [{"author": {"name": "x" * n}}]}),
    "THREAD_NAME": (THREAD, lambda n: {"name": "x" * n}),
    "NONCE": (MESSAGES, lambda n: {"content": "x", "nonce": "1" * n}),
}
# Limits the bot's own payload check covers (a thread name and a nonce are not message text
# the renderer writes: the publisher builds them, and the sandbox checks them).
CHECKED_BY_THE_BOT = set(BODIES) - {"THREAD_NAME", "NONCE"}
ROWS = [(name, offset) for name in BODIES for offset in (-1, 0, 1)]


def test_every_limit_has_a_row() -> None:
    declared = {k for k, v in vars(limits).items() if k.isupper() and isinstance(v, int)}
    assert declared == set(BODIES)


@pytest.mark.parametrize(("name", "offset"), ROWS, ids=[f"{n}{o:+d}" for n, o in ROWS])
def test_the_bot_and_the_sandbox_agree_at_each_limit(name: str, offset: int) -> None:
    limit = getattr(limits, name)
    (method, path), make = BODIES[name]
    body = make(limit + offset)
    sandbox_problems = validate_body(method, path, body)
    if offset <= 0:
        assert sandbox_problems == [], (name, offset)
    else:
        assert sandbox_problems != [], (name, offset)
    if name in CHECKED_BY_THE_BOT:
        assert (payload_violations(body) == []) == (offset <= 0), payload_violations(body)


def test_payload_violations_names_each_broken_limit() -> None:
    body: Body = {
        "content": "x" * 2001,
        "embeds": [
            {
                "title": "x" * 257,
                "description": "x" * 4097,
                "fields": [*_fields(25), {"name": "x" * 257, "value": "x" * 1025}],
                "footer": {"text": "x" * 2049},
                "author": {"name": "x" * 257},
            },
            *[{"title": "t"} for _ in range(10)],
        ],
    }
    assert payload_violations(body) == [
        "content longer than 2000",
        "more than 10 embeds",
        "more than 6000 characters across embeds",
        "embeds[0].title over 256",
        "embeds[0].description over 4096",
        "embeds[0].fields over 25",
        "embeds[0].footer.text over 2048",
        "embeds[0].author.name over 256",
        "embeds[0].field.name over 256",
        "embeds[0].field.value over 1024",
    ]
    assert payload_violations({}) == ["a message needs content or embeds"]
    assert payload_violations({"content": "x"}) == []
    assert payload_violations({"embeds": [{"title": "t"}]}) == []


def test_embed_size_counts_every_part_the_total_counts() -> None:
    embed = {
        "title": "ab",
        "description": "cde",
        "fields": [{"name": "f", "value": "gh"}, {"name": "ij", "value": "k"}],
        "footer": {"text": "lmno"},
        "author": {"name": "pqrst"},
        "url": "https://not.counted.example",
    }
    assert embed_size(embed) == 2 + 3 + 1 + 2 + 2 + 1 + 4 + 5
    assert embed_size({}) == 0


def test_lengths_are_utf16_units_so_the_bot_is_never_less_strict_than_discord() -> None:
    assert dlen("abc") == 3
    assert dlen("é") == 1
    assert dlen("🚀") == 2
    assert dlen("a🚀b") == 4
    rockets = {"content": "🚀" * 1000}  # 2000 units: within
    assert payload_violations(rockets) == [] and validate_body(*MESSAGES, rockets) == []
    over = {"content": "🚀" * 1001}  # 2002 units: the bot refuses what Discord may count as 1001
    assert payload_violations(over) == ["content longer than 2000"]


# --- what the renderer makes stays within, at each boundary ----------------------------------


def _valid(payload: Body) -> None:
    assert payload_violations(payload) == []
    assert validate_body(*MESSAGES, payload) == []


def _paper(i: int = 1, **kw: Any) -> Paper:
    return Paper(**{"arxiv_id": f"2101.{i:05d}", "title": f"Paper {i}", "score": 100 - i, **kw})


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_an_embed_title_at_the_limit(offset: int) -> None:
    n = limits.EMBED_TITLE + offset
    embed = paper_embed(_paper(title="x" * n))
    expected = "x" * n if n <= limits.EMBED_TITLE else "x" * (limits.EMBED_TITLE - 1) + "…"
    assert embed["title"] == expected
    ranked = paper_embed(_paper(title="x" * n), 12)
    assert dlen(ranked["title"]) <= limits.EMBED_TITLE and ranked["title"].startswith("12. x")
    _valid({"embeds": [embed, ranked]})


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_thread_name_at_the_limit(offset: int) -> None:
    n = limits.THREAD_NAME + offset
    name = thread_name(Digest(day=date(2021, 1, 1), source="s", title="x" * n))
    assert name == ("x" * n if n <= limits.THREAD_NAME else "x" * (limits.THREAD_NAME - 1) + "…")
    assert validate_body(*THREAD, {"name": name}) == []


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_note_at_the_content_limit(offset: int) -> None:
    n = limits.CONTENT + offset
    payload = render_paper(_paper(), note="x" * n)
    assert payload["content"] == ("x" * n if n <= limits.CONTENT else "x" * 1999 + "…")
    _valid(payload)


@pytest.mark.parametrize("count", [9, 10, 11, 20, 21])
def test_embeds_per_message_at_the_limit(count: int) -> None:
    digest = Digest(day=date(2021, 1, 1), source="s", papers=[_paper(i) for i in range(count)])
    _, *thread = render_digest(digest, "detailed")
    sizes = [len(m["embeds"]) for m in thread]
    assert sizes == [10] * (count // 10) + ([count % 10] if count % 10 else [])
    for m in thread:
        _valid(m)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_embeds_total_at_the_limit(offset: int) -> None:
    # Two embeds whose sizes add up to 6000 + offset: together at or below, apart above.
    first = {"type": "rich", "description": "d" * 3000}
    second = {"type": "rich", "description": "d" * (3000 + offset)}
    packed = pack_embeds([first, second])
    assert [len(g) for g in packed] == ([2] if offset <= 0 else [1, 1])
    for group in packed:
        _valid({"embeds": group})


def test_the_longest_paper_fills_every_field_within_its_limit() -> None:
    paper = _paper(
        title="T" * 5000,
        authors=[f"Author {n}" for n in range(500)],
        categories=["cs.LG"] * 300,
        abstract="word " * 3000,
        tweets=[Tweet(author="a" * 500, handle="h" * 300, url="u", text="🚀" * 3000)] * 3,
    )
    for embed in (paper_embed(paper, 1), render_paper(paper)["embeds"][0]):
        assert dlen(embed["title"]) <= limits.EMBED_TITLE
        assert dlen(embed["description"]) <= limits.EMBED_DESCRIPTION
        assert len(embed["fields"]) <= limits.EMBED_FIELDS
        for f in embed["fields"]:
            assert dlen(f["name"]) <= limits.FIELD_NAME
            assert dlen(f["value"]) <= limits.FIELD_VALUE
        assert dlen(embed["footer"]["text"]) <= limits.FOOTER_TEXT
        assert embed_size(embed) <= limits.EMBEDS_TOTAL
        _valid({"embeds": [embed]})
    compact = render_digest(Digest(day=date(2021, 1, 1), source="s", papers=[paper] * 40))
    for m in compact:
        assert dlen(m["embeds"][0]["description"]) <= limits.EMBED_DESCRIPTION
        _valid(m)
