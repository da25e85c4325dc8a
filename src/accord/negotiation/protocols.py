"""The two protocols of the strategy lab: ``grand_bargain`` and ``incremental``.

Both negotiate among the *veto players* — the actors whose share of the total capability is at
least ``veto_share`` (the largest actor always is one) — with the status quo as the disagreement
point, and both implement what they agree through :func:`~accord.negotiation.implementation.
run_phase`.

* ``grand_bargain``: the package is the asymmetric Nash bargaining solution over all issues at
  once (bargaining power = capability), so cross-issue trades are made up front. It is then
  implemented in K = ``phases`` equal phases: phase t moves every issue from
  q + (t − 1)/K (P − q) to q + t/K (P − q).
* ``incremental``: no package is signed. At each step the parties look for the Nash solution of
  the bargain that starts where they stand (disagreement point = the current state) and agree to
  go only part of the way: no issue moves by more than ``step_size`` points. Because utilities
  are concave, any point on the way to a package that beats the current state for every veto
  player also beats it, so every step benefits every veto player on its own. The step is
  implemented before the next is negotiated; negotiation stops when no step would give every
  veto player at least :data:`~accord.negotiation.bargaining.MIN_GAIN` (no mutually beneficial
  step remains), or after :data:`MAX_STEPS` steps.

Functions here take one block of draws and the block's random numbers; they loop over phases or
steps, never over draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accord.errors import AccordError
from accord.models.utility import normalized_salience
from accord.negotiation.bargaining import nash_package, utility_at
from accord.negotiation.implementation import (
    Progress,
    World,
    breakdown_probability,
    path_value,
    run_phase,
)
from accord.negotiation.parameters import ProtocolParameters
from accord.scenario.uncertainty import BatchArrays

__all__ = [
    "MAX_STEPS",
    "PROTOCOLS",
    "Coins",
    "Opening",
    "Outcome",
    "Uniforms",
    "grand_bargain",
    "incremental",
    "open_negotiation",
    "veto_players",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: The incremental protocol stops after this many steps even if steps remain (a safety net: in
#: practice it converges long before).
MAX_STEPS = 60

@dataclass(frozen=True, eq=False)
class Coins:
    """One round's uniforms: ``detect`` and ``walk`` ``(B, N)``, ``talks`` ``(B,)``."""

    detect: FloatArray
    walk: FloatArray
    talks: FloatArray


#: Each call returns the next round's coins (the same sequence for both protocols).
Uniforms = Callable[[], Coins]


def veto_players(capability: FloatArray, salience: FloatArray, share: FloatArray) -> BoolArray:
    """Actors whose share of the total capability is at least ``share`` ``(B,)``, among those with
    some salience; the largest such actor always qualifies. Returns ``(B, N)``."""
    stake = salience.sum(axis=-1) > 0
    cap = np.where(stake, capability, 0.0)
    total = cap.sum(axis=-1, keepdims=True)
    frac = np.divide(cap, total, out=np.zeros_like(cap), where=total > 0)
    top = frac.max(axis=-1, keepdims=True)
    result: BoolArray = stake & (cap > 0) & (frac >= np.minimum(share[:, None], top))
    return result


@dataclass(frozen=True, eq=False)
class Opening:
    """A block of draws ready to negotiate: the fixed world and the opening Nash package."""

    world: World
    package: FloatArray  # (B, K) unit scale: Nash package from the status quo
    agreed: BoolArray  # (B,) whether one exists
    duals: FloatArray  # (B, N) its dual variables (warm start for the incremental protocol)


@dataclass(frozen=True, eq=False)
class Outcome:
    """Per-draw results of one protocol on one block (unit scale)."""

    agreed: BoolArray  # (B,)
    target: FloatArray  # (B, K) the agreed package / how far the negotiation got
    progress: Progress
    capped: BoolArray  # (B,) incremental only: stopped by MAX_STEPS


