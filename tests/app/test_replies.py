"""What users are told must be true: each symptom of issue 11 item 7 (and issue 10 item 12's
command side) reproduced through the sandbox with the real bot, with the exact reply expected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import discord
import httpx
import pytest

from bot.app.bot import HotPapersBot
from bot.cli.preview import sample_digest
from bot.models import PostRecord
from bot.sources.base import SourceFactory
from bot.store import open_store
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.state import EPHEMERAL, Guild
from tests.app.conftest import MANAGE_GUILD, FakeClock, make_config, running_app

EPOCH_0312 = int(datetime(2021, 3, 12, 9, 0, tzinfo=UTC).timestamp())


@pytest.fixture
async def world(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> AsyncIterator[tuple[Sandbox, Guild, HotPapersBot]]:
    guild = await sandbox.control.add_guild("Lab", channels=["general", "papers"])
    async with running_app(sandbox, store, clock) as bot:
        yield sandbox, guild, bot


def channel(guild: Guild, name: str) -> int:
    return next(c.id for c in guild.channels.values() if c.name == name)


async def subscribe(sandbox: Sandbox, channel_id: int, **options: object) -> str:
    r = await sandbox.control.invoke(
        "digest subscribe", {"channel": channel_id, **options}, permissions=MANAGE_GUILD
    )
    assert r.status == "answered" and r.ephemeral, r.content
    return r.content


# --- transformer errors and channel mentions ---


async def test_a_channel_the_bot_cannot_see_is_a_plain_sentence_not_a_repr(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    hidden = sandbox.state.add_channel(guild.id, "hidden")  # never announced to the bot
    r = await sandbox.control.invoke(
        "digest subscribe", {"channel": hidden.id}, permissions=MANAGE_GUILD
    )
    assert r.ephemeral
    assert r.content == (
        f"I cannot see <#{hidden.id}>: give me the View Channel permission there, "
        "or pick a text or announcement channel I can see."
    )


async def test_the_bots_own_channel_mentions_are_not_broken(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    papers = channel(guild, "papers")
    r = await sandbox.control.invoke(
        "digest unsubscribe", {"channel": papers}, permissions=MANAGE_GUILD
    )
    assert r.ephemeral
    assert r.content == (
        f"<#{papers}> has no digest subscription. /digest subscribe sets one up; "
        "/digest list shows this server's."
    )


# --- upstream outages ---


@pytest.fixture
async def empty_store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "empty.sqlite3") as s:
        yield s


@pytest.fixture
async def unreachable() -> AsyncIterator[dict[str, object]]:
    """A live source whose host does not resolve: httpx's ConnectError, no network, no retry."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    config = make_config(
        sources={
            "hotpapers-md": {"url_template": "https://posts.example/{date}.md"},
            "max_retries": 0,
        }
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        yield {"config": config, "factory": SourceFactory(config.sources, client)}


async def test_an_outage_is_never_called_no_digest_yet_nor_shown_raw(
    sandbox: Sandbox, empty_store: Store, clock: FakeClock, unreachable: dict[str, object]
) -> None:
    await sandbox.control.add_guild("Lab", channels=["general"])
    earlier = datetime(2021, 3, 10, 9, 0, tzinfo=UTC)
    await empty_store.record_source_health("hotpapers-md", ok=True, at=earlier)
    async with running_app(sandbox, empty_store, clock, **unreachable):  # type: ignore[arg-type]
        since, tried = int(earlier.timestamp()), int(clock.now.timestamp())
        for options, first in [
            ({}, "The Hot Papers posts cannot be reached right now."),
            ({"date": "2021-03-12"}, "The Hot Papers posts could not be reached (1 attempt)."),
        ]:
            r = await sandbox.control.invoke("hot", options)
            assert r.status == "answered" and r.ephemeral, r.content
            assert r.content == (
                f"{first} No answer since <t:{since}:f> (last tried <t:{tried}:R>). "
                "Please try again later."
            ), options
            assert "ConnectError" not in r.content and "127.0.0.1" not in r.content


