"""Two sharded bots on one store, end to end (issue 15): each answers and posts for its shards.

Two `ShardedHotPapersBot`s (discord.py's `AutoShardedBot`) in this process stand for two
`hotpapers run` processes: each has its own store object on one SQLite file, its own poster
leases (`bot.app.shard_lease`) and `[discord] shard_count = 2` with `shard_ids` [0] or [1].
The sandbox routes each guild to its shard's session (`sandbox.shards`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.app.bot import HotPapersBot, ShardedHotPapersBot
from bot.app.observing import gateway_part
from bot.app.shard_lease import ShardLeases
from bot.sharding import Shards, lease_name, shard_of
from bot.store import open_store
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import MANAGE_GUILD, FakeClock, make_config, running_app


def sharded(shard_id: int) -> Any:
    return make_config(discord={"shard_count": 2, "shard_ids": [shard_id]})


@contextlib.asynccontextmanager
async def two_bots(
    sandbox: Sandbox, store: Store, clock: FakeClock, db: Path
) -> AsyncIterator[tuple[HotPapersBot, HotPapersBot]]:
    """Bot 0 on shard 0 over `store`, bot 1 on shard 1 over a second store on the same file."""
    async with (
        open_store(db) as other,
        running_app(
            sandbox,
            store,
            clock,
            config=sharded(0),
            lease=ShardLeases(store, Shards.of(2, [0]), clock=clock),
        ) as zero,
        running_app(
            sandbox,
            other,
            clock,
            config=sharded(1),
            lease=ShardLeases(other, Shards.of(2, [1]), clock=clock),
        ) as one,
    ):
        yield zero, one


async def test_each_bot_sees_answers_and_posts_only_for_its_shards_guilds(
    sandbox: Sandbox, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    sandbox.state.settings.identify_window = 0.05  # two processes IDENTIFY one after the other
    guilds = [await sandbox.control.add_guild(f"G{i}", shard=(i, 2)) for i in range(2)]
    channel = [next(iter(g.channels)) for g in guilds]
    assert [shard_of(g.id, 2) for g in guilds] == [0, 1]
    async with two_bots(sandbox, store, clock, tmp_path / "bot.sqlite3") as bots:
        assert all(isinstance(b, ShardedHotPapersBot) for b in bots)
        assert [b.shard_count for b in bots] == [2, 2]
        assert [[g.id for g in b.guilds] for b in bots] == [[guilds[0].id], [guilds[1].id]]
        # /healthz's gateway part sees a sharded bot's sessions (not the unsharded `bot.ws`,
        # which a sharded bot never sets: it once reported every sharded bot disconnected).
        assert [gateway_part(b).ok for b in bots] == [True, True]
        # Both hold their own shard's lease: disjoint shards do not exclude each other.
        assert [await b.lease.holds() for b in bots if b.lease] == [True, True]
        leases = [await store.get_lease(lease_name(i, 2)) for i in range(2)]
        assert [lease.holder if lease else None for lease in leases] == [
            b.lease.holder if b.lease else None for b in bots
        ]
        # A command in each guild is answered (by the one bot that has it: the other never
        # got the interaction, and Discord would give only one of them 3 seconds).
        for cid, guild in zip(channel, guilds, strict=True):
            r = await sandbox.control.invoke(
                "digest subscribe",
                {"channel": cid, "time": "09:30"},
                guild_id=guild.id,
                permissions=MANAGE_GUILD,
            )
            assert r.status == "answered" and r.content.startswith("Subscribed"), r.content
        got = {
            s.shard: [int(e["d"]["guild_id"]) for e in s.backlog if e["t"] == "INTERACTION_CREATE"]
            for s in sandbox.gateway.live_sessions()
        }
        assert got == {(0, 2): [guilds[0].id], (1, 2): [guilds[1].id]}
        # Each scheduler posts only to its shard's guild.
        clock.advance(minutes=30)
        reports = [await b.scheduler.tick() for b in bots]
        assert [r.sent for r in reports] == [1, 1]
        posts = [[m for m in sandbox.control.messages(c) if m.get("nonce")] for c in channel]
        assert [len(p) for p in posts] == [1, 1]
        authors = {m["author"]["id"] for p in posts for m in p}
        assert authors == {str(sandbox.state.bot_user.id)}
        assert [(await b.scheduler.tick()).sent for b in bots] == [0, 0]  # once each


async def test_an_unsharded_bot_is_the_plain_bot_with_the_one_poster_lease(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """No shard settings: a `HotPapersBot` (not auto-sharded), one session for every guild."""
    guilds = [await sandbox.control.add_guild(f"G{i}", shard=(i, 2)) for i in range(2)]
    async with running_app(sandbox, store, clock) as bot:
        assert type(bot) is HotPapersBot
        assert {g.id for g in bot.guilds} == {g.id for g in guilds}
        assert [s.shard for s in sandbox.gateway.live_sessions()] == [(0, 1)]
