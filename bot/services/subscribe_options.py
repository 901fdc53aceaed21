"""The options of a digest subscription, as a moderator (or a member, for a personal digest)
types them: one place for `/digest subscribe`, `/digest preview` and `/me subscribe`.

`SubscribeOptions` holds what was typed (None: "keep as set", or the default for a new
digest); `validated()` turns it into `Subscription` fields or a `UserInputError` naming the
option; `apply()` gives the subscription those options make of a base one, checking what
only the whole can tell (a weekday without a weekly cadence, a ping without a role). The
cogs build it from their options (`bot.app.cogs.options` holds the Discord side: choices
and descriptions) and hand it to a service; nothing here imports discord.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any, get_args

from bot.cadence import CADENCES, WEEKDAYS
from bot.config import is_iana_zone
from bot.delivery.targets import TARGETS, known
from bot.errors import UserInputError
from bot.filters import check_limit, check_min_score, parse_categories, parse_keywords
from bot.models import MAX_LATE_RISERS, Ping, Subscription
from bot.quoting import shown
from bot.schedule import format_hhmm, get_zone, parse_hhmm

DEFAULT_NAME = "daily"
MAX_PER_CHANNEL = 10  # digests one channel may hold
PINGS: tuple[str, ...] = get_args(Ping)
_NAME = re.compile(r"^[a-z0-9-]{1,32}$")


def subscription_name(text: str | None) -> str:
    """A digest's name as typed (case and spaces around it ignored); `daily` when None."""
    if text is None:
        return DEFAULT_NAME
    name = text.strip().lower()
    if not _NAME.fullmatch(name):
        raise UserInputError(
            f"{shown(text)} is not a digest name: use 1 to 32 lowercase letters, digits or "
            "dashes, e.g. daily or cv-weekly."
        )
    return name


def zone_name(text: str) -> str:
    """The IANA zone a moderator typed (spaces around it ignored); ValueError if it is none.

    Only the IANA database's names, as in the config: not the host's files such as
    `localtime` (the host's own zone), `posixrules` or the `right/…` copies."""
    name = text.strip()
    zone = get_zone(name).key  # the message for a name that does not load at all
    if not is_iana_zone(zone):
        raise ValueError(
            f"{shown(name)} is not an IANA time zone: use a name such as Europe/Berlin, "
            "America/New_York, Asia/Tokyo or UTC"
        )
    return zone


@dataclass(frozen=True)
class SubscribeOptions:
    """The options of `/digest subscribe` (and `/digest preview`, `/me subscribe`), as typed;
    None means "keep as set" (a new digest: the default). `name` picks the digest of the
    channel (default `daily`); `role_id` is the role option's id (the cog reads it off the
    `discord.Role`)."""

    name: str | None = None
    cadence: str | None = None
    weekday: int | None = None
    time: str | None = None
    timezone: str | None = None
    categories: str | None = None
    limit: int | None = None
    format: str | None = None
    min_score: float | None = None
    keywords: str | None = None
    post_empty: bool | None = None
    role_id: int | None = None
    ping: str | None = None
    ping_min_score: float | None = None
    self_roles: bool | None = None
    late_risers: int | None = None
    server_votes: bool | None = None

    def given(self) -> list[str]:
        """The options that were typed, in declaration order."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def validated(self) -> dict[str, Any]:
        """The subscription fields these options set (not `name`); UserInputError for a bad
        one."""
        out: dict[str, Any] = {}
        try:
            if self.time is not None:
                out["post_time"] = format_hhmm(parse_hhmm(self.time))
            if self.timezone is not None:
                out["timezone"] = zone_name(self.timezone)
        except ValueError as exc:
            raise UserInputError(str(exc)) from None
        if self.cadence is not None:
            if self.cadence not in CADENCES:
                raise UserInputError(f"cadence must be {', '.join(CADENCES)}.")
            out["cadence"] = self.cadence
        if self.weekday is not None:
            if not 0 <= self.weekday <= 6:
                raise UserInputError(f"weekday must be one of {', '.join(WEEKDAYS)}.")
            out["weekday"] = self.weekday
        if self.categories is not None:
            include, exclude = parse_categories(self.categories)
            out["categories"] = [*include, *(f"-{c}" for c in exclude)]
        if self.limit is not None:
            out["limit"] = check_limit(self.limit)
        if self.format is not None:
            if not known(self.format):
                raise UserInputError(f"format must be {' or '.join(TARGETS)}.")
            out["format"] = self.format
        if self.min_score is not None:
            out["min_score"] = check_min_score(self.min_score)
        if self.keywords is not None:
            out["keywords"] = list(parse_keywords(self.keywords))
        for flag in ("post_empty", "self_roles", "server_votes"):
            if (value := getattr(self, flag)) is not None:
                out[flag] = bool(value)
        out.update(self._pings())
        if self.late_risers is not None:
            if not 0 <= self.late_risers <= MAX_LATE_RISERS:
                raise UserInputError(
                    f"late_risers must be a whole number from 0 (off) to {MAX_LATE_RISERS}."
                )
            out["late_risers"] = self.late_risers
        return out

    def _pings(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.role_id is not None:
            out["role_id"] = self.role_id
        if self.ping is not None:
            if self.ping not in PINGS:
                raise UserInputError(f"ping must be {', '.join(PINGS)}.")
            out["ping"] = self.ping
        if self.ping_min_score is not None:
            try:
                out["ping_min_score"] = check_min_score(self.ping_min_score)
            except UserInputError:
                raise UserInputError(
                    f"ping_min_score must be a number of 0 or more (got {self.ping_min_score})."
                ) from None
        return out

    def apply(self, base: Subscription, *, guild_id: int) -> Subscription:
        """`base` with these options set; a UserInputError for options that do not fit
        together (a weekday for a digest that is not weekly, a ping or role buttons without
        a role, the everyone role)."""
        sub = base.model_copy(update=self.validated())
        if self.weekday is not None and sub.cadence != "weekly":
            raise UserInputError("weekday is for a weekly digest: add cadence:weekly.")
        if sub.role_id is not None and sub.role_id == guild_id:
            raise UserInputError("Pick a role other than the server's everyone role.")
        if sub.role_id is None and (sub.ping != "off" or sub.self_roles):
            raise UserInputError("ping and self_roles need a role: add the role option.")
        return sub
