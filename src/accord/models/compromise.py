"""Compromise models: weighted mean, weighted median and the Nash bargaining solution.

All three are one-shot: no rounds, no history. Weights are capability × salience.

* ``mean``: per issue, the capability × salience weighted mean of the positions.
* ``median``: per issue, the weighted median — the position at which the actors on either side
  hold at most half of the weight (the midpoint of the two middle positions on an exact tie).
* ``nash``: the asymmetric Nash bargaining solution over all issues jointly. It maximises
  Σ_i c_i · log(u_i(o) − d_i), with u_i the quadratic utility of :mod:`accord.models.utility`,
  bargaining power c_i = capability and disagreement utility d_i = u_i(status quo). Only outcomes
  that leave every actor with a stake strictly better off than the status quo qualify; if there is
  none, the forecast is the status quo itself (``diagnostics["agreement"]`` is False). Without a
  status quo the disagreement point is each actor's worst outcome on the 0–100 box.

``weighted_mean`` and ``weighted_median`` accept a leading batch axis (``(..., actors, issues)``),
the form Monte Carlo uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.models.forecast import Forecast
from accord.models.registry import register
from accord.models.utility import normalized_salience, utility
from accord.scenario.arrays import ScenarioArrays

__all__ = ["mean", "median", "nash", "nash_solution", "weighted_mean", "weighted_median"]

FloatArray = NDArray[np.float64]


def weighted_mean(position: FloatArray, weight: FloatArray) -> FloatArray:
    """Per issue, Σ w x / Σ w over actors (axis -2); shapes ``(..., actors, issues)``."""
    result: FloatArray = np.sum(weight * position, axis=-2) / np.sum(weight, axis=-2)
    return result


def weighted_median(position: FloatArray, weight: FloatArray) -> FloatArray:
    """Per issue, the weighted median of the positions over actors (axis -2).

    The median is the first sorted position where the cumulative weight reaches half the total;
    when it reaches exactly half (to 1e-12 relative), the midpoint of that position and the next
    one carrying weight. Zero-weight actors never decide it.
    """
    order = np.argsort(position, axis=-2, kind="stable")
    x = np.take_along_axis(position, order, axis=-2)
    cum = np.cumsum(np.take_along_axis(weight, order, axis=-2), axis=-2)
    total = cum[..., -1:, :]
    half = total / 2.0
    tol = 1e-12 * total
    lower = np.argmax(cum >= half - tol, axis=-2)[..., None, :]
    upper = np.argmax(cum > half + tol, axis=-2)[..., None, :]
    result: FloatArray = (
        np.take_along_axis(x, lower, axis=-2) + np.take_along_axis(x, upper, axis=-2)
    )[..., 0, :] / 2.0
    return result


def _forecast(name: str, arrays: ScenarioArrays, outcome: FloatArray, **diag: Any) -> Forecast:
    outcome.setflags(write=False)
    return Forecast(
        model=name,
        params={},
        actors=arrays.actors,
        issues=arrays.issues,
        outcome=outcome,
        utilities=utility(arrays.position, arrays.salience, outcome),
        diagnostics=diag,
    )


@register("mean", "capability × salience weighted mean of the positions, per issue")
def mean(arrays: ScenarioArrays) -> Forecast:
    """The capability × salience weighted mean position on each issue."""
    return _forecast("mean", arrays, weighted_mean(arrays.position, arrays.weight))


@register("median", "capability × salience weighted median of the positions, per issue")
def median(arrays: ScenarioArrays) -> Forecast:
    """The capability × salience weighted median position on each issue."""
    return _forecast("median", arrays, weighted_median(arrays.position, arrays.weight))


# --- Nash bargaining -----------------------------------------------------------------------


def nash_solution(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    disagreement: FloatArray,
    *,
    tol: float = 1e-13,
    max_iter: int = 200,
) -> tuple[FloatArray, dict[str, Any]]:
    """Maximise Σ c_i log(u_i(o) − d_i) over outcomes ``o`` (0–100 per issue).

    ``disagreement`` holds d_i per actor. Actors with zero capability or no salience anywhere are
    not party to the bargain. Returns the outcome and diagnostics. Uses a feasibility phase (the
    outcome that maximises the smallest gain, by SLSQP) and then damped Newton steps on the
    strictly concave Nash objective.
    """
    from scipy.optimize import minimize

    party = (capability > 0) & (salience.sum(axis=1) > 0)
    x = position[party] / 100.0
    w = normalized_salience(salience[party])
    c = capability[party] / capability[party].sum()
    d = disagreement[party]

    def gains(y: FloatArray) -> FloatArray:
        g: FloatArray = 1.0 - np.sum(w * (y - x) ** 2, axis=1) - d
        return g

    # Phase 1: the outcome that maximises the smallest gain (a convex problem).
    n_issues = x.shape[1]
    start = np.append(np.clip((c[:, None] * w * x).sum(0) / (c[:, None] * w).sum(0), 0, 1), 0.0)
    res = minimize(
        lambda z: -z[-1],
        start,
        jac=lambda z: np.append(np.zeros(n_issues), -1.0),
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n_issues + [(None, None)],
        constraints=[
            {
                "type": "ineq",
                "fun": lambda z: gains(z[:-1]) - z[-1],
                "jac": lambda z: np.hstack(
                    [-2.0 * w * (z[:-1] - x), -np.ones((x.shape[0], 1))]
                ),
            }
        ],
        options={"maxiter": 500, "ftol": 1e-15},
    )
    y = np.asarray(res.x[:-1], dtype=float)
    min_gain = float(gains(y).min())
    if min_gain <= 1e-12:
        return np.full(n_issues, np.nan), {"agreement": False, "min_gain": min_gain}

    # Phase 2: damped Newton on F(y) = Σ c_i log g_i(y), strictly concave on {g > 0}.
    def objective(y: FloatArray) -> float:
        g = gains(y)
        return float(np.sum(c * np.log(g))) if np.all(g > 0) else -np.inf

    f = objective(y)
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007
        g = gains(y)
        grad_g = -2.0 * w * (y - x)  # (actors, issues)
        grad = (c / g) @ grad_g
        hess = -2.0 * np.diag((c / g) @ w) - (grad_g.T * (c / g**2)) @ grad_g
        step = np.linalg.solve(hess, -grad)
        decrement = float(grad @ step)  # Newton decrement², > 0 for an ascent step
        if decrement < tol:
            break
        alpha = 1.0
        while alpha > 1e-12:
            candidate = y + alpha * step
            f_new = objective(candidate)
            if f_new >= f + 0.25 * alpha * float(grad @ step):
                y, f = candidate, f_new
                break
            alpha /= 2.0
        else:
            break
    outcome: FloatArray = y * 100.0
    return outcome, {"agreement": True, "min_gain": float(gains(y).min()), "iterations": iterations}


@register("nash", "asymmetric Nash bargaining solution over all issues, relative to the status quo")
def nash(arrays: ScenarioArrays) -> Forecast:
    """The Nash bargaining solution; see the module docstring for the utility form."""
    w = normalized_salience(arrays.salience)
    if arrays.has_status_quo:
        basis = "status_quo"
        d = utility(arrays.position, arrays.salience, arrays.status_quo)
    else:
        basis = "worst_case"
        far = np.maximum(arrays.position, 100.0 - arrays.position) / 100.0
        d = 1.0 - np.sum(w * far**2, axis=1)
    outcome, diag = nash_solution(arrays.position, arrays.salience, arrays.capability, d)
    if not diag["agreement"]:
        outcome = np.array(arrays.status_quo, dtype=float)
    utilities = utility(arrays.position, arrays.salience, outcome)
    diag.update(
        disagreement_point=basis,
        disagreement_utilities=dict(zip(arrays.actors, d.tolist(), strict=True)),
        gains=dict(zip(arrays.actors, (utilities - d).tolist(), strict=True)),
    )
    return _forecast("nash", arrays, outcome, **diag)
