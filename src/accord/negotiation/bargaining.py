"""What is agreed at the table: utilities, the Nash package among veto players, who gives ground.

Everything here works on a batch of Monte Carlo draws at once and on the *unit* scale (issue
values divided by 100), so that the quadratic utility of :mod:`accord.models.utility` reads

    u_i(o) = 1 − Σ_k w_ik (o_k − x_ik)²,    w_ik = s_ik / Σ_j s_ij.

Shapes: ``x`` and ``w`` are ``(B, N, K)`` (draws, actors, issues); an outcome is ``(B, K)``.

The Nash package maximises Σ_i c_i log(u_i(o) − d_i) over the parties (veto players). It is found
through its convex dual, which has one variable per party instead of one per issue:

    D(λ) = max_o Σ_i λ_i (u_i(o) − d_i) − Σ_i c_i log λ_i.

For quadratic utilities the inner maximum is explicit — o_k(λ) = Σ_i λ_i w_ik x_ik / Σ_i λ_i w_ik,
a weighted mean of the positions, so it always lies inside the 0–100 box — and D is smooth and
strictly convex, so damped Newton steps on λ converge in a handful of iterations for every draw
at once. At the minimum λ_i = c_i / g_i with g_i the party's gain, and o(λ) is the Nash package.
When no outcome leaves every party strictly better off than the disagreement point, D is
unbounded below (λ runs off to infinity): that draw has no agreement.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MIN_GAIN",
    "concession_shares",
    "nash_package",
    "utility_at",
    "utility_cross",
    "utility_own",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]

#: A package must give every party at least this much utility (1 = the whole scale on every
#: issue) to count as an agreement; smaller gains are not worth a negotiation round.
MIN_GAIN = 1e-6

_TINY = 1e-300
_LAMBDA_CAP = 1e14
_TOL = 1e-13  # Newton decrement at which the dual is minimised to rounding precision
_STALL_TOL = 1e-8  # a dual variable this large means the gains are vanishing: no agreement


def utility_at(x: FloatArray, w: FloatArray, o: FloatArray) -> FloatArray:
    """Every actor's utility of one outcome per draw: ``o`` ``(B, K)`` -> ``(B, N)``."""
    gap = o[:, None, :] - x
    result: FloatArray = 1.0 - np.sum(w * gap * gap, axis=-1)
    return result


def utility_own(x: FloatArray, w: FloatArray, y: FloatArray) -> FloatArray:
    """Each actor's utility of its own outcome: ``y`` ``(B, N, K)`` -> ``(B, N)``."""
    gap = y - x
    result: FloatArray = 1.0 - np.sum(w * gap * gap, axis=-1)
    return result


def utility_cross(x: FloatArray, w: FloatArray, y: FloatArray) -> FloatArray:
    """Every actor's utility of each of M outcomes: ``y`` ``(B, M, K)`` -> ``(B, N, M)``."""
    gap = y[:, None, :, :] - x[:, :, None, :]
    result: FloatArray = 1.0 - np.sum(w[:, :, None, :] * gap * gap, axis=-1)
    return result


def _point(lam: FloatArray, x: FloatArray, w: FloatArray,
           fallback: FloatArray) -> tuple[FloatArray, FloatArray]:
    """o(λ): per issue, the λ·w-weighted mean of the positions (``fallback`` where no party
    cares)."""
    a = np.einsum("bn,bnk->bk", lam, w)
    b = np.einsum("bn,bnk->bk", lam, w * x)
    cares = a > _TINY
    o = np.where(cares, b / np.where(cares, a, 1.0), fallback)
    return o, np.where(cares, a, 0.0)


