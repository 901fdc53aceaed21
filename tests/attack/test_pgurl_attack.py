"""Outside attacks on how a PostgreSQL store URL is shown when opening it fails (issue 15).

No server is needed: each URL fails while asyncpg reads it, before any connection.
"""

from __future__ import annotations

import traceback

import pytest

from bot.errors import StoreError
from bot.store import connect

SECRET = "S3cretPW"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://bot:{SECRET}/x@127.0.0.1:1/hp",  # "/" in the password
        f"postgresql://bot:{SECRET}#x@127.0.0.1:1/hp",  # "#"
        f"postgresql://bot:{SECRET}?x@127.0.0.1:1/hp",  # "?"
        f"postgresql://bot:{SECRET}@127.0.0.1:99999/hp",  # a port out of range
        f"postgresql://bot:{SECRET}@[::1/hp",  # a broken IPv6 host
    ],
)
async def test_an_unreadable_url_never_shows_its_password(url: str) -> None:
    """Found: a password holding an unescaped `/`, `#` or `?` (common in generated ones) made
    asyncpg's URL parsing raise a raw ValueError quoting the password (`invalid literal for
    int() with base 10: 'S3cretPW'`, `bad query field: 'x@127.0.0.1:1/hp'`), which escaped
    `connect` past the store's error mapping into `hotpapers run`/`migrate-store` output and
    logs. Promised: a StoreError naming the store by scheme (and host) that says the URL
    cannot be read, with no part of the password anywhere in the message or its traceback."""
    with pytest.raises(StoreError) as caught:
        await connect(url)
    shown = "".join(traceback.format_exception(caught.value))
    assert "cannot be read" in str(caught.value)
    assert SECRET not in shown and "x@127" not in shown
