"""Equilibria of a :class:`~accord.crisis.game.CrisisGame`.

* Perfect information: subgame-perfect equilibrium by backward induction, level by level
  (all nodes of one depth at once); ties go to the first action listed.
* Imperfect information: the logit agent quantal response equilibrium (AQRE, McKelvey and
  Palfrey 1998), traced from λ = 0 (uniform play) towards high rationality by predictor–corrector
  path following in log-probability space, with pseudo-arc-length steps so the trace passes the
  turning points of the principal branch. Limit points of logit AQRE as λ → ∞ are sequential
  equilibria, with beliefs the limits of Bayes' rule on full-support play; the trace stops at
  ``lam_max`` and reports the largest remaining regret.

Everything is evaluated on arrays: the expected payoff of every action at every information set
comes from the (terminal, action-on-its-path) incidence pairs of the game, weighted in log space,
so a Newton step costs a few numpy calls whatever the size of the tree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from accord.crisis.game import DECISION, CrisisGame, FloatArray, IntArray
from accord.errors import AccordError

__all__ = [
    "Equilibrium",
    "Method",
    "backward_induction",
    "evaluate",
    "logit_qre",
    "solve",
]

Method = Literal["auto", "backward-induction", "logit-qre"]


@dataclass(frozen=True, eq=False)
class Equilibrium:
    """An equilibrium (or any behaviour profile, see :func:`evaluate`) and what follows from it.

    Arrays follow the game's numbering: ``strategy`` per column (information set × action),
    ``reach`` (probability of reaching each node), ``beliefs`` (probability of each decision node
    given that its information set is reached; NaN elsewhere), ``values`` (nodes × players:
    expected payoff from the node on) and ``action_values`` (per column: the mover's expected
    payoff of the action, given the beliefs). ``regret`` is the largest gain any player could
    make by changing the action at one information set (payoff units; 0 for an exact
    equilibrium). ``lam`` is the final logit precision on payoffs rescaled to a range of 1.
    """

    game: CrisisGame
    method: str
    strategy: FloatArray
    reach: FloatArray
    beliefs: FloatArray
    values: FloatArray
    action_values: FloatArray
    regret: float
    lam: float = math.inf
    steps: int = 0
    iterations: int = 0
    converged: bool = True
    notes: tuple[str, ...] = field(default=())

    @property
    def expected_payoffs(self) -> dict[str, float]:
        """Each player's expected payoff at the root."""
        return {p: float(self.values[0, i]) for i, p in enumerate(self.game.players)}

    def behaviour(self) -> dict[str, dict[str, float]]:
        """The behaviour strategy: information set id → action → probability."""
        return {
            h.id: {a: float(self.strategy[c]) for a, c in zip(h.actions, h.cols, strict=True)}
            for h in self.game.infosets
        }

    def belief(self, infoset_id: str) -> dict[str, float]:
        """Belief at an information set: node id → probability."""
        h = self.game.infoset_of(infoset_id)
        return {self.game.node_ids[n]: float(self.beliefs[n]) for n in h.nodes}

    def terminal_probabilities(self) -> dict[str, float]:
        """Probability of ending at each terminal node (node id → probability)."""
        return {self.game.node_ids[t]: float(self.reach[t]) for t in self.game.terminals}

    def to_dict(self, digits: int = 6) -> dict[str, Any]:
        """A JSON-ready summary: strategy, beliefs, path probabilities, expected payoffs."""
        def r(x: float) -> float:
            return round(float(x), digits)

        g = self.game
        return {
            "game": g.name,
            "method": self.method,
            "lambda": None if math.isinf(self.lam) else r(self.lam),
            "steps": self.steps,
            "iterations": self.iterations,
            "converged": self.converged,
            "regret": r(self.regret),
            "expected_payoffs": {p: r(v) for p, v in self.expected_payoffs.items()},
            "behaviour": {h: {a: r(p) for a, p in acts.items()}
                          for h, acts in self.behaviour().items()},
            "beliefs": {h.id: {g.node_ids[n]: r(self.beliefs[n]) for n in h.nodes}
                        for h in g.infosets},
            "terminals": {g.node_ids[t]: {"probability": r(self.reach[t]),
                                          "history": list(g.history(int(t)))}
                          for t in g.terminals},
            "nodes": {g.node_ids[n]: r(self.reach[n]) for n in range(g.n_nodes)},
            "notes": list(self.notes),
        }


