"""The array engine of the BDM expected-utility model: one issue per batch row, many at once.

Everything here works on a flat batch: arrays ``(B, N)`` hold one one-dimensional BDM game per
row (row = one issue of one Monte Carlo draw), ``N`` actors wide. There is no Python loop over
rows or over actor pairs; the loops that remain run over rounds and over the voter of a vote.
:mod:`accord.models.bdm` builds these rows from scenarios and draws, and turns the result into a
``Forecast``. The algorithm and its names follow ``shared/specs/bdm.md`` (its sections as §).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.errors import AccordError
from accord.models.bdm_options import BDMOptions, Normalisation, TieBreak

__all__ = [
    "NO_OFFER",
    "OFFER_TYPES",
    "RoundRecord",
    "RowsRun",
    "detect_cycles",
    "lower_weighted_median",
    "make_game",
    "play_round",
    "run_rows",
    "success_probabilities",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

OFFER_TYPES = ("conflict", "compromise", "capitulation")
"""Offer types by code: 0 conflict, 1 compromise, 2 capitulation (the ranking of scholz_code)."""
NO_OFFER = 3
"""The offer-type code of a dyad that makes no offer."""

SAME_POSITION = 1e-9
"""Positions closer than this fraction of Δ count as one position: no dispute between them.
(The expected utilities of such a dyad are of the size of their rounding error.)"""
CYCLE_TOLERANCE = 1e-9
"""Two states are the same when no position differs by more than this fraction of Δ."""
SPREAD_TOLERANCE = 1e-12
"""Threat sums closer than this (relative to their size) count as all equal: every r = 1."""
MEDIAN_TOLERANCE = 1e-12
"""Cumulative weight within this fraction of W/2 counts as exactly half (the lower position)."""


# --- forecasts (§2) ---------------------------------------------------------------------------


def lower_weighted_median(position: FloatArray, weight: FloatArray) -> FloatArray:
    """Per row, the smallest held position y with Σ_{x_k ≤ y} w_k ≥ W/2 (spec §2.3).

    ``position`` and ``weight`` are ``(..., actors)``; actors with weight 0 never decide it unless
    they hold the median position anyway. An exact tie (cumulative weight W/2, to a relative
    1e-12) takes the lower position. Unlike :func:`accord.models.compromise.weighted_median` this
    never averages two positions: BDM's median is a position some actor holds.
    """
    order = np.argsort(position, axis=-1, kind="stable")
    x = np.take_along_axis(position, order, axis=-1)
    cum = np.cumsum(np.take_along_axis(weight, order, axis=-1), axis=-1)
    half = cum[..., -1:] / 2.0
    index = np.argmax(cum >= half * (1.0 - MEDIAN_TOLERANCE), axis=-1)
    result: FloatArray = np.take_along_axis(x, index[..., None], axis=-1)[..., 0]
    return result


# --- the engine: actor-major arrays, the batch axis last ----------------------------------------
#
# Inside the engine a row's actors run along the leading axes and the rows along the last one:
# positions ``(N, B)``, dyads ``(N, N, B)`` with [i, j] = i's view of j (or a challenging b at
# [a, b]). numpy's elementwise operations and its reductions over a leading axis then run over
# long contiguous blocks, which is several times faster than the ``(B, N, N)`` layout for the
# small N of a negotiation. Rows are processed in chunks that fit the CPU caches.

CHUNK = 1024
"""Rows played together; a chunk's dyad arrays (N² × CHUNK numbers) stay in cache."""


@dataclass
class _Game:
    """The fixed data of a chunk of one-issue games, ``(N, B)`` unless stated."""

    s: FloatArray  # salience in [0, 1] (0 where absent)
    w: FloatArray  # capability × salience (0 where absent)
    present: BoolArray
    pairs: FloatArray  # (N, N, B) 1.0 where both are present, off the diagonal
    delta: FloatArray  # (B,) Δ (1 where a row has no spread: nothing ever happens there)

    def rows(self, sl: slice) -> _Game:
        return _Game(self.s[:, sl], self.w[:, sl], self.present[:, sl], self.pairs[:, :, sl],
                     self.delta[sl])


