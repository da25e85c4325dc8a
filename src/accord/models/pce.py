"""Votes, coalitions and the probabilistic Condorcet election (PCE), batched.

These are the building blocks of KTAB's Spatial Model of Politics (see ``docs/models/smp.md``):

* a **vote** of an actor with weight ``w`` for option a over option b, given the utility
  difference ``Δ = V_a − V_b`` (``voting_rule``);
* the **coalition strength** ``C_ab = 10⁻⁸ + Σ_m max(v_m(a:b), 0)``, summed voter by voter in
  index order (bit-exact with KTAB);
* the **victory probability** ``P_ab`` from the two coalition strengths (``vp_model``);
* the **PCE**: the probability that each option beats all the others (``pce_model``).

All arrays carry a leading batch axis. Options may be padded: ``mask`` marks the real ones, and
padded options neither win nor affect the real ones.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "PCEModel",
    "VPModel",
    "VotingRule",
    "coalitions",
    "pce",
    "victory_probabilities",
    "vote",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
VotingRule = Literal["binary", "prop_bin", "proportional", "prop_cbc", "cubic", "asym_prosp"]
VPModel = Literal["linear", "square", "quartic", "octic", "binary"]
PCEModel = Literal["conditional", "markov_uniform", "markov_incentive"]

COALITION_SEED = 1e-8
_BINARY_SCALE = 1e-8
_BINARY_VP_THRESHOLD = 1.1


def vote(weight: FloatArray, delta: FloatArray, rule: VotingRule = "proportional") -> FloatArray:
    """The vote ``weight``·f(``delta``) under KTAB's voting rule (default proportional: w·Δ)."""
    if rule == "proportional":
        return weight * delta
    if rule == "binary":
        return weight * np.clip(delta / _BINARY_SCALE, -1.0, 1.0)
    if rule == "prop_bin":
        return weight * (0.8 * delta + 0.2 * np.clip(delta / _BINARY_SCALE, -1.0, 1.0))
    if rule == "prop_cbc":
        return weight * (0.5 * delta + 0.5 * delta**3)
    if rule == "cubic":
        return weight * delta**3
    if rule == "asym_prosp":
        gain = np.where(delta > 0, (2 * weight * delta) / 3, 0.0)
        return np.where(delta < 0, weight * delta, gain)
    raise ValueError(f"unknown voting rule {rule!r}")


def coalitions(
    weight: FloatArray, values: FloatArray, rule: VotingRule = "proportional"
) -> FloatArray:
    """Coalition strengths ``C[..., a, b]`` for every ordered pair of options.

    ``weight`` is ``(..., voters)``, ``values`` ``(..., voters, options)``. Votes are accumulated
    voter by voter in index order from the seed 10⁻⁸, as KTAB does (so the sums are bit-exact).
    """
    n_voters = values.shape[-2]
    strength = np.full((*values.shape[:-2], values.shape[-1], values.shape[-1]), COALITION_SEED)
    for m in range(n_voters):
        v = values[..., m, :]
        votes = vote(weight[..., m, None, None], v[..., :, None] - v[..., None, :], rule)
        strength += np.where(votes > 0, votes, 0.0)
    return strength


def victory_probabilities(strength: FloatArray, model: VPModel = "linear") -> FloatArray:
    """``P[..., a, b]``: probability that a beats b, from coalition strengths (``P_aa`` = ½)."""
    c_ab = strength
    c_ba = np.swapaxes(strength, -1, -2)
    if model == "binary":
        r = c_ab / (c_ab + c_ba)
        x_ab = np.where(
            c_ab >= _BINARY_VP_THRESHOLD * c_ba,
            1.0,
            np.where(c_ba >= _BINARY_VP_THRESHOLD * c_ab, 1e-6, (2.1 * r - 1.0) / 0.1),
        )
        x_ba = np.where(
            c_ab >= _BINARY_VP_THRESHOLD * c_ba,
            1e-6,
            np.where(c_ba >= _BINARY_VP_THRESHOLD * c_ab, 1.0, 1.0 - x_ab),
        )
    else:
        power = {"linear": 1, "square": 2, "quartic": 4, "octic": 8}[model]
        if power == 1:
            x_ab, x_ba = c_ab, c_ba
        elif power == 8:
            x_ab, x_ba = (c_ab**4) ** 2, (c_ba**4) ** 2
        else:
            x_ab, x_ba = c_ab**power, c_ba**power
    p: FloatArray = x_ab / (x_ab + x_ba)
    n = p.shape[-1]
    p[..., np.arange(n), np.arange(n)] = 0.5
    return p


def pce(
    prob: FloatArray,
    mask: BoolArray | None = None,
    model: PCEModel = "conditional",
    strength: FloatArray | None = None,
) -> FloatArray:
    """The PCE winning probability of each option, ``(..., options)``; padded options get 0.

    ``prob`` is ``P[..., a, b]`` over the (padded) options in queue order; ``mask`` marks the real
    options (all real when None). The conditional model multiplies ``P_ab`` over b in order, from
    1.0, and normalises with a left-to-right sum, as KTAB does. The Markov models iterate to a
    fixed point (``strength`` = coalition strengths, needed by ``markov_incentive``).
    """
    n = prob.shape[-1]
    if mask is None:
        mask = np.ones(prob.shape[:-1], dtype=bool)
    real_b = mask[..., None, :]
    if model == "conditional":
        # a running product is sequential by definition: Π_b P_ab in queue order, from 1.0
        q = np.multiply.accumulate(np.where(real_b, prob, 1.0), axis=-1)[..., -1]
        q = np.where(mask, q, 0.0)
        return _normalise(q)
    count = mask.sum(axis=-1, keepdims=True).astype(float)
    p_vec = np.where(mask, 1.0 / count, 0.0)
    pair = real_b & mask[..., :, None]
    if model == "markov_uniform":
        pm = np.where(pair, prob, 0.0)
        for _ in range(100_000):
            both = p_vec[..., :, None] + p_vec[..., None, :]
            q = np.einsum("...ab,...ab->...a", pm, both) / count
            done = np.max(np.abs(q - p_vec)) <= 1e-6
            p_vec = (p_vec + q) / 2.0
            if done:
                break
        return p_vec
    if model == "markov_incentive":
        if strength is None:
            raise ValueError("markov_incentive needs the coalition strengths")
        incentive = np.where(pair, strength * prob, 0.0)
        incentive = incentive + np.where(pair, np.eye(n) * 1e-10, 0.0)
        col = incentive.sum(axis=-2, keepdims=True)
        chal = np.divide(incentive, col, out=np.zeros_like(incentive), where=col > 0)
        pm = np.where(pair, prob, 0.0)
        for _ in range(100_000):
            ct = p_vec[..., :, None] * np.swapaxes(chal, -1, -2)
            q = np.sum(pm * (ct + np.swapaxes(ct, -1, -2)), axis=-1)
            done = np.max(np.abs(q - p_vec)) <= 1e-8
            p_vec = (p_vec + q) / 2.0
            if done:
                break
        return p_vec
    raise ValueError(f"unknown PCE model {model!r}")


def _normalise(q: FloatArray) -> FloatArray:
    """q / Σq with the sum taken left to right from 0.0 (KTAB's order)."""
    total = np.add.accumulate(q, axis=-1)[..., -1:]
    result: FloatArray = q / total
    return result
