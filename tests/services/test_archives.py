"""Only the archives somebody subscribed to or asked for are fetched."""

from __future__ import annotations

from pathlib import Path

from bot.models import Subscription
from bot.services.archives import FOR_ALL_CATEGORIES, archive_of, archives_for, wanted_archives
from bot.store.sqlite import open_store


def sub(
    channel: int, *categories: str, enabled: bool = True, source: str = "default"
) -> Subscription:
    return Subscription(
        guild_id=1,
        channel_id=channel,
        id=channel,
        categories=list(categories),
        enabled=enabled,
        source=source,
    )


def test_archive_of_a_category() -> None:
    assert archive_of("cs.CV") == "cs"
    assert archive_of("math.AG") == "math"
    assert archive_of("astro-ph.GA") == "astro-ph"
    assert archive_of("quant-ph") == "quant-ph"
    assert archive_of("econ.EM") == "econ"
    assert archive_of("CS.cv") == "cs"
    assert archive_of("cs") == "cs"
    assert archive_of("nonsense.XX") is None


def test_the_archives_of_enabled_subscriptions_and_of_what_was_asked() -> None:
    subs = [
        sub(1, "cs.CV", "cs.LG"),
        sub(2, "math.AG", "-cs.CV"),
        sub(3, "astro-ph.GA", enabled=False),
        sub(4, "quant-ph", source="hf"),
    ]
    assert archives_for(subs) == ["cs", "math", "quant-ph"]
    assert archives_for(subs, asked=["econ.EM", "-hep-th"]) == ["cs", "econ", "math", "quant-ph"]
    assert archives_for(subs, sources={"default"}) == ["cs", "math"]


def test_an_all_categories_subscription_asks_for_the_documented_default() -> None:
    assert archives_for([sub(1)]) == list(FOR_ALL_CATEGORIES) == ["cs"]
    assert archives_for([sub(1, "-cs.CV")]) == ["cs"]  # excludes only: still all the rest
    assert archives_for([sub(1)], for_all=()) == []
    assert archives_for([]) == []


async def test_wanted_archives_reads_the_store(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.sqlite3") as store:
        await store.upsert_subscription(sub(1, "math.AG"))
        await store.upsert_subscription(sub(2, "astro-ph.GA"))
        assert await wanted_archives(store, asked=["cs.CV"]) == ["astro-ph", "cs", "math"]
