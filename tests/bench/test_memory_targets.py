"""bench/memory.py's summary, and the wait both children make for their guilds (made-up
figures; no timing)."""

from __future__ import annotations

import asyncio
from typing import Any

from _botproc import settled_guilds
from memory import summary


def line(wanted: int, bot: float, floor: float, guilds: int = 0, floor_guilds: int = 0) -> Any:
    """A size's line as `one_size` makes it (the guilds each child said it held)."""
    return {
        "guilds_wanted": wanted,
        "guilds": guilds or wanted,
        "floor_guilds": floor_guilds or wanted,
        "peak_rss_mb": bot,
        "floor_peak_rss_mb": floor,
        "peak_ratio_to_floor": round(bot / floor, 3),
    }


def test_every_guild_held_meets_the_targets() -> None:
    lines = [line(500, 60.0, 50.0), line(2500, 66.0, 55.0), line(10_000, 90.0, 75.0)]
    assert summary(lines)["targets"] == {
        "at_guilds": 2500,
        "every_guild_held": True,
        "peak_ratio_le_1.3": True,
        "slope_ratio_le_1.3": True,
    }


def test_a_bot_that_held_fewer_guilds_meets_no_target() -> None:
    # READY came before the last GUILD_CREATEs: the bot measured with 1,800 of 2,500 guilds.
    lines = [line(500, 60.0, 50.0), line(2500, 60.0, 55.0, guilds=1800)]
    assert summary(lines)["targets"] == {
        "at_guilds": 1800,
        "every_guild_held": False,
        "peak_ratio_le_1.3": False,
        "slope_ratio_le_1.3": False,
    }


def test_a_floor_that_held_fewer_guilds_meets_no_target() -> None:
    lines = [line(500, 60.0, 50.0), line(2500, 66.0, 52.0, floor_guilds=2000)]
    targets = summary(lines)["targets"]
    assert targets["every_guild_held"] is False and targets["peak_ratio_le_1.3"] is False


class Guild:
    """A guild as discord.py lists it: `unavailable` until its GUILD_CREATE."""

    def __init__(self, unavailable: bool = False) -> None:
        self.unavailable = unavailable


class Arriving:
    """A client whose guilds arrive in three bursts after READY."""

    def __init__(self) -> None:
        self.bursts = [3, 5, 8]
        self.held: list[Guild] = []

    @property
    def guilds(self) -> list[Guild]:
        if self.bursts:
            self.held = [Guild() for _ in range(self.bursts.pop(0))]
        return self.held


class ListedAtReady:
    """A client that lists every guild from READY at once, `unavailable` until created:
    the count holds from the start, so only the flags tell that guilds are missing."""

    def __init__(self) -> None:
        self.reads = 0

    @property
    def guilds(self) -> list[Guild]:
        self.reads += 1
        return [Guild(unavailable=self.reads < 4 and i % 2 == 0) for i in range(6)]


def test_a_child_waits_until_its_guild_count_holds() -> None:
    assert asyncio.run(settled_guilds(Arriving(), hold=0)) == 8


def test_a_child_waits_for_the_guilds_listed_unavailable_at_ready() -> None:
    client = ListedAtReady()
    assert asyncio.run(settled_guilds(client, hold=0)) == 6
    assert client.reads >= 4
    assert not any(g.unavailable for g in client.guilds)
