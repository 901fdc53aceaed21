"""Service fixtures: the real SQLite store in memory with the bundled sample, a manual clock,
the real `DigestService` and `Publisher`, and an in-memory Discord for the publisher to post to.
No sandbox, no network: every service call here takes milliseconds."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from bot.cli.preview import sample_digest
from bot.config import Config, parse_config
from bot.delivery.wire import BOT
from bot.models import Subscription
from bot.publish import Publisher, SeenMessage, fingerprint
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.services.subscriptions import Kind, Place, Where
from bot.services.texts import needed_permissions
from bot.sources.base import SourceFactory
from bot.store import open_store
from bot.store.base import Store

NOW = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)  # the sample's day (2021-03-12) is complete
DAY = date(2021, 3, 12)
GUILD = 10
HERE = 100  # the channel the command runs in
ELSEWHERE = 200  # another channel of the same server
EVERY_PERMISSION = frozenset(needed_permissions("detailed"))


def make_config(**sections: Any) -> Config:
    data: dict[str, Any] = {"sources": {"default": "hotpapers-md"}}
    for key, value in sections.items():
        data.setdefault(key, {}).update(value)
    return parse_config(data, env={})


def where(**changes: Any) -> Where:
    """A `/digest` command run in a text channel of GUILD, the bot allowed everything."""
    base: dict[str, Any] = {
        "guild_id": GUILD,
        "here_id": HERE,
        "here": Place(Kind.TEXT),
        "granted": EVERY_PERMISSION,
    }
    return Where(**{**base, **changes})


def subscription(channel_id: int = HERE, **changes: Any) -> Subscription:
    base: dict[str, Any] = {
        "guild_id": GUILD,
        "channel_id": channel_id,
        "id": channel_id,  # one subscription per channel: its id is the channel's
        "post_time": "09:00",
        "timezone": "UTC",
        "created_at": datetime(2021, 3, 1, tzinfo=UTC),
    }
    return Subscription(**{**base, **changes})


@dataclass
class MemoryDiscord:
    """Discord as the publisher sees it (`bot.publish.Sender`): messages per channel, nonce
    dedup, and the next calls' errors (`faults`)."""

    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    channels: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Exception] = field(default_factory=list)

    def sent(self, channel_id: int) -> list[dict[str, Any]]:
        return self.channels.get(channel_id, [])

    async def send(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        if self.faults:
            raise self.faults.pop(0)
        msgs = self.channels.setdefault(channel_id, [])
        for m in msgs:
            if m["nonce"] == nonce:
                return int(m["id"])
        msg = {"id": next(self.ids), "nonce": nonce, **payload}
        msgs.append(msg)
        return int(msg["id"])

    async def create_thread(self, channel_id: int, message_id: int, name: str) -> int:
        self.channels.setdefault(message_id, [])
        return message_id

    async def recent(self, channel_id: int, *, after: datetime | None) -> list[SeenMessage]:
        return [
            SeenMessage(int(m["id"]), m["nonce"], fingerprint(m), BOT)
            for m in self.channels.get(channel_id, [])
        ]

    async def delete(self, channel_id: int, message_id: int) -> None:
        msgs = self.channels.get(channel_id, [])
        msgs[:] = [m for m in msgs if m["id"] != message_id]

    async def exists(self, channel_id: int, message_id: int) -> bool:
        return any(m["id"] == message_id for m in self.channels.get(channel_id, []))


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    async with open_store(":memory:") as s:
        await s.save_digest(sample_digest(), final=True)
        yield s


@pytest.fixture
async def empty_store() -> AsyncIterator[Store]:
    async with open_store(":memory:") as s:
        yield s


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def config() -> Config:
    return make_config()


@pytest.fixture
def digests(store: Store, config: Config, clock: ManualClock) -> DigestService:
    """Store-only digests (no upstream): what `hotpapers demo` runs on."""
    return DigestService(store, config, None, clock=clock)


@pytest.fixture
def fake_discord() -> MemoryDiscord:
    return MemoryDiscord()


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def publisher(store: Store, fake_discord: MemoryDiscord, clock: ManualClock) -> Publisher:
    return Publisher(store, fake_discord, clock=clock, attempts=1, sleep=_no_sleep)


@pytest.fixture
async def down_client() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client to upstreams that answer every request with 503."""
    transport = httpx.MockTransport(lambda request: httpx.Response(503, text="down"))
    async with httpx.AsyncClient(transport=transport) as client:
        yield client


def down_digests(store: Store, client: httpx.AsyncClient, clock: ManualClock) -> DigestService:
    """Digests from Hugging Face (`hf`), which is down; its health recorded as failing."""
    config = make_config(
        sources={"default": "hf", "hf": {"base_url": "http://hf.test"}, "max_retries": 0}
    )
    factory = SourceFactory(config.sources, client, sleep=_no_sleep)
    return DigestService(store, config, factory, clock=clock)
