"""Autocomplete for the commands' options: categories, time zones and papers as Discord choices.

The only text of the commands that needs discord.py (`app_commands.Choice`); what the choices
are comes from `bot.taxonomy`, the system's IANA zone database and the store's search index
(`bot.services.search.SearchService.paper_choices`).
"""

from __future__ import annotations

import zoneinfo
from functools import cache

from discord import app_commands

from bot.taxonomy import MAX_CHOICES, complete_list, fit, search


def category_choices(current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for one category: `cs.CV — Computer Vision and Pattern Recognition`."""
    negate = current.strip().startswith("-")
    query = current.strip().lstrip("-")
    out = []
    for cat in search(query):
        value = f"-{cat.id}" if negate else cat.id
        label = f"-{cat.label}" if negate else cat.label
        out.append(app_commands.Choice(name=fit(label), value=value))
    return out


def choices(pairs: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """(name, value) pairs as Discord choices (the service keeps them within Discord's limits)."""
    return [app_commands.Choice(name=name, value=value) for name, value in pairs[:MAX_CHOICES]]


def category_list_choices(current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for a comma-separated list of categories (the last one is completed)."""
    return [app_commands.Choice(name=label, value=value) for label, value in complete_list(current)]


@cache
def _zones() -> tuple[str, ...]:
    names = {z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"}
    return tuple(sorted(n for n in names if not n.startswith(("Etc/", "SystemV/", "posix/"))))


POPULAR_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Australia/Sydney",
)


def zone_choices(current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for an IANA time zone: prefix matches first, then any part of the name."""
    q = current.strip().casefold().replace(" ", "_")
    if not q:
        return [app_commands.Choice(name=z, value=z) for z in POPULAR_ZONES]
    zones = _zones()
    first = [z for z in zones if z.casefold().startswith(q)]
    city = [z for z in zones if z not in first and z.casefold().split("/")[-1].startswith(q)]
    rest = [z for z in zones if z not in first and z not in city and q in z.casefold()]
    return [app_commands.Choice(name=z, value=z) for z in (first + city + rest)[:MAX_CHOICES]]
