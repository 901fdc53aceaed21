"""`/me subscribe`, `unsubscribe`, `list`, `pause` and `resume`: a user's own digests, by DM.

A personal digest is a subscription like a channel's, with the same options minus a server's
(no channel, no role pings, no thread: a DM has none, so only the formats that open no thread),
stored with `guild_id` 0, `user_id` the user and `channel_id` the bot's DM channel with them,
which is opened (`Mailbox.open_dm`, `POST /users/@me/channels`) when they subscribe. The same
scheduler posts it through the same engine and ledger as a channel's, so each period arrives
exactly once. At most `MAX_PERSONAL` per user; their names are unique per user (they share
the one DM channel).

Subscribing sends a short first message to the DM: a user who does not accept the bot's DMs
(403 / 50007) learns it at once, privately, and nothing is saved. A 50007 at post time later
switches the digest off with a reason (`bot.delivery.engine`); `/me list` shows it with what to
do, and `/me resume` tries the DM again and turns it back on.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Protocol

from bot import cadence
from bot.delivery.errors import UNREACHABLE, PostError, UserUnreachable
from bot.delivery.targets import TARGETS
from bot.errors import UserInputError
from bot.models import Subscription, stored_id
from bot.schedule import Clock, Slot
from bot.services.subscribe_options import SubscribeOptions, subscription_name
from bot.services.subscriptions import next_slots
from bot.services.texts import fit_lines, subscription_line
from bot.store.base import Store

MAX_PERSONAL = 5
PERSONAL_GUILD = 0  # a personal digest's guild id (a DM belongs to none)
# The formats a DM can take: those that need nothing beyond posting (no thread).
DM_FORMATS = tuple(name for name, target in TARGETS.items() if not target.permissions)

DMS_CLOSED = (
    "I cannot send you direct messages, so a personal digest could not reach you. Allow "
    "direct messages from me (a server we share: Privacy Settings, Direct Messages), or add "
    "me to your account (Add App, Try It Now / Add to My Apps), then run this again."
)
NO_DM = "I could not open a direct message with you just now; please try again in a moment."
# The options of a channel digest that a personal one takes (`SubscribeOptions`): not the
# server's own (role pings, role buttons, the server's votes).
PERSONAL_OPTIONS = (
    "name",
    "cadence",
    "weekday",
    "time",
    "timezone",
    "categories",
    "limit",
    "format",
    "min_score",
    "keywords",
    "post_empty",
    "late_risers",
)


class Mailbox(Protocol):
    """What a personal digest needs of Discord at subscribe time (`bot.app.sender`)."""

    async def open_dm(self, user_id: int) -> int:
        """The bot's DM channel with the user (opened if needed)."""
        ...

    async def send(self, channel_id: int, payload: dict[str, object], *, nonce: str) -> int:
        """Post a message; `UserUnreachable` when the user does not accept the bot's DMs."""
        ...


def greeting(sub: Subscription) -> str:
    """The first message in the DM: what will arrive here, and how to stop it."""
    return (
        f"Your personal HotPapers digest **{sub.name}** will arrive here: {when(sub)}. "
        "`/me list` shows your digests; `/me unsubscribe` stops one."
    )


def when(sub: Subscription) -> str:
    """`every day at 09:00 UTC` (the cadence in words, `bot.cadence.describe`)."""
    return f"{cadence.describe(sub)} at {sub.post_time} {sub.timezone}"


def personal_line(sub: Subscription, slot: Slot | None) -> str:
    """One personal digest in `/me list`: its name, settings, and state or next post."""
    line = subscription_line(sub, slot).split(" · ", 1)[-1]  # no channel: it is your DM
    if sub.failing_reason and sub.failing_reason.startswith(UNREACHABLE):
        since = f" since <t:{int(sub.failing_at.timestamp())}:f>" if sub.failing_at else ""
        return (
            f"**{sub.name}**: stopped{since}: I could not send you a direct message. Allow "
            f"direct messages from me, then run `/me resume name:{sub.name}`."
        )
    if sub.paused:
        return f"**{sub.name}**: paused (`/me resume name:{sub.name}`) · {line}"
    return f"**{sub.name}** · {line}"


