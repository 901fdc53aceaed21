"""Contract: migrations, for every backend (a new database, every older version, the future),
and the dialect-neutral runner of `bot.store.migrations` on a stand-in schema."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.errors import StoreError
from bot.models import Digest, Paper, PostRecord, SourceHealth, Subscription
from bot.store.base import COUNTED, Lease, Start
from bot.store.migrations import Migration, available, dialects, migrate
from tests.store.backends import HARNESSES, Backend

T0 = datetime(2021, 3, 12, 9, 0, tzinfo=UTC)

# Rows as the oldest schema (0001) has them; later versions only add tables and columns.
V1_ROWS: list[tuple[str, dict[str, Any]]] = [
    (
        "papers",
        {
            "arxiv_id": "2103.06874",
            "version": 2,
            "title": "A paper",
            "authors": '["Ada Lovelace"]',
            "categories": '["cs.LG"]',
            "abstract": "About it.",
            "abs_url": "https://arxiv.org/abs/2103.06874",
            "pdf_url": "https://arxiv.org/pdf/2103.06874",
        },
    ),
    (
        "digests",
        {
            "source": "hotpapers-md",
            "day": "2021-03-12",
            "title": "Hot Papers 2021-03-12",
            "fetched_at": T0.isoformat(),
            "final": 1,
            "content_hash": "old",
        },
    ),
    (
        "digest_entries",
        {
            "source": "hotpapers-md",
            "day": "2021-03-12",
            "rank": 1,
            "arxiv_id": "2103.06874",
            "score": 7.5,
            "metrics": '{"retweets": 3}',
            "tweets": "[]",
        },
    ),
    (
        "subscriptions",
        {
            "channel_id": 10,
            "guild_id": 1,
            "post_time": "09:30",
            "timezone": "Europe/Paris",
            "categories": '["cs.LG"]',
            "max_papers": 5,
            "format": "detailed",
            "min_score": 1.5,
            "keywords": "[]",
            "post_empty": 0,
            "source": "default",
            "enabled": 1,
            "failing_reason": None,
            "created_at": T0.isoformat(),
        },
    ),
    (
        "posts",
        {
            "channel_id": 10,
            "day": "2021-03-12",
            "guild_id": 1,
            "source": "hotpapers-md",
            "nonce": "n" * 25,
            "status": "sent",
            "message_ids": "[100, 101]",
            "thread_id": 102,
            "arxiv_ids": '["2103.06874"]',
            "attempts": 1,
            "error": None,
            "created_at": T0.isoformat(),
            "posted_at": T0.isoformat(),
        },
    ),
    (  # a channel unsubscribed since: its history is kept
        "posts",
        {
            "channel_id": 20,
            "day": "2021-03-11",
            "guild_id": 1,
            "source": "hotpapers-md",
            "nonce": "o" * 25,
            "status": "sent",
            "message_ids": "[200]",
            "thread_id": None,
            "arxiv_ids": "[]",
            "attempts": 1,
            "error": None,
            "created_at": T0.isoformat(),
            "posted_at": T0.isoformat(),
        },
    ),
    (
        "source_health",
        {
            "source": "hotpapers-md",
            "ok": 1,
            "checked_at": T0.isoformat(),
            "last_ok_at": T0.isoformat(),
            "error": None,
            "consecutive_failures": 0,
        },
    ),
]
# Tables that came later, as their first version has them.
LATER_ROWS: dict[int, list[tuple[str, dict[str, Any]]]] = {
    2: [
        (
            "leases",
            {
                "name": "poster",
                "holder": "host:1:abcd",
                "acquired_at": T0.isoformat(),
                "expires_at": (T0 + timedelta(minutes=1)).isoformat(),
            },
        ),
        ("starts", {"at": T0.isoformat()}),
    ],
    8: [
        ("saved", {"user_id": 7, "arxiv_id": "2103.06874", "saved_at": T0.isoformat()}),
        (
            "votes",
            {"guild_id": 1, "arxiv_id": "2103.06874", "user_id": 7, "voted_at": T0.isoformat()},
        ),
    ],
}


SEEDED = 5  # the newest version whose row shapes `_seed` writes (0006 re-keyed posts)


def _seed(backend: Backend, version: int, db: str) -> None:
    for table, row in V1_ROWS:
        backend.insert(table, row, db=db)
    for since, extra in LATER_ROWS.items():
        if version >= since:
            for table, row in extra:
                backend.insert(table, row, db=db)


async def test_a_new_database_is_migrated_to_the_newest_version(backend: Backend) -> None:
    store = await backend.open()
    assert await store.counts() == dict.fromkeys(COUNTED, 0)
    again = await backend.open()  # a second open applies nothing and loses nothing
    await store.upsert_subscription(Subscription(guild_id=1, channel_id=1))
    assert (await again.counts())["subscriptions"] == 1
    assert backend.latest() == len(available(backend.name))


async def test_every_older_version_migrates_to_the_newest_keeping_its_data(
    backend: Backend,
) -> None:
    assert backend.latest() >= 2
    for version in range(1, backend.latest()):
        db = f"v{version}"
        # Rows are written in the shapes `_seed` knows (up to SEEDED); a newer version starts
        # from those, migrated up to it, and then to the newest.
        seeded = min(version, SEEDED)
        await backend.create_at(seeded, db=db)
        _seed(backend, seeded, db)
        if version > seeded:
            await backend.create_at(version, db=db)
            for since, extra in LATER_ROWS.items():  # tables newer than the seeded shapes
                if seeded < since <= version:
                    for table, row in extra:
                        backend.insert(table, row, db=db)
        store = await backend.open(db)
        digest = await store.get_digest("hotpapers-md", date(2021, 3, 12))
        assert digest == Digest(
            day=date(2021, 3, 12),
            source="hotpapers-md",
            title="Hot Papers 2021-03-12",
            fetched_at=T0,
            papers=[
                Paper(
                    arxiv_id="2103.06874v2",
                    title="A paper",
                    authors=["Ada Lovelace"],
                    categories=["cs.LG"],
                    abstract="About it.",
                    score=7.5,
                    metrics={"retweets": 3},
                )
            ],
        ), version
        assert await store.get_subscription(1) == Subscription(
            id=1,
            guild_id=1,
            channel_id=10,
            post_time="09:30",
            timezone="Europe/Paris",
            categories=["cs.LG"],
            limit=5,
            format="detailed",
            min_score=1.5,
            post_empty=False,
            created_at=T0,
        ), version
        assert await store.get_post(1, date(2021, 3, 12)) == PostRecord(
            subscription_id=1,
            guild_id=1,
            channel_id=10,
            day=date(2021, 3, 12),
            source="hotpapers-md",
            nonce="n" * 25,
            status="sent",
            message_ids=[100, 101],
            thread_id=102,
            arxiv_ids=["2103.06874"],
            attempts=1,
            created_at=T0,
            posted_at=T0,
        ), version
        assert await store.source_health() == [
            SourceHealth(source="hotpapers-md", ok=True, checked_at=T0, last_ok_at=T0)
        ], version
        if version >= 2:
            lease = Lease("poster", "host:1:abcd", T0, T0 + timedelta(minutes=1))
            assert await store.get_lease("poster") == lease, version
            assert await store.list_starts(T0) == [Start(T0)], version
        orphan = await store.list_posts(channel_id=20)
        assert [(p.subscription_id, p.message_ids) for p in orphan] == [(2, [200])], version
        if version >= 8:
            assert [s.arxiv_id for s in await store.saved_papers(7)] == ["2103.06874"], version
            assert await store.vote_counts(1, ["2103.06874"]) == {"2103.06874": 1}, version
        # and the newest schema works on the old data
        assert await store.add_vote(1, "2103.06874", 8, at=T0) == "added", version
        assert (
            await store.claim_post(
                PostRecord(
                    subscription_id=7,
                    guild_id=1,
                    channel_id=11,
                    day=date(2021, 3, 12),
                    source="s",
                    nonce="x",
                )
            )
        ).won
        assert (
            await store.reopen_post(1, date(2021, 3, 12), generation=1, late=True, created_at=T0)
            is False
        )


async def test_a_database_from_the_future_is_refused(backend: Backend) -> None:
    await backend.create_at(1, db="future")
    backend.force_version(backend.latest() + 1, db="future")
    with pytest.raises(StoreError, match="newer than this code"):
        await backend.open("future")


def test_every_backend_of_the_suite_has_its_migrations() -> None:
    assert set(HARNESSES) <= set(dialects())
    for dialect in HARNESSES:
        found = available(dialect)
        assert [m.version for m in found] == list(range(1, len(found) + 1))
        assert all(m.dialect == dialect and m.sql.strip() for m in found)


def test_a_dialect_without_migrations_is_refused() -> None:
    with pytest.raises(StoreError, match="no migrations for the 'oracle' dialect"):
        available("oracle")


# --- the runner, on a stand-in for a dialect --------------------------------------------------
class FakeSchema:
    """Applies SQLite's scripts by remembering them (the runner's logic, without a database)."""

    dialect = "sqlite"

    def __init__(self, at: int = 0) -> None:
        self.at = at
        self.applied: list[int] = []

    async def version(self) -> int:
        return self.at

    async def apply(self, migration: Migration) -> None:
        assert migration.version == self.at + 1, "applied out of order"
        self.applied.append(migration.version)
        self.at = migration.version


async def test_the_runner_applies_what_is_missing_in_order_up_to_a_target() -> None:
    latest = len(available("sqlite"))
    schema = FakeSchema()
    assert await migrate(schema, target=1) == 1 and schema.applied == [1]
    assert await migrate(schema) == latest and schema.applied == list(range(1, latest + 1))
    assert await migrate(schema) == latest and schema.applied == list(range(1, latest + 1))
    assert await migrate(schema, target=1) == latest  # never goes down


async def test_the_runner_refuses_the_future_and_unknown_targets() -> None:
    latest = len(available("sqlite"))
    with pytest.raises(StoreError, match=f"newer than this code \\({latest}\\)"):
        await migrate(FakeSchema(at=latest + 1))
    with pytest.raises(StoreError, match="no sqlite schema version"):
        await migrate(FakeSchema(), target=latest + 1)


# --- 0005 -> 0006: several digests per channel ----------------------------------------------
def _v5_subscription(channel: int, **kw: Any) -> dict[str, Any]:
    row = {
        "channel_id": channel,
        "guild_id": 1,
        "post_time": "09:30",
        "timezone": "Europe/Paris",
        "categories": '["cs.LG"]',
        "max_papers": 5,
        "format": "detailed",
        "min_score": 1.5,
        "keywords": '["diffusion"]',
        "post_empty": 0,
        "source": "default",
        "enabled": 1,
        "failing_reason": None,
        "created_at": T0.isoformat(),
        "failing_at": None,
    }
    return {**row, **kw}


def _v5_post(channel: int, day: str, **kw: Any) -> dict[str, Any]:
    row = {
        "channel_id": channel,
        "day": day,
        "guild_id": 1,
        "source": "hotpapers-md",
        "nonce": f"{channel}{day}"[:25],
        "status": "sent",
        "message_ids": f"[{channel}1, {channel}2]",
        "thread_id": None,
        "arxiv_ids": '["2103.06874"]',
        "attempts": 1,
        "error": None,
        "created_at": T0.isoformat(),
        "posted_at": T0.isoformat(),
        "late": 0,
        "generation": 0,
    }
    return {**row, **kw}


async def test_a_0005_database_with_rows_moves_to_0006_unchanged(backend: Backend) -> None:
    """Every 0005 subscription becomes its channel's `daily` digest (ids in channel order),
    every post keeps every value and gets its channel's subscription id, and the history of
    an unsubscribed channel gets an id of its own that no new subscription takes."""
    await backend.create_at(5, db="v5")
    later = (T0 + timedelta(hours=3)).isoformat()
    backend.insert("subscriptions", _v5_subscription(30, guild_id=2, enabled=0), db="v5")
    backend.insert(
        "subscriptions",
        _v5_subscription(10, failing_reason="403 Missing Access", failing_at=later),
        db="v5",
    )
    backend.insert("subscriptions", _v5_subscription(20, timezone="Asia/Tokyo"), db="v5")
    posts = [
        _v5_post(10, "2021-03-11"),
        _v5_post(10, "2021-03-12", status="pending", generation=1, late=1, posted_at=None),
        _v5_post(30, "2021-03-12", guild_id=2, status="missed", error="the bot was down"),
        _v5_post(15, "2021-03-10", thread_id=99),  # channel 15 unsubscribed since
    ]
    for row in posts:
        backend.insert("posts", row, db="v5")
    store = await backend.open("v5")
    assert backend.latest() >= 6

    def expected(channel: int, key: int, **kw: Any) -> Subscription:
        values: dict[str, Any] = {
            "guild_id": 1,
            "post_time": "09:30",
            "timezone": "Europe/Paris",
            "categories": ["cs.LG"],
            "limit": 5,
            "format": "detailed",
            "min_score": 1.5,
            "keywords": ["diffusion"],
            "post_empty": False,
            "created_at": T0,
        }
        return Subscription(
            id=key, channel_id=channel, name="daily", cadence="daily", **{**values, **kw}
        )

    assert await store.list_subscriptions() == [
        expected(
            10,
            1,
            failing_reason="403 Missing Access",
            failing_at=T0 + timedelta(hours=3),
        ),
        expected(20, 2, timezone="Asia/Tokyo"),
        expected(30, 3, guild_id=2, enabled=False),
    ]
    ids = {10: 1, 30: 3, 15: 4}
    got = {(p.channel_id, p.day.isoformat()): p for p in await store.list_posts()}
    assert len(got) == len(posts)
    for row in posts:
        record = got[(row["channel_id"], row["day"])]
        assert record == PostRecord(
            subscription_id=ids[row["channel_id"]],
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            day=date.fromisoformat(row["day"]),
            source=row["source"],
            nonce=row["nonce"],
            status=row["status"],
            message_ids=[int(f"{row['channel_id']}1"), int(f"{row['channel_id']}2")],
            thread_id=row["thread_id"],
            arxiv_ids=["2103.06874"],
            attempts=1,
            error=row["error"],
            created_at=T0,
            posted_at=T0 if row["posted_at"] else None,
            late=bool(row["late"]),
            generation=row["generation"],
        )
        assert await store.get_post(record.subscription_id, record.day) == record
    # exactly once per (subscription, day): a second digest in channel 10 posts the same day
    weekly = await store.upsert_subscription(
        Subscription(guild_id=1, channel_id=10, name="weekly", cadence="weekly")
    )
    assert weekly.id == 5  # after the subscriptions and the unsubscribed channel's history
    claim = await store.claim_post(
        PostRecord(
            subscription_id=5,
            guild_id=1,
            channel_id=10,
            day=date(2021, 3, 12),
            source="s",
            nonce="w",
        )
    )
    assert claim.won
    assert not (
        await store.claim_post(
            PostRecord(
                subscription_id=1,
                guild_id=1,
                channel_id=10,
                day=date(2021, 3, 12),
                source="s",
                nonce="d",
            )
        )
    ).won
