"""End-to-end fixtures: the sandbox, a store with the bundled sample, and the real bot."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app.bot import HotPapersBot, intents
from bot.app.compose import build_bot
from bot.cli.preview import sample_digest
from bot.config import Config, parse_config
from bot.store import open_store
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.testing import running_bot, running_sandbox, sandbox_bot_options

MANAGE_GUILD = 1 << 5
SEND = (1 << 10) | (1 << 11)  # view channel, send messages
SAMPLE_NOW = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)  # the sample's day is then complete


class FakeClock:
    """An injectable clock: the bot and the scheduler read it; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_config(**sections: Any) -> Config:
    data: dict[str, Any] = {"sources": {"default": "hotpapers-md"}}
    for key, value in sections.items():
        data.setdefault(key, {}).update(value)
    return parse_config(data, env={})


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox(interaction_deadline=3.0, nonce_window=120.0) as sb:
        yield sb


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "bot.sqlite3") as s:
        await s.save_digest(sample_digest(), final=True)
        yield s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SAMPLE_NOW)


@contextlib.asynccontextmanager
async def running_app(
    sandbox: Sandbox,
    store: Store,
    clock: FakeClock,
    *,
    config: Config | None = None,
    run_scheduler: bool = False,
    post_backoff_seconds: float = 1.0,
    **options: Any,
) -> AsyncIterator[HotPapersBot]:
    """The real HotPapers bot, logged in to the sandbox, commands synced."""
    bot = build_bot(
        config or make_config(),
        store,
        clock=clock,
        run_scheduler=run_scheduler,
        post_attempts=3,
        post_backoff_seconds=post_backoff_seconds,
        **sandbox_bot_options(intents=intents(), **options),
    )
    async with running_bot(sandbox, bot):
        yield bot
