"""Outside attacks on the PostgreSQL store (issue 15), run against every backend of the contract.

Each test is a finding: it failed on PostgreSQL before its fix.
"""

from __future__ import annotations

import pytest

from bot.errors import StoreError
from bot.store.postgres import connect as connect_pg
from tests import pgserver
from tests.store import conftest as contract
from tests.store.backends import Backend, digest

backend = contract.backend

NUL = "a\x00b"


async def test_text_with_a_nul_byte_is_stored_on_every_backend(backend: Backend) -> None:
    """Found: PostgreSQL's `text` refuses U+0000 ("invalid byte sequence for encoding UTF8:
    0x00", SQLSTATE 22021), which is no fault, so it escaped the store as a raw asyncpg error:
    one upstream paper with a NUL in its title failed the whole day's digest (and a NUL in an
    upstream error failed `record_source_health`), where SQLite stored both. Promised: text
    with a NUL is stored on every backend and read back with the NUL replaced by U+FFFD at
    worst, never an error."""
    store = await backend.open()
    d = digest("2021-03-12", ["2103.00001"])
    paper = d.papers[0].model_copy(update={"title": f"Title {NUL}", "abstract": NUL})
    d = d.model_copy(update={"papers": [paper], "title": f"Day {NUL}"})
    assert await store.save_digest(d)
    back = await store.get_paper("2103.00001")
    assert back is not None
    assert back.title.replace("\ufffd", "\x00") == f"Title {NUL}"
    assert back.abstract.replace("\ufffd", "\x00") == NUL
    await store.record_source_health("test", ok=False, error=f"upstream said {NUL}")
    (health,) = await store.source_health()
    assert (health.error or "").replace("\ufffd", "\x00") == f"upstream said {NUL}"


@pytest.mark.slow
async def test_a_database_that_cannot_hold_every_character_is_refused_at_open() -> None:
    """Found: a database created with a one-byte encoding (LATIN1: what `initdb` picks under
    a Latin-1 locale, and `CREATE DATABASE … ENCODING` allows) was opened and migrated, and
    then the first title with an emoji or CJK characters failed its digest's save with a raw
    `UntranslatableCharacterError`, a fault of no kind the store maps, deep in a fetch.
    Promised: such a database is refused at open, with one line naming its encoding and the
    fix, before anything is written; a UTF8 database opens as before."""
    server = pgserver.server()
    pgserver.run_sql(
        server.dsn(),
        "CREATE DATABASE latin1_store ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'"
        " TEMPLATE template0",
    )
    try:
        with pytest.raises(StoreError, match=r"encoding is LATIN1.*ENCODING 'UTF8'"):
            await connect_pg(server.dsn("latin1_store"))
    finally:
        pgserver.run_sql(server.dsn(), "DROP DATABASE latin1_store")
    store = await connect_pg(server.url(server.schema("utf8")))
    await store.close()
