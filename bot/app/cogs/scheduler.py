"""The cog that owns the posting loop: started in `cog_load`, stopped in `cog_unload`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

if TYPE_CHECKING:
    from bot.app.bot import HotPapersBot


class SchedulerCog(commands.Cog):
    """Runs `Scheduler` once the bot is ready (unless the bot was built with it off)."""

    def __init__(self, bot: HotPapersBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Start ticking (after `on_ready`, so channels are known)."""
        if self.bot.run_scheduler:
            self.bot.scheduler.ready = self.bot.wait_until_ready
            self.bot.scheduler.start()

    async def cog_unload(self) -> None:
        """Stop ticking, letting the posts in flight finish."""
        await self.bot.scheduler.stop()
