"""Benchmark: the strategy lab on korea-2020, 10,000 draws per protocol.

Run: ``python benchmarks/bench_strategy.py [DRAWS]``. Prints wall time and draws/s per protocol
(median of three runs), with and without levers. Target (issue 5): under 30 s per protocol for
10,000 draws on a 2-core machine.
"""

from __future__ import annotations

import statistics
import sys
import time

import accord
from accord.negotiation import run_strategy

TARGET_SECONDS = 30.0


def timed(protocol: str, draws: int, levers: tuple[str, ...], repeat: int = 3) -> float:
    scenario = accord.load_scenario("korea-2020")
    times = []
    for seed in range(repeat):
        start = time.perf_counter()
        run_strategy(scenario, protocols=[protocol], levers=levers, draws=draws, seed=seed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    draws = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    cases = [((), "no levers"), (("yongbyon-deal", "china-stakeholder"), "two levers")]
    print(f"strategy lab, korea-2020, {draws:,} draws (target < {TARGET_SECONDS:.0f} s per "
          "protocol at 10,000 draws)")
    print(f"{'protocol':15} {'levers':12} {'wall time':>10} {'draws/s':>10}")
    for protocol in ("grand_bargain", "incremental"):
        for levers, label in cases:
            seconds = timed(protocol, draws, levers)
            print(f"{protocol:15} {label:12} {seconds:9.2f}s {draws / seconds:10,.0f}")


if __name__ == "__main__":
    main()
