"""Benchmark: the crisis-game solver.

Run: ``python benchmarks/bench_crisis.py [--repeat N]``. Prints a table: nodes, terminals,
information sets, actions, median solve time over N runs (Python start-up and game building
excluded), path-following steps and Newton iterations.

Games:
* ``layered-4p`` (seeds 0–2): four players and two chance moves, 160 terminals and 44 information
  sets, random payoffs — a generic imperfect-information tree. Target (issue 6): < 100 ms.
* ``korea-2020`` and ``korea-2018``: the Korea crisis game generated from each scenario; also the
  whole :func:`accord.crisis.crisis_report` (base game plus four lever variants), and
  :func:`accord.crisis.crisis_sweep` over ``--draws`` draws of korea-2020's uncertainty (default
  200), serial and with processes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

import accord
from accord.analysis import make_executor
from accord.crisis import (
    Chance,
    CrisisGame,
    Decision,
    NodeSpec,
    Terminal,
    build_game,
    crisis_report,
    crisis_sweep,
    korea_crisis_game,
    solve,
)

PLAYERS = ("a", "b", "c", "d")


def layered_game(seed: int) -> CrisisGame:
    """chance(2) → a(2) → b(2) → chance(5) → c(2) → d(2): 160 terminals, 44 information sets.

    a sees the first chance move; b sees a's move; c sees a's and b's moves and the second
    chance move; d sees b's and c's moves and the second chance move (a's move and the first
    chance move stay hidden from it).
    """
    rng = np.random.default_rng(seed)
    nodes: dict[str, NodeSpec] = {}
    probs = rng.dirichlet(np.ones(5))

    def grow(nid: str, hist: dict[str, str], level: int) -> None:
        if level == 6:
            nodes[nid] = Terminal({p: float(rng.integers(-10, 11)) for p in PLAYERS})
            return
        if level == 0:
            nodes[nid] = Chance({f"t{k}": (0.5, f"{nid}.t{k}") for k in range(2)})
            labels = [f"t{k}" for k in range(2)]
        elif level == 3:
            nodes[nid] = Chance({f"e{k}": (float(probs[k]), f"{nid}.e{k}") for k in range(5)})
            labels = [f"e{k}" for k in range(5)]
        else:
            player = PLAYERS[[1, 2, 4, 5].index(level)]
            seen = {"a": ("c0",), "b": ("a",), "c": ("a", "b", "c1"), "d": ("b", "c", "c1")}
            key = ".".join(hist[k] for k in seen[player])
            labels = [f"{player}{k}" for k in range(2)]
            nodes[nid] = Decision(player, {x: f"{nid}.{x}" for x in labels}, f"{player}-{key}")
        mover = {0: "c0", 3: "c1"}.get(level) or PLAYERS[[1, 2, 4, 5].index(level)]
        for x in labels:
            grow(f"{nid}.{x}", {**hist, mover: x}, level + 1)

    grow("r", {}, 0)
    return build_game(PLAYERS, nodes, "r", name=f"layered-4p-{seed}")


T = TypeVar("T")


def timed(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Median wall time of ``repeat`` calls, and the last result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args()
    games = [layered_game(seed) for seed in range(3)]
    games += [korea_crisis_game(accord.load_scenario(s)).game
              for s in ("korea-2020", "korea-2018")]
    print(f"{'game':<22}{'nodes':>7}{'terms':>7}{'infosets':>9}{'actions':>8}"
          f"{'solve ms':>10}{'steps':>7}{'iters':>7}{'regret':>10}")
    for game in games:
        solve(game)  # warm-up
        wall, eq = timed(lambda g=game: solve(g), args.repeat)
        print(f"{game.name:<22}{game.n_nodes:>7}{len(game.terminals):>7}{len(game.infosets):>9}"
              f"{game.n_cols:>8}{1000 * wall:>10.1f}{eq.steps:>7}{eq.iterations:>7}"
              f"{eq.regret:>10.1e}")
    for name in ("korea-2020", "korea-2018"):
        scenario = accord.load_scenario(name)
        wall, _ = timed(lambda s=scenario: crisis_report(s), max(1, args.repeat // 2))
        print(f"crisis_report({name}) with 4 lever variants: {1000 * wall:.0f} ms")
    scenario = accord.load_scenario("korea-2020")
    for ex in ("serial", "processes"):
        start = time.perf_counter()
        crisis_sweep(scenario, draws=args.draws, seed=1, executor=make_executor(ex))
        wall = time.perf_counter() - start
        print(f"crisis_sweep(korea-2020), {args.draws} draws, {ex}: {wall:.2f} s = "
              f"{args.draws / wall:.0f} draws/s")


if __name__ == "__main__":
    main()
