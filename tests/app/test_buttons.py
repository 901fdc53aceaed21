"""The buttons on posts, end to end through the sandbox with the real bot: a posted digest
carries exactly its components; 🔖 save and 👍 vote answer privately; a repeated click never
adds a second vote; a new bot on the same sandbox and store (a restart) still answers an old
post's buttons; forged ids get a clear private sentence; `/saved`, `/paper` and
`/hot scope:server` say exactly what the store holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app.bot import HotPapersBot
from bot.cli.preview import sample_digest
from bot.delivery.targets.buttons import with_buttons
from bot.models import Subscription
from bot.render import render_digest
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.state import Guild
from tests.app.conftest import MANAGE_GUILD, FakeClock, running_app

PAPERS = sample_digest().papers
FIRST, SECOND = PAPERS[0], PAPERS[1]
SELECT = 3


@pytest.fixture
async def world(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> AsyncIterator[tuple[Sandbox, Guild, HotPapersBot]]:
    guild = await sandbox.control.add_guild("Lab", channels=["general", "papers"])
    async with running_app(sandbox, store, clock) as bot:
        yield sandbox, guild, bot


def channel(guild: Guild, name: str) -> int:
    return next(c.id for c in guild.channels.values() if c.name == name)


async def post(sandbox: Sandbox, guild: Guild, limit: int) -> dict[str, Any]:
    """Subscribe #papers (compact, `limit` papers) and post the sample day now."""
    papers = channel(guild, "papers")
    options = {"channel": papers, "limit": limit, "format": "compact"}
    r = await sandbox.control.invoke("digest subscribe", options, permissions=MANAGE_GUILD)
    assert "Subscribed" in r.content, r.content
    r = await sandbox.control.invoke(
        "digest post-now", {"channel": papers}, permissions=MANAGE_GUILD
    )
    assert "Posted the digest of 2021-03-12" in r.content, r.content
    (message,) = sandbox.control.messages(papers)
    return message


async def click(
    sandbox: Sandbox, message: dict[str, Any], custom_id: str, user: int | None = None, **kw: Any
) -> Any:
    r = await sandbox.control.click(int(message["id"]), custom_id, user_id=user, **kw)
    assert r.status == "answered" and r.ephemeral, (r.status, r.content)
    return r


