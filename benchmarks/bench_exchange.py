"""Benchmark: the exchange model, exact and fast, and batched draws on korea-2020.

Run: ``python benchmarks/bench_exchange.py [--quick]``. Prints, for the two decide reference files,
the time of a 10-round run in exact and in fast arithmetic (arrays in, forecast out; best of 5,
wall and CPU time), then a synthetic 100 actors × 30 issues scenario in fast arithmetic (skipped
with ``--quick``), then draws per second of the batched form on Monte Carlo draws of korea-2020
(``sample_batch``), for 1,000 and 10,000 draws (200 with ``--quick``).
Targets (issue): exact on copenhagen ≤ 0.3 s, fast on copenhagen ≤ 20 ms; batched korea-2020
≥ 850 draws/s (100,000 draws in 2 minutes; met with two worker processes, see bench_sweep.py).
The machine is shared: compare CPU times.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import accord
import accord.models.exchange
from accord.models.exchange import exchange, exchange_batch, run_exchange
from accord.scenario.decide import read_decide
from accord.scenario.uncertainty import sample_batch

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "exchange"


def best_of(fn: Callable[[], object], n: int = 5) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``n`` runs."""
    wall, cpu = [], []
    for _ in range(n):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def reference_table() -> None:
    print(f"{'file':<18}{'N×M':>7}{'arithmetic':>12}{'wall ms':>9}{'cpu ms':>8}{'exchanges':>11}")
    for name in ("copenhagen.csv", "sample_data.txt"):
        a = accord.to_arrays(read_decide(REFERENCE / name))
        for arithmetic in ("exact", "fast"):
            f = exchange(a, arithmetic=arithmetic)
            wall, cpu = best_of(lambda a=a, ar=arithmetic: exchange(a, arithmetic=ar))
            print(f"{name:<18}{a.n_actors:>4}×{a.n_issues:<2}{arithmetic:>12}{1000 * wall:>9.1f}"
                  f"{1000 * cpu:>8.1f}{sum(f.diagnostics['exchanges_per_round']):>11}")


def synthetic(n_actors: int = 100, n_issues: int = 30, rounds: int = 10) -> None:
    rng = np.random.default_rng(0)
    pos = rng.uniform(0, 100, (1, n_actors, n_issues)).round(1)
    sal = rng.uniform(5, 100, (1, n_actors, n_issues)).round(0)
    cap = rng.uniform(1, 100, (1, n_actors)).round(0)
    wall, cpu = time.perf_counter(), time.process_time()
    run = run_exchange(pos, sal, cap, rounds=rounds)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    created = [int(r.created[0]) for r in run.rounds]
    counts = [int(r.count[0]) for r in run.rounds]
    print(f"\nsynthetic {n_actors} actors × {n_issues} issues, {rounds} rounds (fast): "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU; candidates per round "
          f"{min(created):,}–{max(created):,}, exchanges per round {min(counts):,}–{max(counts):,}")


def batched(draws: int) -> None:
    b = sample_batch(accord.load_scenario("korea-2020"), draws, np.random.default_rng(0))
    wall, cpu = time.perf_counter(), time.process_time()
    out = exchange_batch(b.position, b.salience, b.capability, b.present)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"batched exchange on korea-2020 (7 actors × 8 issues, 10 rounds), {draws:,} draws: "
          f"{wall:.2f} s wall, {cpu:.2f} s CPU, {draws / cpu:,.0f} draws/s (CPU); mean outcome "
          f"{np.round(out.mean(axis=0), 1).tolist()}")


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    reference_table()
    if not quick:
        synthetic()
    print()
    for n in (200,) if quick else (1000, 10_000):
        batched(n)