# --- evaluation of a behaviour profile ---------------------------------------------------------
def _levels(game: CrisisGame) -> list[IntArray]:
    """Node indices by depth; within a level, siblings are contiguous (pre-order)."""
    order = np.argsort(game.depth, kind="stable")
    bounds = np.searchsorted(game.depth[order], np.arange(int(game.depth.max()) + 2))
    return [order[bounds[d]:bounds[d + 1]] for d in range(len(bounds) - 1)]


def _edge_probs(game: CrisisGame, strategy: FloatArray) -> FloatArray:
    ep = np.ones(game.n_nodes)
    dec = game.edge_col >= 0
    ep[dec] = strategy[game.edge_col[dec]]
    ch = ~np.isnan(game.edge_prob)
    ep[ch] = game.edge_prob[ch]
    return ep


def _reach_and_values(
    game: CrisisGame, strategy: FloatArray, levels: list[IntArray]
) -> tuple[FloatArray, FloatArray]:
    ep = _edge_probs(game, strategy)
    reach = np.ones(game.n_nodes)
    for idx in levels[1:]:
        reach[idx] = reach[game.parent[idx]] * ep[idx]
    values = np.zeros((game.n_nodes, len(game.players)))
    values[game.terminals] = game.payoffs
    for idx in reversed(levels[1:]):
        contrib = ep[idx, None] * values[idx]
        np.add.at(values, game.parent[idx], contrib)
    return reach, values


def _member_order(game: CrisisGame) -> tuple[IntArray, IntArray]:
    """Decision nodes grouped by information set, and where each group starts."""
    nodes = np.array([n for h in game.infosets for n in h.nodes], dtype=np.int64)
    starts = np.cumsum([0] + [len(h.nodes) for h in game.infosets[:-1]]).astype(np.int64)
    return nodes, starts


def _beliefs_from_log_reach(game: CrisisGame, log_reach: FloatArray) -> FloatArray:
    beliefs = np.full(game.n_nodes, np.nan)
    if not game.infosets:
        return beliefs
    members, starts = _member_order(game)
    lr = log_reach[members]
    m = np.maximum.reduceat(lr, starts)
    group = game.infoset[members]
    w = np.exp(lr - m[group])
    beliefs[members] = w / np.add.reduceat(w, starts)[group]
    return beliefs


def _beliefs_from_reach(game: CrisisGame, reach: FloatArray) -> FloatArray:
    beliefs = np.full(game.n_nodes, np.nan)
    if not game.infosets:
        return beliefs
    members, starts = _member_order(game)
    total = np.add.reduceat(reach[members], starts)[game.infoset[members]]
    with np.errstate(invalid="ignore", divide="ignore"):
        beliefs[members] = np.where(total > 0, reach[members] / np.where(total > 0, total, 1),
                                    np.nan)
    return beliefs


def _action_values(game: CrisisGame, beliefs: FloatArray, values: FloatArray) -> FloatArray:
    """Expected payoff to the mover of each action at its information set, given beliefs."""
    kids = np.flatnonzero(game.edge_col >= 0)
    parents = game.parent[kids]
    mu = np.nan_to_num(beliefs[parents], nan=0.0)
    contrib = mu * values[kids, game.player[parents]]
    out = np.bincount(game.edge_col[kids], weights=contrib, minlength=game.n_cols)
    return np.asarray(out, dtype=np.float64)


def _regret(game: CrisisGame, strategy: FloatArray, q: FloatArray) -> float:
    if game.n_cols == 0:
        return 0.0
    starts = np.array([h.first_col for h in game.infosets], dtype=np.int64)
    best = np.maximum.reduceat(q, starts)
    played = np.add.reduceat(strategy * q, starts)
    return float(max(0.0, np.max(best - played)))


def evaluate(
    game: CrisisGame,
    strategy: FloatArray | Mapping[str, Mapping[str, float]],
    *,
    method: str = "given",
) -> Equilibrium:
    """Reach probabilities, beliefs, values and regret of any behaviour profile.

    ``strategy`` is one probability per column or a mapping infoset id → action → probability
    (information sets left out are played uniformly). Beliefs at information sets the profile
    never reaches are NaN.
    """
    sigma = _as_array(game, strategy)
    levels = _levels(game)
    reach, values = _reach_and_values(game, sigma, levels)
    beliefs = _beliefs_from_reach(game, reach)
    q = _action_values(game, beliefs, values)
    return Equilibrium(game, method, _ro(sigma), _ro(reach), _ro(beliefs), _ro(values), _ro(q),
                       _regret(game, sigma, q))


