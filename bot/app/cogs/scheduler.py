"""The cog that owns the posting loop: started in `cog_load`, stopped in `cog_unload`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from discord.ext import commands

from bot.app.scheduler import Scheduler


class SchedulerCog(commands.Cog):
    """Runs the `Scheduler` once the bot is ready (unless the bot was built with it off)."""

    def __init__(
        self, scheduler: Scheduler, *, run: bool, ready: Callable[[], Awaitable[object]]
    ) -> None:
        self.scheduler = scheduler
        self.run = run
        self.ready = ready  # the bot's `wait_until_ready`: ticks start once channels are known

    async def cog_load(self) -> None:
        """Start ticking (after `on_ready`, so channels are known)."""
        if self.run:
            self.scheduler.ready = self.ready
            self.scheduler.start()

    async def cog_unload(self) -> None:
        """Stop ticking, letting the posts in flight finish."""
        await self.scheduler.stop()
