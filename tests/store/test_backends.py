"""Choosing a backend by location: a path is SQLite, a URL names its backend, nothing else opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.store import BACKENDS, SqliteStore, open_store
from bot.store.backends import split


def test_a_path_is_sqlite_and_a_sqlite_url_is_its_path() -> None:
    assert split("hotpapers.sqlite3") == ("sqlite", "hotpapers.sqlite3")
    assert split(":memory:") == ("sqlite", ":memory:")
    assert split("sqlite:///var/lib/hp.db") == ("sqlite", "/var/lib/hp.db")
    assert split("SQLITE://rel.db") == ("sqlite", "rel.db")
    assert list(BACKENDS) == ["sqlite", "postgresql", "postgres"]


def test_a_postgresql_url_is_handed_whole_to_its_backend() -> None:
    url = "postgresql://bot:s3cret@db.example:5433/hp?sslmode=require"
    assert split(url) == ("postgresql", url)
    assert split("POSTGRES://db.example/hp") == ("postgres", "POSTGRES://db.example/hp")


def test_an_unknown_scheme_is_refused_without_showing_the_rest_of_the_url() -> None:
    with pytest.raises(StoreError) as caught:
        split("mysql://bot:s3cret@db.example/hp")
    message = str(caught.value)
    assert message == (
        "no store backend for `mysql://` locations "
        "(known: sqlite://, postgresql://, postgres:// or a path)"
    )
    assert "s3cret" not in message


async def test_open_store_opens_a_path_and_a_url_to_the_same_database(tmp_path: Path) -> None:
    path = tmp_path / "hp.sqlite3"
    async with open_store(path) as store:
        assert isinstance(store, SqliteStore)
        assert await store.list_subscriptions() == []
    async with open_store(f"sqlite://{path}") as store:
        assert isinstance(store, SqliteStore)
    assert path.exists()
