"""Outside attacks on the web view (issue 17) and on the control API its command box calls.

Raw HTTP against a running sandbox with a small discord.py bot. The page must answer every
request with its security headers (errors and the event stream included) and never a 500; and
what the command box sends must be held to what Discord's client could send, so the page is
never a lenient path around the sandbox's strictness.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord
import httpx
import pytest
from discord import app_commands
from discord.ext import commands

from sandbox.app import Sandbox
from sandbox.testing import SANDBOX_TOKEN, running_bot, running_sandbox, sandbox_bot_options
from sandbox.web.site import CSP


def make_bot() -> commands.Bot:
    """A bot with a moderator-only command, a choices option and a boolean option."""
    bot = commands.Bot(command_prefix="!", **sandbox_bot_options())

    @bot.tree.command()
    @app_commands.default_permissions(manage_guild=True)
    async def configure(interaction: discord.Interaction) -> None:
        """Only for members who can manage the guild."""
        await interaction.response.send_message("configured")

    @bot.tree.command()
    @app_commands.choices(
        format=[
            app_commands.Choice(name="Compact", value="compact"),
            app_commands.Choice(name="Detailed", value="detailed"),
        ]
    )
    async def style(
        interaction: discord.Interaction, format: app_commands.Choice[str], loud: bool = False
    ) -> None:
        """Pick a format."""
        await interaction.response.send_message(f"{format.value} {loud}")

    return bot


@dataclass
class Site:
    sandbox: Sandbox
    http: httpx.AsyncClient
    guild_id: int

    async def run(self, command: str, **body: object) -> httpx.Response:
        """What the command box posts for `/command`."""
        payload = {"command": command, "guild_id": str(self.guild_id), "timeout": 10, **body}
        return await self.http.post("/_sandbox/interactions", json=payload)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async with running_sandbox(token=SANDBOX_TOKEN) as sb:
        guild = await sb.control.add_guild("Lab", channels=["papers"])
        async with running_bot(sb, make_bot()) as bot, httpx.AsyncClient(base_url=sb.base_url) as h:
            await bot.tree.sync()
            yield Site(sb, h, guild.id)


async def test_a_channel_id_int_cannot_read_is_a_404_with_the_headers_not_a_500(
    site: Site,
) -> None:
    """Found: `GET /web/channels/²` ("²".isdigit() is true, int() refuses it) and an id of
    5000 digits (past int()'s 4300-digit limit) were 500s without the CSP. Promised: any id
    that is no snowflake is a 404 {"error"} carrying the page's headers."""
    for raw in ("%C2%B2", "9" * 5000, "1" * 21, "%D9%A1%D9%A2"):
        r = await site.http.get(f"/web/channels/{raw}")
        assert r.status_code == 404, raw[:30]
        assert "error" in r.json()
        assert r.headers["Content-Security-Policy"] == CSP


async def test_a_missing_file_and_the_event_stream_carry_the_csp_too(site: Site) -> None:
    """Found: a 404 under /web/static/ (a traversal attempt, a typo) and the `/web/events`
    stream were sent without the Content-Security-Policy and nosniff headers. Promised: every
    answer of the page's own routes carries them."""
    for name in ("nope.js", "..%2Fsite.py", "..%5Csite.py", "%2e%2e"):
        r = await site.http.get(f"/web/static/{name}")
        assert r.status_code == 404, name
        assert r.headers["Content-Security-Policy"] == CSP, name
        assert r.headers["X-Content-Type-Options"] == "nosniff", name
    async with site.http.stream("GET", "/web/events") as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert stream.headers["Content-Security-Policy"] == CSP
        assert stream.headers["X-Content-Type-Options"] == "nosniff"


async def test_permissions_no_discord_member_can_have_are_refused(site: Site) -> None:
    """Found: the command box's custom permissions "-1" (every bit, Administrator included)
    or 2**60 (bits Discord has no flag for) ran a moderator-only command. Promised: the
    permissions must be a set of Discord's flags, else 400; real bits still work."""
    for bad in ("-1", str(1 << 60), str(-(1 << 5))):
        r = await site.run("configure", permissions=bad)
        assert r.status_code == 400, (bad, r.text)
        assert "permissions" in r.json()["error"]
    assert (await site.run("configure", permissions="0")).json()["status"] == "denied"
    assert (await site.run("configure", permissions="32")).json()["status"] == "answered"
    answers = [m for m in site.sandbox.state.messages.values() if m.content == "configured"]
    assert len(answers) == 1


async def test_an_option_value_the_discord_client_cannot_send_is_refused(site: Site) -> None:
    """Found: typed in the command box, `/style format:evil` reached the bot (Discord's client
    offers only the choices) and `loud:banana` went through as False. Promised: a value outside
    an option's choices, or a boolean that is not true/false, is a 400 and reaches no bot."""
    before = len(site.sandbox.state.messages)
    bad: list[dict[str, str]] = [
        {"format": "evil"},
        {"format": "Compact"},
        {"format": "compact", "loud": "banana"},
    ]
    for options in bad:
        r = await site.run("style", options=options)
        assert r.status_code == 400, (options, r.text)
    assert len(site.sandbox.state.messages) == before
    ok = await site.run("style", options={"format": "detailed", "loud": "true"})
    assert ok.json()["status"] == "answered", ok.text
    assert [m.content for m in site.sandbox.state.messages.values()] == ["detailed True"]


async def test_another_site_in_the_browser_cannot_drive_the_control_api(site: Site) -> None:
    """Found: with the web view open, any other page in the same browser could POST to
    /_sandbox (a text/plain "simple request" needs no CORS preflight, and the body was read
    whatever its type): run commands as a moderator, inject faults, reset the sandbox.
    Promised: a control request whose Origin is not the sandbox's own is refused (403) and
    changes nothing; the page (its own Origin) and tools (no Origin) still work."""
    evil = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    body = '{"command": "configure", "permissions": "32", "timeout": 10}'
    r = await site.http.post("/_sandbox/interactions", content=body, headers=evil)
    assert r.status_code == 403
    r = await site.http.post("/_sandbox/reset", content='{"full": true}', headers=evil)
    assert r.status_code == 403
    assert site.sandbox.state.guilds and site.sandbox.state.messages == {}
    assert (await site.run("configure", permissions="32")).json()["status"] == "answered"
    own = {"Origin": site.sandbox.base_url}
    payload = {"command": "configure", "guild_id": str(site.guild_id), "permissions": "32"}
    r = await site.http.post("/_sandbox/interactions", json=payload, headers=own)
    assert r.json()["status"] == "answered", r.text