def open_negotiation(
    batch: BatchArrays, params: ProtocolParameters, committed: BoolArray
) -> Opening:
    """Veto players, types and the opening package for a batch of scenario draws."""
    known = np.all(np.isfinite(batch.status_quo), axis=0).tolist()
    if not all(known):
        missing = [issue for k, issue in enumerate(batch.issues) if not known[k]]
        raise AccordError(
            "the strategy lab negotiates from the status quo, and these issues have none: "
            + ", ".join(missing)
        )
    x = batch.position / 100.0
    w = normalized_salience(batch.salience)
    q = batch.status_quo / 100.0
    veto = veto_players(batch.capability, batch.salience, params.veto_share)
    power = np.where(veto, batch.capability, 0.0)
    d = utility_at(x, w, q)
    package, agreed, _, duals = nash_package(x, w, power, d, q)
    stake = np.where(agreed[:, None], utility_at(x, w, package) - d, 0.0)
    world = World(
        x=x, w=w, power=power, veto=veto, status_quo=q, committed=committed, params=params,
        stake=np.maximum(stake, 0.0), breakdown=breakdown_probability(params.walkout, veto),
    )
    return Opening(world=world, package=package, agreed=agreed, duals=duals)


def grand_bargain(opening: Opening, uniforms: Uniforms) -> Outcome:
    """Negotiate the opening package in one round, then implement it in K equal phases."""
    world = opening.world
    q, package = world.status_quo, opening.package
    coins = uniforms()
    agreed = opening.agreed & (coins.talks >= world.params.talks_fail)
    progress = Progress.start(world)
    progress.active = agreed.copy()
    k = np.maximum(world.params.phases, 1)
    kf = k.astype(float)[:, None]
    for t in range(1, int(k.max(initial=1)) + 1):
        if not progress.active.any():
            break
        if t > 1:
            coins = uniforms()
        before = q + (t - 1) / kf * (package - q)
        after = q + np.minimum(t / kf, 1.0) * (package - q)
        future = path_value(world.x, world.w, after, package, np.maximum(k - t, 0),
                            world.params.discount)
        run_phase(world, progress, before, after, future, t <= k, coins.detect, coins.walk)
    target = np.where(agreed[:, None], package, q)
    return Outcome(agreed=agreed, target=target, progress=progress,
                   capped=np.zeros_like(agreed))


def _steps_left(distance: FloatArray, step: FloatArray) -> IntArray:
    result: IntArray = np.ceil(distance / step - 1e-9).clip(min=0).astype(np.int64)
    return result


def incremental(opening: Opening, uniforms: Uniforms) -> Outcome:
    """Negotiate one step at a time towards the current Nash solution, implementing each."""
    world = opening.world
    h, fail = world.params.step_size, world.params.talks_fail
    # future steps must each be negotiated: each survives the round with probability 1 − fail
    outlook = world.params.discount * (1.0 - fail[:, None])
    progress = Progress.start(world)
    progress.active = opening.agreed.copy()
    agreed = opening.agreed.copy()
    target = opening.package.copy()
    duals = opening.duals.copy()
    for n in range(1, MAX_STEPS + 1):
        if not progress.active.any():
            break
        coins = uniforms()
        if n > 1:
            rows = np.flatnonzero(progress.active)
            here = progress.public[rows]
            x, w = world.x[rows], world.w[rows]
            found, ok, _, lam = nash_package(
                x, w, world.power[rows], utility_at(x, w, here), here, start=duals[rows]
            )
            target[rows] = found
            duals[rows] = lam
            done = np.zeros_like(progress.active)
            done[rows] = ~ok
            progress.active &= ~done
        collapse = progress.active & (coins.talks < fail)
        if n == 1:
            agreed &= ~collapse
        else:
            progress.collapsed |= collapse
            progress.broke |= collapse
        progress.active &= ~collapse
        here = progress.public
        distance = np.abs(target - here).max(axis=-1)
        frac = np.where(distance > 0, np.minimum(1.0, h / np.where(distance > 0, distance, 1.0)),
                        0.0)
        after = here + frac[:, None] * (target - here)
        left = _steps_left(np.abs(target - after).max(axis=-1), h)
        future = path_value(world.x, world.w, after, target, left, outlook)
        run_phase(world, progress, here, after, future, progress.active, coins.detect,
                  coins.walk)
    return Outcome(agreed=agreed, target=np.where(agreed[:, None], progress.reached,
                                                  world.status_quo),
                   progress=progress, capped=progress.active.copy())


PROTOCOLS: dict[str, Callable[[Opening, Uniforms], Outcome]] = {
    "grand_bargain": grand_bargain,
    "incremental": incremental,
}
