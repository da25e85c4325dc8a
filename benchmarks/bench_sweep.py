"""Benchmark: Monte Carlo sweep throughput on korea-2020, per model, serial and with processes.

Run: ``python benchmarks/bench_sweep.py [--quick]``. Prints draws per second and the time that
100,000 draws would take. Targets (issue 5): 100,000 draws of mean+median under 5 s; the slowest
iterative model under 120 s per 100,000 draws.
"""

from __future__ import annotations

import sys
import time

import accord
from accord.analysis import make_executor, sweep

DRAWS = {"mean+median": 100_000, "nash": 20_000, "smp": 10_000}


def main(quick: bool) -> None:
    scenario = accord.load_scenario("korea-2020")
    cases: dict[str, tuple[str, ...]] = {"mean+median": ("mean", "median")}
    for name in accord.available_models():
        if name not in ("mean", "median"):
            cases[name] = (name,)
    print(f"{'models':<14}{'executor':<11}{'draws':>9}{'wall s':>9}{'draws/s':>11}"
          f"{'s per 100k':>12}")
    for label, models in cases.items():
        draws = DRAWS.get(label, 10_000) // (10 if quick else 1)
        for ex in ("serial", "processes"):
            start = time.perf_counter()
            sweep(scenario, models, draws=draws, seed=1, executor=make_executor(ex))
            wall = time.perf_counter() - start
            print(f"{label:<14}{ex:<11}{draws:>9}{wall:>9.2f}{draws / wall:>11,.0f}"
                  f"{100_000 * wall / draws:>12.1f}")


if __name__ == "__main__":
    main("--quick" in sys.argv)
