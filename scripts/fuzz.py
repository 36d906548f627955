"""The deep fuzz campaign: every target of tests/fuzz_targets.py with random (not derandomized) hypothesis
inputs, round-robin until the time budget is spent. Prints the examples run per target and every crash
(the shrunk input and where it failed), and exits 1 when there was any.

    python scripts/fuzz.py --minutes 20             # what `make fuzz` runs (FUZZ_MINUTES=20)
    python scripts/fuzz.py --seconds 60 --target normalize --target segment

A crash found here is fixed and then replayed forever in CI: add its input as an explicit `@example(...)`
on the target's test in tests/test_fuzz.py.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HYPOTHESIS_PROFILE", "fuzz")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402 - after HYPOTHESIS_PROFILE is set above

from tests.fuzz_targets import TARGETS  # noqa: E402 - the project root joins sys.path above

BATCH = 200  # examples per hypothesis run; runs repeat until the target's share of time is spent


def run_target(name: str, seconds: float) -> tuple[int, list[str]]:
    fn, strategies = TARGETS[name]
    count = 0
    crashes: dict[str, str] = {}

    def counted(**kwargs):
        nonlocal count
        count += 1
        fn(**kwargs)

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        test = settings(
            max_examples=BATCH,
            deadline=None,
            derandomize=False,
            database=None,
            print_blob=True,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate, Phase.shrink],
        )(given(**strategies)(counted))
        try:
            test()
        except Exception as e:  # noqa: BLE001 - a crash of the code under test is what we are looking for
            tb = traceback.extract_tb(e.__traceback__)
            where = next(
                (f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb) if "/pipeline/" in f.filename),
                tb[-1].filename if tb else "?",
            )
            sig = f"{type(e).__name__} at {where}"
            if sig not in crashes:
                notes = "\n".join(getattr(e, "__notes__", []) or [])
                crashes[sig] = f"{sig}: {str(e)[:300]}\n{notes}"
                print(f"  CRASH {name}: {crashes[sig]}", flush=True)
    return count, list(crashes.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=None, help="total time budget (default 20)")
    ap.add_argument("--seconds", type=float, default=None, help="total time budget in seconds")
    ap.add_argument(
        "--target", action="append", choices=sorted(TARGETS), help="only these targets (repeatable)"
    )
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # the front end's notices about skipped text, by the thousand
    logging.disable(logging.WARNING)
    total = (
        args.seconds if args.seconds is not None else 60 * (args.minutes if args.minutes is not None else 20)
    )
    names = args.target or list(TARGETS)
    share = total / len(names)
    print(f"fuzz: {len(names)} targets, {total:.0f} s ({share:.0f} s each)", flush=True)
    t0 = time.monotonic()
    examples = 0
    all_crashes: list[str] = []
    for name in names:
        n, crashes = run_target(name, share)
        examples += n
        all_crashes += crashes
        print(f"  {name:<18} {n:>9,} examples  {len(crashes)} crash(es)", flush=True)
    wall = time.monotonic() - t0
    print(f"fuzz: {examples:,} examples in {wall:.0f} s, {len(all_crashes)} crash(es)")
    return 1 if all_crashes else 0


if __name__ == "__main__":
    sys.exit(main())