@dataclass
class RoundRecord:
    """What one round computed, per row: ``(B, N)`` or ``(B, N, N)`` with [i, j] = i's view of
    j. ``a``, ``b``, ``kind`` and ``offer`` are empty ``(0, N, N)`` unless offers were kept."""

    threat: FloatArray  # S_i of pass 1 (NaN: absent)
    risk: FloatArray  # r_i (NaN: absent)
    a: FloatArray  # a_ij = E(i→j; r_i)
    b: FloatArray  # b_ij: i's estimate of E(j→i)
    kind: NDArray[np.int8]  # offer type to i from j (NO_OFFER: none)
    offer: FloatArray  # the position offered to i by j
    choice: IntArray  # (B, N) the proposer whose offer i accepts, -1: none


def _sum_leading(a: FloatArray, axes: int = 1) -> FloatArray:
    """Sum over the ``axes`` leading axes, strictly left to right whatever the batch size
    (``sum`` would sum a contiguous block pairwise, so a row's result would depend on how many
    rows are played with it)."""
    flat = a.reshape(-1, *a.shape[axes:])
    total: FloatArray = flat[0].copy()
    for part in flat[1:]:
        total += part
    return total


def _pro_votes(dist: FloatArray, w: FloatArray, rho: FloatArray | None) -> FloatArray:
    """n[p, q] = Σ_k max(0, v_k(x_p, x_q)) (spec §4.1), ``(N, N, B)``.

    ``dist[k, j]`` = |x_k − x_j|/Δ; v_k(p, q) = w_k [dist[k, q]^ρ_k − dist[k, p]^ρ_k]; ``rho``
    None: every ρ_k = 1. As |v_k(p, q)| = max(0, v_k(p, q)) + max(0, v_k(q, p)), every
    normalisation of P is a function of this one array. The loop runs over the voter k.
    """
    wd = np.multiply(dist, w[:, None, :]) if rho is None else np.power(dist, rho[:, None, :])
    if rho is not None:
        wd *= w[:, None, :]
    total = np.zeros_like(wd)
    tmp = np.empty_like(wd)
    for k in range(wd.shape[0]):
        vk = wd[k]
        np.subtract(vk[None, :, :], vk[:, None, :], out=tmp)  # [p, q] = wd[k, q] − wd[k, p]
        np.maximum(tmp, 0.0, out=tmp)
        total += tmp
    return total


def _probability(pro: FloatArray, pairs: FloatArray, how: Normalisation) -> FloatArray:
    """P_ab, probability that a's position prevails over b's (spec §4.2), ``(N, N, B)``."""
    pro = pro * pairs
    if how == "global":
        big_g = 2.0 * _sum_leading(pro, 2)
        inv = np.divide(1.0, big_g, out=np.zeros_like(big_g), where=big_g > 0)
        result: FloatArray = pro * inv
        return result
    con = np.swapaxes(pro, 0, 1)
    den = pro + con
    top = pro if how == "pairwise_pos" else np.maximum(pro - con, 0.0)
    p: FloatArray = np.divide(top, den, out=np.zeros_like(pro), where=den > 0)
    return p


