"""Two bot processes on one store, the sandbox sharded in two, SIGKILLs in either (issue 15).

Two `python -m bot run` processes share one store, each configured for one of two shards
(`[discord] shard_count = 2`, `shard_ids = [0]` or `[1]`, `global_rate_share = 0.5`); the
sandbox routes each guild to its shard's session (`sandbox.shards`). 200 channels in four
guilds, two per shard, are all due now (the machinery of `test_crash.py`). At seeded points
(after K messages have reached the sandbox) a seeded choice of process is SIGKILLed and
restarted with the same config, so the restarted process must take over the killed one's
shard lease and finish its posts. Then every channel must hold exactly one digest of its
day, the ledger must say `sent` with that message's id, and each shard's lease must be held
by the process running it last. One trial turns the sandbox's nonce dedup off. Personal
digests (guild 0: DMs, which Discord sends to shard 0, `bot.sharding`) are posted by the
shard-0 process only, exactly once each like the channels'.

The store is PostgreSQL (a server the tests start, tests/pgserver.py; skipped, saying so,
where no PostgreSQL binaries exist) or a SQLite file (WAL: several processes on one machine).
"""

from __future__ import annotations

import asyncio
import functools
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.models import Subscription
from bot.publish import nonce_for
from bot.sharding import lease_name, shard_of
from bot.sources.hotpapers_md import parse_digest
from bot.store import open_store
from sandbox.testing import running_sandbox
from tests import pgserver
from tests.resilience.test_crash import (
    CHANNELS_PER_GUILD,
    GRACE_HOURS,
    PERSONAL,
    STEP_TIMEOUT,
    BotProcess,
    digest_file,
    schedules,
)

pytestmark = pytest.mark.slow

GUILDS = 4  # two on each shard
SHARDS = 2
KILLS = 4


def config_text(api: str, gw: str, db: str, folder: Path, shard: int) -> str:
    where = f'url = "{db}"' if "://" in db else f'path = "{db}"'
    return (
        'log_level = "INFO"\n'
        f'[discord]\napi_base = "{api}"\ngateway_url = "{gw}"\n'
        f"shard_count = {SHARDS}\nshard_ids = [{shard}]\nglobal_rate_share = 0.5\n"
        f"[store]\n{where}\n"
        f'[sources]\ndefault = "hotpapers-md"\n[sources.hotpapers-md]\ndir = "{folder}"\n'
        f"[schedule]\ntick_seconds = 0.2\ncatch_up_hours = {GRACE_HOURS}\n"
    )


async def ledger_done(db: str, expected: dict[int, date]) -> bool:
    """Whether the ledger has every expected (channel, day) as `sent` (read while running)."""
    async with open_store(db) as store:
        posts = await store.list_posts()
    done = {(p.channel_id, p.day) for p in posts if p.status == "sent"}
    return all((c, d) in done for c, d in expected.items())


