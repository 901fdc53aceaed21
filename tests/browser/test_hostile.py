"""Digest text cannot inject HTML or script into the web view.

Every digest of the hostile corpus (tests/corpus/digests/hostile) is rendered by the bot's own
renderer in both formats and as `/paper` replies, and stored as the bot's messages; beside
them, messages carrying raw markup the renderer never escaped (the corpus files' text as it
is, and embeds whose every field is an injection attempt). The page must show all of it as
text: no element that the page does not make itself, no event-handler attribute, no link but
http(s), no script run (the payloads would set `window.__pwned`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from bot.render import Format, render_digest, render_paper
from bot.sources.hotpapers_md import load_path
from sandbox.records import Message
from sandbox.state import SandboxState
from sandbox.testing import running_sandbox
from tests.browser.conftest import Offsite, open_page

pytestmark = pytest.mark.slow

HOSTILE = Path(__file__).resolve().parents[1] / "corpus" / "digests" / "hostile"
FORMATS: tuple[Format, ...] = ("compact", "detailed")
PWN = "window.__pwned = (window.__pwned || 0) + 1"
ATTACKS = [
    f"<script>{PWN}</script>",
    f'<img src="x" onerror="{PWN}">',
    f'<svg onload="{PWN}"></svg>',
    f'<iframe src="javascript:{PWN}"></iframe>',
    f"[click](javascript:{PWN})",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    f'**<b onmouseover="{PWN}">bold</b>** `<i>code</i>` ```\n<script>{PWN}</script>\n```',
    '"><style>body{display:none}</style><a href="https://evil.example" id="x">',
    "<https://ok.example/?q=<script>> <javascript:alert(1)>",
]
# Tags the page itself makes for messages (sandbox/web/static/*.js); anything else is injected.
PAGE_TAGS = {
    "A", "ARTICLE", "B", "BLOCKQUOTE", "BR", "BUTTON", "CODE", "DIV", "EM", "H1", "H2", "H3",
    "LI", "OL", "PRE", "S", "SPAN", "STRONG", "TIME", "U", "UL",
}  # fmt: skip


def store(state: SandboxState, channel_id: int, payload: dict[str, Any]) -> None:
    """Keep a payload as a message of the bot's, as if the bot had posted it."""
    state.store_message(
        Message(
            id=state.ids.next(),
            channel_id=channel_id,
            guild_id=state.channels[channel_id].guild_id,
            author=state.bot_user,
            content=payload.get("content") or "",
            embeds=list(payload.get("embeds") or []),
        )
    )


def hostile_embed(text: str) -> dict[str, Any]:
    """An embed with the attack in every place an embed holds text or a URL."""
    return {
        "title": text,
        "url": "javascript:alert(1)",
        "description": text,
        "color": 0xB31B1B,
        "author": {"name": text, "url": "javascript:alert(1)", "icon_url": "javascript:x"},
        "fields": [{"name": text, "value": text, "inline": True}],
        "footer": {"text": text, "icon_url": "data:image/png;base64,AAAA"},
        "thumbnail": {"url": "javascript:alert(1)"},
        "image": {"url": "vbscript:x"},
    }


async def test_the_hostile_corpus_renders_as_text_and_runs_nothing(browser: Browser) -> None:
    async with running_sandbox() as sandbox:
        guild = await sandbox.control.add_guild("Hostile", channels=["papers"])
        channel = next(iter(guild.channels))
        paths = sorted(HOSTILE.glob("*.md"))
        assert len(paths) >= 20
        for path in paths:
            digest = load_path(path)
            for fmt in FORMATS:
                for payload in render_digest(digest, fmt):
                    store(sandbox.state, channel, payload)
            for paper in digest.papers[:3]:
                store(sandbox.state, channel, render_paper(paper, note=paper.title))
            store(sandbox.state, channel, {"content": path.read_text("utf-8")[:2000]})
        for attack in ATTACKS:
            store(sandbox.state, channel, {"content": attack, "embeds": [hostile_embed(attack)]})
        expected = len(sandbox.state.messages_in(channel))

        offsite = Offsite()
        page = await open_page(browser, f"{sandbox.base_url}/?channel={channel}", offsite)
        await page.wait_for_function(
            f"document.querySelectorAll('#messages .message').length === {expected}"
        )
        found = await page.evaluate(
            """() => {
              const inMessages = [...document.querySelectorAll('#messages *')];
              return {
                pwned: window.__pwned === undefined ? null : window.__pwned,
                tags: [...new Set(inMessages.map((e) => e.tagName))],
                handlers: inMessages.flatMap((e) => [...e.attributes].map((a) => a.name))
                  .filter((n) => n.startsWith('on')),
                hrefs: [...document.querySelectorAll('a[href]')].map((a) => a.href),
                scripts: [...document.scripts].map((s) => s.src),
                images: document.images.length,
                ids: inMessages.filter((e) => e.id).map((e) => e.id),
                text: document.getElementById('messages').innerText,
                hidden: getComputedStyle(document.body).display,
              };
            }"""
        )
        assert found["pwned"] is None
        assert set(found["tags"]) <= PAGE_TAGS, set(found["tags"]) - PAGE_TAGS
        assert found["handlers"] == []
        assert found["ids"] == []
        assert found["images"] == 0  # no thumbnail or icon with a non-http(s) URL
        assert found["scripts"] == [f"{sandbox.base_url}/web/static/app.js"]
        assert found["hidden"] != "none"
        bad = [h for h in found["hrefs"] if not h.startswith(("http://", "https://"))]
        assert bad == []
        assert not any("javascript" in h.lower() for h in found["hrefs"])
        # The attacks are shown, as text.
        assert f"<script>{PWN}</script>" in found["text"]
        assert '<img src="x" onerror=' in found["text"]
        assert offsite.urls == []  # the one https link in an attack was not fetched
        assert page.errors == []  # type: ignore[attr-defined]