def success_probabilities(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    normalisation: Normalisation = "global",
    exponents: FloatArray | None = None,
    position_range: float | None = None,
) -> tuple[FloatArray, FloatArray]:
    """P[a, b], the probability that a's position prevails over b's, and G (spec §4).

    Arrays ``(actors,)`` or ``(rows, actors)``; saliences on 0–100. ``exponents`` are the voters'
    ρ_k (None: all 1). G is the global denominator Σ_k Σ_p Σ_q |v_k(x_p, x_q)|, per row.
    """
    x2 = np.atleast_2d(np.asarray(position, dtype=float))
    here = np.ones(x2.shape, dtype=bool)
    sal = np.broadcast_to(np.atleast_2d(np.asarray(salience, dtype=float)), x2.shape)
    cap = np.broadcast_to(np.atleast_2d(np.asarray(capability, dtype=float)), x2.shape)
    x, g = make_game(x2, sal, cap, here, position_range)
    rho = None if exponents is None else np.ascontiguousarray(np.broadcast_to(
        np.atleast_2d(np.asarray(exponents, dtype=float)), x2.shape).T)
    dist = np.abs(x[:, None, :] - x[None, :, :]) / g.delta
    pro = _pro_votes(dist, g.w, rho) * g.pairs
    p = np.moveaxis(_probability(pro, g.pairs, normalisation), 2, 0)
    big_g = 2.0 * _sum_leading(pro, 2)
    if np.ndim(position) == 1:
        return p[0], big_g[0]
    return p, big_g


@dataclass
class _Terms:
    """U_s, U_f, U_sq of the challenger–target distance with the evaluator's exponent (§3.2),
    and the no-challenge part Q·U_sq + (1 − Q)[T U_b + (1 − T) U_w] of E (its own view)."""

    u_s: FloatArray
    gap_sf: FloatArray  # U_s − U_f
    rest: FloatArray | float


def _terms(d: FloatArray, rho: FloatArray | None, q: float, e: FloatArray | None,
           t: FloatArray | None) -> _Terms:
    """The utility terms at distances ``d`` ``(N, N, B)``, ρ per row (None: 1)."""
    if rho is None:
        u_s = 2.0 * d
        gap_sf = 4.0 * d
        u_sq: FloatArray | float = 0.0
        r: FloatArray | float = 1.0
    else:  # in place: fresh temporaries of this size are slow to allocate
        r = rho[:, None, :]
        lo = np.multiply(d, -0.5)
        lo += 0.5
        np.power(lo, r, out=lo)
        gap_sf = np.multiply(d, 0.5)
        gap_sf += 0.5
        np.power(gap_sf, r, out=gap_sf)
        gap_sf -= lo
        gap_sf *= 4.0
        u_s = lo
        u_s *= -4.0
        u_s += 2.0
        u_sq = 2.0 - 4.0 * 0.5**r
    rest: FloatArray | float = q * u_sq
    if q != 1.0:
        assert e is not None and t is not None
        u_b = 2.0 - 4.0 * (0.5 - 0.25 * e) ** r
        u_w = 2.0 - 4.0 * (0.5 + 0.25 * e) ** r
        rest = rest + (1.0 - q) * (t * u_b + (1.0 - t) * u_w)
    return _Terms(u_s, gap_sf, rest)


def _expected(p: FloatArray, s_target: FloatArray, terms: _Terms, live: FloatArray) -> FloatArray:
    """E = s_b [P U_s + (1 − P) U_f] + (1 − s_b) U_s − (no-challenge part) (spec §5.1), where
    ``live`` (0 elsewhere). Written as U_s − s_b (1 − P)(U_s − U_f) − rest."""
    e = np.subtract(1.0, p)
    e *= s_target
    e *= terms.gap_sf
    np.subtract(terms.u_s, e, out=e)
    e -= terms.rest
    e *= live
    return e


def _risk(threat: FloatArray, present: BoolArray) -> FloatArray:
    """r_i from the threat sums S_i ``(N, B)`` (spec §6 steps 3–4); r = 1 where all S agree."""
    s_max = np.where(present, threat, -np.inf).max(axis=0)
    s_min = np.where(present, threat, np.inf).min(axis=0)
    spread = s_max - s_min
    scale = np.maximum(np.abs(s_max), np.abs(s_min))
    flat = ~(spread > SPREAD_TOLERANCE * scale)
    big_r = (2.0 * threat - s_max - s_min) / np.where(flat, 1.0, spread)
    big_r = np.clip(np.where(flat, 0.0, big_r), -1.0, 1.0)
    r: FloatArray = (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)
    return np.where(present, r, 1.0)