def _as_array(
    game: CrisisGame, strategy: FloatArray | Mapping[str, Mapping[str, float]]
) -> FloatArray:
    if isinstance(strategy, np.ndarray):
        if strategy.shape != (game.n_cols,):
            raise AccordError(f"a strategy for this game has {game.n_cols} entries, "
                              f"not {strategy.shape}")
        return strategy.astype(np.float64)
    sigma = np.zeros(game.n_cols)
    for h in game.infosets:
        given = strategy.get(h.id)
        for a, c in zip(h.actions, h.cols, strict=True):
            sigma[c] = 1.0 / len(h.actions) if given is None else float(given.get(a, 0.0))
    unknown = set(strategy) - {h.id for h in game.infosets}
    if unknown:
        raise AccordError(f"unknown information set(s): {', '.join(sorted(unknown))}")
    return sigma


def _ro(a: FloatArray) -> FloatArray:
    a.setflags(write=False)
    return a


# --- backward induction ------------------------------------------------------------------------
def backward_induction(game: CrisisGame, tie_tolerance: float = 1e-12) -> Equilibrium:
    """Subgame-perfect equilibrium of a perfect-information game (ties: first action listed)."""
    if not game.perfect_information:
        raise AccordError(f"game '{game.name}' has information sets with several nodes; "
                          "backward induction needs perfect information (use logit-qre)")
    levels = _levels(game)
    n_players = len(game.players)
    values = np.zeros((game.n_nodes, n_players))
    values[game.terminals] = game.payoffs
    sigma = np.zeros(game.n_cols)
    scale = float(np.ptp(game.payoffs)) if game.payoffs.size else 0.0
    tol = tie_tolerance * max(scale, 1.0)
    for idx in reversed(levels[1:]):
        parents = game.parent[idx]
        starts = np.flatnonzero(np.r_[True, parents[1:] != parents[:-1]])
        par = parents[starts]
        is_dec = game.kind[par] == DECISION
        # chance parents: probability-weighted sums
        w = np.where(np.isnan(game.edge_prob[idx]), 0.0, game.edge_prob[idx])
        sums = np.add.reduceat(w[:, None] * values[idx], starts, axis=0)
        # decision parents: the first child whose value to the mover is (near) maximal
        mover = np.repeat(np.where(is_dec, game.player[par], 0), np.diff(np.r_[starts, len(idx)]))
        own = values[idx, mover]
        best = np.maximum.reduceat(own, starts)
        group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(idx)]))
        pos = np.arange(len(idx))
        first = np.minimum.reduceat(np.where(own >= best[group] - tol, pos, len(idx)), starts)
        chosen = idx[first]
        values[par] = np.where(is_dec[:, None], values[chosen], sums)
        sigma[game.edge_col[chosen[is_dec]]] = 1.0
    reach, _ = _reach_and_values(game, sigma, levels)
    beliefs = np.full(game.n_nodes, np.nan)
    beliefs[game.kind == DECISION] = 1.0
    q = _action_values(game, beliefs, values)
    return Equilibrium(game, "backward-induction", _ro(sigma), _ro(reach), _ro(beliefs),
                       _ro(values), _ro(q), _regret(game, sigma, q))


