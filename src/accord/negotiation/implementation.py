"""Implementation, phase by phase: compliance or defection, trust, detection and breakdown.

A phase moves the issues from ``before`` to ``after`` (the step both protocols agree on). Each
veto player that gives ground on an issue delivers its share of the move (see
:func:`accord.negotiation.bargaining.concession_shares`). Before the phase, each veto player
decides whether to go ahead; in the phase, each actor complies or defects (withholds its share);
after it, verification may detect defections, beliefs are updated by Bayes' rule and a detected
defection may end the process. The equations, with the reasons for each choice, are in
docs/strategy.md; in brief, for actor j (utilities on the unit scale, see ``bargaining``):

* gain from defecting  G_j = u_j(after − a_j) − u_j(after), a_j = j's share of the move;
* loss on breakdown    L_j = u_j(after) − u_j(q + (1 − ρ)(after − q)) + W_j, with W_j the
  discounted value of the phases still to come and ρ the snapback;
* an opportunist defects iff G_j > 0 and (1 − p_j) G_j > p_j (φ_j S_j + P_j L_j), with p_j the
  detection probability, φ_j S_j the penalty (φ_j × the opening package's value S_j to j) and
  P_j = 1 − Π_{i veto, i ≠ j} (1 − β_i) the chance that a detected defection ends the process;
* a committed type never defects;
* veto player i halts the process before the phase iff its expected loss from being cheated,
  Σ_{j≠i} (1 − μ_j) D_j H_ij (μ_j = belief that j is committed, D_j = whether an opportunist j
  would defect, H_ij = i's loss if j alone withholds), exceeds what breaking off costs it: what
  going ahead is worth under full compliance, max(0, u_i(after) − u_i(before) + W_i), plus the
  penalty φ_i S_i for abandoning an agreed step;
* beliefs: a detected defection reveals an opportunist (μ_j = 0); otherwise
  μ_j ← μ_j / (μ_j + (1 − μ_j)(1 − D_j p_j));
* after a detected defection by j, each other veto player walks out with probability β_i; if one
  does, the process breaks down and a fraction ρ of the progress since the status quo reverses.

Everything is vectorised over draws; randomness comes in as uniforms, one per draw and actor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accord.negotiation.bargaining import (
    concession_shares,
    utility_at,
    utility_cross,
    utility_own,
)
from accord.negotiation.parameters import ProtocolParameters

__all__ = [
    "Progress",
    "World",
    "breakdown_probability",
    "halts",
    "path_value",
    "posterior",
    "run_phase",
    "would_defect",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


def would_defect(
    gain: FloatArray,
    detection: FloatArray,
    penalty: FloatArray,
    breakdown: FloatArray,
    loss: FloatArray,
) -> BoolArray:
    """Whether an opportunist defects: G > 0 and (1 − p) G > p (F + P L).

    ``gain`` G is what it keeps by withholding its share, ``detection`` p the chance of being
    caught, ``penalty`` F the punishment if caught, ``breakdown`` P the chance that being caught
    ends the process and ``loss`` L what it loses if it does. Undetected, it keeps G; detected,
    it forfeits G (the withheld share is known, and either snaps back or is never credited),
    pays F and with probability P loses L. Elementwise.
    """
    keep = (1.0 - detection) * gain
    cost = detection * (penalty + breakdown * loss)
    result: BoolArray = (gain > 0.0) & (keep > cost)
    return result


def breakdown_probability(walkout: FloatArray, veto: BoolArray) -> FloatArray:
    """For each actor j ``(B, N)``: the chance that its detected defection ends the process,
    1 − Π_{i veto, i ≠ j} (1 − β_i)."""
    n = veto.shape[1]
    others = veto[:, :, None] & ~np.eye(n, dtype=bool)[None]  # [b, i, j]: i reacts to j
    stay = np.where(others, 1.0 - walkout[:, :, None], 1.0)
    result: FloatArray = 1.0 - np.prod(stay, axis=1)
    return result


def posterior(
    belief: FloatArray, would: BoolArray, detection: FloatArray, detected: BoolArray
) -> FloatArray:
    """Bayes' rule on one phase's verification. ``belief`` is P(committed).

    A committed type never defects; an opportunist defects when ``would`` is True and is then
    caught with probability ``detection``. So P(caught | committed) = 0 and
    P(not caught | opportunist) = 1 − would·p: a detection reveals an opportunist (belief 0), and
    passing verification raises the belief only when an opportunist would have cheated.
    """
    miss = 1.0 - np.where(would, detection, 0.0)
    denom = belief + (1.0 - belief) * miss
    after_pass = np.divide(belief, denom, out=belief.astype(float).copy(), where=denom > 0)
    result: FloatArray = np.where(detected, 0.0, after_pass)
    return result


def halts(
    harm: FloatArray,
    belief: FloatArray,
    would: BoolArray,
    stake: FloatArray,
    penalty: FloatArray,
) -> BoolArray:
    """Whether each actor ``(B, N)`` refuses to go ahead with a phase for fear of being cheated.

    ``harm[b, i, j]`` is i's loss if j alone withholds its share; the chance that j defects is
    (1 − belief_j) when an opportunist j would defect, else 0. Breaking off costs i what going
    ahead is worth to it under full compliance (``stake``, if positive) and the ``penalty`` for
    abandoning an agreed step. i halts iff the expected loss exceeds that cost:
    Σ_j (1 − μ_j) D_j H_ij > max(0, Y_i) + F_i.
    """
    n = harm.shape[1]
    suspicion = (1.0 - belief) * would
    h = np.where(np.eye(n, dtype=bool)[None], 0.0, harm)
    expected = np.einsum("bij,bj->bi", h, suspicion)
    result: BoolArray = expected > np.maximum(stake, 0.0) + penalty + 1e-15
    return result


def path_value(
    x: FloatArray,
    w: FloatArray,
    start: FloatArray,
    end: FloatArray,
    steps: IntArray,
    discount: FloatArray,
) -> FloatArray:
    """W: Σ_{s=1..m} δ^s [u(o_s) − u(o_{s−1})] for the path of ``steps`` m equal steps from
    ``start`` to ``end`` ``(B, K)``; ``discount`` δ is ``(B, N)``. Returns ``(B, N)``.

    Along the line o = start + τ (end − start) the utility is u(start) + bτ + aτ², so step s adds
    b/m + a(2s − 1)/m².
    """
    d = end - start
    b = -2.0 * np.sum(w * (start[:, None, :] - x) * d[:, None, :], axis=-1)
    a = -np.sum(w * d[:, None, :] ** 2, axis=-1)
    m = steps.astype(float)[:, None]
    s0 = np.zeros_like(discount)
    s1 = np.zeros_like(discount)
    power = np.ones_like(discount)
    for s in range(1, int(steps.max(initial=0)) + 1):
        power = power * discount
        inside = (steps >= s)[:, None]
        s0 += np.where(inside, power, 0.0)
        s1 += np.where(inside, s * power, 0.0)
    safe = np.where(m > 0, m, 1.0)
    result: FloatArray = np.where(m > 0, b / safe * s0 + a / safe**2 * (2.0 * s1 - s0), 0.0)
    return result


@dataclass(frozen=True, eq=False)
class World:
    """What stays fixed while a deal is implemented, for ``B`` draws (unit scale)."""

    x: FloatArray  # (B, N, K) positions
    w: FloatArray  # (B, N, K) normalised saliences
    power: FloatArray  # (B, N) capability of veto players, 0 for the others
    veto: BoolArray  # (B, N)
    status_quo: FloatArray  # (B, K)
    committed: BoolArray  # (B, N) types
    params: ProtocolParameters
    stake: FloatArray  # (B, N) S_j: the opening package's value to each actor
    breakdown: FloatArray  # (B, N) P_j: chance a detected defection by j ends the process


@dataclass(eq=False)
class Progress:
    """The state of implementation for ``B`` draws; :func:`run_phase` updates it in place."""

    true: FloatArray  # (B, K) what has really been done
    public: FloatArray  # (B, K) what the parties know has been done
    reached: FloatArray  # (B, K) the public state before any breakdown's snapback
    belief: FloatArray  # (B, N) common belief that each actor is committed
    active: BoolArray  # (B,) still being implemented
    phases: IntArray  # (B,) phases completed
    broke: BoolArray  # (B,) ended by a breakdown (walk-out, halt or collapse of talks)
    halted: BoolArray  # (B,) ended because a veto player would not go ahead
    collapsed: BoolArray  # (B,) ended because a later negotiation round collapsed
    defected: BoolArray  # (B, N) defected at least once
    detected: BoolArray  # (B, N) caught at least once

    @classmethod
    def start(cls, world: World) -> Progress:
        b, n = world.veto.shape
        return cls(
            true=world.status_quo.copy(),
            public=world.status_quo.copy(),
            reached=world.status_quo.copy(),
            belief=world.params.prior_committed.copy(),
            active=np.zeros(b, dtype=bool),
            phases=np.zeros(b, dtype=np.int64),
            broke=np.zeros(b, dtype=bool),
            halted=np.zeros(b, dtype=bool),
            collapsed=np.zeros(b, dtype=bool),
            defected=np.zeros((b, n), dtype=bool),
            detected=np.zeros((b, n), dtype=bool),
        )


def run_phase(
    world: World,
    progress: Progress,
    before: FloatArray,
    after: FloatArray,
    future: FloatArray,
    attempt: BoolArray,
    u_detect: FloatArray,
    u_walk: FloatArray,
) -> None:
    """One phase for the draws in ``attempt`` (and still active): the move ``before`` → ``after``
    ``(B, K)``; ``future`` ``(B, N)`` is each actor's discounted value W of the phases after this
    one. ``u_detect`` and ``u_walk`` are uniforms ``(B, N)``. Updates ``progress`` in place.

    All incentives are evaluated on the agreed move (not on undetected shortfalls, which nobody
    knows of), so an actor's choice depends on the draw, the phase and the beliefs only.
    """
    x, w, prm = world.x, world.w, world.params
    move = after - before
    contrib = concession_shares(x, w, world.power, before, after) * move[:, None, :]
    u_after = utility_at(x, w, after)
    gain = utility_own(x, w, after[:, None, :] - contrib) - u_after
    snapped = world.status_quo + (1.0 - prm.snapback[:, None]) * (after - world.status_quo)
    loss = u_after - utility_at(x, w, snapped) + future
    penalty = prm.penalty * world.stake
    would = world.veto & would_defect(gain, prm.detection, penalty, world.breakdown, loss)
    harm = np.maximum(u_after[:, :, None] - utility_cross(x, w, after[:, None, :] - contrib), 0.0)
    worth = u_after - utility_at(x, w, before) + future
    refuse = world.veto & halts(harm, progress.belief, would, worth, penalty)

    attempt = attempt & progress.active
    stop = attempt & refuse.any(axis=1)
    progress.halted |= stop
    progress.broke |= stop
    progress.active &= ~stop
    run = attempt & ~stop

    defect = run[:, None] & would & ~world.committed
    caught = defect & (u_detect < prm.detection)
    withheld = np.einsum("bn,bnk->bk", defect.astype(float), contrib)
    seen = np.einsum("bn,bnk->bk", caught.astype(float), contrib)
    r = run[:, None]
    progress.true = np.where(r, progress.true + move - withheld, progress.true)
    progress.public = np.where(r, progress.public + move - seen, progress.public)
    progress.reached = np.where(r, progress.public, progress.reached)
    updated = posterior(progress.belief, would, prm.detection, caught)
    progress.belief = np.where(r & world.veto, updated, progress.belief)

    caught_by_other = (caught.sum(axis=1, keepdims=True) - caught) > 0
    walk = world.veto & caught_by_other & (u_walk < prm.walkout)
    ends = run & walk.any(axis=1)
    snap = world.status_quo + (1.0 - prm.snapback[:, None]) * (progress.true - world.status_quo)
    progress.true = np.where(ends[:, None], snap, progress.true)
    progress.public = np.where(ends[:, None], snap, progress.public)
    progress.broke |= ends
    progress.active &= ~ends
    progress.phases += (run & ~ends).astype(np.int64)
    progress.defected |= defect
    progress.detected |= caught