BIG = 1e300
"""Stands for "no candidate" in the selection keys (finite, so masks can be added, not where'd:
numpy's ``where`` on an unpredictable mask is several times slower than arithmetic)."""


def _first_min(crit: FloatArray) -> tuple[IntArray, FloatArray]:
    """Per [i, b], the first j with the smallest ``crit[i, j, b]``, and that value (a loop over
    j: numpy's argmin over a middle axis is slow)."""
    best = crit[:, 0, :].copy()
    pick = np.zeros(best.shape, dtype=np.int64)
    for j in range(1, crit.shape[1]):
        cj = crit[:, j, :]
        better = cj < best
        pick += better * (j - pick)
        np.minimum(best, cj, out=best)
    return pick, best


def _best(key: FloatArray, position: FloatArray, w: FloatArray,
          tie_break: TieBreak) -> tuple[IntArray, FloatArray]:
    """Per [i, b], the j with the smallest ``key`` and that value.

    Exact ties go to the first j (``input_order``). Under ``clout`` a tie between different
    offered positions goes to the larger weight w_j, then to the lower position; the proposer
    named is the first j offering the chosen position.
    """
    pick, best = _first_min(key)
    if tie_break == "input_order":
        return pick, best
    tied = key == best[:, None, :]
    if not np.any(tied.sum(axis=1) > 1):
        return pick, best
    strong = np.broadcast_to(-w[None, :, :], key.shape) + ~tied * BIG
    _, most = _first_min(strong)
    pick, low = _first_min(position + ~(tied & (strong == most[:, None, :])) * BIG)
    pick, _ = _first_min(~(tied & (position == low[:, None, :])) * BIG)
    return pick, best


def _select(x: FloatArray, a: FloatArray, b: FloatArray, kind: NDArray[np.int8],
            offer: FloatArray, live: BoolArray, w: FloatArray, opt: BDMOptions) -> IntArray:
    """For each i, the proposer j whose offer it accepts, or -1 (spec §8), ``(N, B)``."""
    how = opt.selection
    xi, xj = x[:, None, :], x[None, :, :]
    has = kind != NO_OFFER
    if how == "dmasad":
        sent = live & (b > 0.0)
        strongest = (b - ~sent * BIG).max(axis=1, keepdims=True)
        top = sent & (b == strongest)
        key = np.abs(xj - xi) + ~top * BIG
        pick, best = _best(key, np.broadcast_to(xj, key.shape), w, opt.tie_break)
        took = np.take_along_axis(has, pick[:, None, :], axis=1)[:, 0, :] & (best < BIG)
        return np.where(took, pick, -1)
    key = np.subtract(offer, xi)  # the movement, or κ for a compromise under scholz_code
    np.abs(key, out=key)
    if how == "least_move":
        eligible = has
    else:
        eligible = has & (kind == kind.min(axis=1, keepdims=True))
        if how == "scholz_code":  # κ = (|a| x_i + b x_j) / (|a| + b), in place
            kappa = np.abs(a)
            den = kappa + b
            den += den == 0.0
            kappa *= xi
            kappa += b * xj
            kappa /= den
            kappa -= key
            kappa *= kind == 1
            key += kappa
    key += ~eligible * BIG
    pick, best = _best(key, offer, w, opt.tie_break)
    return np.where(best < BIG, pick, -1)