async def test_an_outage_after_a_public_defer_is_told_privately(
    sandbox: Sandbox,
    empty_store: Store,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    unreachable: dict[str, object],
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["general"])
    general = channel(guild, "general")
    monkeypatch.setattr("bot.app.replies.DEFER_AFTER", 0.0)
    async with running_app(sandbox, empty_store, clock, **unreachable) as bot:  # type: ignore[arg-type]
        real = bot.digests.hot

        async def after_the_defer(*args, **kwargs):  # type: ignore[no-untyped-def]
            # Deterministic: wait until the public "thinking…" message exists.
            while not any(i.response_type == 5 for i in sandbox.interactions.by_id.values()):
                await asyncio.sleep(0.01)
            return await real(*args, **kwargs)

        monkeypatch.setattr(bot.digests, "hot", after_the_defer)
        r = await sandbox.control.invoke("hot", {"date": "2021-03-12"})
        assert r.response_type == 5
        assert r.original is None  # the public "thinking…" message was removed
        (reply,) = r.followups
        assert reply["flags"] & EPHEMERAL
        assert reply["content"].startswith("The Hot Papers posts could not be reached")
        public = sandbox.control.messages(general, include_ephemeral=False)
        assert public == []


# --- empty days and post-now ----------------------------------------------------------------------