async def test_a_posted_digest_carries_exactly_its_buttons(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    message = await post(sandbox, guild, limit=3)
    sub = Subscription(guild_id=guild.id, channel_id=channel(guild, "papers"), limit=3)
    view = sample_digest().model_copy(update={"papers": PAPERS[:3]})
    (expected,) = with_buttons(sub, view, render_digest(view, "compact"))
    assert message["components"] == expected["components"]
    assert [[c["custom_id"] for c in row["components"]] for row in message["components"]] == [
        [f"hp:save:{p.arxiv_id}" for p in PAPERS[:3]],
        [f"hp:vote:{p.arxiv_id}" for p in PAPERS[:3]],
    ]


async def test_save_then_save_again_then_remove(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    message = await post(sandbox, guild, limit=3)
    member = await sandbox.control.add_member(guild.id, "ada")
    r = await click(sandbox, message, f"hp:save:{FIRST.arxiv_id}", member.user.id)
    assert r.content == (
        f"🔖 Saved **{FIRST.title}** (arXiv:{FIRST.arxiv_id}) to your list: see /saved."
    )
    (row,) = r.original["components"]
    assert [(c["label"], c["custom_id"]) for c in row["components"]] == [
        ("Remove from my list", f"hp:unsave:{FIRST.arxiv_id}")
    ]
    r = await click(sandbox, message, f"hp:save:{FIRST.arxiv_id}", member.user.id)
    assert r.content == (
        f"🔖 **{FIRST.title}** (arXiv:{FIRST.arxiv_id}) is already in your list (/saved)."
    )
    assert await bot.store.count_saved(member.user.id) == 1
    remove = await sandbox.control.click(
        int(r.original["id"]), f"hp:unsave:{FIRST.arxiv_id}", user_id=member.user.id
    )
    assert remove.ephemeral and remove.content == f"Removed arXiv:{FIRST.arxiv_id} from your list."
    assert await bot.store.count_saved(member.user.id) == 0


async def test_votes_count_once_per_member_and_are_withdrawn_explicitly(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    message = await post(sandbox, guild, limit=3)
    ada = await sandbox.control.add_member(guild.id, "ada")
    bob = await sandbox.control.add_member(guild.id, "bob")
    vote = f"hp:vote:{FIRST.arxiv_id}"
    r = await click(sandbox, message, vote, ada.user.id)
    assert r.content == (
        f"👍 Voted for **{FIRST.title}** (arXiv:{FIRST.arxiv_id}): 1 vote in this server now."
    )
    for _ in range(3):
        r = await click(sandbox, message, vote, ada.user.id)
        assert r.content == (
            f"👍 You already voted for this paper (arXiv:{FIRST.arxiv_id}); a member's vote "
            "counts once. 1 vote in this server."
        )
    r = await click(sandbox, message, vote, bob.user.id)
    assert r.content.endswith("2 votes in this server now.")
    assert await bot.store.vote_counts(guild.id, [FIRST.arxiv_id]) == {FIRST.arxiv_id: 2}
    (row,) = r.original["components"]
    assert row["components"][0]["custom_id"] == f"hp:unvote:{FIRST.arxiv_id}"
    w = await sandbox.control.click(
        int(r.original["id"]), f"hp:unvote:{FIRST.arxiv_id}", user_id=bob.user.id
    )
    assert (
        w.content == f"Your vote for arXiv:{FIRST.arxiv_id} is withdrawn (1 vote in this server)."
    )
    r = await sandbox.control.invoke("paper", {"id": FIRST.arxiv_id})
    assert r.content.endswith("\n👍 1 in this server.")


async def test_a_long_post_has_selects_and_a_pick_saves_and_votes(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    message = await post(sandbox, guild, limit=8)
    save_row, vote_row = message["components"]
    (menu,) = save_row["components"]
    assert (menu["type"], menu["custom_id"]) == (SELECT, "hp:save")
    assert [o["value"] for o in menu["options"]] == [p.arxiv_id for p in PAPERS[:8]]
    assert vote_row["components"][0]["custom_id"] == "hp:vote"
    r = await click(sandbox, message, "hp:save", component_type=SELECT, values=[SECOND.arxiv_id])
    assert r.content.startswith(f"🔖 Saved **{SECOND.title}**")
    r = await click(sandbox, message, "hp:vote", component_type=SELECT, values=[SECOND.arxiv_id])
    assert r.content.startswith(f"👍 Voted for **{SECOND.title}**")
    r = await click(sandbox, message, "hp:vote", component_type=SELECT, values=["0000.00000"])
    assert r.content.startswith("I have no paper arXiv:0000.00000 in my store any more")
    assert await bot.store.vote_counts(guild.id, [p.arxiv_id for p in PAPERS]) == {
        SECOND.arxiv_id: 1
    }


async def test_an_old_posts_buttons_work_after_a_restart(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["general", "papers"])
    async with running_app(sandbox, store, clock):
        message = await post(sandbox, guild, limit=3)
        await click(sandbox, message, f"hp:vote:{FIRST.arxiv_id}")
    async with running_app(sandbox, store, clock):  # a new bot: same sandbox, same store
        r = await click(sandbox, message, f"hp:vote:{FIRST.arxiv_id}")
        assert r.content.startswith("👍 You already voted for this paper")
        r = await click(sandbox, message, f"hp:save:{SECOND.arxiv_id}")
        assert r.content.startswith(f"🔖 Saved **{SECOND.title}**")
    assert await store.vote_counts(guild.id, [FIRST.arxiv_id]) == {FIRST.arxiv_id: 1}


@pytest.mark.parametrize(
    ("custom_id", "says"),
    [
        ("hp:save:garbage!!", "This button is not one I know"),
        ("hp:vote:" + "9" * 92, "This button is not one I know"),  # 100 characters
        ("hp:save:2103.06874:more", "This button is not one I know"),
        ("hp:save:9999.99999", "I have no paper arXiv:9999.99999 in my store any more"),
        ("hp:unvote:9999.99999", "You had not voted for arXiv:9999.99999 in this server."),
    ],
)
async def test_forged_ids_get_a_clear_private_sentence(world, custom_id: str, says: str) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    forged = {
        "content": "an old post",
        "components": [
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "label": "x", "custom_id": custom_id}],
            }
        ],
    }
    from discord.http import Route

    route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel(guild, "papers"))
    message = await bot.http.request(route, json=forged)
    r = await click(sandbox, message, custom_id)
    assert r.content.startswith(says), r.content
    assert await bot.store.vote_counts(guild.id, ["9999.99999"]) == {}


