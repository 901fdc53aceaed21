"""`python -m tests.soak [--seed N] [--days D] [--faults a,b|all] [--strict]`: one soak, its table.

Prints the outcome table and the violations (with examples); exit code 1 if any were found.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time

from tests.soak.harness import FAULT_CLASSES, SoakConfig, run_soak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument(
        "--faults", default="", help=f"comma-separated: all, {', '.join(FAULT_CLASSES)}"
    )
    parser.add_argument("--strict", action="store_true", help="require empty/missed outcomes")
    parser.add_argument("--break-isolation", action="store_true")
    parser.add_argument("--no-lease", action="store_true")
    parser.add_argument("--log", default="CRITICAL")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log)
    faults = frozenset(f for f in args.faults.split(",") if f)
    unknown = faults - set(FAULT_CLASSES) - {"all"}
    if unknown:
        parser.error(f"unknown fault classes: {', '.join(sorted(unknown))}")
    cfg = SoakConfig(
        seed=args.seed,
        days=args.days,
        channels=args.channels,
        faults=faults,
        strict_outcomes=args.strict,
        break_isolation=args.break_isolation,
        lease=not args.no_lease,
    )
    started = time.perf_counter()
    report = asyncio.run(run_soak(cfg))
    print(report.table())
    print(f"  (took {time.perf_counter() - started:.1f}s)")
    if not report.ok:
        print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
