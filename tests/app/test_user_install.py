"""Personal use, end to end: `/hot` and `/paper` wherever a user has the app, the server
commands only where the bot is.

The sandbox offers a command only where an installation reaches (sandbox/installs.py): the
bot in the server, or the user's own install (discord-api-docs receiving-and-responding.mdx
:82-85). These run the real bot in each place: a server with the bot, a DM with it, a private
channel and a server without the bot (through the user install only), and refuse what Discord
would not offer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app.bot import HotPapersBot
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.state import Guild
from tests.app.conftest import MANAGE_GUILD, FakeClock, running_app

World = tuple[Sandbox, Guild, Guild, HotPapersBot]

# The commands a user may run anywhere they have the app; every other one is the server's.
ANYWHERE = {"hot", "paper", "search", "me", "saved"}
VIEW = 1 << 10


def id_of_tester(guild: Guild) -> int:
    return next(m.user.id for m in guild.members.values() if m.user.username == "tester")


@pytest.fixture
async def world(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> AsyncIterator[tuple[Sandbox, Guild, Guild, HotPapersBot]]:
    """A server with the bot ("Lab") and one without it ("Elsewhere"), where the same
    "tester"-named members are; the bot running."""
    lab = await sandbox.control.add_guild("Lab", channels=["general"])
    elsewhere = await sandbox.control.add_guild("Elsewhere", channels=["chat"], with_bot=False)
    async with running_app(sandbox, store, clock) as bot:
        yield sandbox, lab, elsewhere, bot


async def test_every_command_but_the_personal_ones_is_synced_for_servers_only(world) -> None:  # type: ignore[no-untyped-def]
    """application-commands.mdx:38: without `integration_types` a command gets the app's
    configured contexts (user installs included): the tree's defaults keep them server-only."""
    sandbox, _, _, _ = world
    synced = {c["name"]: c for c in sandbox.control.commands()}
    for name, command in synced.items():
        if name in ANYWHERE:
            assert command["integration_types"] == [0, 1], name
            assert command["contexts"] == [0, 1, 2], name
        else:
            assert command["integration_types"] == [0], name
            assert command["contexts"] == [0], name
    assert {"hot", "paper", "history", "digest"} <= set(synced)


async def test_hot_and_paper_answer_the_same_in_a_dm_and_through_a_user_install(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, elsewhere, _ = world
    control = sandbox.control
    in_server = await control.invoke("hot", {"category": "cs.CV"})
    assert in_server.status == "answered" and not in_server.ephemeral
    paper = await control.invoke("paper", {"id": "2103.06874"})
    assert paper.status == "answered"

    in_dm = await control.invoke("hot", {"category": "cs.CV"}, context="dm")
    assert (in_dm.content, in_dm.embeds) == (in_server.content, in_server.embeds)
    assert not in_dm.ephemeral

    assert (await control.invoke("hot", guild_id=elsewhere.id)).status == "unavailable"
    control.install_app(id_of_tester(elsewhere))
    there = await control.invoke("hot", {"category": "cs.CV"}, guild_id=elsewhere.id)
    assert there.status == "answered" and not there.ephemeral
    assert (there.content, there.embeds) == (in_server.content, in_server.embeds)
    assert there.original is not None
    assert there.original["channel_id"] == str(next(iter(elsewhere.channels)))
    there = await control.invoke("paper", {"id": "2103.06874"}, guild_id=elsewhere.id)
    assert there.embeds == paper.embeds
    # Nothing was posted in that server by the bot itself: it is not there.
    assert not [r for r in control.requests(method="POST") if "/channels/" in r.path]


async def test_a_user_in_no_server_with_the_bot_reaches_it_only_through_their_install(
    world: World,
) -> None:
    sandbox, _, elsewhere, _ = world
    stranger = id_of_tester(elsewhere)
    for context in ("dm", "private"):
        r = await sandbox.control.invoke("hot", context=context, user_id=stranger)
        assert r.status == "unavailable", context
    sandbox.control.install_app(stranger)
    for context in ("dm", "private"):
        r = await sandbox.control.invoke(
            "hot", {"category": "cs.CV"}, context=context, user_id=stranger
        )
        assert r.status == "answered" and "cs.CV" in r.content, context


@pytest.mark.parametrize("command", ["history", "digest status", "digest list", "digest subscribe"])
async def test_the_server_commands_are_never_offered_through_a_user_install(
    world: World, command: str
) -> None:
    sandbox, _, elsewhere, _ = world
    control = sandbox.control
    control.install_app(id_of_tester(elsewhere))
    r = await control.invoke(command, guild_id=elsewhere.id, permissions=MANAGE_GUILD)
    assert r.status == "unavailable"
    for context in ("dm", "private"):
        assert (await control.invoke(command, context=context)).status == "unavailable"


async def test_hot_answers_privately_where_the_user_may_not_post(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """application.mdx:196: through a user install, "the app won't be able to respond to an
    interaction with a non-ephemeral message" where the user may not send messages; the bot
    answers privately instead of failing."""
    await sandbox.control.add_guild("Lab", channels=["general"])
    quiet = await sandbox.control.add_guild("Quiet", everyone_permissions=VIEW, with_bot=False)
    sandbox.control.install_app(id_of_tester(quiet))
    async with running_app(sandbox, store, clock):
        public = await sandbox.control.invoke("hot", {"category": "cs.CV"})
        r = await sandbox.control.invoke("hot", {"category": "cs.CV"}, guild_id=quiet.id)
    assert r.status == "answered" and r.ephemeral
    assert (r.content, r.embeds) == (public.content, public.embeds)