def play_round(x: FloatArray, g: _Game, opt: BDMOptions,
               keep: bool = False) -> tuple[FloatArray, RoundRecord]:
    """One round (spec §10 steps 1–5) on positions ``x`` ``(N, B)``: new positions, record.

    The record's arrays are in the engine's layout (actors first); ``keep`` keeps the dyads.
    """
    n = x.shape[0]
    gap = np.abs(x[:, None, :] - x[None, :, :])
    d = gap / g.delta
    distinct = gap > SAME_POSITION * g.delta
    live_b = distinct & (g.pairs > 0.0)
    live = g.pairs * distinct
    e = t = None
    if opt.q != 1.0:
        mu = lower_weighted_median(x.T, g.w.T)  # μ at the start of the round
        to_mu = np.abs(x - mu)[:, None, :]
        e = (to_mu + gap) / g.delta
        t = (to_mu < gap).astype(float)
    s_target = g.s[None, :, :]  # s_b at [a, b]
    # pass 1: every exponent 1
    pro1 = _pro_votes(d, g.w, None)
    p1 = _probability(pro1, g.pairs, opt.normalisation)
    e1 = _expected(p1, s_target, _terms(d, None, opt.q, e, t), live)
    threat = _sum_leading(e1)  # S_i = Σ_a E¹(a→i)
    r = _risk(threat, g.present)
    # pass 2 with the new exponents
    p = p1
    if opt.voter_exponent == "risk":
        p = _probability(_pro_votes(d, g.w, r), g.pairs, opt.normalisation)
    own = _terms(d, r, opt.q, e, t)
    a = _expected(p, s_target, own, live)
    if opt.perspective == "own":
        # E(j→i; r_i) at [i, j]: the same distance and exponent, so the same U_s and U_f; the
        # target's salience is s_i, the probability P_ji, and the no-challenge terms j's
        tr = own if opt.q == 1.0 else _terms(
            d, r, opt.q, None if e is None else np.swapaxes(e, 0, 1),
            None if t is None else np.swapaxes(t, 0, 1))
        b = _expected(np.swapaxes(p, 0, 1), g.s[:, None, :], tr, live)
    else:
        b = np.ascontiguousarray(np.swapaxes(a, 0, 1))
    # offers (§7)
    xi, xj = x[:, None, :], x[None, :, :]
    conflict = live_b & (a > 0.0) & (a < b)
    lose = live_b & (a < 0.0) & (b > 0.0)
    compromise = lose & (-a < b)
    kind = (NO_OFFER - 3 * conflict.view(np.int8) - lose.view(np.int8)
            - compromise.view(np.int8)).astype(np.int8)
    offer = np.add(b, b == 0.0)  # x_i + (x_j − x_i)·|a|/b for a compromise, x_j otherwise
    np.divide(a, offer, out=offer)
    offer *= xi - xj
    offer += xi
    # x_j where it is not a compromise, or the compromise ends within SAME_POSITION of x_j
    # (exact either way: y·1 + x_j·0 or y·0 + x_j·1)
    on = (compromise & (np.abs(offer - xj) > SAME_POSITION * g.delta)).astype(float)
    offer *= on
    np.subtract(1.0, on, out=on)
    on *= xj
    offer += on
    choice = _select(x, a, b, kind, offer, live_b, g.w, opt)
    moved = choice >= 0
    target = np.take_along_axis(offer, np.maximum(choice, 0)[:, None, :], axis=1)[:, 0, :]
    new_x = np.where(moved, target, x)
    empty = np.zeros((0, n, n))
    record = RoundRecord(
        threat=np.where(g.present, threat, np.nan), risk=np.where(g.present, r, np.nan),
        a=a if keep else empty, b=b if keep else empty,
        kind=kind if keep else empty.astype(np.int8), offer=offer if keep else empty,
        choice=np.where(moved, choice, -1),
    )
    return new_x, record


# --- the run -----------------------------------------------------------------------------------


