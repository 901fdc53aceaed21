"""What only the PostgreSQL backend promises: one-line errors at open that name the store by
scheme and host (never the password), concurrent first opens that migrate once, and faults of
the server mapped to `StoreError` and kept in `write_health()` until writes work again.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import StoreError
from bot.models import Subscription
from bot.store import connect
from bot.store.migrations import available
from bot.store.postgres import connect as connect_pg
from bot.store.postgres.connection import LOCKS, PgBase
from bot.store.urls import shown
from tests import pgserver


def test_a_url_is_shown_by_scheme_and_host_only() -> None:
    assert shown("postgresql://bot:s3cret@db.example:5433/hp?sslmode=require") == (
        "postgresql://db.example:5433"
    )
    assert shown("postgres://db.example/hp") == "postgres://db.example"
    assert shown("postgresql:///hp") == "postgresql://localhost"
    assert shown("hp.sqlite3") == "hp.sqlite3"
    assert shown("postgresql://u:p@[::1:5432/x") == "postgresql://…"  # unparsable: no rest


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    port = pgserver._free_port()
    with pytest.raises(StoreError) as caught:
        await connect(f"postgresql://bot:s3cret@127.0.0.1:{port}/hp")
    assert str(caught.value) == (
        f"store postgresql://127.0.0.1:{port}: the database server cannot be reached"
    )


@pytest.mark.slow
async def test_a_missing_database_or_schema_is_named_in_one_line() -> None:
    server = pgserver.server()
    with pytest.raises(StoreError) as caught:
        await connect(server.dsn("nosuchdb").replace("postgres@", "postgres:s3cret@"))
    assert str(caught.value) == (
        f"store postgresql://127.0.0.1:{server.port}: the database does not exist"
    )
    with pytest.raises(StoreError, match="the schema named by the URL's search_path does not"):
        await connect(server.url("no_such_schema"))


@pytest.mark.slow
async def test_processes_opening_a_new_database_at_once_migrate_it_once() -> None:
    server = pgserver.server()
    url = server.url(server.schema("race"))
    stores = await asyncio.gather(*(connect_pg(url) for _ in range(6)))
    try:
        await stores[0].upsert_subscription(Subscription(guild_id=1, channel_id=1))
        for store in stores:
            assert (await store.counts())["subscriptions"] == 1
        row = await stores[0]._one("SELECT count(*) AS n, max(version) AS v FROM schema_version")
        assert row is not None and (row["n"], row["v"]) == (1, len(available("postgresql")))
    finally:
        for store in stores:
            await store.close()


@pytest.mark.slow
async def test_a_lost_connection_is_a_store_error_kept_in_write_health_until_writes_work() -> None:
    server = pgserver.server()
    schema = server.schema("fault")
    store = await connect(server.url(schema))
    try:
        await store.upsert_subscription(Subscription(guild_id=1, channel_id=1))
        pgserver.run_sql(
            server.dsn(),
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND datname = current_database()"
            " AND backend_type = 'client backend'",
        )
        with pytest.raises(StoreError) as caught:
            await store.set_enabled(1, False)
        assert str(caught.value) in (
            "the database server is shutting down or restarting",
            "the connection to the database was lost",
            "the connection to the database was lost or refused",
        )
        health = store.write_health()
        assert not health.ok and health.reason == str(caught.value) and health.failures == 1
        await store.set_enabled(1, False)  # the pool connects again
        assert store.write_health().ok
        got = await store.get_subscription(1)
        assert got is not None and got.enabled is False
    finally:
        await store.close()


async def _holders(store: PgBase, space: str, name: str) -> int:
    """How many sessions of this database the server counts as holding the advisory lock."""
    row = await store._one(
        "SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
        " WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted"
        " AND l.classid = $1::int::oid AND l.objid = hashtext($2)::oid AND l.objsubid = 2",
        LOCKS[space],
        name,
    )
    assert row is not None
    return int(row["n"])


async def _until_server_frees(store: PgBase, space: str, name: str) -> None:
    """Wait until the server has ended a dead session and freed its advisory lock: it notices
    the closed socket on its own time (under load, after the next query was already sent).
    Bounded, so a lock that is never freed fails the assertion that follows."""
    for _ in range(600):
        if await _holders(store, space, name) == 0:
            return
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_a_session_lock_has_one_holder_and_dies_with_it() -> None:
    """The building block of "one process at a time" (`PgBase._held_lock`)."""
    server = pgserver.server()
    url = server.url(server.schema("lock"))
    first, second = await connect_pg(url), await connect_pg(url)
    try:
        async with first._held_lock("source", "arxiv") as got:
            assert got
            async with second._held_lock("source", "arxiv") as other:
                assert not other
            async with second._held_lock("source", "hf") as other:
                assert other  # another name is another lock
        async with second._held_lock("source", "arxiv") as got:
            assert got  # released at the end of the first block
            assert await _holders(first, "source", "arxiv") == 1
            second._pool.terminate()  # the holder dies without unlocking
        await _until_server_frees(first, "source", "arxiv")
        async with first._held_lock("source", "arxiv") as got:
            assert got
    finally:
        await first.close()
        await second.close()
