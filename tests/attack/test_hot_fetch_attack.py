# ruff: noqa: F811 - the conftest fixtures are imported and used by name
"""Attack on `/hot`'s one `digest_meta` (issue 16): the cache key's meta is handed to the
ranking and read again only after a fetch. Here a real fetch runs in between (a covering
source widened to another archive, with a crowd gone down meanwhile), end to end through the
sandbox: the answer must say what the store holds after the fetch, not the meta read before.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    FakeClock,
    clock,
    make_config,
    running_app,
    sandbox,
    store,
)
from tests.app.test_hot_any_category import BSKY, HF, HN, QUOTES, TUESDAY, UNIVERSE, StandInFactory
from tests.sources.blendfakes import FakeCrowd, FakeUniverse

LATER = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # TUESDAY is final when fetched now


def footer(reply: Any) -> str:
    (message,) = reply.messages
    return str(message["embeds"][0].get("footer", {}).get("text", ""))


async def test_a_fetch_between_the_key_and_the_ranking_is_what_the_answer_shows(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    await sandbox.control.add_guild("Lab", channels=["general"])
    universe = FakeUniverse(UNIVERSE)
    hn = FakeCrowd("hn", HN)
    crowds = [FakeCrowd("hf", HF), hn, FakeCrowd("bluesky", BSKY, quotes=QUOTES)]
    config = make_config(sources={"default": "hot"})
    factory = StandInFactory(config, universe, crowds)
    clock.set(LATER)
    day = TUESDAY.isoformat()
    try:
        async with running_app(sandbox, store, clock, config=config, factory=factory):
            math = await sandbox.control.invoke("hot", {"category": "math.AG", "date": day})
            meta = await store.digest_meta("hot", TUESDAY)
            assert meta is not None and meta.final and meta.archives == ["math"]
            assert not meta.signals_failed and "did not answer" not in footer(math)
            # HN goes down; astro-ph is not covered yet: `/hot` reads the final (math) meta
            # for its key, then its ranking fetches astro-ph, with HN failing this time.
            hn.down = "Hacker News is unreachable (HTTP 503)."
            astro = await sandbox.control.invoke("hot", {"category": "astro-ph.GA", "date": day})
            again = await sandbox.control.invoke("hot", {"category": "astro-ph.GA", "date": day})
    finally:
        await factory.client.aclose()
    assert universe.asked == [(TUESDAY, ("math",)), (TUESDAY, ("astro-ph",))]
    after = await store.digest_meta("hot", TUESDAY)
    assert after is not None and not after.final and "hn" in after.signals_failed
    assert astro.status == "answered", astro.content
    assert "Hacker News did not answer" in footer(astro)  # the meta after the fetch
    assert astro.messages[0]["embeds"][0]["description"].startswith(
        "**1.** [Dark matter in dwarf spheroidals]"
    )
    shown = [{k: m.get(k) for k in ("content", "embeds")} for m in astro.messages]
    assert [{k: m.get(k) for k in ("content", "embeds")} for m in again.messages] == shown
