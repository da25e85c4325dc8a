"""The Nash bargaining solution over all issues, for a batch of draws at once.

For each draw, maximise Σ_i c_i log g_i(y) over outcomes y (0–1 per issue), where
g_i(y) = u_i(y) − d_i is actor i's gain over its disagreement utility and u_i the quadratic
utility of :mod:`accord.models.utility`. Only outcomes that leave every party strictly better off
qualify.

Two phases, both damped Newton ascents vectorised over draws (no loop over draws):

1. **Feasibility.** Maximise the smallest gain t subject to g_i(y) ≥ t with a log barrier,
   t + μ Σ_i log(g_i(y) − t), shrinking μ tenfold per level. A draw is settled as soon as t > 0
   (a strictly better outcome for everyone exists) or t + Aμ ≤ 0 with A parties (the barrier's
   duality gap bounds the true maximin gain: none exists, so the status quo stands).
2. **Nash.** From that strictly feasible point, Newton steps on the strictly concave
   Σ c_i log g_i(y); the line search never leaves the feasible set.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from accord.models.utility import normalized_salience, utility

__all__ = ["disagreement_utilities", "nash_batch", "nash_solution"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_MU_SHRINK = 10.0
_MAX_LEVELS = 40
_MU_FLOOR = 1e-18


Index = NDArray[np.intp]


def _ascend(
    z: FloatArray,
    value: Callable[[FloatArray, Index], FloatArray],
    newton: Callable[[FloatArray, Index], tuple[FloatArray, FloatArray]],
    active: BoolArray,
    tol: float,
    max_iter: int = 80,
) -> FloatArray:
    """Damped Newton ascent of a concave ``value`` for every active draw.

    ``value(z, idx)`` and ``newton(z, idx)`` (gradient, Hessian) evaluate the draws ``idx``;
    ``value`` is −inf outside the domain, so the backtracking line search keeps every iterate
    inside it. Only the draws still moving are computed on.
    """
    z = z.copy()
    idx = np.flatnonzero(active)
    f = value(z[idx], idx)
    keep = np.isfinite(f)
    idx, f = idx[keep], f[keep]
    for _ in range(max_iter):
        if idx.size == 0:
            break
        zi = z[idx]
        grad, hess = newton(zi, idx)
        step = np.linalg.solve(hess, -grad[..., None])[..., 0]
        decrement = np.sum(grad * step, axis=-1)
        keep = decrement > tol
        idx, zi, f, step, decrement = idx[keep], zi[keep], f[keep], step[keep], decrement[keep]
        alpha = np.ones(idx.size)
        ok = np.zeros(idx.size, dtype=bool)
        f_new = f.copy()
        for _ in range(50):
            todo = np.flatnonzero(~ok)
            trial = value(zi[todo] + alpha[todo, None] * step[todo], idx[todo])
            good = trial >= f[todo] + 0.25 * alpha[todo] * decrement[todo]
            ok[todo[good]] = True
            f_new[todo[good]] = trial[good]
            if np.all(ok):
                break
            alpha[todo[~good]] /= 2.0
        z[idx[ok]] = zi[ok] + alpha[ok, None] * step[ok]
        idx, f = idx[ok], f_new[ok]
    return z


def nash_solution(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    disagreement: FloatArray,
    *,
    tol: float = 1e-15,
) -> tuple[FloatArray, BoolArray, FloatArray]:
    """Nash bargaining solutions of a batch of draws.

    Shapes: ``position``/``salience`` ``(D, actors, issues)`` (0–100), ``capability`` and
    ``disagreement`` ``(D, actors)``. Returns the outcomes ``(D, issues)`` (NaN where no outcome
    makes every party strictly better off), whether one exists ``(D,)``, and the smallest gain at
    the returned point ``(D,)``. Actors with zero capability or no salience are not parties.
    """
    party = (capability > 0) & (salience.sum(axis=-1) > 0)
    n_party = party.sum(axis=-1)
    x = position / 100.0
    w = normalized_salience(salience) * party[..., None]
    c = np.where(party, capability, 0.0)
    c = c / c.sum(axis=-1, keepdims=True)
    d = np.where(party, disagreement, 0.0)
    cw = c[..., None] * w
    den = cw.sum(axis=-2)
    y0 = np.divide((cw * x).sum(axis=-2), den, out=np.full_like(den, 0.5), where=den > 0)
    n_issues = y0.shape[-1]
    eye = np.eye(n_issues)

    everyone = np.arange(y0.shape[0])

    def gains(y: FloatArray, i: Index = everyone) -> FloatArray:
        g: FloatArray = 1.0 - np.sum(w[i] * (y[..., None, :] - x[i]) ** 2, axis=-1) - d[i]
        return np.where(party[i], g, np.inf)

    def grad_g(y: FloatArray, i: Index) -> FloatArray:
        result: FloatArray = -2.0 * w[i] * (y[..., None, :] - x[i])
        return result

    # phase 1: maximise t subject to g_i(y) > t, barrier weight mu
    mu = np.ones(y0.shape[:-1])
    z = np.concatenate([y0, (np.minimum(gains(y0).min(axis=-1), 1.0) - 1.0)[..., None]], axis=-1)

    def slack(z: FloatArray, i: Index) -> FloatArray:
        return gains(z[..., :-1], i) - z[..., -1:]

    def barrier(z: FloatArray, i: Index) -> FloatArray:
        s = slack(z, i)
        inside = np.all(s > 0, axis=-1)
        logs = np.where(party[i] & (s > 0), np.log(np.where(s > 0, s, 1.0)), 0.0)
        return np.where(inside, z[..., -1] + mu[i] * logs.sum(axis=-1), -np.inf)

    def barrier_newton(z: FloatArray, i: Index) -> tuple[FloatArray, FloatArray]:
        s = slack(z, i)
        inv = np.where(party[i], 1.0 / s, 0.0)
        gg = grad_g(z[..., :-1], i)
        m = mu[i][..., None]
        grad_y = m * np.einsum("...a,...ak->...k", inv, gg)
        grad_t = 1.0 - mu[i] * inv.sum(axis=-1)
        h_yy = -2.0 * m[..., None] * np.einsum("...a,...ak->...k", inv, w[i])[..., None] * eye
        h_yy -= m[..., None] * np.einsum("...a,...ak,...al->...kl", inv**2, gg, gg)
        h_yt = m * np.einsum("...a,...ak->...k", inv**2, gg)
        h_tt = -mu[i] * (inv**2).sum(axis=-1)
        top = np.concatenate([h_yy, h_yt[..., :, None]], axis=-1)
        bottom = np.concatenate([h_yt, h_tt[..., None]], axis=-1)[..., None, :]
        return (np.concatenate([grad_y, grad_t[..., None]], axis=-1),
                np.concatenate([top, bottom], axis=-2))

    found = np.all(gains(y0) > 0, axis=-1)  # the weighted mean already pleases everyone
    settled = found.copy()
    for _ in range(_MAX_LEVELS):
        z = _ascend(z, barrier, barrier_newton, ~settled, tol * 1e-3)
        t = z[..., -1]
        found |= ~settled & (t > 0)
        settled |= found | (t + n_party * mu <= 0) | (mu < _MU_FLOOR)
        if np.all(settled):
            break
        mu = np.where(settled, mu, mu / _MU_SHRINK)

    # phase 2: the Nash product from the strictly feasible point
    def nash_value(y: FloatArray, i: Index) -> FloatArray:
        g = gains(y, i)
        inside = np.all(g > 0, axis=-1)
        logs = np.where(party[i] & (g > 0), c[i] * np.log(np.where(g > 0, g, 1.0)), 0.0)
        return np.where(inside, logs.sum(axis=-1), -np.inf)

    def nash_newton(y: FloatArray, i: Index) -> tuple[FloatArray, FloatArray]:
        g = gains(y, i)
        lam = np.where(party[i], c[i] / g, 0.0)
        gg = grad_g(y, i)
        grad = np.einsum("...a,...ak->...k", lam, gg)
        hess = -2.0 * np.einsum("...a,...ak->...k", lam, w[i])[..., None] * eye
        hess -= np.einsum("...a,...ak,...al->...kl", np.where(party[i], lam / g, 0.0), gg, gg)
        return grad, hess

    y = _ascend(z[..., :-1], nash_value, nash_newton, found, tol)
    min_gain = gains(y).min(axis=-1)
    agreement = found & (min_gain > 0)
    return np.where(agreement[..., None], y * 100.0, np.nan), agreement, min_gain


def disagreement_utilities(
    position: FloatArray, salience: FloatArray, status_quo: FloatArray
) -> tuple[FloatArray, str]:
    """Each actor's utility of no deal: the status quo, or its worst outcome if there is none."""
    if np.all(np.isfinite(status_quo)):
        return utility(position, salience, status_quo), "status_quo"
    far = np.maximum(position, 100.0 - position) / 100.0
    worst: FloatArray = 1.0 - np.sum(normalized_salience(salience) * far**2, axis=-1)
    return worst, "worst_case"


def nash_batch(
    position: FloatArray, salience: FloatArray, capability: FloatArray, status_quo: FloatArray
) -> FloatArray:
    """Nash forecasts for a batch ``(D, issues)``: the status quo where no deal beats it."""
    d, _ = disagreement_utilities(position, salience, status_quo)
    outcome, agreement, _ = nash_solution(position, salience, capability, d)
    return np.where(agreement[..., None], outcome, status_quo)