class PersonalService:
    """A user's own digests, delivered by DM."""

    def __init__(
        self,
        store: Store,
        mailbox: Mailbox,
        *,
        clock: Clock,
        lag_days: int,
        default_time: str,
        default_timezone: str,
    ) -> None:
        self.store = store
        self.mailbox = mailbox
        self.clock = clock
        self.lag_days = lag_days
        self.default_time = default_time
        self.default_timezone = default_timezone

    async def _dm(self, user_id: int) -> int:
        try:
            return await self.mailbox.open_dm(user_id)
        except PostError:
            raise UserInputError(NO_DM) from None

    async def _greet(self, sub: Subscription) -> None:
        """The first message in the DM; `DMS_CLOSED` if the user does not accept it."""
        payload: dict[str, object] = {
            "content": greeting(sub),
            "allowed_mentions": {"parse": []},
        }
        try:
            await self.mailbox.send(sub.channel_id, payload, nonce=secrets.token_hex(12))
        except UserUnreachable:
            raise UserInputError(DMS_CLOSED) from None
        except PostError:
            raise UserInputError(NO_DM) from None

    async def mine(self, user_id: int, dm: int) -> list[Subscription]:
        """The user's personal digests (those in their DM channel), by name."""
        subs = await self.store.list_subscriptions(PERSONAL_GUILD, channel_id=dm)
        return [s for s in subs if s.user_id == user_id]

    async def _one(self, user_id: int, name: str | None) -> Subscription:
        dm = await self._dm(user_id)
        subs = await self.mine(user_id, dm)
        if name is not None:
            subs = [s for s in subs if s.name == subscription_name(name)]
        if not subs:
            raise UserInputError(
                f"You have no personal digest{' named ' + repr(name) if name else ''}. "
                "`/me subscribe` sets one up; `/me list` shows yours."
            )
        if len(subs) > 1:
            names = ", ".join(s.name for s in subs)
            raise UserInputError(f"You have several personal digests ({names}): pick one by name.")
        return subs[0]

    async def subscribe(self, user_id: int, options: SubscribeOptions) -> str:
        """Start (or change) a personal digest; options not given stay as set. The reply."""
        name = subscription_name(options.name)
        server_only = [o for o in options.given() if o not in PERSONAL_OPTIONS]
        if server_only:
            raise UserInputError(f"A personal digest has no {', '.join(server_only)} option.")
        if options.format is not None and options.format not in DM_FORMATS:
            raise UserInputError(f"A direct message takes the format {' or '.join(DM_FORMATS)}.")
        options.validated()  # a bad option is said before the DM is opened
        dm = await self._dm(user_id)
        mine = await self.mine(user_id, dm)
        old = next((s for s in mine if s.name == name), None)
        if old is None and len(mine) >= MAX_PERSONAL:
            raise UserInputError(
                f"You have {len(mine)} personal digests, the most one person may have. "
                "`/me unsubscribe` one first."
            )
        base = old or Subscription(
            guild_id=PERSONAL_GUILD,
            channel_id=dm,
            user_id=user_id,
            name=name,
            format=DM_FORMATS[0],
            post_time=self.default_time,
            timezone=self.default_timezone,
            created_at=self.clock(),  # slots before this moment are not due
        )
        update = {"enabled": True, "failing_reason": None, "user_id": user_id, "channel_id": dm}
        sub = options.apply(base.model_copy(update=update), guild_id=PERSONAL_GUILD)
        if old is None or not old.enabled:
            await self._greet(sub)  # before saving: a user who takes no DMs gets nothing saved
        saved = await self.store.upsert_subscription(sub)
        slot = (await self.slots([saved]))[stored_id(saved)]
        verb = "Updated" if old else "Subscribed"
        return fit_lines(
            [f"{verb} your personal digest **{saved.name}**: {when(saved)}, by DM."],
            [personal_line(saved, slot)],
        )

    async def unsubscribe(self, user_id: int, name: str | None = None) -> str:
        """Stop a personal digest (what was sent stays); the reply."""
        sub = await self._one(user_id, name)
        await self.store.delete_subscription(stored_id(sub))
        return f"Unsubscribed: no more **{sub.name}** digests by DM."

    async def listing(self, user_id: int) -> str:
        """The user's personal digests, each with its next post or why it stopped."""
        dm = await self._dm(user_id)
        subs = await self.mine(user_id, dm)
        if not subs:
            return "You have no personal digest yet. `/me subscribe` sets one up."
        slots = await self.slots(subs)
        lines = [f"• {personal_line(s, slots[stored_id(s)])}" for s in subs]
        return fit_lines([f"**Your personal digests** ({len(subs)} of {MAX_PERSONAL})"], lines)

    async def pause(self, user_id: int, name: str | None = None) -> str:
        """Pause a personal digest (nothing is posted until it is resumed); the reply."""
        sub = await self._one(user_id, name)
        await self.store.set_paused(stored_id(sub), True)
        return f"Paused **{sub.name}**: `/me resume` starts it again."

    async def resume(self, user_id: int, name: str | None = None) -> str:
        """Resume a paused digest, or one stopped because the DM could not be sent (after
        trying the DM again); the reply."""
        sub = await self._one(user_id, name)
        if not sub.enabled:
            await self._greet(sub)
            await self.store.set_enabled(stored_id(sub), True)
            await self.store.mark_failing(stored_id(sub), None)
        await self.store.set_paused(stored_id(sub), False)
        return f"Resumed **{sub.name}**: {when(sub)}, by DM."

    async def slots(self, subs: Sequence[Subscription]) -> dict[int, Slot | None]:
        """Each digest's next slot whose period is not posted yet."""
        return await next_slots(self.store, subs, clock=self.clock, lag_days=self.lag_days)