@pytest.mark.parametrize(
    ("backend", "seed", "nonce_window"),
    [("postgresql", 5, 120.0), ("postgresql", 17, 0.0), ("sqlite", 29, 120.0)],
    ids=str,
)
async def test_sigkill_either_of_two_sharded_processes_leaves_exactly_one_digest_per_channel(
    tmp_path: Path, backend: str, seed: int, nonce_window: float
) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    plan = schedules(now)
    assert len(plan) >= 4, f"too few zones have a due slot at {now}: {plan}"
    zones = sorted(plan)
    folder = tmp_path / "posts"
    folder.mkdir()
    for day in {d for _, d in plan.values()}:
        text = digest_file(day)
        assert parse_digest(text).day == day
        (folder / f"{day.isoformat()}---Hot-Papers.md").write_text(text, encoding="utf-8")
    if backend == "postgresql":
        server = pgserver.server()  # skips, saying why, without PostgreSQL binaries
        db = server.url(server.schema(f"crash{seed}"))
    else:
        db = str(tmp_path / "bot.sqlite3")

    # Two processes start within a second: IDENTIFY concurrency as a bucket per 0.5 s.
    async with running_sandbox(nonce_window=nonce_window, identify_window=0.5) as sandbox:
        expected: dict[int, date] = {}
        shard_of_channel: dict[int, int] = {}
        async with open_store(db) as store:
            for g in range(GUILDS):
                names = [f"papers-{g}-{i:02d}" for i in range(CHANNELS_PER_GUILD)]
                guild = await sandbox.control.add_guild(
                    f"Guild {g}", channels=names, shard=(g % SHARDS, SHARDS)
                )
                for channel in guild.channels.values():
                    zone = zones[len(expected) % len(zones)]
                    at, day = plan[zone]
                    await store.upsert_subscription(
                        Subscription(
                            guild_id=guild.id,
                            channel_id=channel.id,
                            post_time=at,
                            timezone=zone,
                            format="compact",
                            created_at=now - timedelta(days=3),
                        )
                    )
                    expected[channel.id] = day
                    shard_of_channel[channel.id] = shard_of(guild.id, SHARDS)
            # Personal digests in the DMs of members of a guild on shard 1: still shard 0's.
            on_one = next(g for g in sandbox.control.guilds() if shard_of(g.id, SHARDS) == 1)
            for u in range(PERSONAL):
                member = await sandbox.control.add_member(on_one.id, f"reader-{u}")
                dm = sandbox.state.dm_channel(member.user)
                zone = zones[len(expected) % len(zones)]
                at, day = plan[zone]
                await store.upsert_subscription(
                    Subscription(
                        guild_id=0,
                        channel_id=dm.id,
                        user_id=member.user.id,
                        post_time=at,
                        timezone=zone,
                        format="compact",
                        created_at=now - timedelta(days=3),
                    )
                )
                expected[dm.id] = day
                shard_of_channel[dm.id] = shard_of(0, SHARDS)
        total = len(expected)
        assert total >= 200 and set(shard_of_channel.values()) == {0, 1}
        configs = []
        for shard in range(SHARDS):
            path = tmp_path / f"config-{shard}.toml"
            path.write_text(
                config_text(sandbox.api_base, sandbox.gateway_url, db, folder, shard),
                encoding="utf-8",
            )
            configs.append(path)

        def arrived() -> int:
            return sum(len(sandbox.state.channel_messages.get(c, [])) for c in expected)

        def arrived_at_least(k: int) -> bool:
            return arrived() >= k

        # Kill points: after K messages, K ascending and short of the end; a victim for each.
        kill_points = sorted(rng.sample(range(1, total - 40), KILLS))
        victims = [rng.randrange(SHARDS) for _ in kill_points]
        procs = [await BotProcess.start(c) for c in configs]
        restarted: list[int] = []
        try:
            for k, victim in zip(kill_points, victims, strict=True):
                await procs[victim].wait_for_sandbox(
                    sandbox, functools.partial(arrived_at_least, k)
                )
                await procs[victim].kill()
                procs[victim] = await BotProcess.start(configs[victim])
                restarted.append(victim)
            at_last_kill = arrived()
            assert at_last_kill < total, "the fan-out finished before the last kill"

            # The restarted processes take over their shards and finish them.
            def all_posted() -> bool:
                return all(
                    any(f"Hot Papers {d}" in m["content"] for m in sandbox.control.messages(c))
                    for c, d in expected.items()
                )

            def holds_lease(lines: list[str]) -> bool:
                return any("holds the poster leases of shards" in line for line in lines)

            for proc in procs:
                await proc.wait_for_line(holds_lease)  # restarted ones took their shard over
                await proc.wait_for_sandbox(sandbox, all_posted)
            async with asyncio.timeout(STEP_TIMEOUT):
                while not await ledger_done(db, expected):
                    await asyncio.sleep(0.2)
            async with open_store(db) as store:
                holders = [await store.get_lease(lease_name(i, SHARDS)) for i in range(SHARDS)]
            pids = [str(p.proc.pid) for p in procs]
            assert [h.holder.rsplit(":", 2)[1] if h else None for h in holders] == pids
        finally:
            codes = [await p.terminate() for p in procs]
        assert codes == [0, 0], "\n".join(p.log() for p in procs)

        async with open_store(db) as store:
            ledger = {(p.channel_id, p.day): p for p in await store.list_posts()}
            leases = [await store.get_lease(lease_name(i, SHARDS)) for i in range(SHARDS)]
        assert leases == [None, None]  # released on SIGTERM
        me = sandbox.state.bot_user.id
        duplicates: dict[int, int] = {}
        misses: list[int] = []
        strays: list[int] = []
        ledger_wrong: list[str] = []
        for channel_id, day in expected.items():
            mine: list[dict[str, Any]] = [
                m for m in sandbox.control.messages(channel_id) if int(m["author"]["id"]) == me
            ]
            digests = [m for m in mine if f"Hot Papers {day}" in m["content"]]
            strays += [channel_id] * (len(mine) - len(digests))
            if not digests:
                misses.append(channel_id)
            elif len(digests) > 1:
                duplicates[channel_id] = len(digests) - 1
            post = ledger.get((channel_id, day))
            if post is None or post.status != "sent":
                ledger_wrong.append(f"{channel_id}: {post.status if post else 'no row'}")
            elif len(digests) == 1 and post.message_ids != [int(digests[0]["id"])]:
                ledger_wrong.append(f"{channel_id}: ledger {post.message_ids} vs posted")
            if len(digests) == 1 and digests[0].get("nonce") not in (
                None,
                nonce_for(post.subscription_id if post else 0, channel_id, day),
            ):
                ledger_wrong.append(f"{channel_id}: unexpected nonce {digests[0]['nonce']}")
        report = (
            f"{backend}, seed {seed}, nonce window {nonce_window}s, "
            f"{total} channels on {SHARDS} shards, "
            f"kills of shards {victims} after {kill_points} messages ({at_last_kill} before "
            f"the last restart): duplicates={sum(duplicates.values())} {duplicates}, "
            f"misses={len(misses)} {misses[:10]}, strays={len(strays)}, "
            f"ledger problems={len(ledger_wrong)} {ledger_wrong[:10]}"
        )
        print(report)
        assert not duplicates and not misses and not strays and not ledger_wrong, report
        assert sorted(set(restarted)) == sorted(set(victims))
