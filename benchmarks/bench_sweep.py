"""Benchmark: Monte Carlo sweep throughput on korea-2020, per model, serial and with processes.

Run: ``python benchmarks/bench_sweep.py [--quick | --full]``. Prints draws per second and the
time that 100,000 draws would take (``--full`` runs all 100,000 for every model; ``--quick`` a
tenth of the default). Targets (issue 5): 100,000 draws of mean+median under 5 s; the slowest
iterative model under 120 s per 100,000 draws. Draw counts are multiples of 4,000 where it
matters: sweeps split draws into blocks of 2,000, and an odd number of blocks would leave one
of the two workers idle at the end.
"""

from __future__ import annotations

import sys
import time

import accord
from accord.analysis import make_executor, sweep

DRAWS = {"mean+median": 100_000, "nash": 20_000, "bdm": 20_000, "smp": 12_000,
         "exchange": 20_000}


def main(quick: bool, full: bool) -> None:
    scenario = accord.load_scenario("korea-2020")
    cases: dict[str, tuple[str, ...]] = {"mean+median": ("mean", "median")}
    for name in accord.available_models():
        if name not in ("mean", "median"):
            cases[name] = (name,)
    print(f"{'models':<14}{'executor':<11}{'draws':>9}{'wall s':>9}{'draws/s':>11}"
          f"{'s per 100k':>12}")
    for label, models in cases.items():
        draws = 100_000 if full else DRAWS.get(label, 12_000) // (10 if quick else 1)
        for ex in ("serial", "processes"):
            start = time.perf_counter()
            sweep(scenario, models, draws=draws, seed=1, executor=make_executor(ex))
            wall = time.perf_counter() - start
            print(f"{label:<14}{ex:<11}{draws:>9}{wall:>9.2f}{draws / wall:>11,.0f}"
                  f"{100_000 * wall / draws:>12.1f}")


if __name__ == "__main__":
    main("--quick" in sys.argv, "--full" in sys.argv)
