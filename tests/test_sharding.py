"""`bot.sharding` (which guilds a process serves, the lease per shard) and the `[discord]`
shard settings: ids within the count, none twice, none without a count (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import parse_config
from bot.errors import ConfigError
from bot.sharding import POSTER, Shards, lease_name, shard_of


def test_the_formula_is_discords() -> None:
    """developers/events/gateway.mdx: `shard_id = (guild_id >> 22) % num_shards`."""
    guild = 81_384_788_765_712_384  # any snowflake
    assert shard_of(guild, 1) == 0
    assert shard_of(guild, 4) == (guild >> 22) % 4
    assert shard_of(guild | 0x3FFFFF, 4) == shard_of(guild, 4)  # the low 22 bits do not count


def test_a_process_serves_its_shards_guilds_and_holds_their_leases() -> None:
    guilds = [(i << 22) | 5 for i in range(8)]
    one = Shards.of(4, [3, 1])
    assert one.ids == (1, 3) and one.sharded
    assert [g >> 22 for g in guilds if one.owns(g)] == [1, 3, 5, 7]
    assert one.lease_names() == (lease_name(1, 4), lease_name(3, 4))
    assert lease_name(1, 4) == "poster:shard-1-of-4" != lease_name(1, 2)
    assert Shards.of(2, None).ids == (0, 1)  # all shards by default
    plain = Shards.of(None, None)
    assert not plain.sharded and all(plain.owns(g) for g in guilds)
    assert plain.lease_names() == (POSTER,) and plain.describe() == "unsharded"
    assert one.describe() == "shards 1, 3 of 4"


def discord(**values: Any) -> Any:
    return parse_config({"discord": values}, env={}).discord


def test_the_default_is_one_unsharded_process_with_the_whole_budget() -> None:
    d = discord()
    assert (d.shard_count, d.shard_ids, d.global_rate_share, d.rate_share) == (
        None,
        None,
        None,
        1.0,
    )
    d = discord(shard_count=4, shard_ids=[2, 0], global_rate_share=0.5)
    assert (d.shard_count, d.shard_ids, d.global_rate_share) == (4, [0, 2], 0.5)


@pytest.mark.parametrize(
    ("values", "share"),
    [
        ({"shard_count": 2, "shard_ids": [1]}, 0.5),
        ({"shard_count": 4, "shard_ids": [0, 3, 2]}, 0.75),
        ({"shard_count": 4}, 1.0),  # one process running every shard
        ({"shard_count": 2, "shard_ids": [1], "global_rate_share": 1.0}, 1.0),  # behind a proxy
    ],
    ids=str,
)
def test_the_default_share_is_the_shards_this_process_runs(
    values: dict[str, Any], share: float
) -> None:
    """Two processes left at the default paced ~96/s together (the last note); now each takes
    its shards' share of the one global limit unless told otherwise."""
    assert discord(**values).rate_share == share


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ({"shard_ids": [0]}, "needs discord.shard_count"),
        ({"shard_count": 2, "shard_ids": [2]}, r"shard ids \[2\] are not within 0..1"),
        ({"shard_count": 2, "shard_ids": [-1, 0]}, r"shard ids \[-1\]"),
        ({"shard_count": 2, "shard_ids": [1, 1]}, "names a shard twice"),
        ({"shard_count": 2, "shard_ids": []}, "at least one shard"),
        ({"shard_count": 0}, "shard_count"),
        ({"global_rate_share": 0}, "global_rate_share"),
        ({"global_rate_share": 1.5}, "global_rate_share"),
    ],
    ids=str,
)
def test_shard_settings_that_cannot_work_are_refused_at_load(
    values: dict[str, Any], why: str
) -> None:
    with pytest.raises(ConfigError, match="invalid config: discord") as err:
        parse_config({"discord": values}, env={})
    assert err.match(why)


def test_personal_digests_go_with_shard_0_where_discord_sends_dms() -> None:
    """gateway.mdx:633: events without a guild (DMs) go to shard 0 only; a personal digest's
    guild id is 0, so the process running shard 0, and only it, posts them."""
    owners = [i for i in range(4) if Shards.of(4, [i]).owns(0)]
    assert owners == [0]
    assert Shards.of(4, [1, 2, 3]).owns(0) is False
    assert Shards().owns(0) is True
