"""A post's topic role in its plan: which posts ping, the exact first message, the 🔔 button."""

from __future__ import annotations

import pytest

from bot.cli.preview import sample_digest
from bot.delivery import compose, plan, target_for
from bot.delivery.roles import (
    allow_role,
    parse_role_custom_id,
    ping_role,
    plan_with_ping,
    role_button,
    role_custom_id,
)
from bot.models import Digest, Subscription
from bot.render import NO_MENTIONS

ROLE = 777000111222333444


def sub(**kw: object) -> Subscription:
    return Subscription(**{"id": 9, "guild_id": 1, "channel_id": 5, "role_id": ROLE, **kw})


@pytest.mark.parametrize(
    ("options", "pings"),
    [
        ({"ping": "always"}, True),
        ({"ping": "score", "ping_min_score": 1003.0}, True),  # the top paper scores 1003
        ({"ping": "score", "ping_min_score": 1003.5}, False),
        ({"ping": "off"}, False),
        ({"ping": "always", "role_id": None}, False),
    ],
)
def test_which_posts_ping(options: dict[str, object], pings: bool) -> None:
    s = sub(**options)
    assert ping_role(s, compose(s, sample_digest())) == (ROLE if pings else None)


def test_an_empty_day_never_pings() -> None:
    s = sub(ping="always", post_empty=True)
    assert ping_role(s, Digest(day=sample_digest().day, source="hotpapers-md")) is None


@pytest.mark.parametrize("fmt", ["compact", "detailed"])
def test_only_the_first_message_mentions_and_allows_the_role(fmt: str) -> None:
    s = sub(format=fmt, ping="always")
    view = compose(s, sample_digest())
    quiet = target_for(s).plan(s, view, candidates=16)
    loud = plan_with_ping(s, view, quiet)
    first, *rest = loud.messages
    before = quiet.messages[0].payload
    assert first.payload == {
        **before,
        "content": f"<@&{ROLE}> {before['content']}",
        "allowed_mentions": {"parse": [], "roles": [str(ROLE)]},
    }
    assert [m.payload for m in rest] == [m.payload for m in quiet.messages[1:]]
    assert all(m.payload["allowed_mentions"] == NO_MENTIONS for m in rest)
    assert [type(s) for s in loud.steps] == [type(s) for s in quiet.steps]
    channel, _ = plan(s, view, candidates=16)  # what /digest preview shows: the same
    assert channel[0] == first.payload
    assert allow_role(ROLE) == {"parse": [], "roles": [str(ROLE)]}


def test_a_post_that_does_not_ping_is_unchanged() -> None:
    s = sub(ping="score", ping_min_score=5000.0)
    view = compose(s, sample_digest())
    quiet = target_for(s).plan(s, view, candidates=16)
    assert plan_with_ping(s, view, quiet) == quiet
    assert all(m.payload["allowed_mentions"] == NO_MENTIONS for m in quiet.messages)


def test_the_role_button() -> None:
    assert role_button(sub(self_roles=False)) is None
    assert role_button(sub(self_roles=True, role_id=None)) is None
    assert role_button(sub(self_roles=True, categories=["cs.CV", "-cs.RO"])) == {
        "type": 2,
        "style": 2,
        "label": "Get cs.CV pings",
        "emoji": {"name": "🔔"},
        "custom_id": "hp:role:9",
    }
    assert role_button(sub(self_roles=True))["label"] == "Get digest pings"  # type: ignore[index]
    many = role_button(sub(self_roles=True, categories=[f"math.A{i}" for i in range(20)]))
    assert many is not None and len(many["label"]) <= 80 and many["label"].endswith("… pings")
    assert role_custom_id(9) == "hp:role:9" and parse_role_custom_id("hp:role:9") == 9
    assert parse_role_custom_id("hp:role:0") is None
    assert parse_role_custom_id("hp:role:9x") is None
    assert parse_role_custom_id("hp:save:9") is None


@pytest.mark.parametrize("fmt", ["compact", "detailed"])
def test_the_button_rides_on_the_first_message(fmt: str) -> None:
    s = sub(format=fmt, self_roles=True)
    view = compose(s, sample_digest())
    messages = target_for(s).plan(s, view, candidates=16).messages
    ids = [
        [c["custom_id"] for row in m.payload.get("components", []) for c in row["components"]]
        for m in messages
    ]
    assert ids[0][-1] == "hp:role:9"
    assert all("hp:role:9" not in i for i in ids[1:])
