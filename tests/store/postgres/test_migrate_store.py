"""`hotpapers migrate-store`: a SQLite store with the bundled sample imported goes into a real
PostgreSQL (tests/pgserver.py) and back, each copy verified by the command's own row-for-row
comparison and again here through `Store`; a filled target is refused, --force replaces it,
and no message shows the URL's password.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.sources.hotpapers_md import load_path
from bot.store import connect
from bot.store.copy import TABLES
from tests import pgserver
from tests.store.test_copy import SAMPLE, populate, same_reads

pytestmark = pytest.mark.slow


async def _populated(path: Path) -> None:
    store = await connect(path)
    try:
        await populate(store)
        await store.release_lease("poster", "host:1:x")  # the bot was stopped
    finally:
        await store.close()


async def _same(a: str | Path, b: str | Path) -> None:
    first, second = await connect(a), await connect(b)
    try:
        await same_reads(first, second)
    finally:
        await first.close()
        await second.close()


def test_migrate_store_copies_sqlite_to_postgresql_and_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = pgserver.server()
    url = server.url(server.schema("migrate"))
    # A password in the URL (the test server trusts every login) must never be shown.
    secret_url = url.replace("postgres@", "postgres:s3cret@")
    original, back = tmp_path / "hp.sqlite3", tmp_path / "back.sqlite3"
    asyncio.run(_populated(original))

    assert main(["migrate-store", "--from", str(original), "--to", secret_url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"copied {original} → postgresql://127.0.0.1:{server.port}"
    assert out[-1].startswith("verified: all ") and out[-1].endswith(
        f" rows of {len(TABLES)} tables are identical in both stores"
    )
    assert any(line.split()[:1] == ["digest_entries"] for line in out)
    assert "s3cret" not in "\n".join(out)
    asyncio.run(_same(original, url))
    # The other commands read it too: preview from the PostgreSQL copy.
    assert main(["preview", "--db", secret_url, "--date", "2021-03-12", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["date"] == "2021-03-12" and len(shown["papers"]) == len(load_path(SAMPLE).papers)

    assert main(["migrate-store", "--from", secret_url, "--to", str(back)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("verified: all ")
    asyncio.run(_same(original, back))

    # Again into the filled database: refused in one line, then replaced with --force.
    assert main(["migrate-store", "--from", str(back), "--to", secret_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hotpapers migrate-store: error: the target store is not empty (")
    assert "s3cret" not in err
    assert main(["migrate-store", "--from", str(back), "--to", secret_url, "--force"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("verified: all ")


def test_an_unreachable_database_is_one_line_without_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = tmp_path / "hp.sqlite3"
    asyncio.run(_populated(original))
    port = pgserver._free_port()
    url = f"postgresql://bot:s3cret@127.0.0.1:{port}/hp"
    assert main(["migrate-store", "--from", str(original), "--to", url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"hotpapers migrate-store: error: store postgresql://127.0.0.1:{port}: "
        "the database server cannot be reached"
    ]