def make_game(position: FloatArray, salience: FloatArray, capability: FloatArray,
              present: BoolArray, position_range: float | None) -> tuple[FloatArray, _Game]:
    """Check and prepare rows: ``(B, N)`` arrays in, salience on 0–100.

    Returns the starting positions ``(N, B)`` (absent actors parked at a present actor's
    position, so they never produce a NaN) and the game data, in the engine's layout.
    """
    x = np.asarray(position, dtype=float)
    sal = np.asarray(salience, dtype=float)
    cap = np.asarray(capability, dtype=float)
    here = np.asarray(present, dtype=bool)
    if not (x.shape == sal.shape == cap.shape == here.shape) or x.ndim != 2:
        raise AccordError(
            "bdm: positions, saliences, capabilities and the presence mask must have the same "
            f"shape (rows, actors); got {x.shape}, {sal.shape}, {cap.shape}, {here.shape}"
        )
    if x.shape[1] < 1:
        raise AccordError("bdm: needs at least one actor")
    if not np.all(here.any(axis=1)):
        raise AccordError("bdm: every issue needs at least one actor")
    for name, values in (("position", x), ("salience", sal), ("capability", cap)):
        if not np.all(np.isfinite(values[here])):
            raise AccordError(f"bdm: every {name} must be a finite number")
    if np.any(cap[here] <= 0):
        raise AccordError("bdm: every actor needs a capability above 0")
    if np.any((sal[here] < 0) | (sal[here] > 100)):
        raise AccordError("bdm: saliences must lie on 0–100 (they are divided by 100)")
    s = np.where(here, sal / 100.0, 0.0)
    w = np.where(here, cap, 0.0) * s
    if np.any(w.sum(axis=1) <= 0):
        raise AccordError("bdm: on every issue some actor needs a salience above 0")
    lo = np.where(here, x, np.inf).min(axis=1)
    hi = np.where(here, x, -np.inf).max(axis=1)
    spread = hi - lo
    if position_range is None:
        delta = np.where(spread > 0, spread, 1.0)
    else:
        if np.any(spread > position_range * (1.0 + 1e-12)):
            raise AccordError(
                f"bdm: position_range {position_range:g} is smaller than the spread of the "
                f"positions ({float(spread.max()):g}); Δ must cover every position"
            )
        delta = np.full(x.shape[0], float(position_range))
    x = np.where(here, x, lo[:, None])
    n = x.shape[1]
    pairs = (here.T[:, None, :] & here.T[None, :, :] & ~np.eye(n, dtype=bool)[:, :, None])

    def engine(a: NDArray[Any]) -> NDArray[Any]:
        return np.ascontiguousarray(a.T)

    game = _Game(s=engine(s), w=engine(w), present=engine(here), pairs=pairs.astype(float),
                 delta=delta)
    return engine(x), game


