"""Benchmark: SMP on KTAB's reference scenarios, and batched SMP draws on korea-2020.

Run: ``python benchmarks/bench_smp.py [--quick]``. Prints a table: states, wall time for the whole
model run (arrays in, forecast out; Python start-up excluded), time per turn, peak memory traced
by tracemalloc (numpy's allocations included), KTAB's own wall time (reference README), and the
speed-up. Then draws per second of the batched form on korea-2020.
Targets (issue 3): dummyData-a080 ≤ 0.5 s, dummyData-a160 ≤ 5 s, peak memory for a160 ≤ 2 GB.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

import accord
from accord.models.smp import run_smp
from accord.scenario.ktab import read_ktab_csv

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "ktab-smp"
KTAB_SECONDS = {
    "dummyData_3Dim": 0.09, "SOE-Pol-Comp": 0.56, "SOE-Policy": 1.6, "dummyData_6Dim": 2.8,
    "SOE-Competitive": 7.2, "dummyData-a040": 7.0, "dummyData-a080": 90.0,
    "dummyData-a160": 905.0,
}


def reference_table(quick: bool) -> None:
    print(f"{'scenario':<17}{'N×M':>8}{'states':>8}{'wall s':>9}{'ms/turn':>9}"
          f"{'peak MB':>9}{'KTAB s':>8}{'speed-up':>10}")
    for name, ktab in KTAB_SECONDS.items():
        if quick and name == "dummyData-a160":
            continue
        scenario = read_ktab_csv(REFERENCE / f"{name}.csv")
        start = time.perf_counter()
        forecast = accord.run_model("smp", scenario)
        wall = time.perf_counter() - start
        tracemalloc.start()
        accord.run_model("smp", scenario)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        states = forecast.diagnostics["states"]
        shape = f"{len(scenario.actors)}×{len(scenario.issues)}"
        print(f"{name:<17}{shape:>8}{states:>8}{wall:>9.3f}{1000 * wall / (states - 1):>9.1f}"
              f"{peak:>9.1f}{ktab:>8.2f}{ktab / wall:>9.0f}×")


def batched(draws: int) -> None:
    a = accord.to_arrays(accord.load_scenario("korea-2020"))
    rng = np.random.default_rng(0)
    pos = np.clip(a.position + rng.normal(0, 5, (draws, *a.position.shape)), 0, 100)
    sal = np.broadcast_to(a.salience, pos.shape)
    cap = np.broadcast_to(a.capability, (draws, a.n_actors))
    start = time.perf_counter()
    run = run_smp(pos, sal, cap, record=False)
    wall = time.perf_counter() - start
    print(f"\nbatched SMP on korea-2020 (7 actors × 8 issues), {draws} draws: {wall:.2f} s, "
          f"{draws / wall:,.0f} draws/s, states per draw {run.states.min()}–{run.states.max()}")


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    reference_table(quick)
    batched(200 if quick else 2000)
