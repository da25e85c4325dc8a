"""Benchmark: `accord forecast` start-up and the compromise models.

Run: ``python benchmarks/bench_forecast.py``. Prints a table of wall times (median of repeats).
Target (issue 2): `accord forecast` on korea-2020, whole command, under 2 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

import accord
from accord.models.compromise import weighted_mean, weighted_median


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    rows: list[tuple[str, float, str]] = []
    cli = timed(lambda: subprocess.run(["accord", "forecast"], check=True, capture_output=True), 5)
    rows.append(("accord forecast (korea-2020, 3 models, whole command)", cli, "target < 2 s"))
    imp = timed(
        lambda: subprocess.run([sys.executable, "-c", "import accord"], check=True), 5
    )
    rows.append(("python -c 'import accord'", imp, ""))
    scenario = accord.load_scenario("korea-2020")
    rows.append(("load korea-2020 (YAML + validation)",
                 timed(lambda: accord.load_scenario("korea-2020"), 20), ""))
    for model in accord.available_models():
        rows.append((f"model {model} on korea-2020",
                     timed(lambda m=model: accord.forecast(scenario, m), 50), ""))
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, (10_000, 7, 8))
    w = rng.uniform(0, 100, (10_000, 7, 8))
    mean_t = timed(lambda: weighted_mean(x, w), 10)
    median_t = timed(lambda: weighted_median(x, w), 10)
    rows.append(("weighted_mean, 10,000 draws × 7 actors × 8 issues", mean_t,
                 f"{10_000 / mean_t:,.0f} draws/s"))
    rows.append(("weighted_median, 10,000 draws × 7 actors × 8 issues", median_t,
                 f"{10_000 / median_t:,.0f} draws/s"))
    width = max(len(r[0]) for r in rows)
    print(f"{'case'.ljust(width)}  {'wall time':>12}  note")
    for name, seconds, note in rows:
        shown = f"{seconds * 1000:9.2f} ms" if seconds < 1 else f"{seconds:9.3f} s "
        print(f"{name.ljust(width)}  {shown:>12}  {note}")


if __name__ == "__main__":
    main()
