"""The exchange model in binary64, vectorised over candidates and over Monte Carlo draws.

This is the engine behind ``exchange(..., arithmetic="fast")`` and
:func:`accord.models.exchange.run_exchange`. It follows the same specification as
:mod:`accord.models.exchange_exact` (``shared/specs/exchange.md``; section numbers below are the
spec's) and differs only in form:

* Candidates live in flat arrays, all draws of a batch together. Creating, evaluating and
  re-evaluating them are array operations; the one Python loop is the sequential one over
  realisations (each step realises one exchange in every draw that has candidates left).
* A side's move history is kept as the sum and the sum of absolute values of its earlier
  entries, plus its last entry: histories only ever grow by one entry or replace their last one
  (8.1). V3 needs the sum; V4 (all entries point one way) holds when the absolute sum equals the
  sum times the direction of the current move (entries are never 0, so this is exact).
* The update tables U are kept once per round per (demander, issue), with their shift of each
  compromise sum updated in place rather than re-summed (see the exact engine for why one table
  per round is the same as one per candidate).
* Gains are compared on a logarithmic grid of relative width ``tie_tolerance``: gains in the same
  cell are ties. Mathematically equal gains come out of binary64 a few ulps apart; the grid makes
  them ties again, as they are in the reference arithmetic (spec 10.3). Likewise a compromise
  within ``ON_TARGET`` of a cap's target counts as on it (no crossing, no cap): after a trade
  has put a compromise on a target, the reference usually finds it exactly there. And a
  position or history sum may pass 0 or 100 by ``SLACK`` of rounding.
* The spec re-sorts the candidate list, stably, before every realisation. The resulting order is
  kept implicitly: a candidate's place is (gain cell, sub-key), and the sub-key follows from when
  and from where the candidate entered its cell. Entries that come from a higher cell go to the
  front of the cell, newest first; from a lower cell, to the back, newest last; a re-evaluated
  candidate that stays in its cell keeps its place; entries that arrive in the same step keep
  their previous relative order. That is exactly what repeated stable sorting does, and it makes
  the head of the list an argmax.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["FastRound", "FastRun", "run_fast"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

EPSILON = 1e-10
PADDED_LIMIT = 4_000_000  # lookup table size (keys × depth) up to which it is kept padded
ON_TARGET = 1e-9  # a compromise this close to a cap's target (0–100 scale) is on it
SLACK = 1e-9  # rounding slack at the bounds 0 and 100 (V2) and at the history limit (V3)
LAMBDA = 0.4
PHI = 0.1

# rows of a candidate's float block, per side: static (fixed for the round) ...
_S, _D, _A, _SC, _W, _T, _X0, _RATIO, _B0 = range(9)
# ... and dynamic: position, sum and absolute sum of the committed history entries (all but
# the last), last history entry (= the current move), voting position
_X, _CS, _CA, _M, _Y = range(9, 14)
# rows of a candidate's int block, per side: actor, supply issue, update-table row (partner,
# supply issue), update-table cell (that row, own actor), lookup keys (actor, supply) and
# (partner, supply) = (actor, demand) of the partner
_ACT, _SUP, _ROW, _CELL, _SKEY, _DKEY = range(6)
# the moves and shifts of attempt A (side 2 moves all the way) and attempt B (side 1 does),
# as rows of [d1, d2, partner move of side 1, of side 2, full shift 1, 2, partner shift 1, 2]
_ATTEMPTS = np.array([[3, 1, 7, 5], [0, 2, 4, 6]])
_NONE = np.zeros(0, dtype=np.int64)
_ZERO = np.zeros(1, dtype=np.int64)
_NO = np.zeros(1, dtype=bool)
_YES = np.ones(1, dtype=bool)


@dataclass
class FastRound:
    """One round of a batch: ``compromise`` (draws, issues) at the voting positions, ``count``
    realised exchanges per draw, candidates ``created``/``valid`` per draw, ``ties`` (steps whose
    best gain cell held more than one candidate; recorded runs only) and, when recorded, the
    realised exchanges in order (``draw``, per side ``actor``/``supply``/``from``/``to``, and
    ``gain``)."""

    compromise: FloatArray
    count: IntArray
    created: IntArray
    valid: IntArray
    ties: IntArray
    exchanges: dict[str, NDArray[np.generic]] = field(default_factory=dict)


@dataclass
class FastRun:
    """A batch run: compromise at the start and after the last round (draws, issues), the rounds
    and, when recorded, per round the voting and next start positions (draws, actors, issues)."""

    start: FloatArray
    final: FloatArray
    rounds: list[FastRound] = field(default_factory=list)
    voting: list[FloatArray] = field(default_factory=list)
    starts: list[FloatArray] = field(default_factory=list)


# --- evaluation (spec section 7) ------------------------------------------------------------


def _sides_ok(x: FloatArray, m: FloatArray, cs: FloatArray, v4: BoolArray) -> BoolArray:
    """Section 6 for both sides (rows): V1–V3 on the move ``m``; ``v4`` is V4, known already.
    (V1's upper bound |m| ≤ 100 follows from V2, as positions lie in 0–100.)"""
    ok = (np.abs(m) > EPSILON) & (np.abs(x + m - 50.0) <= 50.0 + SLACK)
    ok &= cs + m <= 100.0 + SLACK
    ok &= v4
    result: BoolArray = ok[0] & ok[1]
    return result


def _evaluate(f: FloatArray, push: FloatArray | None, corr: FloatArray,
              table: FloatArray) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Evaluate candidates (7.1–7.5) from their float blocks ``f`` (14, 2, m).

    ``push`` (2, m) is 1.0 for sides whose last history entry is kept (a supply match, 8.1)
    and 0.0 where it is replaced; ``corr`` (2, m) is the update table's shift of the compromise
    sum of the side's supply issue and ``table`` (2, m) the table's entry for the side's own
    actor (NaN: none). Returns the new dynamic rows (5, 2, m), the gains and the validity.
    """
    S, D, a, sc, W, t, x0, ratio, b0, x, cs, ca, last = f[:13]
    if push is not None:
        kept = push * last
        cs = cs + kept
        ca = ca + np.abs(kept)
    diff = t - x
    sgn = np.sign(diff)  # every move points at the target
    d = np.abs(diff)
    v4 = ca == cs * sgn  # the committed entries all point the way this move does
    full = d * a  # the compromise shift if this side moves all the way
    part = ratio * full  # the partner's equal-gain shift
    q = np.concatenate((d, part / a[::-1], full, part))
    pick = q.take(_ATTEMPTS, axis=0)
    sel = np.where(q[3] > d[0], pick[1], pick[0])  # attempt B if side 1 would overshoot
    m = sel[:2] * sgn
    gain = np.abs(sel[2] * S[0] - sel[3] * D[0])
    ok = _sides_ok(x, m, cs, v4) & (gain >= EPSILON)
    if ok.any():
        # 7.4 caps, on the compromise sum of each side's supply issue as the table sees it
        own = table == table
        base = b0 + corr - np.where(own, table - x0, 0.0) * sc
        tw = t * W
        before = base + x * sc - tw  # (compromise before the move − target) × W
        delta = np.abs((tw - (b0 + corr + np.where(own, x0, x) * sc)) / sc)
        cap_x = delta * a
        cap_y = ratio * cap_x
        move_y = np.abs(cap_y / a[::-1]) * sgn[::-1]
        # the move carries the compromise across the target; a compromise within ON_TARGET of
        # the target is on it (in exact arithmetic it often is exactly), which is no crossing
        near = ON_TARGET * W
        after = before[0] + m[0] * sc[0]
        fire1 = ok & (before[0] * after < 0.0) & (np.abs(before[0]) > near[0])
        fire1 &= np.abs(after) > near[0]
        m2 = np.where(fire1, move_y[0], m[1])
        after = before[1] + m2 * sc[1]
        fire2 = ok & (before[1] * after < 0.0) & (np.abs(before[1]) > near[1])
        fire2 &= np.abs(after) > near[1]
        if fire1.any() or fire2.any():
            capped = np.empty_like(m)
            capped[0] = np.where(fire1, delta[0] * sgn[0], m[0])
            np.copyto(capped[0], move_y[1], where=fire2)
            capped[1] = np.where(fire2, delta[1] * sgn[1], m2)
            cap_gain = np.abs(cap_y * S[::-1] - cap_x * D[::-1])
            np.copyto(gain, cap_gain[0], where=fire1)
            np.copyto(gain, cap_gain[1], where=fire2)
            m = capped
            ok &= _sides_ok(x, m, cs, v4)
    new = np.empty((5, *m.shape))
    new[0], new[1], new[2], new[3] = x, cs, ca, m
    np.add(x, m, out=new[4])
    return new, gain, ok


# --- one round of a batch ---------------------------------------------------------------------


class _Round:
    """The candidates of one round over the whole batch, and the selection loop."""

    def __init__(self, x0: FloatArray, s: FloatArray, c: FloatArray, eligible: BoolArray,
                 weight: FloatArray, tol: float) -> None:
        n_b, n, k = x0.shape
        self.shape = (n_b, n, k)
        self.log_step = 1.0 / np.log1p(tol) if tol > 0 else 0.0
        num0 = np.sum(x0 * (s * c[:, :, None]), axis=1)  # (B, K)
        safe = np.where(weight > 0, weight, 1.0)
        left = x0 <= np.where(weight > 0, num0 / safe, 0.0)[:, None]
        self.table = np.full(n_b * n * k * n, np.nan)  # U: (draw, demander, issue, supplier)
        self.corr = np.zeros(n_b * n * k)
        # section 5: candidates in creation order (draw, issue pair, G0×G3 then G1×G2, a, b)
        pi, qi = np.triu_indices(k, 1)
        both = (eligible[:, :, pi] & eligible[:, :, qi]).transpose(0, 2, 1)  # (B, P, N)
        lp = left[:, :, pi].transpose(0, 2, 1)
        lq = left[:, :, qi].transpose(0, 2, 1)
        blocks = np.empty((n_b, pi.size, 2, n, n), dtype=bool)
        blocks[:, :, 0] = (both & ~lp & ~lq)[..., :, None] & (both & lp & lq)[..., None, :]
        blocks[:, :, 1] = (both & lp & ~lq)[..., :, None] & (both & ~lp & lq)[..., None, :]
        draw, pair, _, ca, cb = np.nonzero(blocks)
        p, q = pi[pair], qi[pair]
        # 5.3: side 1 is the actor with the larger ratio s_p / s_q; it supplies q
        swap = s[draw, ca, p] / s[draw, ca, q] < s[draw, cb, p] / s[draw, cb, q]
        act = np.stack((np.where(swap, cb, ca), np.where(swap, ca, cb)))
        sup = np.stack((q, p))
        self.created = np.bincount(draw, minlength=n_b)
        dr = draw[None, :]
        S, D = s[dr, act, sup], s[dr, act, sup[::-1]]
        W = weight[dr, sup]
        sc = S * c[dr, act]
        x_own = x0[dr, act, sup]
        f = np.empty((14, 2, draw.size))
        f[:9] = (S, D, sc / W, sc, W, x0[dr, act[::-1], sup], x_own,
                 (S + D[::-1]) / (D + S[::-1]), num0[dr, sup] - x_own * sc)
        f[_X], f[_CS], f[_CA], f[_M] = x_own, 0.0, 0.0, 0.0
        new, gain, ok = _evaluate(f, None, np.zeros((2, draw.size)),
                                  np.full((2, draw.size), np.nan))
        f[_X:] = new
        keep = ok.nonzero()[0]
        n_live = keep.size
        self.valid = np.bincount(draw[keep], minlength=n_b)
        self.draw = draw = draw[keep]
        act, sup = act[:, keep], sup[:, keep]
        # per candidate one contiguous record (candidates, rows, sides): gathers stay local
        self.f = np.ascontiguousarray(f.take(keep, axis=2).transpose(2, 0, 1))
        self.gain = gain[keep]
        row = (draw * n + act[::-1]) * k + sup
        ints = np.stack((act, sup, row, row * n + act, (draw * n + act) * k + sup,
                         row + n_b * n * k))
        self.i = np.ascontiguousarray(ints.transpose(2, 0, 1))
        # who to update: candidates by (actor, supply issue) and by (actor, demand issue)
        keys = ints[_SKEY:].ravel()
        ids = np.tile(np.arange(n_live), 4)[np.argsort(keys, kind="stable")]
        per_key = np.bincount(keys, minlength=2 * n_b * n * k)
        off = np.concatenate(([0], np.cumsum(per_key)))
        depth = int(per_key.max(initial=0))
        self.padded: IntArray | None = None
        if per_key.size * depth <= PADDED_LIMIT:  # one row of candidate ids per key, -1 padded
            self.padded = np.full((per_key.size, max(depth, 1)), -1, dtype=np.int64)
            col = np.arange(ids.size) - np.repeat(off[:-1], per_key)
            self.padded[np.repeat(np.arange(per_key.size), per_key), col] = ids
        self.index_ids, self.off_lo, self.off_hi = ids, off[:-1], off[1:]
        self.stamp = np.zeros(n_live, dtype=np.int64)
        # the list, per draw: gain cell (descending), then sub-key (ascending)
        slot = np.arange(n_live) - (np.cumsum(self.valid) - self.valid)[draw]
        width = max(int(self.valid.max(initial=0)), 1)
        self.spot = draw * width + slot  # the candidate's place in the (draws, width) grids
        self.key = np.full((n_b, width), -np.inf)
        self.sub = np.zeros((n_b, width))
        self.ids = np.zeros((n_b, width), dtype=np.int64)
        self.key.reshape(-1)[self.spot] = self._cell(self.gain)
        self.sub.reshape(-1)[self.spot] = np.arange(n_live, dtype=float)
        self.ids.reshape(-1)[self.spot] = np.arange(n_live)
        self.span = float(n_live + 1)
        self.steps = 0
        self.r_skey = np.full((2, n_b), -1, dtype=np.int64)
        self.r_y = np.zeros((2, n_b))

    def _cell(self, gain: FloatArray) -> FloatArray:
        """The gain's cell on the tie grid (the gain itself without a tolerance)."""
        if self.log_step == 0.0:
            return gain
        cell: FloatArray = np.floor(np.log(gain) * self.log_step)
        return cell

    def run(self, rng: np.random.Generator | None, record: bool
            ) -> tuple[IntArray, IntArray, dict[str, NDArray[np.generic]], FloatArray]:
        """The selection loop (section 8). Returns per draw the number of realised exchanges and
        of tied steps, the recorded exchanges, and rows (cell, y, supply salience, start
        position) of every realised side, in order, for section 9."""
        n_b, n, k = self.shape
        count = np.zeros(n_b, dtype=np.int64)
        ties = np.zeros(n_b, dtype=np.int64)
        act_l: list[IntArray] = []
        ri_l: list[IntArray] = []
        rf_l: list[FloatArray] = []
        gain_l: list[FloatArray] = []
        while True:
            uniform = None if rng is None else rng.random((n_b,))
            active, heads, tied = self._heads(uniform)
            if active.size == 0:
                break
            count[active] += 1
            if record:
                ties[active] += tied
                gain_l.append(self.gain[heads])
            rf = self.f.take(heads, axis=0).transpose(1, 2, 0)
            ri = self.i.take(heads, axis=0).transpose(1, 2, 0)
            act_l.append(active)
            ri_l.append(ri)
            rf_l.append(rf)
            self._realise(active, heads, rf, ri)
        if not act_l:
            return count, ties, {}, np.zeros((4, 0))
        draws = np.concatenate(act_l)
        ri_all = np.concatenate(ri_l, axis=2)
        rf_all = np.concatenate(rf_l, axis=2)
        cells = ((draws * n + ri_all[_ACT]) * k + ri_all[_SUP]).T.ravel()
        sides = np.stack((cells.astype(float), rf_all[_Y].T.ravel(), rf_all[_S].T.ravel(),
                          rf_all[_X0].T.ravel()))
        exchanges: dict[str, NDArray[np.generic]] = {}
        if record:
            exchanges = {"draw": draws, "actor": ri_all[_ACT], "supply": ri_all[_SUP],
                         "from": rf_all[_X], "to": rf_all[_Y], "gain": np.concatenate(gain_l)}
        return count, ties, exchanges, sides

    def _heads(self, uniform: FloatArray | None) -> tuple[IntArray, IntArray, BoolArray]:
        """The draws with candidates left, the candidate each realises now (the head of its
        list, or with ``uniform`` a random one of the head's cell) and whether it was tied."""
        key = self.key
        if key.shape[0] == 1:
            return self._head(uniform)
        rows = np.arange(key.shape[0])
        best = key.argmax(axis=1)
        top = key[rows, best]
        active = (top > -np.inf).nonzero()[0]
        if active.size < rows.size:
            best, top = best[active], top[active]
        key[active, best] = -np.inf
        rest = key if active.size == rows.size else key[active]
        second = rest[np.arange(active.size), rest.argmax(axis=1)]
        key[active, best] = top
        tied = second == top
        if tied.any():
            rows_t = active[tied]
            block = key[rows_t] == top[tied, None]
            if uniform is None:
                pick = np.where(block, self.sub[rows_t], np.inf).argmin(axis=1)
            else:
                nth = (uniform[rows_t] * block.sum(axis=1)).astype(np.int64) + 1
                pick = (block & (np.cumsum(block, axis=1) == nth[:, None])).argmax(axis=1)
            best = best.copy()
            best[tied] = pick
        return active, self.ids[active, best], tied

    def _head(self, uniform: FloatArray | None) -> tuple[IntArray, IntArray, BoolArray]:
        """:meth:`_heads` for a batch of one draw, on scalars."""
        key = self.key[0]
        best = int(key.argmax())
        top = key[best]
        if top == -np.inf:
            return _NONE, _NONE, _NO
        key[best] = -np.inf
        tied = key.max() == top
        key[best] = top
        if tied:
            block = key == top
            if uniform is None:
                best = int(np.where(block, self.sub[0], np.inf).argmin())
            else:
                best = int(block.nonzero()[0][int(uniform[0] * block.sum())])
        return _ZERO, self.ids[0, best : best + 1], _YES if tied else _NO

    def _realise(self, active: IntArray, heads: IntArray, rf: FloatArray,
                 ri: IntArray) -> None:
        """Realise ``heads`` (one per active draw): update tables (8.1 steps 2–3, shared), then
        re-evaluate or drop the candidates they affect (8.1) and re-rank them (8(1))."""
        self.steps += 1
        key = self.key.reshape(-1)
        key[self.spot[heads]] = -np.inf
        # the partner, who demanded this side's supply issue, records this side's move
        row, cell = ri[_ROW], ri[_CELL]
        y, x0 = rf[_Y], rf[_X0]
        u = self.table[cell]
        merged = np.where(x0 <= u, np.fmin(u, y), np.fmax(u, y))  # merge(); y if no entry
        self.corr[row] += (merged - np.where(u == u, u, x0)) * rf[_SC]
        self.table[cell] = merged
        # candidates with R1's or R2's (actor, supply), or whose side demands what R1/R2 supply
        keys = ri[_SKEY:].ravel()
        if self.padded is not None:
            hits = self.padded[keys].ravel()
            hits = hits[hits >= 0]
        else:
            lo = self.off_lo[keys]
            lens = self.off_hi[keys] - lo
            ends = np.cumsum(lens)
            hits = self.index_ids[np.repeat(lo - ends + lens, lens) + np.arange(ends[-1])]
        hits = hits[key[self.spot[hits]] > -np.inf]  # still in the list
        if hits.size == 0:
            return
        order = np.arange(hits.size)
        self.stamp[hits] = order  # a candidate hit twice is updated once
        e = hits[self.stamp[hits] == order]
        self.r_skey[:, active] = ri[_SKEY]
        self.r_y[:, active] = y
        de = self.draw[e]
        f = self.f.take(e, axis=0).transpose(1, 2, 0)
        ie = self.i.take(e, axis=0).transpose(1, 2, 0)
        if self.shape[0] == 1:
            r_skey, r_y = self.r_skey, self.r_y
        else:
            r_skey, r_y = self.r_skey[:, de], self.r_y[:, de]
        m0 = ie[_SKEY] == r_skey[0]  # this side supplies what R1 supplied, as that actor
        m1 = ie[_SKEY] == r_skey[1]
        np.copyto(f[_X], r_y[0], where=m0)
        np.copyto(f[_X], r_y[1], where=m1)
        new, gain, ok = _evaluate(f, (m0 | m1).astype(float), self.corr[ie[_ROW]],
                                  self.table[ie[_CELL]])
        self.f[e, _X:] = new.transpose(2, 0, 1)
        self.gain[e] = gain
        # where each re-evaluated candidate goes in the list (see the module docstring)
        spot = self.spot[e]
        sub = self.sub.reshape(-1)
        old_key, old_sub = key[spot], sub[spot]
        new_key = np.full(e.size, -np.inf)
        new_key[ok] = self._cell(gain[ok])
        rank = np.empty(e.size)
        rank[np.argsort(1j * old_sub - old_key)] = np.arange(e.size, dtype=float)
        t = self.steps * self.span
        key[spot] = new_key
        sub[spot] = np.where(new_key < old_key, rank - t,
                             np.where(new_key > old_key, self.span + t + rank, old_sub))


def _positions_after(x0: FloatArray, sides: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Section 9: voting positions and the next start positions from the realised sides, rows
    (cell, y, supply salience, start position) in realisation order: the last one per
    actor–issue pair wins."""
    vote, nxt = x0.copy(), x0.copy()
    if sides.shape[1] == 0:
        return vote, nxt
    cell = sides[0].astype(np.int64)
    _, first = np.unique(cell[::-1], return_index=True)
    last = cell.size - 1 - first
    y, s, start = sides[1:, last]
    keep = (1.0 - s) * LAMBDA
    vote.reshape(-1)[cell[last]] = y
    nxt.reshape(-1)[cell[last]] = ((keep * y) + (PHI * y)) + (((1.0 - keep) - PHI) * start)
    return vote, nxt


def _compromise(x: FloatArray, sc: FloatArray, weight: FloatArray) -> FloatArray:
    total = np.sum(x * sc, axis=1)
    result: FloatArray = np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), 0.0)
    return result


def run_fast(position: FloatArray, salience: FloatArray, capability: FloatArray,
             present: BoolArray, rounds: int, tie_tolerance: float,
             rng: np.random.Generator | None, record: bool) -> FastRun:
    """Run a batch: ``position`` (B, N, K) on 0–100, ``salience`` (B, N, K) on 0–1,
    ``capability`` (B, N), ``present`` (B, N, K); with ``rng``, ties are broken at random."""
    s = np.where(present, salience, 0.0)
    c = capability
    sc = s * c[:, :, None]
    weight = np.sum(sc, axis=1)
    eligible = present & (s > 0) & (c[:, :, None] > 0)
    x0 = np.where(present, position, 0.0)
    run = FastRun(start=_compromise(x0, sc, weight), final=np.empty(0))
    if record:
        run.voting.append(x0)
        run.starts.append(x0)
    final = run.start
    for _ in range(rounds):
        rnd = _Round(x0, s, c, eligible, weight, tie_tolerance)
        count, ties, exchanges, sides = rnd.run(rng, record)
        vote, nxt = _positions_after(x0, sides)
        final = _compromise(vote, sc, weight)
        run.rounds.append(FastRound(compromise=final, count=count, created=rnd.created,
                                    valid=rnd.valid, ties=ties, exchanges=exchanges))
        x0 = nxt
        if record:
            run.voting.append(vote)
            run.starts.append(nxt)
    run.final = final
    return run