def nash_package(
    x: FloatArray,
    w: FloatArray,
    power: FloatArray,
    disagreement: FloatArray,
    fallback: FloatArray,
    *,
    start: FloatArray | None = None,
    max_iter: int = 100,
) -> tuple[FloatArray, BoolArray, FloatArray, FloatArray]:
    """The asymmetric Nash bargaining solution among the parties, for every draw at once.

    ``power`` ``(B, N)`` is each party's bargaining power (0 for actors not party to the bargain),
    ``disagreement`` ``(B, N)`` its utility of no deal, ``fallback`` ``(B, K)`` the value kept on
    issues no party cares about (normally the current state). ``start`` is an optional warm start
    for the dual variables. Returns the package ``(B, K)`` (``fallback`` where there is no
    agreement), whether there is an agreement ``(B,)``, the smallest party gain ``(B,)`` and the
    dual variables ``(B, N)``. Each draw's numbers depend on that draw alone.

    A draw is settled when the Newton decrement vanishes (the package is found) or when the
    dual bound certifies that no package gives every party :data:`MIN_GAIN`: for any λ > 0,
    Σ_i c_i log g_i ≤ D(λ) + Σ_i c_i log c_i − 1 (with Σ c_i = 1), and a package whose smallest
    gain is at least MIN_GAIN has Σ_i c_i log g_i ≥ log MIN_GAIN.
    """
    party = (power > 0) & (w.sum(axis=-1) > 0)
    total = np.where(party, power, 0.0).sum(axis=-1, keepdims=True)
    c = np.where(party, power, 0.0) / np.where(total > 0, total, 1.0)
    some = party.any(axis=-1)
    lam = np.where(party, 20.0 * c if start is None else start, 0.0)
    lam = np.where(party & ~(lam > 0), 20.0 * c, lam)
    offset = np.sum(np.where(party, c * np.log(np.where(party, c, 1.0)), 0.0), axis=-1) - 1.0
    hopeless = np.log(MIN_GAIN)
    n = x.shape[1]
    eye = np.eye(n, dtype=bool)

    def dual(r: IntArray, lam: FloatArray) -> FloatArray:
        o, _ = _point(lam, x[r], w[r], fallback[r])
        g = utility_at(x[r], w[r], o) - disagreement[r]
        on = party[r]
        value: FloatArray = np.sum(
            np.where(on, lam * g - c[r] * np.log(np.where(on, lam, 1.0)), 0.0), axis=-1
        )
        return value

    active = some.copy()
    unsettled = some.copy()
    for _ in range(max_iter):
        r = np.flatnonzero(active)
        if r.size == 0:
            break
        lr, pr, cr = lam[r], party[r], c[r]
        xr, wr = x[r], w[r]
        o, a = _point(lr, xr, wr, fallback[r])
        g = utility_at(xr, wr, o) - disagreement[r]
        safe = np.where(pr, lr, 1.0)
        value = np.sum(np.where(pr, lr * g - cr * np.log(safe), 0.0), axis=-1)
        grad = np.where(pr, g - cr / safe, 0.0)
        m = wr * (o[:, None, :] - xr)
        inv_a = np.where(a > 0, 1.0 / np.where(a > 0, a, 1.0), 0.0)
        hess = 2.0 * np.einsum("bik,bjk,bk->bij", m, m, inv_a)
        hess += np.where(eye, (cr / safe**2)[:, :, None], 0.0)
        both = pr[:, :, None] & pr[:, None, :]
        hess = np.where(both, hess, np.where(eye, 1.0, 0.0))
        step = -np.linalg.solve(hess, grad[..., None])[..., 0]
        decrement = -np.sum(grad * step, axis=-1)
        found = decrement <= _TOL
        infeasible = value + offset[r] < hopeless
        done = found | infeasible
        unsettled[r[infeasible & ~found]] = False
        unsettled[r[found]] = False
        # fraction to the boundary keeps every λ positive; Armijo backtracking on the rest
        shrink = np.where(pr & (step < 0), -0.95 * lr / np.where(step < 0, step, -1.0), np.inf)
        alpha = np.where(done, 0.0, np.minimum(1.0, shrink.min(axis=-1)))
        ok = done | (decrement < _STALL_TOL)  # quadratic convergence: take the full step
        for _ in range(40):
            pending = np.flatnonzero(~ok)
            if pending.size == 0:
                break
            trial = lr[pending] + alpha[pending, None] * step[pending]
            better = dual(r[pending], trial) <= value[pending] - 0.25 * alpha[pending] * (
                decrement[pending]
            )
            ok[pending] = better
            alpha[pending] = np.where(better, alpha[pending], alpha[pending] / 2.0)
        alpha = np.where(ok, alpha, 0.0)
        lam[r] = lr + alpha[:, None] * step
        stalled = ~done & (alpha == 0.0)
        blown = lam[r].max(axis=-1) > _LAMBDA_CAP
        unsettled[r[stalled & (decrement <= _STALL_TOL)]] = False
        active[r[done | stalled | blown]] = False
    o, _ = _point(lam, x, w, fallback)
    gain = np.where(party, utility_at(x, w, o) - disagreement, np.inf).min(axis=-1)
    agreed = some & ~unsettled & (gain >= MIN_GAIN)
    package = np.where(agreed[:, None], o, fallback)
    return package, agreed, np.where(some, gain, -np.inf), lam


def concession_shares(
    x: FloatArray, w: FloatArray, power: FloatArray, before: FloatArray, after: FloatArray
) -> FloatArray:
    """Who must act on each issue to move it from ``before`` to ``after`` ``(B, K)``.

    An actor gives ground on an issue when the move takes the issue away from its ideal point;
    its share of the move is its capability × the utility it gives up there, relative to all
    actors in ``power`` > 0 (the veto players) that give ground on that issue. Returns
    ``(B, N, K)``; shares sum to 1 on every issue someone gives ground on, 0 elsewhere (a move
    no veto player loses from needs nobody to deliver it).
    """
    lose = w * ((after[:, None, :] - x) ** 2 - (before[:, None, :] - x) ** 2)
    weight = np.where(power[:, :, None] > 0, power[:, :, None] * np.maximum(lose, 0.0), 0.0)
    total = weight.sum(axis=1, keepdims=True)
    result: FloatArray = np.divide(
        weight, total, out=np.zeros_like(weight), where=total > 0
    )
    return result
