"""Outside attacks on `hotpapers migrate-store` (`bot.store.copy`, issue 15).

Each test is a finding: it failed before its fix.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.sharding import lease_name
from bot.store import connect
from bot.store.copy import copy_store

T0 = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)


async def test_a_copy_refuses_a_store_a_sharded_bot_is_posting_from(tmp_path: Path) -> None:
    """Found: the copy's guard against a running bot read only the lease named `poster`,
    but a sharded bot (`shard_count`, issue 15's processes on one store) holds one lease per
    shard, `poster:shard-0-of-2` and so on, and no `poster` at all: migrate-store copied a
    store while two processes were posting from it (their ledger moving on during the copy),
    where it refuses an unsharded one. Promised: a held, unexpired poster lease of any shard
    refuses the copy without --force, on either end, naming its holder; expired, it does not."""
    source = await connect(tmp_path / "a.sqlite3")
    target = await connect(tmp_path / "b.sqlite3")
    try:
        await source.acquire_lease(lease_name(1, 2), "host:7:x", now=T0, ttl=timedelta(minutes=1))
        with pytest.raises(StoreError, match=r"posting from the source store .*host:7:x"):
            await copy_store(source, target, now=T0 + timedelta(seconds=5))
        with pytest.raises(StoreError, match=r"posting from the target store .*host:7:x"):
            await copy_store(target, source, now=T0 + timedelta(seconds=5))
        report = await copy_store(source, target, now=T0 + timedelta(hours=1))
        assert report.ok
    finally:
        await source.close()
        await target.close()