def _cycles(history: FloatArray, scale: FloatArray,
            tolerance: float) -> tuple[IntArray, IntArray]:
    """:func:`detect_cycles` on ``(T, N, B)`` without NaNs, by lag."""
    n_t, _, n_b = history.shape
    best = np.full(n_b, n_t * n_t, dtype=np.int64)  # row-major index r·T + (r + p)
    limit = tolerance * scale
    for lag in range(1, n_t):
        same = np.all(np.abs(history[lag:] - history[:-lag]) <= limit, axis=1)  # (T − lag, B)
        found = same.any(axis=0)
        first = np.argmax(same, axis=0)
        code = first * n_t + first + lag
        best = np.where(found & (code < best), code, best)
    found = best < n_t * n_t
    start = np.where(found, best // n_t, -1).astype(np.int64)
    period = np.where(found, best % n_t - best // n_t, 0).astype(np.int64)
    return start, period


def detect_cycles(history: FloatArray, scale: FloatArray | None = None,
                  tolerance: float = CYCLE_TOLERANCE) -> tuple[IntArray, IntArray]:
    """Where each row's state first repeats: ``(from_round, period)``, ``(B,)`` each.

    ``history`` is ``(states, B, N)`` (NaN entries, i.e. absent actors, are ignored). The model
    is memoryless (a round depends only on the positions at its start), so if x(r + p) = x(r)
    the run repeats with period p from round r on; this returns the smallest such r and, for it,
    the smallest p. Period 1 is a fixed point. Rows whose state never repeats get (-1, 0).
    Positions count as equal when they differ by at most ``tolerance × scale`` (``scale`` per
    row, default 1).
    """
    h = np.asarray(history, dtype=float)
    if h.ndim != 3:
        raise AccordError(f"bdm: detect_cycles needs a (states, rows, actors) history, "
                          f"not {h.shape}")
    sc = np.ones(h.shape[1]) if scale is None else np.asarray(scale, dtype=float)
    return _cycles(np.nan_to_num(np.moveaxis(h, 2, 1), nan=0.0), sc, tolerance)


@dataclass
class RowsRun:
    """A run on rows: ``history`` ``(rounds + 1, B, N)`` (NaN: absent), per-round ``median`` and
    ``mean`` ``(rounds + 1, B)``, ``risk``/``threat`` ``(rounds, B, N)``, Δ, where the state
    first repeats, and the round records (dyads only when asked for), in row-first layout."""

    history: FloatArray
    median: FloatArray
    mean: FloatArray
    risk: FloatArray
    threat: FloatArray
    delta: FloatArray
    cycle_from: IntArray
    cycle_period: IntArray
    records: list[RoundRecord]


def _rows_first(rec: RoundRecord) -> RoundRecord:
    def dyads(a: NDArray[Any]) -> NDArray[Any]:
        return np.moveaxis(a, 2, 0) if a.shape[0] else a

    return RoundRecord(rec.threat.T, rec.risk.T, dyads(rec.a), dyads(rec.b), dyads(rec.kind),
                       dyads(rec.offer), rec.choice.T)


def _join(records: list[RoundRecord]) -> RoundRecord:
    """Concatenate one round's records of several chunks along the batch (last) axis."""
    def cat(name: str) -> NDArray[Any]:
        parts = [getattr(r, name) for r in records]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)

    return RoundRecord(**{f.name: cat(f.name) for f in fields(RoundRecord)})


def run_rows(position: FloatArray, salience: FloatArray, capability: FloatArray,
             present: BoolArray, options: BDMOptions, rounds: int,
             keep: bool = False) -> RowsRun:
    """Play ``rounds`` rounds on rows ``(B, N)`` (see :func:`make_game`), all rows at once
    (in cache-sized chunks). ``keep`` keeps every round's dyads (a, b, offers)."""
    x0, game = make_game(position, salience, capability, present, options.position_range)
    n, n_b = x0.shape
    hist = np.empty((rounds + 1, n, n_b))
    hist[0] = x0
    chunks: list[list[RoundRecord]] = [[] for _ in range(rounds)]
    for start in range(0, n_b, CHUNK):
        sl = slice(start, start + CHUNK)
        g = game.rows(sl)
        x = x0[:, sl]
        for t in range(rounds):
            x, rec = play_round(x, g, options, keep)
            hist[t + 1, :, sl] = x
            chunks[t].append(rec)
    records = [_rows_first(_join(c)) for c in chunks]
    w = game.w.T
    rows_hist = np.swapaxes(hist, 1, 2)  # (T, B, N)
    median = lower_weighted_median(rows_hist, np.broadcast_to(w, rows_hist.shape))
    mean = np.sum(w * rows_hist, axis=-1) / np.sum(w, axis=-1)
    start_round, period = _cycles(hist, game.delta, CYCLE_TOLERANCE)
    out_hist = np.where(game.present.T[None], rows_hist, np.nan)
    empty = np.zeros((0, n_b, n))
    return RowsRun(
        history=out_hist, median=median, mean=mean,
        risk=np.stack([r.risk for r in records]) if records else empty,
        threat=np.stack([r.threat for r in records]) if records else empty,
        delta=game.delta, cycle_from=start_round, cycle_period=period,
        records=records if keep else [],
    )
