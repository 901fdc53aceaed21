"""`/digest why` end to end: the real bot in the sandbox, a digest subscribed and posted by
commands, then asked about a posted paper and about papers each filter left out; privately,
word for word, for moderators only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app.bot import HotPapersBot
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.state import Guild
from tests.app.conftest import MANAGE_GUILD, FakeClock, running_app

EPHEMERAL = 64


@pytest.fixture
async def world(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> AsyncIterator[tuple[Sandbox, Guild, HotPapersBot]]:
    guild = await sandbox.control.add_guild("Lab", channels=["general", "papers"])
    async with running_app(sandbox, store, clock) as bot:
        yield sandbox, guild, bot


def channel(guild: Guild, name: str) -> int:
    return next(c.id for c in guild.channels.values() if c.name == name)


def posts(sandbox: Sandbox, channel_id: int) -> list[dict[str, Any]]:
    """The channel's messages everyone sees (the sandbox lists ephemeral ones too)."""
    return [m for m in sandbox.control.messages(channel_id) if not m["flags"] & EPHEMERAL]


def private(content: str) -> dict[str, Any]:
    """The interaction response's data of a private reply that pings nobody."""
    return {"tts": False, "content": content, "flags": EPHEMERAL, "allowed_mentions": {"parse": []}}


async def test_why_says_posted_with_the_link_or_the_first_reason(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    papers = channel(guild, "papers")
    options = {"categories": "cs.CV", "limit": 3}
    r = await sandbox.control.invoke(
        "digest subscribe", options, channel_id=papers, permissions=MANAGE_GUILD
    )
    assert "Subscribed" in r.content, r.content
    r = await sandbox.control.invoke("digest post-now", channel_id=papers, permissions=MANAGE_GUILD)
    assert "Posted the digest of 2021-03-12" in r.content, r.content
    (post,) = posts(sandbox, papers)
    link = f"https://discord.com/channels/{guild.id}/{papers}/{post['id']}"

    asked = {
        "2103.06422": f"posted in the digest of 2021-03-12: {link}",
        "2103.06874": "not posted in the digest of 2021-03-12: its categories (cs.CL, cs.LG) "
        "are outside the digest's (cs.CV).",
        "https://arxiv.org/abs/2103.06561v1": "not posted in the digest of 2021-03-12: it ranked "
        "4 of the 5 papers that passed the filters, below the cut at 3.",
    }
    titles = {
        "2103.06422": "Holistic 3D Scene Understanding from a Single Image with Implicit "
        "Representation",
        "2103.06874": "CANINE: Pre-training an Efficient Tokenization-Free Encoder for Language "
        "Representation",
        "https://arxiv.org/abs/2103.06561v1": "WenLan: Bridging Vision and Language by "
        "Large-Scale Multi-Modal Pre-Training",
    }
    for paper, line in asked.items():
        r = await sandbox.control.invoke(
            "digest why", {"paper": paper}, channel_id=papers, permissions=MANAGE_GUILD
        )
        arxiv_id = paper.rsplit("/", 1)[-1].removesuffix("v1")
        assert (r.status, r.response_type) == ("answered", 4)  # CHANNEL_MESSAGE_WITH_SOURCE
        assert r.response == private(
            f"**arXiv:{arxiv_id}** · {titles[paper]}\n<#{papers}> **daily**: {line}"
        )

    for paper, line in {
        "2103.06422": "not in the digest of 2021-03-11 (the source did not list it that day); "
        f"it was posted in the digest of 2021-03-12: {link}",
        "2103.06874": "not posted: I have no digest of 2021-03-11 from The Hot Papers posts. "
        "It is listed on 2021-03-12.",
    }.items():
        r = await sandbox.control.invoke(
            "digest why",
            {"paper": paper, "day": "2021-03-11", "channel": papers},
            permissions=MANAGE_GUILD,  # asked from another channel, about this one
        )
        assert r.response == private(
            f"**arXiv:{paper}** · {titles[paper]}\n<#{papers}> **daily**: {line}"
        )
    assert posts(sandbox, papers) == [post]  # asking posts nothing


async def test_why_errors_are_private_sentences(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    general = channel(guild, "general")
    r = await sandbox.control.invoke(
        "digest why", {"paper": "2103.06422"}, channel_id=general, permissions=MANAGE_GUILD
    )
    assert r.response == private(
        f"<#{general}> has no digest subscription. /digest subscribe sets one up; "
        "/digest list shows this server's."
    )
    r = await sandbox.control.invoke(
        "digest why", {"paper": "@everyone"}, channel_id=general, permissions=MANAGE_GUILD
    )
    assert r.ephemeral and r.content.startswith("Not an arXiv id: `@\u200beveryone`")


async def test_why_autocompletes_the_channel_digests_papers(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    papers = channel(guild, "papers")
    await sandbox.control.invoke("digest subscribe", channel_id=papers, permissions=MANAGE_GUILD)
    r = await sandbox.control.autocomplete(
        "digest why", {"paper": "audio"}, "paper", channel_id=papers, permissions=MANAGE_GUILD
    )
    assert r.choices == [
        {
            "name": "2103.06508 — Multi-Format Contrastive Learning of Audio Representations",
            "value": "2103.06508",
        },
        {
            "name": "2103.06695 — BYOL for Audio: Self-Supervised Learning for General-Purpose "
            "Audio Representation",
            "value": "2103.06695",
        },
    ]


async def test_why_is_for_moderators(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    r = await sandbox.control.invoke("digest why", {"paper": "2103.06422"}, permissions=1 << 11)
    assert r.status == "denied"  # Discord's default_member_permissions
    for command in sandbox.state.commands.values():
        if command.name == "digest":
            command.payload["default_member_permissions"] = None
    r = await sandbox.control.invoke("digest why", {"paper": "2103.06422"}, permissions=1 << 11)
    assert r.response == private("You need the Manage Server permission to use this command.")