async def test_a_day_emptied_by_the_channels_filters_is_not_blamed_on_the_source(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    papers = channel(guild, "papers")
    await subscribe(sandbox, papers, categories="math.AG")
    r = await sandbox.control.invoke(
        "digest post-now", {"channel": papers}, permissions=MANAGE_GUILD
    )
    (notice,) = sandbox.control.messages(papers)
    assert "the source had none that day" not in notice["content"]
    assert "this channel's filters removed all 16 papers" in notice["content"]
    link = f"https://discord.com/channels/{guild.id}/{papers}/{notice['id']}"
    assert r.content == (
        f"Posted the empty-day notice of 2021-03-12 to <#{papers}> ({link}): "
        "this channel's filters removed all 16 papers."
    )


async def test_post_now_that_posted_nothing_says_so(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    papers = channel(guild, "papers")
    await subscribe(sandbox, papers, categories="math.AG", post_empty=False)
    r = await sandbox.control.invoke(
        "digest post-now", {"channel": papers}, permissions=MANAGE_GUILD
    )
    assert sandbox.control.messages(papers) == []
    assert r.content == (
        f"Nothing was posted to <#{papers}> for 2021-03-12: this channel's filters removed "
        "all 16 papers, and empty-day notices are off (post_empty)."
    )


async def test_post_now_already_posted_names_when(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    await subscribe(sandbox, papers)
    await sandbox.control.invoke("digest post-now", {"channel": papers}, permissions=MANAGE_GUILD)
    (first,) = sandbox.control.messages(papers)
    r = await sandbox.control.invoke(
        "digest post-now", {"channel": papers}, permissions=MANAGE_GUILD
    )
    link = f"https://discord.com/channels/{guild.id}/{papers}/{first['id']}"
    when = int(bot.clock().timestamp())
    assert r.content == (
        f"The digest of 2021-03-12 was already posted in <#{papers}> on <t:{when}:f> "
        f"({link}); a day is never posted twice."
    )


async def test_post_now_date_posts_a_missed_day_and_refuses_impossible_ones(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    await subscribe(sandbox, papers)
    older = sample_digest().model_copy(
        update={"day": date(2021, 3, 5), "title": "Hot Papers 2021-03-05"}
    )
    await bot.store.save_digest(older, final=True)
    r = await sandbox.control.invoke(
        "digest post-now", {"channel": papers, "date": "2021-03-05"}, permissions=MANAGE_GUILD
    )
    assert r.content.startswith(f"Posted the digest of 2021-03-05 to <#{papers}>"), r.content
    assert "Hot Papers 2021-03-05" in sandbox.control.messages(papers)[0]["content"]
    for given, text in [
        ("2021-03-04", f"There is no digest of 2021-03-04 to post to <#{papers}>."),
        ("2021-03-13", "2021-03-13 is not complete yet; the latest complete day is 2021-03-12."),
        (
            "0001-01-01",
            "0001-01-01 is outside arXiv's life: pick a day from 1991-08-14 to 2021-03-14.",
        ),
        (
            "9999-12-31",
            "9999-12-31 is outside arXiv's life: pick a day from 1991-08-14 to 2021-03-14.",
        ),
    ]:
        r = await sandbox.control.invoke(
            "digest post-now", {"channel": papers, "date": given}, permissions=MANAGE_GUILD
        )
        assert r.ephemeral and r.content == text, given


# --- next post, history and status ---


async def test_next_post_never_names_a_day_already_posted(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    papers = channel(guild, "papers")
    await subscribe(sandbox, papers, time="23:00")  # next slot 03-13 23:00 posts 03-12
    await sandbox.control.invoke("digest post-now", {"channel": papers}, permissions=MANAGE_GUILD)
    r = await sandbox.control.invoke("digest list", permissions=MANAGE_GUILD)
    assert "the digest of 2021-03-12" not in r.content
    assert "the digest of 2021-03-13" in r.content
    r = await sandbox.control.invoke("digest status", permissions=MANAGE_GUILD)
    assert "next: " in r.content and "the digest of 2021-03-13" in r.content


async def record(
    store: Store, channel_id: int, guild_id: int, day: date, status: str, **kw: object
) -> None:
    sub = await store.find_subscription(channel_id, "daily")
    key = sub.id if sub is not None and sub.id is not None else channel_id
    await store.claim_post(
        PostRecord(
            subscription_id=key,
            guild_id=guild_id,
            channel_id=channel_id,
            day=day,
            source="hotpapers-md",
            nonce="n" * 25,
            created_at=datetime(2021, 3, 1, tzinfo=UTC),
        )
    )
    await store.finish_post(key, day, status=status, **kw)  # type: ignore[arg-type]


async def test_history_and_status_show_every_outcome_of_every_day(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    await subscribe(sandbox, papers, time="09:00")
    sub = await bot.store.find_subscription(papers, "daily")
    await bot.store.upsert_subscription(
        sub.model_copy(update={"created_at": datetime(2021, 3, 1, tzinfo=UTC)})
    )
    store = bot.store
    await record(
        store,
        papers,
        guild.id,
        date(2021, 3, 11),
        "empty",
        error="this channel's filters removed all 12 papers",
    )
    await record(
        store,
        papers,
        guild.id,
        date(2021, 3, 10),
        "failed",
        error="403 Forbidden: Missing Permissions",
    )
    await record(
        store,
        papers,
        guild.id,
        date(2021, 3, 9),
        "missed",
        error="the bot was down until 2021-03-10 12:00 UTC",
    )
    r = await sandbox.control.invoke("history", {"days": 5}, channel_id=papers)
    lines = r.content.splitlines()
    assert lines[0] == f"**Every day of the last 5 days in <#{papers}>**"
    assert lines[1:] == [
        "• 2021-03-13 · not yet due (<t:1615712400:R>)",
        "• 2021-03-12 · due: posting shortly",
        "• 2021-03-11 · ∅ empty — this channel's filters removed all 12 papers",
        "• 2021-03-10 · ⚠️ failed — 403 Forbidden: Missing Permissions",
        "• 2021-03-09 · ⏸ missed — the bot was down until 2021-03-10 12:00 UTC",
    ], r.content
    r = await sandbox.control.invoke("digest status", permissions=MANAGE_GUILD)
    assert "∅ empty — this channel's filters removed all 12 papers" in r.content
    assert "⏸ missed — the bot was down until" in r.content
    assert "⚠️ failed — 403 Forbidden" in r.content


# --- limits and escaping ---


async def test_a_none_match_reply_escapes_the_digest_title(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, bot = world
    evil = sample_digest().model_copy(
        update={"day": date(2021, 3, 6), "title": "[click](https://evil.example) <@&1> @everyone"}
    )
    await bot.store.save_digest(evil, final=True)
    r = await sandbox.control.invoke("hot", {"category": "math.AG", "date": "2021-03-06"})
    assert "[click](https://evil.example)" not in r.content
    assert "<@&1>" not in r.content and "@everyone" not in r.content
    assert r.content.startswith("None of the 16 hot papers of \\[click\\]")


async def test_a_reply_that_would_exceed_2000_characters_is_cut_and_the_change_saved(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    for i in range(60):
        await sandbox.control.add_channel(guild.id, f"papers-with-a-rather-long-name-{i:02d}")
    for c in list(guild.channels.values()):
        await subscribe(
            sandbox,
            c.id,
            categories="cs.CV, cs.CL, cs.LG, cs.AI, -cs.RO",
            keywords="diffusion, transformer, vision",
        )
    assert len(await bot.store.list_subscriptions()) == 62  # every change saved and answered
    r = await sandbox.control.invoke("digest list", permissions=MANAGE_GUILD)
    assert r.status == "answered" and len(r.content) <= 2000
    assert r.content.rstrip().endswith("more.") and "… and " in r.content
    r = await sandbox.control.invoke("digest status", permissions=MANAGE_GUILD)
    assert r.status == "answered" and len(r.content) <= 2000 and "… and " in r.content


# --- dates ---


@pytest.mark.parametrize(
    ("given", "window"),
    [("0001-01-01", "week"), ("9999-12-31", "day"), ("1991-08-13", "day"), ("2021-03-15", "day")],
)
async def test_hot_dates_outside_arxivs_life_are_a_user_error(world, given, window) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    r = await sandbox.control.invoke("hot", {"date": given, "window": window})
    assert r.ephemeral
    assert r.content == (
        f"{given} is outside arXiv's life: pick a day from 1991-08-14 to 2021-03-14."
    )


# --- cooldowns ---


async def test_a_member_hammering_paper_gets_a_private_try_again(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, _ = world
    contents = []
    for _ in range(6):
        r = await sandbox.control.invoke("paper", {"id": "2103.06874"})
        contents.append((r.ephemeral, r.content))
    assert all(not eph for eph, _ in contents[:5])
    eph, text = contents[5]
    assert eph and text.startswith("Slow down: you can use /paper again in ")
    assert text.endswith(" s.")


# --- where /digest subscribe may run ---


async def test_subscribe_inside_a_thread_is_refused_with_what_to_do(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    thread = sandbox.state.add_channel(guild.id, "a thread", type=11, parent_id=papers)
    thread.owner_id = sandbox.state.bot_user.id
    r = await sandbox.control.invoke(
        "digest subscribe", channel_id=thread.id, permissions=MANAGE_GUILD
    )
    assert r.ephemeral
    assert r.content == (
        "A digest cannot be posted inside a thread (Discord allows no thread in a thread). "
        f"Run /digest subscribe in the parent channel <#{papers}>, or pick a channel with "
        "the channel option."
    )
    assert await bot.store.list_subscriptions() == []


@pytest.mark.parametrize(
    ("kind", "extra", "text"),
    [
        (
            discord.VoiceChannel,
            {"type": 2, "bitrate": 64000, "user_limit": 0, "rtc_region": None},
            "A digest cannot be posted in a voice or stage channel's chat. Pick a text or "
            "announcement channel with the channel option.",
        ),
        (
            discord.StageChannel,
            {"type": 13, "bitrate": 64000, "user_limit": 0, "rtc_region": None},
            "A digest cannot be posted in a voice or stage channel's chat. Pick a text or "
            "announcement channel with the channel option.",
        ),
        (
            discord.ForumChannel,
            {"type": 15, "available_tags": []},
            "Forum and media channels cannot take a digest yet. Pick a text or announcement "
            "channel with the channel option.",
        ),
    ],
)
async def test_subscribe_where_no_digest_can_go_is_refused(world, kind, extra, text) -> None:  # type: ignore[no-untyped-def]
    # The sandbox's voice channels lack fields discord.py needs (it drops the interaction), so
    # the refusal is checked on the channel objects discord.py would build for them.
    from bot.app.cogs.digest import refuse_here

    _, guild, bot = world
    data = {
        "id": "42",
        "guild_id": str(guild.id),
        "name": "x",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        **extra,
    }
    made = kind(state=bot._connection, guild=bot.get_guild(guild.id), data=data)
    assert refuse_here(made, 42) == text
    assert refuse_here(bot.get_channel(channel(guild, "papers")), 1) is None


async def test_hot_and_paper_work_everywhere_history_and_digest_only_in_servers(world) -> None:  # type: ignore[no-untyped-def]
    # The choice as synced (contexts and integration types); tests/app/test_user_install.py
    # runs the commands in each place.
    sandbox, _, _ = world
    synced = {c["name"]: c for c in sandbox.control.commands()}
    for name in ("hot", "paper"):
        assert sorted(synced[name]["contexts"]) == [0, 1, 2], name
        assert sorted(synced[name]["integration_types"]) == [0, 1], name
    for name in ("history", "digest"):
        assert synced[name]["contexts"] == [0], name
        assert synced[name]["integration_types"] == [0], name


@pytest.mark.parametrize("here", [True, False])
@pytest.mark.parametrize(
    ("fmt", "missing"),
    [
        ("compact", "Read Message History"),
        ("detailed", "Read Message History, Create Public Threads, Send Messages in Threads"),
    ],
)
async def test_subscribe_checks_every_permission_a_post_needs(
    sandbox: Sandbox, store: Store, clock: FakeClock, here: bool, fmt: str, missing: str
) -> None:
    view, send, embed = 1 << 10, 1 << 11, 1 << 14
    guild = await sandbox.control.add_guild(
        "Lab", channels=["general", "papers"], everyone_permissions=view | send | embed
    )
    papers = channel(guild, "papers")
    async with running_app(sandbox, store, clock) as bot:
        options: dict[str, object] = {"format": fmt} if here else {"channel": papers, "format": fmt}
        r = await sandbox.control.invoke(
            "digest subscribe",
            options,
            channel_id=papers if here else channel(guild, "general"),
            permissions=MANAGE_GUILD,
        )
        assert r.ephemeral
        assert r.content == (
            f"I cannot post in <#{papers}>: I am missing {missing}. "
            "Give me those permissions there and subscribe again."
        )
        assert await bot.store.list_subscriptions() == []


async def test_subscribe_with_the_longest_settings_answers_within_limits_saying_what_was_saved(
    world: tuple[Sandbox, Guild, HotPapersBot],
) -> None:
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    from bot.taxonomy import load

    chosen = list(load().categories)[:120]
    categories = ", ".join(chosen)
    keywords = ", ".join(f"{i:02d}" + "k" * 58 for i in range(20))
    content = await subscribe(sandbox, papers, categories=categories, keywords=keywords)
    assert len(content) <= 2000
    assert content.startswith(f"Subscribed <#{papers}>: every day at 09:00 UTC.")
    assert ", ".join(chosen[:6]) + " +114" in content
    assert "keywords: " + "00" + "k" * 58 in content and "+16" in content
    sub = await bot.store.find_subscription(papers, "daily")
    assert sub is not None and len(sub.categories) == 120 and len(sub.keywords) == 20


async def test_hot_says_when_it_shows_an_older_day_because_the_source_is_down(
    sandbox: Sandbox, store: Store, clock: FakeClock, unreachable: dict[str, object]
) -> None:
    await sandbox.control.add_guild("Lab", channels=["general"])
    clock.set(datetime(2021, 3, 15, 9, 0, tzinfo=UTC))  # 03-14 is due; only 03-12 is stored
    async with running_app(sandbox, store, clock, **unreachable):  # type: ignore[arg-type]
        r = await sandbox.control.invoke("hot")
    assert r.status == "answered" and not r.ephemeral
    first, header = r.content.split("\n", 1)
    assert first == (
        "-# The Hot Papers posts cannot be reached right now, so this is the latest stored day, "
        "not 2021-03-14."
    )
    assert "Hot Papers 2021-03-12" in header


async def test_hot_and_paper_answer_in_dms_and_user_installs_history_does_not(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, _ = world
    tester = next(m.user.id for m in guild.members.values() if m.user.username == "tester")
    sandbox.control.install_app(tester)  # a private channel is reached by a user install only
    for context in ("dm", "private"):
        r = await sandbox.control.invoke("hot", {"category": "cs.CV"}, context=context)
        assert r.status == "answered" and "cs.CV" in r.content, (context, r)
        r = await sandbox.control.invoke("paper", {"id": "2103.06874"}, context=context)
        assert r.status == "answered" and "CANINE" in r.embeds[0]["title"], (context, r)
        assert "posted in this server" not in r.content
        for command in ("history", "digest status"):
            r = await sandbox.control.invoke(command, context=context)
            assert r.status == "unavailable", (context, command, r.status)


async def test_subscribe_sees_a_channel_overwrite_that_takes_a_permission(world) -> None:  # type: ignore[no-untyped-def]
    sandbox, guild, bot = world
    papers = channel(guild, "papers")
    threads = (1 << 35) | (1 << 38)  # Create Public Threads, Send Messages in Threads
    await sandbox.control.set_overwrite(papers, sandbox.state.bot_user.id, deny=threads)
    for where in (papers, channel(guild, "general")):  # in the channel, and by the option
        r = await sandbox.control.invoke(
            "digest subscribe",
            {"channel": papers, "format": "detailed"},
            channel_id=where,
            permissions=MANAGE_GUILD,
        )
        assert r.content == (
            f"I cannot post in <#{papers}>: I am missing Create Public Threads, Send Messages "
            "in Threads. Give me those permissions there and subscribe again."
        ), where
    assert await bot.store.list_subscriptions() == []
    await subscribe(sandbox, papers, format="compact")  # compact needs no thread


@pytest.mark.parametrize("kind", [2, 13], ids=["voice", "stage"])
async def test_subscribe_in_a_voice_or_stage_chat_is_refused_end_to_end(world, kind) -> None:  # type: ignore[no-untyped-def]
    """The sandbox now sends voice/stage channels with the fields discord.py needs
    (bitrate, user_limit, rtc_region), so the refusal is proven through the real client."""
    sandbox, guild, bot = world
    chat = sandbox.state.add_channel(guild.id, "lounge", type=kind)
    r = await sandbox.control.invoke(
        "digest subscribe", channel_id=chat.id, permissions=MANAGE_GUILD
    )
    assert r.status == "answered" and r.ephemeral
    assert r.content == (
        "A digest cannot be posted in a voice or stage channel's chat. Pick a text or "
        "announcement channel with the channel option."
    )
    assert await bot.store.list_subscriptions() == []
