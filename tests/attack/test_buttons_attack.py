# ruff: noqa: F811 - the service fixtures are imported and used by name
"""Attacks on the post buttons, role pings and their answers (issue 14 items 2, 3, 9)."""

from __future__ import annotations

from bot.cli.preview import sample_digest
from bot.limits import dlen
from bot.services.favourites import favourites_payload
from bot.services.roles import Click, RoleFacts, RoleService
from bot.store.base import Store
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
