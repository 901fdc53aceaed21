"""The Discord side of a digest's options: choices and descriptions, in one place.

`/digest subscribe`, `/digest preview` and `/me subscribe` take the same options
(`bot.services.subscribe_options.SubscribeOptions`); a cog declares them in its signature and
takes their choices and descriptions from here, so the commands say the same thing:

    @app_commands.choices(**SUBSCRIBE_CHOICES)
    @app_commands.choices(weekday=WEEKDAY_CHOICES)
    @app_commands.describe(**describe(SUBSCRIBE_OPTIONS))  # or a subset of the names
    async def subscribe(self, interaction, name: str | None = None, cadence: … , …): …
        options = subscribe_options(name=name, cadence=cadence, …)

Discord allows 25 options per command and 100 characters per description (checked by
tests/app/test_commands.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import discord
from discord import app_commands

from bot.cadence import CADENCES, WEEKDAYS
from bot.delivery.targets import TARGETS
from bot.models import MAX_LATE_RISERS
from bot.services.subscribe_options import PINGS, SubscribeOptions

# The formats a moderator may choose are the delivery targets (one line each in `TARGETS`).
FORMAT_CHOICES = [app_commands.Choice(name=name, value=name) for name in TARGETS]
FORMATS_DESCRIBED = "; ".join(f"{name}: {t.summary}" for name, t in TARGETS.items())
CADENCE_CHOICES = [app_commands.Choice(name=c, value=c) for c in CADENCES]
WEEKDAY_CHOICES = [app_commands.Choice(name=d, value=i) for i, d in enumerate(WEEKDAYS)]
PING_CHOICES = [app_commands.Choice(name=p, value=p) for p in PINGS]

# The options with text choices (`weekday`'s are numbers: `WEEKDAY_CHOICES`, apart, as
# `app_commands.choices` takes one type of choice per call).
SUBSCRIBE_CHOICES: dict[str, list[app_commands.Choice[str]]] = {
    "format": FORMAT_CHOICES,
    "cadence": CADENCE_CHOICES,
    "ping": PING_CHOICES,
}

DESCRIPTIONS: dict[str, str] = {
    "channel": "where to post (default: this channel)",
    "name": "which digest of the channel: a short name, e.g. daily or cv-weekly (default daily)",
    "cadence": "how often: daily, weekdays, weekly (the week's top) or monthly (default daily)",
    "weekday": "the day a weekly digest posts (default Monday)",
    "time": "when to post, HH:MM in 24-hour time (default 09:00)",
    "timezone": "an IANA time zone such as Europe/Berlin (default UTC)",
    "categories": "arXiv categories, comma-separated; prefix - to exclude, e.g. cs.CV, -cs.RO",
    "limit": "how many papers per post, 1 to 25 (default 10)",
    "format": FORMATS_DESCRIBED,
    "min_score": "only papers scoring at least this (default 0)",
    "keywords": "only papers whose title or abstract has one of these, comma-separated",
    "post_empty": "post a short notice on a day without papers (default yes)",
    "role": "a role the post may mention (see ping) and members may take (see self_roles)",
    "ping": "mention the role: off, always, or when a paper scores ping_min_score (default off)",
    "ping_min_score": "with ping:score, the score a paper needs for the mention (default 0)",
    "self_roles": "a button on the post lets members take or drop the role (default no)",
    "late_risers": f"follow up on papers that climb into the week's top K, 0 (off) to "
    f"{MAX_LATE_RISERS}",
    "server_votes": "this server's 👍 votes count in its ranking (default no)",
}
# In the order `/digest subscribe` offers them (the channel option is the cog's own).
SUBSCRIBE_OPTIONS = tuple(DESCRIPTIONS)
NAME_OF_ONE = "which digest of the channel (may be left out when it has one)"


def describe(names: Iterable[str]) -> dict[str, str]:
    """The descriptions of the options `names`, for `app_commands.describe(**…)`."""
    return {n: DESCRIPTIONS[n] for n in names}


def subscribe_options(
    *,
    name: str | None = None,
    cadence: app_commands.Choice[str] | None = None,
    weekday: app_commands.Choice[int] | None = None,
    time: str | None = None,
    timezone: str | None = None,
    categories: str | None = None,
    limit: int | None = None,
    format: app_commands.Choice[str] | None = None,
    min_score: float | None = None,
    keywords: str | None = None,
    post_empty: bool | None = None,
    role: discord.Role | None = None,
    ping: app_commands.Choice[str] | None = None,
    ping_min_score: float | None = None,
    self_roles: bool | None = None,
    late_risers: int | None = None,
    server_votes: bool | None = None,
) -> SubscribeOptions:
    """The options as the services take them: choices by value, the role by id."""
    return SubscribeOptions(
        name=name,
        cadence=None if cadence is None else cadence.value,
        weekday=None if weekday is None else weekday.value,
        time=time,
        timezone=timezone,
        categories=categories,
        limit=limit,
        format=None if format is None else format.value,
        min_score=min_score,
        keywords=keywords,
        post_empty=post_empty,
        role_id=None if role is None else role.id,
        ping=None if ping is None else ping.value,
        ping_min_score=ping_min_score,
        self_roles=self_roles,
        late_risers=late_risers,
        server_votes=server_votes,
    )
