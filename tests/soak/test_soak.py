"""The soak (issue 11, item 9): a simulated month, 200 channels, seeded faults of every class.

See `tests/soak/harness.py` for what runs and what is checked. Each test prints its table
(`pytest -s` shows it); `python -m tests.soak --faults all --seed 3` runs one from the shell.

Fault classes whose fix is not on main yet are `xfail(strict=True)` with the fix they wait for:
when it lands, the test XPASSes, pytest fails on the strict xfail, and the integrator moves the
class from `PENDING` to `SURVIVED` (the month test then carries it on every seed).
"""

from __future__ import annotations

import pytest

from tests.soak.harness import FAULT_CLASSES, SoakConfig, run_soak

# A simulated month of hundreds of channels: the slow tier.
pytestmark = pytest.mark.slow

# Classes the code on main survives today (lenient outcomes: see the harness docstring).
SURVIVED = frozenset(
    {
        "rate_limits_short",
        "server_errors",
        "server_errors_after",
        "source_exceptions",
        "deleted_threads",
        "rate_limits_long",
        "second_process",
        "forbidden",
        "deleted_channels",
        "gateway",
        "restarts",
        "clock_jumps",
        "slow_upstream",
    }
)
# Classes main fails today, and the fix each one waits for.
PENDING: dict[str, str] = {}
assert SURVIVED | PENDING.keys() == set(FAULT_CLASSES), "every fault class is in one list"

MONTH_SEEDS = (11, 23)
CLASS_DAYS = 2


def _show(report: object) -> None:
    print()
    print(report.table())  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", MONTH_SEEDS)
async def test_a_month_of_200_channels_with_every_survived_fault_class(seed: int) -> None:
    """30 days, 8 zones and five DST changes, every class main survives, mixed."""
    report = await run_soak(SoakConfig(seed=seed, days=30, faults=SURVIVED, events_per_class=3))
    _show(report)
    assert report.outcomes.get("sent on time", 0) > 3000, report.table()
    assert report.ok, report.summary()


@pytest.mark.parametrize(
    "fault_class",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=f"needs fix: {why}"))
        for c, why in PENDING.items()
    ],
)
async def test_each_pending_fault_class_on_its_own(fault_class: str) -> None:
    """Two days with one class only, so a failure names its class; each is expected to fail
    until its fix lands (then it XPASSes: move the class to `SURVIVED`). A class in
    `SURVIVED` runs in the month on every seed; `python -m tests.soak --faults NAME` runs any
    class alone."""
    seed = 100 + FAULT_CLASSES.index(fault_class)
    report = await run_soak(
        SoakConfig(
            seed=seed,
            days=CLASS_DAYS,
            faults=frozenset({fault_class}),
            events_per_class=3,
            max_stalls=1,
        )
    )
    _show(report)
    assert sum(report.faults.values()) > 0, "the class injected nothing"
    assert report.ok, report.summary()


async def test_every_day_ends_in_a_stated_outcome() -> None:
    """No faults, strict outcomes: no day silently absent, no 'sent' without a message."""
    report = await run_soak(SoakConfig(seed=5, days=CLASS_DAYS, strict_outcomes=True))
    _show(report)
    assert report.ok, report.summary()


async def test_everything_at_once_strict() -> None:
    """Every class mixed, strict outcomes: the soak of the issue's "Done when"."""
    report = await run_soak(
        SoakConfig(seed=7, days=4, faults=frozenset({"all"}), strict_outcomes=True, max_stalls=1)
    )
    _show(report)
    assert report.ok, report.summary()


# --- the soak can fail ------------------------------------------------------------------------


async def test_the_soak_reports_broken_isolation() -> None:
    """Scratch component: a source exception escapes its unit and takes the tick with it.

    One day's source fails for good. Isolated, only that day's channels would suffer; broken,
    every tick that still has that day due is lost, and the soak must report the damage to
    the other days' channels: posts late with no fault of their own, or never made.
    """
    cfg = SoakConfig(seed=3, days=3, faults=frozenset({"source_exceptions"}), break_isolation=True)
    report = await run_soak(cfg)
    _show(report)
    assert report.damage > 0
    assert {"tick-aborted", "tick-raised"} & report.violations.keys(), report.summary()
    poisoned = report.notes["poisoned"]
    others = [
        v
        for kind in ("late-unexcused", "no-outcome", "late-beyond-window")
        for v in report.violations.get(kind, [])
        if poisoned not in v
    ]
    assert others, report.summary()


async def test_the_soak_reports_a_second_poster_it_cannot_see() -> None:
    """The soak's own check has teeth: a second process on a stale copy of the store (a
    restored backup: neither the lease nor the ledger's claim can see it; Discord's nonce
    window out of reach) posts again, and the soak reports the duplicates and the messages
    the ledger does not know.

    (It used to run two processes on ONE store with the lease off. Since the ledger's claim
    says who won and a loser reads the channel back before sending, that seed no longer
    duplicates; one store without a lease is still not safe in general, since a loser that
    reads back before the winner's first message arrives still sends, so the lease stays.)"""
    report = await run_soak(
        SoakConfig(
            seed=4,
            days=CLASS_DAYS,
            faults=frozenset({"second_process"}),
            lease=False,
            stale_copy=True,
        )
    )
    _show(report)
    assert report.damage > 0
    assert "duplicate" in report.violations, report.summary()
