"""Fixtures for the browser suite: headless Chromium (Debian's `chromium`, driven by
Playwright), and a sandbox with the real HotPapers bot on the bundled sample digest.

No browser is ever downloaded: Playwright launches the system's Chromium by path. Without one
every test here skips, saying so (`.ci/run` installs `chromium` when it is missing). The page
may load nothing but the sandbox's own address: every other request is refused and fails the
test (`offsite`).

`UPDATE_SCREENSHOTS=1 pytest tests/browser` rewrites the PNGs in docs/screens/ (the README
shows them); without it the same tests run and write nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route, async_playwright

from bot.app.bot import HotPapersBot, intents
from bot.app.compose import build_bot
from bot.cli.preview import sample_digest
from bot.config import parse_config
from bot.models import Digest
from bot.schedule import ManualClock
from bot.store import open_store
from sandbox.app import Sandbox
from sandbox.testing import running_bot, running_sandbox, sandbox_bot_options

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "docs" / "screens"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MANAGE_GUILD = 1 << 5
DEMO_TIME = datetime(2021, 3, 13, 8, 59, tzinfo=UTC)


def chromium_path() -> str | None:
    """The system's Chromium: $CHROMIUM, /usr/bin/chromium, or `chromium` on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def screenshot_wanted() -> bool:
    """Whether this run rewrites docs/screens/ (UPDATE_SCREENSHOTS=1)."""
    return os.environ.get("UPDATE_SCREENSHOTS") == "1"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium, or a skip that says why there is none."""
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set CHROMIUM=/path)")
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Offsite:
    """Requests the page tried to make anywhere but the sandbox (refused)."""

    urls: list[str] = field(default_factory=list)


async def open_page(browser: Browser, url: str, offsite: Offsite, **context: Any) -> Page:
    """A page at `url` that may load only from the sandbox; waits until it has drawn."""
    ctx = await browser.new_context(viewport={"width": 1440, "height": 1200}, **context)
    page = await ctx.new_page()
    origin = url.split("/?")[0].rstrip("/")

    async def guard(route: Route) -> None:
        if route.request.url.startswith(origin + "/"):
            await route.continue_()
        else:
            offsite.urls.append(route.request.url)
            await route.abort()

    await page.route("**/*", guard)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(url)
    await page.wait_for_selector("body[data-ready=true]")
    await page.wait_for_selector("body[data-live=true]")
    # Set once; a reload would lose it (tests check that updates came without one).
    await page.evaluate("window.__sameDocument = true")
    page.set_default_timeout(15_000)
    page.errors = errors  # type: ignore[attr-defined]
    return page


@dataclass
class World:
    """The sandbox, the bot, its clock, and the demo's two channels (compact, detailed)."""

    sandbox: Sandbox
    bot: HotPapersBot
    clock: ManualClock
    guild_id: int
    papers: int
    detailed: int
    digest: Digest

    def url(self, channel: int, thread: int | None = None) -> str:
        """The page opened on a channel (and a thread beside it)."""
        tail = f"&thread={thread}" if thread else ""
        return f"{self.sandbox.base_url}/?channel={channel}{tail}"

    async def subscribe(self, channel: int, fmt: str) -> None:
        """A moderator subscribes a channel for 09:00 UTC in a format."""
        r = await self.sandbox.control.invoke(
            "digest subscribe",
            {"channel": str(channel), "time": "09:00", "format": fmt},
            permissions=MANAGE_GUILD,
        )
        assert r.status == "answered", r

    async def post_the_day(self) -> None:
        """09:00 UTC comes: the scheduler posts every subscribed channel's digest."""
        self.clock.advance(timedelta(minutes=1))
        report = await self.bot.scheduler.tick()
        assert report.sent >= 1, report


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """The demo's world: the sample digest in a store, the real bot, #papers and
    #papers-detailed, nothing subscribed yet, the clock a minute before 09:00 UTC."""
    config = parse_config(
        {"sources": {"default": "hotpapers-md"}, "schedule": {"catch_up_hours": 1}}, env={}
    )
    clock = ManualClock(DEMO_TIME)
    async with running_sandbox() as sandbox, open_store(tmp_path / "s.sqlite3") as store:
        digest = sample_digest()
        await store.save_digest(digest, final=True)
        guild = await sandbox.control.add_guild(
            "HotPapers demo", channels=["papers", "papers-detailed"]
        )
        papers, detailed = list(guild.channels)
        bot = build_bot(
            config,
            store,
            clock=clock,
            run_scheduler=False,
            **sandbox_bot_options(intents=intents()),
        )
        async with running_bot(sandbox, bot):
            yield World(sandbox, bot, clock, guild.id, papers, detailed, digest)


async def shoot(page: Page, name: str, selector: str | None = None, width: int = 720) -> None:
    """With UPDATE_SCREENSHOTS=1, save docs/screens/<name>.png: the page, or one message
    (`selector`) cut to `width` pixels (a message row is as wide as the window, its embed not).
    """
    if not screenshot_wanted():
        return
    SCREENS.mkdir(parents=True, exist_ok=True)
    await page.evaluate("document.fonts.ready")
    path = str(SCREENS / f"{name}.png")
    if selector is None:
        await page.screenshot(path=path, animations="disabled")
        return
    target = page.locator(selector).last
    await target.scroll_into_view_if_needed()
    box = await target.bounding_box()
    assert box is not None, selector
    clip = {
        "x": box["x"],
        "y": box["y"],
        "width": min(box["width"], width),
        "height": box["height"],
    }
    await page.screenshot(path=path, clip=clip, animations="disabled")  # type: ignore[arg-type]
