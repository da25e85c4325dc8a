"""SMP: KTAB's Spatial Model of Politics, bit-exact in its default configuration, and batched.

The model (``docs/models/smp.md``; specification ``shared/specs/smp.md``; registered as ``smp`` in
:mod:`accord.models.smp_model`) plays turns. In each turn
every actor estimates what it would gain by challenging each other actor, picks its most
profitable target, and proposes a compromise; every actor then chooses, by a probabilistic
Condorcet election among all actors, between keeping its position and one of the compromises it is
party to. All move at once; the run stops when moves become small.

Everything works on a leading batch axis: arrays ``(draws, actors, issues)``. A single scenario is
a batch of one. There is no Python loop over draws or over actor pairs: the loops that remain run
over a third party, a voter or an issue, in index order, because KTAB sums in that order and the
reference results depend on it to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from accord.errors import AccordError
from accord.models.pce import PCEModel, VotingRule, VPModel, coalitions, pce
from accord.models.pce import victory_probabilities as vp
from accord.models.pce import vote as _vote

__all__ = ["SAME_POSITION", "SMPOptions", "SMPRun", "run_smp"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

BigRRange = Literal["min", "mid", "max"]
BigRAdjust = Literal["none", "one_third", "half", "two_thirds", "full"]
ThirdPartyCommit = Literal["no_commit", "semi_commit", "full_commit"]
Interpolation = Literal["s1p1", "s2p2", "s2pmax"]
BargainModel = Literal["init_only", "init_rcvr", "pw_comp"]
Transitions = Literal["deterministic", "stochastic"]

CHALLENGE_SEED = 1e-10
MIN_GAIN = 1e-5
EPSILON = 1e-6
SAME_POSITION = 1e-3
STOP_RATIO = 0.02
DELTA_GUARD = 1e-4


@dataclass(frozen=True)
class SMPOptions:
    """SMP's options; defaults are KTAB's (KTAB's names in brackets, see docs/models/smp.md)."""

    voting_rule: VotingRule = "proportional"  # VotingRule
    vp_model: VPModel = "linear"  # VPModel
    pce_model: PCEModel = "conditional"  # PCEModel
    transitions: Transitions = "deterministic"  # StateTransMode
    big_r_range: BigRRange = "mid"  # BigRRange
    big_r_adjust: BigRAdjust = "one_third"  # BigRAdjust
    third_party_commit: ThirdPartyCommit = "semi_commit"  # ThirdPartyCommit
    interpolation: Interpolation = "s2p2"  # InterVecBrgn
    bargain_model: BargainModel = "init_only"  # SMPBargnModel
    max_turns: int = 100

    def __post_init__(self) -> None:
        allowed = {
            "voting_rule": VotingRule, "vp_model": VPModel, "pce_model": PCEModel,
            "transitions": Transitions, "big_r_range": BigRRange, "big_r_adjust": BigRAdjust,
            "third_party_commit": ThirdPartyCommit, "interpolation": Interpolation,
            "bargain_model": BargainModel,
        }
        for name, kind in allowed.items():
            choices = kind.__args__  # type: ignore[attr-defined]
            if getattr(self, name) not in choices:
                raise AccordError(
                    f"smp: {name} must be one of {', '.join(choices)}, not {getattr(self, name)!r}"
                )
        if not 1 <= self.max_turns <= 10_000:
            raise AccordError(f"smp: max_turns must be between 1 and 10000, not {self.max_turns}")


@dataclass
class SMPRun:
    """The result of a batch of SMP runs (positions on the 0–1 scale, as the model computes).

    ``positions`` is ``(states, draws, actors, issues)`` and ``prob`` ``(states, draws, actors)``
    when recorded (else only the final state is kept); ``states`` is the number of states of
    each draw (including state 0) and ``stop`` why it stopped ("converged" or "max_turns").
    """

    positions: FloatArray
    prob: FloatArray
    states: IntArray
    stop: list[str]
    final_positions: FloatArray
    final_prob: FloatArray
    final_reps: BoolArray
    final_rep_prob: FloatArray
    turns: list[dict[str, Any]] = field(default_factory=list)


# --- state: distances, risk attitudes, perceived utilities -------------------------------


def _util(d: FloatArray, r: FloatArray) -> FloatArray:
    """KTAB's risk-curved utility u(d; R) = (1 − d)(1 + dR) (guarded beyond d = 1).

    Salience-weighted distances never exceed 1 (each term is at most its weight), so the guard
    is checked on ``d`` alone and the tensor is computed in one pass.
    """
    result: FloatArray = (1.0 - d) * (1.0 + d * r)
    if np.any(d > 1.0):
        result = np.where(d <= 1.0, result, (1.0 - d) * (1.0 + r))
    return result


def _seq_sum(a: FloatArray, axis: int) -> FloatArray:
    """Sum along ``axis`` left to right from 0.0 (numpy's sum is pairwise)."""
    moved = np.moveaxis(a, axis, 0)
    total = np.zeros(moved.shape[1:])
    for item in moved:
        total = total + item
    return total


def _distance(ideal: FloatArray, points: FloatArray, s: FloatArray, s2: FloatArray) -> FloatArray:
    """d_i(I_i, P_j): ``ideal``/``s`` ``(B, N, M)``, ``points`` ``(B, P, M)`` -> ``(B, N, P)``."""
    acc = np.zeros((ideal.shape[0], ideal.shape[1], points.shape[1]))
    for k in range(ideal.shape[2]):
        e = (ideal[:, :, None, k] - points[:, None, :, k]) * s[:, :, None, k]
        acc = acc + e * e
    result: FloatArray = np.sqrt(acc / s2[:, :, None])
    return result


@dataclass
class _State:
    d: FloatArray  # (B, N, N) distance from i's ideal to j's position
    r: FloatArray  # (B, N) risk attitudes
    u: FloatArray  # (B, N, N, N) perceived utilities U[h, i, j]
    own: FloatArray  # (B, N, N) own-view U[m, m, n]


def _state(x: FloatArray, ideal: FloatArray, s: FloatArray, s2: FloatArray, c: FloatArray,
           opt: SMPOptions) -> _State:
    d = _distance(ideal, x, s, s2)
    v0 = 1.0 - d
    strength = coalitions(c, v0, opt.voting_rule)
    p = pce(vp(strength, opt.vp_model), None, opt.pce_model, strength)
    p_min = p.min(axis=1, keepdims=True)
    p_max = p.max(axis=1, keepdims=True)
    spread = p_max - p_min
    with np.errstate(invalid="ignore", divide="ignore"):
        if opt.big_r_range == "mid":
            r = (3.0 * p - (p_max + 2.0 * p_min)) / (2.0 * spread)
        elif opt.big_r_range == "min":
            r = (p - p_min) / spread
        else:
            r = (2.0 * p - (p_max + p_min)) / spread
    r = np.where(spread > 0, r, 0.0)  # all positions equally likely to win: risk neutral
    rh, ri = r[:, :, None], r[:, None, :]
    perceived = {
        "none": rh + 0.0 * ri,
        "one_third": ((2.0 * rh) + ri) / 3.0,
        "half": (rh + ri) / 2.0,
        "two_thirds": (rh + 2.0 * ri) / 3.0,
        "full": ri + 0.0 * rh,
    }[opt.big_r_adjust]
    u = _util(d[:, None, :, :], perceived[:, :, :, None])
    n = x.shape[1]
    own = u[:, np.arange(n), np.arange(n), :]
    return _State(d=d, r=r, u=u, own=own)


# --- challenges -------------------------------------------------------------------------------


def _views(u: FloatArray, perspective: str) -> dict[str, Any]:
    """The utilities E(h; k; i→j) reads, as ``(B, N, N)`` over (i, j) or broadcastable.

    ``initiator``: h = k = i (the default analysis). ``receiver``: h = j, k = i (the target's
    estimate of the initiator's gain, used by the InitRcvrInterp bargain model).
    """
    n = u.shape[1]
    ar = np.arange(n)
    diag3 = u[:, ar, ar, ar]  # U[h, h, h]
    last2 = np.diagonal(u, axis1=2, axis2=3)  # [h, i] = U[h, i, i]
    swapped = np.swapaxes(u, 2, 3)  # [h, j, i] = U[h, i, j]
    if perspective == "initiator":
        return {
            "a": diag3[:, :, None], "b": u[:, ar, ar, :], "e": swapped[:, ar, ar, :],
            "f": last2,
            "alpha": lambda m: u[:, ar, m, ar][:, :, None],
            "beta": lambda m: u[:, :, m, :],
            "mu": lambda m: u[:, :, m, m][:, :, None],
        }
    return {
        "a": np.swapaxes(last2, 1, 2), "b": np.swapaxes(swapped[:, ar, ar, :], 1, 2),
        "e": np.swapaxes(u[:, ar, ar, :], 1, 2), "f": diag3[:, None, :],
        "alpha": lambda m: np.swapaxes(u[:, :, m, :], 1, 2),
        "beta": lambda m: u[:, ar, m, ar][:, None, :],
        "mu": lambda m: u[:, :, m, m][:, None, :],
    }


def _challenge(u: FloatArray, omega: FloatArray, sigma: FloatArray, opt: SMPOptions,
               perspective: str = "initiator") -> tuple[FloatArray, FloatArray]:
    """(φ_ij, ΔEU_ij) for every challenge i→j, ``(B, N, N)`` (diagonal meaningless)."""
    v = _views(u, perspective)
    rule = opt.voting_rule
    a, b, e, f = v["a"], v["b"], v["e"], v["f"]
    n = u.shape[1]
    g_i = _vote(omega[:, :, None], a - b, rule)
    g_j = _vote(omega[:, None, :], e - f, rule)
    s_i = CHALLENGE_SEED + np.where(g_i > 0, g_i, 0.0)
    s_i = s_i + np.where(g_j > 0, g_j, 0.0)
    s_j = CHALLENGE_SEED - np.where(g_i < 0, g_i, 0.0)
    s_j = s_j - np.where(g_j < 0, g_j, 0.0)
    s_i0, s_j0 = s_i, s_j
    ar = np.arange(n)
    for m in range(n):
        alpha, beta, mu = v["alpha"](m), v["beta"](m), v["mu"](m)
        w = omega[:, m, None, None]
        g = _vote(w, alpha - beta, rule)
        big_a = s_i0 + np.where(g > 0, g, 0.0)
        big_b = s_j0 - np.where(g < 0, g, 0.0)
        pi = big_a / (big_a + big_b)
        pi_ = 1.0 - pi
        if opt.third_party_commit == "semi_commit":
            t1, t2, t3, t4 = (alpha + alpha) + mu, (beta + beta) + beta, (alpha + alpha) + alpha, (
                beta + beta) + mu
        elif opt.third_party_commit == "no_commit":
            t1, t2, t3, t4 = (alpha + alpha) + mu, (beta + beta) + mu, (alpha + alpha) + mu, (
                beta + beta) + mu
        else:
            t1, t2, t3, t4 = (alpha + alpha) + alpha, (beta + beta) + beta, (
                alpha + alpha) + alpha, (beta + beta) + beta
        e1 = (pi * t1) + (pi_ * t2)
        e2 = (pi * t3) + (pi_ * t4)
        tau = _vote(w, e1 - e2, rule)
        third = (ar[:, None] != m) & (ar[None, :] != m)
        tau = np.where(third, tau, 0.0)
        s_i = s_i + np.where(tau > 0, tau, 0.0)
        s_j = s_j - np.where(tau < 0, tau, 0.0)
    phi = s_i / (s_i + s_j)
    phi_ = s_j / (s_i + s_j)
    q_sq = a + b
    q_win = a + a
    q_lose = b + b
    q_c = phi * q_win + phi_ * q_lose
    sj = sigma[:, None, :]
    q_ch = (1.0 - sj) * q_win + sj * q_c
    return phi, q_ch - q_sq


# --- bargains ---------------------------------------------------------------------------------


def _r4(z: FloatArray) -> FloatArray:
    result: FloatArray = np.trunc(0.5 + z * 10000.0) / 10000.0
    return result


def _interpolate(p_i: FloatArray, x_i: FloatArray, x_j: FloatArray, s_i: FloatArray,
                 s_j: FloatArray, how: Interpolation) -> tuple[FloatArray, FloatArray]:
    """Compromise points (b_i, b_j) of a bargain; ``p_i`` ``(B, N)``, others ``(B, N, M)``."""
    pi = p_i[:, :, None]
    pj = 1.0 - pi
    if how == "s2pmax":
        g_i = np.maximum(0.0, pj - pi)
        g_j = np.maximum(0.0, pi - pj)
        d_i = g_i * s_j**2 / (g_i * s_j**2 + EPSILON + (1.0 - g_i) * s_i**2)
        d_j = g_j * s_i**2 / (g_j * s_i**2 + EPSILON + (1.0 - g_j) * s_j**2)
        return x_i + d_i * (x_j - x_i), x_j + d_j * (x_i - x_j)
    if how == "s2p2":
        w_i = (s_i * s_i) * (pi * pi)
        w_j = (s_j * s_j) * (pj * pj)
    else:
        w_i = s_i * pi
        w_j = s_j * pj
    den = (w_i + EPSILON) + w_j
    b_i = _r4(((w_i + EPSILON) * x_i + w_j * x_j) / den)
    b_j = _r4((w_i * x_i + (EPSILON + w_j) * x_j) / den)
    return b_i, b_j


@dataclass
class _Bargains:
    initiator: IntArray  # (S,) slot -> initiator index
    receiver: IntArray  # (B, S)
    valid: BoolArray  # (B, S)
    y_init: FloatArray  # (B, S, M)
    y_recv: FloatArray  # (B, S, M)


def _bargains(x: FloatArray, s: FloatArray, c: FloatArray, sigma: FloatArray, st: _State,
              omega: FloatArray, opt: SMPOptions) -> tuple[_Bargains, dict[str, Any]]:
    n_b, n = x.shape[:2]
    phi, gain = _challenge(st.u, omega, sigma, opt)
    offdiag = ~np.eye(n, dtype=bool)
    candidate = np.where((gain > MIN_GAIN) & offdiag, gain, -np.inf)
    target = np.argmax(candidate, axis=2)  # first maximum: ties go to the lowest j
    valid = np.isfinite(np.take_along_axis(candidate, target[:, :, None], axis=2)[:, :, 0])
    bi = np.arange(n_b)[:, None]
    x_t, s_t = x[bi, target], s[bi, target]
    p_init = np.take_along_axis(phi, target[:, :, None], axis=2)[:, :, 0]
    y_i, y_j = _interpolate(p_init, x, x_t, s, s_t, opt.interpolation)
    record = {"target": np.where(valid, target, -1),
              "gain": np.take_along_axis(gain, target[:, :, None], axis=2)[:, :, 0],
              "phi": p_init}
    if opt.bargain_model == "init_only":
        init = np.arange(n)
        return _Bargains(init, target, valid, y_i, y_j), record
    # the target's estimate of the initiator's gain; KTAB uses its ΔEU as a probability
    _, gain_r = _challenge(st.u, omega, sigma, opt, perspective="receiver")
    p_recv = np.take_along_axis(gain_r, target[:, :, None], axis=2)[:, :, 0]
    z_i, z_j = _interpolate(p_recv, x, x_t, s, s_t, opt.interpolation)
    if opt.bargain_model == "pw_comp":
        w_i = (c * sigma)[:, :, None]
        w_j = (c * sigma[bi, target])[:, :, None]
        m_i = (w_i * y_i + w_j * z_i) / (w_i + w_j)
        m_j = (w_i * y_j + w_j * z_j) / (w_i + w_j)
        return _Bargains(np.arange(n), target, valid, m_i, m_j), record
    # init_rcvr: both bargains, the initiator's first
    init = np.repeat(np.arange(n), 2)

    def inter(a: NDArray[Any], b: NDArray[Any]) -> NDArray[Any]:
        return np.stack([a, b], axis=2).reshape(a.shape[0], 2 * n, *a.shape[2:])

    return _Bargains(init, inter(target, target), inter(valid, valid), inter(y_i, z_i),
                     inter(y_j, z_j)), record


# --- choices ----------------------------------------------------------------------------------


def _choose(x: FloatArray, ideal: FloatArray, s: FloatArray, s2: FloatArray, c: FloatArray,
            st: _State, bg: _Bargains, opt: SMPOptions,
            uniform: FloatArray | None) -> tuple[FloatArray, IntArray]:
    n_b, n = x.shape[:2]
    slots = bg.initiator.shape[0]
    own_r = st.r[:, :, None]
    t_init = _util(_distance(ideal, bg.y_init, s, s2), own_r)  # (B, voters, S)
    t_recv = _util(_distance(ideal, bg.y_recv, s, s2), own_r)
    acc = t_init + t_recv
    sq = np.zeros((n_b, n))
    for m in range(n):
        keep = (bg.initiator[None, :] != m) & (bg.receiver != m)  # (B, S)
        col = st.own[:, :, m]
        acc = acc + np.where(keep[:, None, :], col[:, :, None], 0.0)
        sq = sq + col
    values = np.concatenate([(sq / float(n))[:, :, None], acc / float(n)], axis=2)
    strength = coalitions(c, values, opt.voting_rule)
    prob = vp(strength, opt.vp_model)
    actors = np.arange(n)
    member = bg.valid[:, None, :] & (
        (bg.initiator[None, None, :] == actors[None, :, None])
        | (bg.receiver[:, None, :] == actors[None, :, None])
    )
    queue = np.concatenate([np.ones((n_b, n, 1), dtype=bool), member], axis=2)  # (B, N, 1+S)
    # compact each queue to its own options (in queue order): queues are short, options many
    order = np.argsort(~queue, axis=2, kind="stable")
    length = int(queue.sum(axis=2).max())
    idx = order[:, :, :length]
    real = np.take_along_axis(queue, idx, axis=2)
    bi3 = np.arange(n_b)[:, None, None, None]
    sub_p = prob[bi3, idx[:, :, :, None], idx[:, :, None, :]]
    sub_c = strength[bi3, idx[:, :, :, None], idx[:, :, None, :]]
    p = pce(sub_p, real, opt.pce_model, sub_c)
    if uniform is not None:  # stochastic: the first option whose cumulative p reaches u
        pick = np.argmax(np.cumsum(p, axis=2) >= uniform[:, :, None], axis=2)
    else:
        pick = np.argmax(p, axis=2)
    choice = np.take_along_axis(idx, pick[:, :, None], axis=2)[:, :, 0]
    slot = np.clip(choice - 1, 0, slots - 1)
    bi = np.arange(n_b)[:, None]
    is_init = bg.initiator[slot] == actors[None, :]
    moved = np.where(is_init[:, :, None], bg.y_init[bi, slot], bg.y_recv[bi, slot])
    new_x = np.where((choice > 0)[:, :, None], moved, x)
    return new_x, choice


# --- prob line and the run --------------------------------------------------------------------


def _prob_line(x: FloatArray, c: FloatArray, st: _State,
               opt: SMPOptions) -> tuple[FloatArray, BoolArray, FloatArray]:
    """Per actor, the PCE probability that its position prevails among the distinct positions."""
    n_b, n, n_m = x.shape
    acc = np.zeros((n_b, n, n))
    for k in range(n_m):
        diff = x[:, :, None, k] - x[:, None, :, k]
        acc = acc + diff * diff
    close = np.sqrt(acc) < SAME_POSITION
    rep = np.zeros((n_b, n), dtype=bool)
    for i in range(n):
        rep[:, i] = ~np.any(close[:, i, :i] & rep[:, :i], axis=1)
    strength = coalitions(c, st.own, opt.voting_rule)
    p = pce(vp(strength, opt.vp_model), rep, opt.pce_model, strength)
    matches = close & rep[:, None, :]
    last = n - 1 - np.argmax(matches[:, :, ::-1], axis=2)
    return np.take_along_axis(p, last, axis=1), rep, p


def _movement(new: FloatArray, old: FloatArray) -> FloatArray:
    acc = np.zeros(new.shape[:2])
    for k in range(new.shape[2]):
        d = new[:, :, k] - old[:, :, k]
        acc = acc + d * d
    return _seq_sum(np.sqrt(acc), axis=1)


def _uniforms(opt: SMPOptions, shape: tuple[int, int],
              rng: np.random.Generator | list[np.random.Generator] | None) -> FloatArray | None:
    """Per draw, turn and actor, the uniform in (0, 1] of a stochastic choice (else None).

    With one generator per draw, a draw's numbers do not depend on which batch it runs in.
    """
    if opt.transitions != "stochastic":
        return None
    n_b, n = shape
    if isinstance(rng, list):
        if len(rng) != n_b:
            raise AccordError(f"smp: {len(rng)} random generators for {n_b} draws")
        u = np.stack([g.random((opt.max_turns, n)) for g in rng])
    else:
        u = (rng or np.random.default_rng()).random((n_b, opt.max_turns, n))
    return 1.0 - u


def _subset(st: _State, keep: BoolArray) -> _State:
    return _State(d=st.d[keep], r=st.r[keep], u=st.u[keep], own=st.own[keep])


def run_smp(position: FloatArray, salience: FloatArray, capability: FloatArray,
            options: SMPOptions | None = None,
            rng: np.random.Generator | list[np.random.Generator] | None = None,
            record: bool = True) -> SMPRun:
    """Run SMP on a batch: ``position``/``salience`` ``(B, N, M)`` on 0–100, ``capability`` (B, N).

    Saliences whose total exceeds 100 for an actor are scaled to total 100 (KTAB needs ≤ 100).
    ``rng`` (stochastic transitions only) is one generator, or one per draw. With ``record``
    False only final states are kept, and finished draws leave the batch (faster).
    """
    opt = options or SMPOptions()
    x = np.asarray(position, dtype=float) / 100.0
    s = np.asarray(salience, dtype=float) / 100.0
    c = np.asarray(capability, dtype=float)
    if np.any(c <= 0):
        raise AccordError("smp: every actor needs a capability above 0 (its vote weight)")
    s2 = _seq_sum(s * s, axis=2)
    if np.any(s2 <= 0):
        raise AccordError("smp: every actor needs a salience above 0 on at least one issue")
    sigma = _seq_sum(s, axis=2)
    over = sigma > 1.0
    if np.any(over):
        s = np.where(over[:, :, None], s / np.where(over, sigma, 1.0)[:, :, None], s)
        s2 = _seq_sum(s * s, axis=2)
        sigma = np.minimum(_seq_sum(s, axis=2), 1.0)
    omega = sigma * c
    n_b, n = x.shape[:2]
    uniforms = _uniforms(opt, (n_b, n), rng)
    states = np.ones(n_b, dtype=np.int64)
    stop = ["max_turns"] * n_b
    final_x, final_prob = x.copy(), np.zeros((n_b, n))
    final_reps, final_rep_p = np.zeros((n_b, n), dtype=bool), np.zeros((n_b, n))
    first_delta = np.zeros(n_b)
    idx = np.arange(n_b)  # the draws in the batch (unrecorded runs drop finished ones)
    done = np.zeros(n_b, dtype=bool)  # recorded runs keep finished draws, frozen
    st = _state(x, x, s, s2, c, opt)
    prob, reps, rep_p = _prob_line(x, c, st, opt)
    positions, probs, turns = [x], [prob], []
    t = 0
    while idx.size:
        t += 1
        s_a, s2_a, c_a = s[idx], s2[idx], c[idx]
        bg, rec = _bargains(x, s_a, c_a, sigma[idx], st, omega[idx], opt)
        u = None if uniforms is None else uniforms[idx, t - 1]
        new_x, choice = _choose(x, x, s_a, s2_a, c_a, st, bg, opt, u)
        new_x = np.where(done[idx, None, None], x, new_x)
        delta = _movement(new_x, x)
        if t == 1:
            first_delta[idx] = delta
        x = new_x
        st = _state(x, x, s_a, s2_a, c_a, opt)
        running = ~done[idx]
        states[idx[running]] = t + 1
        converged = running & (t >= 2) & (delta / (first_delta[idx] + DELTA_GUARD) < STOP_RATIO)
        finished = converged | (t >= opt.max_turns)
        for b in idx[converged]:
            stop[b] = "converged"
        if record:
            prob, reps, rep_p = _prob_line(x, c_a, st, opt)
            positions.append(x)
            probs.append(prob)
            turns.append({**rec, "choice": choice, "active": running,
                          "initiator": bg.initiator, "receiver": bg.receiver,
                          "valid": bg.valid, "y_init": bg.y_init, "y_recv": bg.y_recv})
            done = done | finished | ~running
            if np.all(done):
                break
            continue
        if np.any(finished):
            done_idx = idx[finished]
            f_prob, f_reps, f_rep_p = _prob_line(x[finished], c_a[finished],
                                                 _subset(st, finished), opt)
            final_x[done_idx], final_prob[done_idx] = x[finished], f_prob
            final_reps[done_idx], final_rep_p[done_idx] = f_reps, f_rep_p
            keep = ~finished
            idx, x, st = idx[keep], x[keep], _subset(st, keep)
    if record:
        final_x, final_prob, final_reps, final_rep_p = x, prob, reps, rep_p
    return SMPRun(
        positions=np.stack(positions) if record else final_x[None],
        prob=np.stack(probs) if record else final_prob[None],
        states=states, stop=stop, final_positions=final_x, final_prob=final_prob,
        final_reps=final_reps, final_rep_prob=final_rep_p, turns=turns,
    )
