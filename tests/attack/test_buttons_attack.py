# ruff: noqa: F811 - the service fixtures are imported and used by name
"""Attacks on the post buttons, role pings and their answers (issue 14 items 2, 3, 9)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.cli.preview import sample_digest
from bot.delivery.roles import with_ping
from bot.delivery.scan import adopt
from bot.delivery.targets.channel import ChannelTarget
from bot.delivery.wire import BOT, SeenMessage, fingerprint
from bot.limits import dlen
from bot.models import Subscription
from bot.services.favourites import favourites_payload
from bot.services.roles import Click, RoleFacts, RoleService
from bot.store.base import Store
from sandbox.drive.base import SandboxError
from sandbox.drive.users import picked
from tests.services.conftest import (  # noqa: F401 - the fixtures, used by name
    GUILD,
    clock,
    config,
    store,
    subscription,
)

PAPERS = sample_digest().papers
ROLE = 555


def test_server_favourites_of_25_long_entries_are_cut_between_entries_and_counted() -> None:
    """/hot scope:server limit:25 with long titles and author lists: the list was cut at
    4096 characters in the middle of an entry (a half-open link, no "…and N more")."""
    long = [
        PAPERS[n % len(PAPERS)].model_copy(
            update={
                "arxiv_id": f"2103.{10000 + n}",
                "title": f"Paper {n} " + "Attention " * 20,
                "authors": [f"Author Number{k} Surname{k}" for k in range(12)],
            }
        )
        for n in range(25)
    ]
    payload = favourites_payload("Hot Papers 2021-03-12", long, {p.arxiv_id: 3 for p in long})
    description = payload["embeds"][0]["description"]
    assert dlen(description) <= 4096
    *entries, last = description.split("\n")
    shown = len(entries) // 2
    assert 0 < shown < 25 and last == f"…and {25 - shown} more"
    for n in range(shown):
        assert entries[2 * n].startswith(f"**{n + 1}.** [Paper {n} Attention")
        assert entries[2 * n].endswith(f"({long[n].abs_url})")
        assert entries[2 * n + 1].endswith(" · 👍 3 in this server")
    assert (
        payload["content"] == "**👍 This server's favourites** · Hot Papers 2021-03-12 · 25 papers"
    )


async def test_a_managed_role_is_refused_with_the_true_reason(store: Store) -> None:
    """A 🔔 click on a digest whose role is an integration's (a booster role, a bot's role;
    below the bot or not) was answered "it is not below my highest role": untrue, and moving
    the bot's role would not help."""
    sub = await store.upsert_subscription(
        subscription(id=None, role_id=ROLE, self_roles=True, ping="always")
    )
    facts = RoleFacts(ROLE, "Nitro Booster", managed=True, below_bot=True, bot_manage_roles=True)
    click = Click(sub.id or 0, GUILD, has=lambda _: False, role=lambda _: facts)
    toggle = await RoleService(store).toggle(click)
    assert (toggle.action, toggle.text) == (
        "none",
        f"I cannot give <@&{ROLE}>: it belongs to an integration, and nobody can give it. "
        "Ask a moderator to pick another role for this digest.",
    )


SELECT_MENU = {
    "type": 3,
    "custom_id": "hp:vote",
    "min_values": 1,
    "max_values": 1,
    "options": [{"label": "1. A", "value": "2103.06874"}, {"label": "2. B", "value": "2103.06484"}],
}


@pytest.mark.parametrize(
    ("component", "kind", "values", "says"),
    [
        (SELECT_MENU, 3, ["2401.00001"], "has no option"),  # a stored paper not on the post
        (SELECT_MENU, 3, ["2103.06874", "2103.06484"], "takes 1 to 1"),
        (SELECT_MENU, 3, [], "takes 1 to 1"),
        (SELECT_MENU, 2, None, "is of type 3, not 2"),  # a select clicked as a button
        ({"type": 2, "custom_id": "hp:save:1"}, 2, ["x"], "has no values"),
        ({"type": 2, "custom_id": "hp:save:1", "disabled": True}, 2, None, "is disabled"),
    ],
)
def test_the_sandbox_sends_only_clicks_a_member_could_make(
    component: dict[str, Any], kind: int, values: list[str] | None, says: str
) -> None:
    """The sandbox let a test pick a select value that is not among its options (or click a
    select as a button, a disabled button, a button with values): Discord's client sends only
    the options shown, so a bot tested that way was tested against a laxer Discord."""
    with pytest.raises(SandboxError, match=says):
        picked(component, kind, values)
    picked(SELECT_MENU, 3, ["2103.06484"])  # what a member can pick is sent


@pytest.mark.parametrize("posted_pinged", [True, False])
def test_a_resumed_post_adopts_its_first_message_whether_or_not_it_pinged(
    posted_pinged: bool,
) -> None:
    """ping:score decides the mention from the papers' scores, which can change between a
    crash after the first message and the resume (a 👍 vote with server_votes lifts a paper
    over ping_min_score, or a withdrawn one drops it): the read-back first message then
    differed from the step only by the mention, was not adopted (the sandbox, as Discord,
    echoes no nonce on a read), and the post's first message went out a second time."""
    view = sample_digest()
    sub = Subscription(guild_id=1, channel_id=2, id=3, role_id=ROLE, ping="always")
    plain = ChannelTarget().plan(sub, view, candidates=len(view.papers))
    pinged = with_ping(plain, ROLE)
    assert pinged.messages[0].payload["content"].startswith(f"<@&{ROLE}> **")
    sent, step = (pinged, plain) if posted_pinged else (plain, pinged)
    seen = SeenMessage(900, None, fingerprint(sent.messages[0].payload), BOT)
    assert adopt([seen], step.messages[0], "n" * 25, used=set(), after=None) == 900
