"""With a small bot of the sandbox suite: a deferred answer and follow-ups show on the page,
and buttons on posts are clickable (a component interaction reaches the bot, its answer
shows). And `hotpapers demo --web` serves the page at the address it prints until Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import discord
import pytest
from discord.ext import commands
from playwright.async_api import Browser, expect

from sandbox.testing import running_bot, running_sandbox, sandbox_bot_options
from tests.browser.conftest import ROOT, Offsite, open_page
from tests.sandbox.conftest import make_bot

pytestmark = pytest.mark.slow


class Vote(discord.ui.View):
    """One button that counts its clicks by editing the message it is on."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.votes = 0

    @discord.ui.button(label="Upvote", style=discord.ButtonStyle.primary, custom_id="vote:up")
    async def up(self, interaction: discord.Interaction, button: discord.ui.Button[Vote]) -> None:
        self.votes += 1
        await interaction.response.edit_message(content=f"Votes: {self.votes}", view=self)


async def test_a_button_on_a_post_is_clickable_and_the_answer_shows(browser: Browser) -> None:
    async with running_sandbox() as sandbox:
        guild = await sandbox.control.add_guild("Lab", channels=["general"])
        channel_id = next(iter(guild.channels))
        bot = commands.Bot(command_prefix="!", **sandbox_bot_options())
        async with running_bot(sandbox, bot):
            view = Vote()
            bot.add_view(view)
            channel = bot.get_channel(channel_id)
            assert isinstance(channel, discord.TextChannel)
            await channel.send("Votes: 0", view=view)
            page = await open_page(browser, f"{sandbox.base_url}/?channel={channel_id}", Offsite())
            button = page.locator("button.button.primary", has_text="Upvote")
            await expect(button).to_be_visible()
            await button.click()
            await expect(page.locator(".message .content")).to_have_text("Votes: 1 (edited)")
            await expect(page.locator(".command-status")).to_have_text("Clicked Upvote: answered")
            assert view.votes == 1


async def test_a_deferred_answer_and_follow_ups_show_up_in_the_channel(browser: Browser) -> None:
    async with running_sandbox() as sandbox:
        guild = await sandbox.control.add_guild("Lab", channels=["general"])
        channel_id = next(iter(guild.channels))
        async with running_bot(sandbox, make_bot()) as bot:
            await bot.tree.sync()
            page = await open_page(browser, f"{sandbox.base_url}/?channel={channel_id}", Offsite())
            box = page.locator(".command-input")
            await box.fill("/slow")  # defers, then edits its answer in
            await box.press("Enter")
            answer = page.locator(".message", has_text="used /slow")
            await expect(answer.locator(".content")).to_have_text("finished (edited)")
            await expect(answer.locator(".embed-title")).to_have_text("Result")
            await box.fill("/echo text:hi times:2")  # answers, then follows up
            await box.press("Enter")
            echo = page.locator(".message", has_text="used /echo")  # the answer and its follow-up
            await expect(echo.first).to_contain_text("hihi")
            await expect(page.locator(".message .content").last).to_have_text("done")


def hotpapers() -> list[str]:
    """The `hotpapers` console script of this environment."""
    return [str(Path(sys.executable).with_name("hotpapers"))]


async def test_demo_web_prints_the_address_serves_both_formats_and_stops_on_ctrl_c(
    browser: Browser,
) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = await asyncio.create_subprocess_exec(
        *hotpapers(),
        "demo",
        "--web",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        url = None
        async with asyncio.timeout(60):
            while url is None:
                line = (await process.stdout.readline()).decode()
                assert line, "the demo ended before it printed the address"
                found = re.search(
                    r"open (http://127\.0\.0\.1:\d+/\?channel=\d+) in a browser", line
                )
                url = found.group(1) if found else None
        offsite = Offsite()
        page = await open_page(browser, url, offsite)
        await expect(page.locator("#channel-title")).to_have_text("# papers")
        post = page.locator(".message", has_text="Ranked by").first
        await expect(post.locator(".embed-description a").first).to_have_attribute(
            "href", "https://arxiv.org/abs/2103.06874"
        )
        await expect(page.locator(".channel-link")).to_have_text(
            ["# papers", "# papers-detailed", "↳ Hot Papers 2021-03-12"]
        )
        await expect(page.locator(".interaction-header")).to_have_text(
            [
                "@tester used /digest subscribe",  # #papers
                "@tester used /digest subscribe",  # #papers, the weekly digest
                "@tester used /digest subscribe",  # #papers-detailed, asked in #papers
                "@tester used /hot",
                "@tester used /hot",
                "@tester used /paper",
            ]
        )
        process.send_signal(signal.SIGINT)  # with the page still open on its event stream
        async with asyncio.timeout(30):
            rest, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        assert "Stopped: the bot and the sandbox are closed." in rest.decode()
        assert "Traceback" not in err.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_demo_help_says_what_web_does(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--web" in text and "Ctrl-C" in text and "command box" in text
