"""Benchmark: BDM on the emission example and korea-2020, and batched draws on korea-2020.

Run: ``python benchmarks/bench_bdm.py``. Prints the best of several wall times for one run of the
registered model (arrays in, forecast with all diagnostics out) on the emission example and on
korea-2020, then draws per second of the batched form on korea-2020 (7 actors × 8 issues,
10 rounds, default profile). Target (issue): at least 2,000 draws/s.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import accord
import accord.models.bdm
from accord.models.bdm import run_bdm

EMISSION = Path(__file__).resolve().parents[2] / "shared" / "reference" / "bdm" / "emission.csv"


def best(fn: Callable[[], object], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    if EMISSION.exists():
        with EMISSION.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        x = np.array([[[float(r["position"])] for r in rows]])
        s = np.array([[[float(r["salience"])] for r in rows]])
        c = np.array([[float(r["capability"]) for r in rows]])
        for profile in accord.models.bdm.PROFILES:
            opt = accord.models.bdm.bdm_options(profile)
            t = best(lambda opt=opt: run_bdm(x, s, c, options=opt, record=True))
            print(f"emission, {profile:<11} one run (10 rounds, offers kept): {1000 * t:7.2f} ms")
    korea = accord.to_arrays(accord.load_scenario("korea-2020"))
    t = best(lambda: accord.run_model("bdm", korea))
    print(f"korea-2020, registered model (forecast + diagnostics):   {1000 * t:7.2f} ms")
    rng = np.random.default_rng(1)
    for draws in (2_000, 10_000):
        pos = np.clip(korea.position + rng.normal(0, 5, (draws, *korea.position.shape)), 0, 100)
        sal = np.broadcast_to(korea.salience, pos.shape)
        cap = np.broadcast_to(korea.capability, (draws, korea.n_actors))
        t = best(lambda pos=pos, sal=sal, cap=cap: run_bdm(pos, sal, cap), repeat=3)
        print(f"korea-2020, {draws:>6} draws batched: {t:6.3f} s = {draws / t:8.0f} draws/s")


if __name__ == "__main__":
    main()
