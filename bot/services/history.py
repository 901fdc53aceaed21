"""`/history`: every day of a channel's last days with its one stated outcome (sent with a
link, empty and why, failed and why, missed, not yet due …), newest first. Plain data in,
the reply out; the outcome of each day is `outcomes.window_days`. A channel with several
digests shows each one's days, named.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.errors import UserInputError
from bot.render import escape
from bot.schedule import Clock
from bot.services.outcomes import DayLine, window_days
from bot.services.texts import fit_lines
from bot.store.base import Store

MAX_DAYS = 90
UNSUBSCRIBED = "an unsubscribed digest"  # the rows of a digest no longer there


def history_text(channel_id: int, days: int, lines: Sequence[DayLine], subscribed: bool) -> str:
    """`/history`: every day of the window with its outcome, newest first (`outcomes`)."""
    if not lines:
        return (
            f"Nothing was posted in <#{channel_id}> in the last {days} days, and it has no "
            "digest subscription. /digest subscribe sets one up."
        )
    head = [f"**Every day of the last {days} days in <#{channel_id}>**"]
    if not subscribed:
        head.append("(no digest subscription now; what was recorded before)")
    return fit_lines(head, [f"• {d.day.isoformat()} · {d.text}" for d in lines])


class HistoryService:
    """What the bot posted in a channel over the last days, from the post ledger."""

    def __init__(self, store: Store, *, clock: Clock, lag_days: int, grace: timedelta) -> None:
        self.store = store
        self.clock = clock
        self.lag_days = lag_days
        self.grace = grace  # the catch-up window: a day past it with no post is "not posted"

    async def history(self, guild_id: int | None, channel_id: int | None, days: int) -> str:
        """`/history days:` in a server channel; a UserInputError anywhere else."""
        if not 1 <= days <= MAX_DAYS:
            raise UserInputError(f"days must be a whole number from 1 to 90 (got {days}).")
        if channel_id is None or guild_id is None:
            raise UserInputError("/history works only in a server channel.")
        now = self.clock()
        # another server's subscription of the same channel id is not this channel's
        subs = [
            s
            for s in await self.store.list_subscriptions(channel_id=channel_id)
            if s.guild_id == guild_id
        ]
        since = now.date() - timedelta(days=days + 2)
        posts = await self.store.list_posts(channel_id=channel_id, since=since)
        lines: list[DayLine] = []
        for sub in subs:
            found = window_days(
                sub,
                [p for p in posts if p.subscription_id == sub.id],
                now,
                days=days,
                lag_days=self.lag_days,
                grace=self.grace,
                guild_id=guild_id,
            )
            if len(subs) > 1:  # several digests: say whose each day is
                found = [DayLine(d.day, f"{escape(sub.name)}: {d.text}") for d in found]
            lines.extend(found)
        # Digests since unsubscribed: each one's rows apart (two of them, or one and a current
        # digest, may have posted the same day), named as such beside a current digest.
        current = {s.id for s in subs}
        gone = sorted({p.subscription_id for p in posts if p.subscription_id not in current})
        for old in gone:
            found = window_days(
                None,
                [p for p in posts if p.subscription_id == old],
                now,
                days=days,
                lag_days=self.lag_days,
                grace=self.grace,
                guild_id=guild_id,
            )
            if subs or len(gone) > 1:
                found = [DayLine(d.day, f"{UNSUBSCRIBED}: {d.text}") for d in found]
            lines.extend(found)
        lines.sort(key=lambda d: d.day, reverse=True)  # stable: each digest's order kept
        return history_text(channel_id, days, lines, subscribed=bool(subs))
