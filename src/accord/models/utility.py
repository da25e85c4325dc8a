"""The utility form shared by the compromise models.

An actor's utility of an outcome ``o`` (per issue, 0–100) is one minus its salience-weighted mean
squared distance from its ideal point, distances measured as a fraction of the scale::

    u_i(o) = 1 - Σ_k w_ik ((o_k - x_ik) / 100)²,    w_ik = s_ik / Σ_j s_ij

so u_i = 1 at the actor's ideal point and 0 when every issue is at the far end of the scale from
it. Issues an actor is absent from carry weight 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["normalized_salience", "utility"]

FloatArray = NDArray[np.float64]


def normalized_salience(salience: FloatArray) -> FloatArray:
    """Saliences scaled to sum to 1 per actor (last axis = issues); zero rows stay zero."""
    total = salience.sum(axis=-1, keepdims=True)
    result: FloatArray = np.divide(
        salience, total, out=np.zeros_like(salience), where=total > 0
    )
    return result


def utility(position: FloatArray, salience: FloatArray, outcome: FloatArray) -> FloatArray:
    """Utility of ``outcome`` (``(..., issues)``) for each actor (``(..., actors, issues)``)."""
    w = normalized_salience(salience)
    gap = (outcome[..., None, :] - position) / 100.0
    result: FloatArray = 1.0 - np.sum(w * gap * gap, axis=-1)
    return result
