"""The strategy lab's entry points: simulate protocols over a scenario's uncertainty.

Draws are processed in fixed blocks of :data:`BLOCK` draws. Block ``b`` takes its random numbers
from its own streams, ``SeedSequence(seed, spawn_key=(b, purpose))`` — the ``b``-th child of the
run's seed — and draw ``i`` of a block always gets row ``i`` of arrays generated at full block
size. So a draw's result depends only on the seed and its index: the same seed gives the same
numbers however the draws are split into calls, processes or machines. Both protocols see the
same scenario draws, the same actor types and the same detection and walk-out coins (common
random numbers), so their difference is the protocol's alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.errors import AccordError, UnknownNameError
from accord.levers import apply_levers
from accord.negotiation.bargaining import utility_at
from accord.negotiation.parameters import parameter_report, resolve_parameters
from accord.negotiation.protocols import PROTOCOLS, Coins, Outcome, open_negotiation
from accord.scenario.schema import Lever, Scenario
from accord.scenario.uncertainty import batch_from_uniforms, uncertain_values

__all__ = [
    "BLOCK",
    "DENUCLEARIZATION_LEVELS",
    "ProtocolSummary",
    "Simulation",
    "StrategyResult",
    "run_strategy",
    "simulate",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: Draws per block; fixed, so that results do not depend on how a run is split up.
BLOCK = 1000
#: Levels (0–100) for which the probability of reaching at least that level is reported.
DENUCLEARIZATION_LEVELS = (25, 50, 75)

_SCENARIO, _TYPES, _PHASES = 0, 1, 2  # purposes of a block's random streams


@dataclass(frozen=True, eq=False)
class Simulation:
    """Per-draw results of one protocol (issue values on 0–100).

    ``target`` is what was agreed: the grand bargain's package, or the point the incremental
    negotiation had reached (as the parties know it) when it ended, before any snapback;
    ``final`` is what was really done (after undetected shortfalls and any snapback). Where no
    agreement was reached both equal the status quo.
    """

    protocol: str
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    agreed: BoolArray  # (D,)
    status_quo: FloatArray  # (D, K)
    target: FloatArray  # (D, K)
    final: FloatArray  # (D, K)
    phases: IntArray  # (D,)
    breakdown: BoolArray  # (D,)
    halted: BoolArray  # (D,)
    collapsed: BoolArray  # (D,)
    capped: BoolArray  # (D,)
    veto: BoolArray  # (D, N)
    committed: BoolArray  # (D, N)
    defected: BoolArray  # (D, N)
    detected: BoolArray  # (D, N)
    belief: FloatArray  # (D, N)
    utility: FloatArray  # (D, N) utility of the final state
    status_quo_utility: FloatArray  # (D, N)

    @property
    def draws(self) -> int:
        return int(self.agreed.shape[0])

    @staticmethod
    def concat(parts: Sequence[Simulation]) -> Simulation:
        """Join simulations of consecutive draws of the same protocol."""
        first = parts[0]
        arrays = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for name, value in vars(first).items()
            if isinstance(value, np.ndarray)
        }
        return Simulation(protocol=first.protocol, actors=first.actors, issues=first.issues,
                          **arrays)


def _simulation(protocol: str, actors: tuple[str, ...], issues: tuple[str, ...],
                outcome: Outcome, x: FloatArray, w: FloatArray, q: FloatArray,
                veto: BoolArray, committed: BoolArray) -> Simulation:
    pr = outcome.progress
    return Simulation(
        protocol=protocol, actors=actors, issues=issues, agreed=outcome.agreed,
        status_quo=q * 100.0, target=outcome.target * 100.0, final=pr.true * 100.0,
        phases=pr.phases, breakdown=pr.broke, halted=pr.halted, collapsed=pr.collapsed,
        capped=outcome.capped,
        veto=veto, committed=committed, defected=pr.defected, detected=pr.detected,
        belief=pr.belief, utility=utility_at(x, w, pr.true),
        status_quo_utility=utility_at(x, w, q),
    )


def _generator(entropy: int, block: int, purpose: int) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(block, purpose)))
    )


class _CoinStream:
    """A block's per-round coins, always drawn at full block size and then cut to the rows."""

    def __init__(self, gen: np.random.Generator, actors: int, rows: slice) -> None:
        self.gen, self.actors, self.rows = gen, actors, rows

    def __call__(self) -> Coins:
        detect = self.gen.random((BLOCK, self.actors))[self.rows]
        walk = self.gen.random((BLOCK, self.actors))[self.rows]
        talks = self.gen.random(BLOCK)[self.rows]
        return Coins(detect=detect, walk=walk, talks=talks)


