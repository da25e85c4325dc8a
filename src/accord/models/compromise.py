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
from accord.models.nash import disagreement_utilities, nash_batch, nash_solution
from accord.models.registry import batch_form, register
from accord.models.utility import utility
from accord.scenario.arrays import ScenarioArrays
from accord.scenario.uncertainty import BatchArrays

__all__ = ["mean", "median", "nash", "weighted_mean", "weighted_median"]

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


@register(
    "nash",
    "asymmetric Nash bargaining solution over all issues, relative to the status quo",
    tolerance=1e-4,  # the optimum is found to ~1e-6 when some party's weight is tiny
)
def nash(arrays: ScenarioArrays) -> Forecast:
    """The Nash bargaining solution; see the module docstring for the utility form."""
    d, basis = disagreement_utilities(arrays.position, arrays.salience, arrays.status_quo)
    out, agreement, min_gain = nash_solution(
        arrays.position[None], arrays.salience[None], arrays.capability[None], d[None]
    )
    agreed = bool(agreement[0])
    outcome = out[0] if agreed else np.array(arrays.status_quo, dtype=float)
    utilities = utility(arrays.position, arrays.salience, outcome)
    return _forecast(
        "nash", arrays, outcome,
        agreement=agreed,
        min_gain=float(min_gain[0]),
        disagreement_point=basis,
        disagreement_utilities=dict(zip(arrays.actors, d.tolist(), strict=True)),
        gains=dict(zip(arrays.actors, (utilities - d).tolist(), strict=True)),
    )


@batch_form("mean")
def mean_batch(batch: BatchArrays) -> FloatArray:
    """Weighted means of every draw, ``(draws, issues)``."""
    return weighted_mean(batch.position, batch.capability[..., None] * batch.salience)


@batch_form("median")
def median_batch(batch: BatchArrays) -> FloatArray:
    """Weighted medians of every draw, ``(draws, issues)``."""
    return weighted_median(batch.position, batch.capability[..., None] * batch.salience)


@batch_form("nash")
def nash_batch_form(batch: BatchArrays) -> FloatArray:
    """Nash solutions of every draw, ``(draws, issues)``."""
    return nash_batch(batch.position, batch.salience, batch.capability, batch.status_quo)