async def test_saved_lists_newest_first_privately_with_a_remove_menu(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    r = await sandbox.control.invoke("saved")
    assert r.ephemeral and r.content == (
        "Your list is empty. Save a paper with the 🔖 button under a digest post; only you "
        "can see your list."
    )
    message = await post(sandbox, guild, limit=3)
    clock = bot.clock
    await click(sandbox, message, f"hp:save:{FIRST.arxiv_id}")
    clock.advance(minutes=1)
    await click(sandbox, message, f"hp:save:{SECOND.arxiv_id}")
    r = await sandbox.control.invoke("saved")
    assert r.ephemeral and r.status == "answered"
    (embed,) = r.embeds
    t0 = int(clock().timestamp())
    assert embed["title"] == "🔖 Your saved papers (2 papers)"
    assert embed["description"] == (
        f"**1.** [{SECOND.title}](https://arxiv.org/abs/{SECOND.arxiv_id}) · saved <t:{t0}:d>\n"
        f"**2.** [{FIRST.title}](https://arxiv.org/abs/{FIRST.arxiv_id}) · saved <t:{t0 - 60}:d>"
    )
    (row,) = r.original["components"]
    (menu,) = row["components"]
    assert menu["custom_id"] == "hp:unsave"
    assert [o["value"] for o in menu["options"]] == [SECOND.arxiv_id, FIRST.arxiv_id]
    removed = await sandbox.control.click(
        int(r.original["id"]), "hp:unsave", component_type=SELECT, values=[SECOND.arxiv_id]
    )
    assert removed.content == f"Removed arXiv:{SECOND.arxiv_id} from your list."
    r = await sandbox.control.invoke("saved")
    assert r.embeds[0]["title"] == "🔖 Your saved papers (1 paper)"
    assert [o["value"] for o in r.original["components"][0]["components"][0]["options"]] == [
        FIRST.arxiv_id
    ]


async def test_hot_scope_server_lists_this_servers_favourites(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    r = await sandbox.control.invoke("hot", {"scope": "server"})
    assert r.content == (
        "No one in this server has voted for a paper of Hot Papers 2021-03-12 (all "
        "categories) yet: vote with the 👍 button under a digest post."
    )
    message = await post(sandbox, guild, limit=3)
    ada = await sandbox.control.add_member(guild.id, "ada")
    await click(sandbox, message, f"hp:vote:{SECOND.arxiv_id}", ada.user.id)
    await click(sandbox, message, f"hp:vote:{SECOND.arxiv_id}")
    await click(sandbox, message, f"hp:vote:{FIRST.arxiv_id}")
    r = await sandbox.control.invoke("hot", {"scope": "server", "window": "week"})
    assert r.status == "answered" and not r.ephemeral
    assert r.content.startswith("**👍 This server's favourites** · ") and r.content.endswith(
        " · 2 papers"
    )
    lines = r.embeds[0]["description"].split("\n")
    assert lines[0].startswith(f"**1.** [{SECOND.title}]")
    assert lines[1].endswith(" · 👍 2 in this server")
    assert lines[2].startswith(f"**2.** [{FIRST.title}]")
    assert lines[3].endswith(" · 👍 1 in this server")
    assert r.embeds[0]["footer"]["text"] == (
        "Ranked by this server's 👍 votes · /paper <id> for details"
    )


async def test_server_votes_rank_a_subscriptions_post(world) -> None:  # type: ignore[no-untyped-def]
    """A digest subscribed with `server_votes` ranks its day with the server's 👍 as one more
    signal: the fifth paper, voted for by three members, leads its one-paper post; a digest
    without the option in the same channel leads with the crowds' first paper."""
    sandbox, guild, bot = world
    message = await post(sandbox, guild, limit=5)
    fifth = PAPERS[4]
    for name in ("ada", "bob", "cy"):
        member = await sandbox.control.add_member(guild.id, name)
        await click(sandbox, message, f"hp:vote:{fifth.arxiv_id}", member.user.id)
    general = channel(guild, "general")
    for name, votes in (("crowds", False), ("voted", True)):
        options = {"channel": general, "name": name, "limit": 1, "server_votes": votes}
        r = await sandbox.control.invoke("digest subscribe", options, permissions=MANAGE_GUILD)
        assert "Subscribed" in r.content, r.content
        r = await sandbox.control.invoke(
            "digest post-now", {"channel": general, "name": name}, permissions=MANAGE_GUILD
        )
        assert "Posted the digest of 2021-03-12" in r.content, r.content
        posted = sandbox.control.messages(general)[-1]
        lead = fifth if votes else FIRST
        assert f"(https://arxiv.org/abs/{lead.arxiv_id})" in posted["embeds"][0]["description"]
        assert posted["components"][0]["components"][0]["custom_id"] == f"hp:save:{lead.arxiv_id}"
    stored = [s for s in await bot.store.list_subscriptions() if s.channel_id == general]
    assert [(s.name, s.server_votes) for s in stored] == [("crowds", False), ("voted", True)]