def _check_protocols(protocols: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(protocols))
    if not chosen:
        raise AccordError("give at least one protocol: " + ", ".join(PROTOCOLS))
    for name in chosen:
        if name not in PROTOCOLS:
            raise UnknownNameError(
                f"unknown protocol '{name}'; the strategy lab has: " + ", ".join(PROTOCOLS)
            )
    return chosen


def _check_count(name: str, value: int, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise AccordError(f"{name} must be a whole number ≥ {least}, got {value!r}")
    return int(value)


def _entropy(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    return _check_count("seed", seed, 0)


def _run(scenario: Scenario, protocols: tuple[str, ...], draws: int, entropy: int,
         start: int) -> tuple[dict[str, Simulation], tuple[str, ...]]:
    values = uncertain_values(scenario)
    n = len(scenario.actors)
    parts: dict[str, list[Simulation]] = {p: [] for p in protocols}
    clipped: dict[str, None] = {}
    end = start + draws
    for block in range(start // BLOCK, (end - 1) // BLOCK + 1):
        lo = max(start - block * BLOCK, 0)
        hi = min(end - block * BLOCK, BLOCK)
        rows = slice(lo, hi)
        u = _generator(entropy, block, _SCENARIO).random((BLOCK, len(values)))[rows]
        batch = batch_from_uniforms(scenario, u, values)
        params, clip = resolve_parameters(scenario, batch.parameters, hi - lo)
        clipped.update(dict.fromkeys(clip))
        types = _generator(entropy, block, _TYPES).random((BLOCK, n))[rows]
        opening = open_negotiation(batch, params, types < params.prior_committed)
        world = opening.world
        for protocol in protocols:
            coins = _CoinStream(_generator(entropy, block, _PHASES), n, rows)
            outcome = PROTOCOLS[protocol](opening, coins)
            parts[protocol].append(_simulation(
                protocol, scenario.actor_ids, scenario.issue_ids, outcome, world.x, world.w,
                world.status_quo, world.veto, world.committed))
    return {p: Simulation.concat(s) for p, s in parts.items()}, tuple(clipped)


def _prepare(scenario: Scenario, levers: Iterable[Lever | str]) -> tuple[Scenario, list[str]]:
    chosen = list(levers)
    ids = [lv if isinstance(lv, str) else lv.id for lv in chosen]
    return (apply_levers(scenario, chosen) if chosen else scenario), ids


def simulate(
    scenario: Scenario,
    protocol: str = "grand_bargain",
    *,
    levers: Iterable[Lever | str] = (),
    draws: int = 1000,
    seed: int = 0,
    start: int = 0,
) -> Simulation:
    """Per-draw results of one protocol for draws ``start`` … ``start + draws − 1`` of ``seed``.

    ``simulate(s, draws=a + b)`` equals ``simulate(s, draws=a)`` followed by
    ``simulate(s, draws=b, start=a)``, draw for draw.
    """
    (name,) = _check_protocols([protocol])
    _check_count("draws", draws, 1)
    _check_count("start", start, 0)
    entropy = _check_count("seed", seed, 0)
    applied, _ = _prepare(scenario, levers)
    sims, _ = _run(applied, (name,), draws, entropy, start)
    return sims[name]


@dataclass(frozen=True)
class ProtocolSummary:
    """What one protocol achieves, averaged over draws (issue values on 0–100)."""

    protocol: str
    p_agreement: float
    p_denuclearization: dict[str, float] | None
    p_at_least: dict[str, dict[str, float]]
    expected_final: dict[str, float]
    expected_target: dict[str, float]
    p_breakdown: float
    p_breakdown_if_agreed: float
    p_halt: float
    p_collapse: float
    p_complete: float
    expected_phases: float
    expected_utility: dict[str, float]
    expected_gain: dict[str, float]
    p_veto: dict[str, float]
    p_defection: dict[str, float]
    p_detected: dict[str, float]

    @staticmethod
    def of(sim: Simulation) -> ProtocolSummary:
        def per(names: tuple[str, ...], values: Any) -> dict[str, float]:
            return {k: float(v) for k, v in zip(names, values, strict=True)}

        reach = {
            issue: {str(level): float(np.mean(sim.final[:, k] >= level - 1e-9))
                    for level in DENUCLEARIZATION_LEVELS}
            for k, issue in enumerate(sim.issues)
        }
        complete = sim.agreed & ~sim.breakdown & ~sim.capped
        return ProtocolSummary(
            protocol=sim.protocol,
            p_agreement=float(sim.agreed.mean()),
            p_denuclearization=reach.get("denuclearization"),
            p_at_least=reach,
            expected_final=per(sim.issues, sim.final.mean(axis=0)),
            expected_target=per(sim.issues, sim.target.mean(axis=0)),
            p_breakdown=float(sim.breakdown.mean()),
            p_breakdown_if_agreed=(
                float(sim.breakdown[sim.agreed].mean()) if sim.agreed.any() else 0.0
            ),
            p_halt=float(sim.halted.mean()),
            p_collapse=float(sim.collapsed.mean()),
            p_complete=float(complete.mean()),
            expected_phases=float(sim.phases.mean()),
            expected_utility=per(sim.actors, sim.utility.mean(axis=0)),
            expected_gain=per(sim.actors, (sim.utility - sim.status_quo_utility).mean(axis=0)),
            p_veto=per(sim.actors, sim.veto.mean(axis=0)),
            p_defection=per(sim.actors, sim.defected.mean(axis=0)),
            p_detected=per(sim.actors, sim.detected.mean(axis=0)),
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True, eq=False)
class StrategyResult:
    """The strategy lab's answer: a summary per protocol, the per-draw simulations behind it,
    and what produced it (scenario, levers, draws, seed, parameters and which were defaulted)."""

    scenario: str
    scenario_hash: str
    levers: tuple[str, ...]
    draws: int
    seed: int
    summaries: dict[str, ProtocolSummary]
    parameters: dict[str, dict[str, Any]]
    defaulted: tuple[str, ...]
    clipped: tuple[str, ...]
    simulations: dict[str, Simulation] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"protocols": {name: summary}, "metadata": {...}}``."""
        from accord import __version__

        return {
            "protocols": {name: s.to_dict() for name, s in self.summaries.items()},
            "metadata": {
                "scenario": self.scenario,
                "scenario_hash": self.scenario_hash,
                "levers": list(self.levers),
                "draws": self.draws,
                "seed": self.seed,
                "block": BLOCK,
                "parameters": self.parameters,
                "defaulted": list(self.defaulted),
                "clipped": list(self.clipped),
                "accord_version": __version__,
            },
        }


def _content_hash(scenario: Scenario) -> str:
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_strategy(
    scenario: Scenario,
    protocols: Iterable[str] = ("grand_bargain", "incremental"),
    levers: Iterable[Lever | str] = (),
    draws: int = 2000,
    seed: int | None = None,
) -> StrategyResult:
    """Negotiate and implement ``scenario`` under each protocol, over ``draws`` Monte Carlo draws
    of its uncertainty and of the protocol's own chance (types, detection, walk-outs).

    ``levers`` (ids of the scenario's levers, or Lever objects) are applied first. ``seed`` None
    draws a fresh seed, recorded in the result. Unknown protocols or levers raise
    :class:`~accord.errors.UnknownNameError`.
    """
    chosen = _check_protocols(protocols)
    _check_count("draws", draws, 1)
    entropy = _entropy(seed)
    applied, lever_ids = _prepare(scenario, levers)
    report, defaulted = parameter_report(applied)
    sims, clipped = _run(applied, chosen, draws, entropy, 0)
    return StrategyResult(
        scenario=scenario.id,
        scenario_hash=_content_hash(scenario),
        levers=tuple(lever_ids),
        draws=draws,
        seed=entropy,
        summaries={name: ProtocolSummary.of(sim) for name, sim in sims.items()},
        parameters=report,
        defaulted=defaulted,
        clipped=clipped,
        simulations=sims,
    )
