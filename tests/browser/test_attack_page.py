"""Outside attacks on the page itself (issue 17): what a broken connection does to it.

The page keeps itself current from `/web/events`; EventSource reconnects on its own when the
stream drops (the sandbox restarted, a proxy cut it), but the changes made while it was away
are never replayed.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Route

from sandbox.records import Message
from sandbox.state import SandboxState
from sandbox.testing import running_sandbox
from tests.browser.conftest import Offsite, open_page

pytestmark = pytest.mark.slow


def post(state: SandboxState, channel_id: int, content: str) -> None:
    """A message of the bot's in the channel, as if it had posted it."""
    state.store_message(
        Message(
            id=state.ids.next(),
            channel_id=channel_id,
            guild_id=state.channels[channel_id].guild_id,
            author=state.bot_user,
            content=content,
        )
    )


async def test_after_the_stream_drops_the_page_shows_what_was_posted_meanwhile(
    browser: Browser,
) -> None:
    """Found: after the event stream dropped and EventSource reconnected, the page kept what it
    had: a post made while it was disconnected never appeared (and after a sandbox restart the
    sidebar kept channels that no longer existed). Promised: on every reconnect the page reads
    the state again, without a reload."""
    async with running_sandbox() as sandbox:
        guild = await sandbox.control.add_guild("Lab", channels=["papers"])
        channel = next(iter(guild.channels))
        post(sandbox.state, channel, "before the drop")
        page = await open_page(browser, f"{sandbox.base_url}/?channel={channel}", Offsite())
        await page.wait_for_selector("#messages .message >> text=before the drop")

        async def refuse(route: Route) -> None:
            await route.abort()

        await page.route("**/web/events", refuse)  # the last route registered wins
        sandbox.web.close()  # every open stream ends; the reconnects are refused
        await page.wait_for_selector("body[data-live=false]", state="attached")
        post(sandbox.state, channel, "while it was away")
        await page.unroute("**/web/events", refuse)
        await page.wait_for_selector("body[data-live=true]", state="attached")
        await page.wait_for_selector("#messages .message >> text=while it was away")
        assert await page.evaluate("window.__sameDocument === true")  # no reload
        assert page.errors == []  # type: ignore[attr-defined]