# --- logit AQRE tracing ------------------------------------------------------------------------
class _System:
    """The logit AQRE equations in log-odds, with their Jacobian.

    The unknowns ``y`` are, for every action but the first of each information set, the log of
    its probability over the first action's; the equations say ``y = λ (Q(a) - Q(first))``.
    """

    def __init__(self, game: CrisisGame, scale: float) -> None:
        self.game = game
        n = game.n_cols
        self.n = n
        term_of = np.full(game.n_nodes, -1, dtype=np.int64)
        term_of[game.terminals] = np.arange(len(game.terminals))
        is_term = term_of[game.path_node] >= 0
        tz = term_of[game.path_node[is_term]]
        tc = game.path_col[is_term]
        order = np.lexsort((tz, tc))
        self.tz, self.tc = tz[order], tc[order]
        self.col_starts = np.searchsorted(self.tc, np.arange(n))
        self.n_term = len(game.terminals)
        self.logc = np.asarray(game.log_chance[game.terminals], dtype=np.float64)
        self.u = game.payoffs[self.tz, game.col_player[self.tc]] / scale
        self.h_starts = np.array([h.first_col for h in game.infosets], dtype=np.int64)
        self.col_h = game.col_infoset
        self.first_of = self.h_starts[self.col_h]
        self.free = np.flatnonzero(self.first_of != np.arange(n))
        self.free_first = self.first_of[self.free]
        self.m = len(self.free)
        # ∂Q/∂x[c, c'] sums over the terminals below both c and c': list those (pair, c, c')
        by_term = np.argsort(self.tz, kind="stable")
        bounds = np.searchsorted(self.tz[by_term], np.arange(self.n_term + 1))
        src: list[IntArray] = []
        flat: list[IntArray] = []
        for z in range(self.n_term):
            ks = by_term[bounds[z]:bounds[z + 1]]
            src.append(np.repeat(ks, len(ks)))
            flat.append((self.tc[ks][:, None] * n + self.tc[ks][None, :]).ravel())
        self.jac_src = np.concatenate(src)
        self.jac_flat = np.concatenate(flat)

    def log_probs(self, y: FloatArray) -> FloatArray:
        """Log-probabilities of every column from the log-odds ``y``."""
        x = np.zeros(self.n)
        x[self.free] = y
        top = np.maximum.reduceat(x, self.h_starts)
        lse = top + np.log(np.add.reduceat(np.exp(x - top[self.col_h]), self.h_starts))
        return np.asarray(x - lse[self.col_h], dtype=np.float64)

    def action_values(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Q (per column, rescaled payoffs) and the conditional weights of each pair."""
        lr = self.logc + np.bincount(self.tz, weights=x[self.tc], minlength=self.n_term)
        lw = lr[self.tz] - x[self.tc]
        top = np.maximum.reduceat(lw, self.col_starts)
        w = np.exp(lw - top[self.tc])
        den = np.add.reduceat(w, self.col_starts)
        pi = w / den[self.tc]
        q = np.add.reduceat(pi * self.u, self.col_starts)
        return np.asarray(q, dtype=np.float64), np.asarray(pi, dtype=np.float64)

    def gaps(self, q: FloatArray) -> FloatArray:
        return np.asarray(q[self.free] - q[self.free_first], dtype=np.float64)

    def jacobian(
        self, x: FloatArray, lam: float, q: FloatArray, pi: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """∂H/∂y (m × m) and ∂H/∂λ (m) of H(y, λ) = y - λ (Q(a) - Q(first))."""
        d = pi * (self.u - q[self.tc])  # per (terminal, column) pair
        jq = np.bincount(self.jac_flat, weights=d[self.jac_src],
                         minlength=self.n * self.n).reshape(self.n, self.n)  # ∂Q/∂x
        a = jq[self.free] - jq[self.free_first]  # ∂(Q(a) - Q(first))/∂x, m × n
        sigma = np.exp(x)
        per_h = np.add.reduceat(a, self.h_starts, axis=1)  # m × infosets
        a_y = a[:, self.free] - sigma[self.free] * per_h[:, self.col_h[self.free]]
        jy = -lam * a_y
        jy[np.arange(self.m), np.arange(self.m)] += 1.0
        return np.asarray(jy, dtype=np.float64), -self.gaps(q)


def _augmented(jy: FloatArray, jl: FloatArray, t: FloatArray) -> FloatArray:
    m = len(jl)
    a = np.empty((m + 1, m + 1))
    a[:m, :m] = jy
    a[:m, m] = jl
    a[m] = t
    return a


def logit_qre(
    game: CrisisGame,
    *,
    lam_max: float = 1e4,
    tol: float = 1e-11,
    trace_tol: float = 1e-8,
    max_steps: int = 2000,
    first_step: float = 0.5,
    max_angle: float = 0.35,
) -> Equilibrium:
    """Trace the logit agent QRE from λ = 0 to ``lam_max`` (payoffs rescaled to a range of 1).

    Newton's method stops when the largest residual in log-odds is below ``trace_tol × (1 + λ)``
    along the way and ``tol × (1 + λ)`` at ``lam_max``.

    Each step predicts along the tangent of the path (pseudo-arc-length) and corrects with
    Newton's method. Steps adapt: they grow after easy corrections and halve when Newton's
    method struggles or the path turns by more than ``max_angle`` radians. Returns the profile
    at ``lam_max`` with beliefs (Bayes' rule on the full-support logit play) and the remaining
    regret.
    """
    if game.n_cols == 0:
        return evaluate(game, np.zeros(0), method="logit-qre")
    scale = float(np.ptp(game.payoffs)) or 1.0
    sys_ = _System(game, scale)
    m = sys_.m
    if m == 0:  # every information set has one action: nothing to choose
        return _finish(game, sys_, sys_.log_probs(np.zeros(0)), lam_max, scale, 0, 0, True)
    y = np.zeros(m)
    x = sys_.log_probs(y)
    q, pi = sys_.action_values(x)
    jy, jl = sys_.jacobian(x, 0.0, q, pi)
    e_last = np.zeros(m + 1)
    e_last[m] = 1.0
    t = _tangent(jy, jl, e_last)
    h = first_step
    steps = iterations = 0
    cos_max = math.cos(max_angle)
    converged = False
    z = np.append(y, 0.0)
    while steps < max_steps:
        steps += 1
        zp = z + h * t
        normal = t
        if zp[m] >= lam_max:  # the last step lands on the hyperplane λ = lam_max
            zp = z + (lam_max - z[m]) / t[m] * t
            normal = e_last
        ok, znew, its, jac = _correct(sys_, zp, normal,
                                      tol if normal is e_last else trace_tol)
        iterations += its
        if ok:
            t_new = _tangent(*jac, t)
            if float(t_new @ t) >= cos_max or h < 1e-6:
                z, t = znew, t_new
                if normal is e_last:
                    converged = True
                    break
                h *= 2.0 if its <= 4 else 1.25 if its <= 5 else 1.0
                continue
        h *= 0.5
        if h < 1e-10:
            break
    x = sys_.log_probs(z[:m])
    return _finish(game, sys_, x, float(z[m]), scale, steps, iterations, converged)


def _tangent(jy: FloatArray, jl: FloatArray, prev: FloatArray) -> FloatArray:
    m = len(jl)
    rhs = np.zeros(m + 1)
    rhs[m] = 1.0
    sol = np.asarray(np.linalg.solve(_augmented(jy, jl, prev), rhs), dtype=np.float64)
    t: FloatArray = sol / float(np.linalg.norm(sol))
    return t if float(t @ prev) >= 0 else -t


def _correct(
    sys_: _System, zp: FloatArray, t: FloatArray, tol: float
) -> tuple[bool, FloatArray, int, tuple[FloatArray, FloatArray]]:
    """Newton's method on H = 0 within the hyperplane through ``zp`` normal to ``t``.

    Returns success, the point, the number of Newton iterations and the Jacobian at the point.
    """
    m = sys_.m
    z = zp.copy()
    last = math.inf
    for k in range(1, 8):
        y, lam = z[:m], float(z[m])
        x = sys_.log_probs(y)
        q, pi = sys_.action_values(x)
        res = y - lam * sys_.gaps(q)
        # log-odds grow like λ; so does their rounding error
        size = float(np.max(np.abs(res))) / (1.0 + abs(lam))
        if not math.isfinite(size) or size > 0.5 * last:
            return False, z, k, (np.zeros(0), np.zeros(0))
        jac = sys_.jacobian(x, lam, q, pi)
        if size < tol:
            return True, z, k, jac
        last = size
        rhs = np.append(-res, -float(t @ (z - zp)))
        try:
            dz = np.linalg.solve(_augmented(*jac, t), rhs)
        except np.linalg.LinAlgError:
            break
        z = z + dz
    return False, z, 7, (np.zeros(0), np.zeros(0))


def _finish(
    game: CrisisGame,
    sys_: _System,
    x: FloatArray,
    lam: float,
    scale: float,
    steps: int,
    iterations: int,
    converged: bool,
) -> Equilibrium:
    top = np.maximum.reduceat(x, sys_.h_starts)[game.col_infoset]
    sigma = np.exp(x - top)
    sigma /= np.add.reduceat(sigma, sys_.h_starts)[game.col_infoset]
    levels = _levels(game)
    reach, values = _reach_and_values(game, sigma, levels)
    log_reach = game.log_chance + np.bincount(game.path_node, weights=x[game.path_col],
                                              minlength=game.n_nodes)
    beliefs = _beliefs_from_log_reach(game, log_reach)
    q, _ = sys_.action_values(x)
    q_raw = _action_values(game, beliefs, values)
    notes: tuple[str, ...] = ()
    if not converged:
        notes = (f"the trace stopped at λ = {lam:.3g} before reaching its target",)
    return Equilibrium(
        game, "logit-qre", _ro(sigma), _ro(reach), _ro(beliefs), _ro(values), _ro(q_raw),
        _regret(game, sigma, q * scale), lam=lam, steps=steps, iterations=iterations,
        converged=converged, notes=notes,
    )


def solve(game: CrisisGame, method: Method = "auto", **options: Any) -> Equilibrium:
    """Solve ``game``: backward induction if it has perfect information, else logit AQRE.

    ``options`` go to :func:`logit_qre` (``lam_max``, ``tol``, ...) or
    :func:`backward_induction` (``tie_tolerance``).
    """
    if method == "auto":
        method = "backward-induction" if game.perfect_information else "logit-qre"
    if method == "backward-induction":
        return backward_induction(game, **options)
    if method == "logit-qre":
        return logit_qre(game, **options)
    raise AccordError(f"unknown method '{method}'; use auto, backward-induction or logit-qre")

