"""The exchange model in binary64, for one draw or vectorised over Monte Carlo draws.

This is the engine behind ``exchange(..., arithmetic="fast")`` and
:func:`accord.models.exchange.run_exchange`. It follows the same specification as
:mod:`accord.models.exchange_exact` (``shared/specs/exchange.md``; section numbers below are the
spec's) and differs only in form:

* A round's candidates are created and evaluated once as arrays, all draws of a batch together.
  The selection loop is sequential. For a single draw of moderate size it runs on Python floats
  (a step re-evaluates a dozen candidates, too few for arrays to pay). For a batch, or a big
  draw, the draws run in lock-step: each step realises one exchange in every draw that has
  candidates left, then re-evaluates the candidates this affects in all those draws at once;
  deterministic unrecorded batches run ``CHUNK`` draws at a time. Both loops do the same
  floating-point operations in the same order, so a draw's result does not depend on its batch.
* A re-evaluation that only records a partner's move in an update table (no supply match, 8.1)
  finds the same moves as before (same position, same committed history); only a cap (7.4) can
  change them. Unless the last evaluation was capped, such a candidate is tested for a cap first
  and left as it is when none fires, which is what a full evaluation gives.
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
* The spec re-sorts the candidate list, stably, before every realisation. A single draw does
  just that, on the gain cells in the list's current order (a nearly sorted array). A batch keeps
  the order implicitly: a candidate's place is (gain cell, sub-key), and the sub-key follows from
  when and from where the candidate entered its cell. Entries that come from a higher cell go to
  the front of the cell, newest first; from a lower cell, to the back, newest last; a
  re-evaluated candidate that stays in its cell keeps its place; entries that arrive in the same
  step keep their previous relative order. That is exactly what repeated stable sorting does,
  and it makes the head of each draw's list an argmax.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["FastRound", "FastRun", "run_fast"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

EPSILON = 1e-10
ON_TARGET = 1e-9  # a compromise this close to a cap's target (0–100 scale) is on it
SLACK = 1e-9  # rounding slack at the bounds 0 and 100 (V2) and at the history limit (V3)
LAMBDA = 0.4
PHI = 0.1
CHUNK = 256  # draws run in lock-step at a time (deterministic batches without a record)
GATHER_ABOVE = 8192  # with more candidates than this, the caps gather the capped ones
SCALAR_LIMIT = 6000  # a single draw's round with at most this many candidates runs on floats
_HALF, _FULL = 50.0 + SLACK, 100.0 + SLACK

# The fields of a candidate's sides, in three blocks of (fields, 2 sides, candidates). Fixed for
# the round, by the side's supply key (draw, actor, supply issue): supply salience S, shift of
# the compromise per unit move (sc / W), S × power (sc), ON_TARGET × W, round-start position,
# the rest of the supply issue's compromise sum (b0). By the row of the partner's demand (draw,
# partner, supply issue): target × W, target, and the partner's salience there (the other
# side's demand salience). Per candidate: position, last history entry (= the current move),
# voting position, sum and absolute sum of the committed history entries (all but the last),
# and the equal-gain ratio (S + partner's D) / (D + partner's S).
_S, _A, _SC, _NEAR, _X0, _B0 = range(6)
_TW, _T, _SAL = range(3)
_X, _M, _Y, _CS, _CA, _RATIO = range(6)
# a candidate's keys, per side (column 2r + i of its record): supply key; the row of U that the
# side's caps use (its partner's demand); the places of the row's compromise shift and of the
# side's own actor's entry in U, which is stored as rows of (shift, entries of actors 0..N-1)
_SKEY, _ROW, _LINK, _CELL = 0, 2, 4, 6
# the moves and shifts of attempt A (side 2 moves all the way) and attempt B (side 1 does),
# as rows of [d1, d2, partner move of side 1, of side 2, full shift 1, 2, partner shift 1, 2]
_ATTEMPTS = np.array([[3, 1, 7, 5], [0, 2, 4, 6]])
_NONE = np.zeros(0, dtype=np.int64)


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


# --- evaluation (spec section 7), on arrays -------------------------------------------------


def _sides_ok(m: FloatArray, y: FloatArray, cs: FloatArray, v4: BoolArray) -> BoolArray:
    """Section 6 for both sides (rows): V1–V3 on the move ``m`` to ``y``; ``v4`` is V4, known
    already. (V1's upper bound |m| ≤ 100 follows from V2, as positions lie in 0–100.)"""
    ok = np.abs(m) > EPSILON
    ok &= np.abs(y - 50.0) <= _HALF
    ok &= cs + m <= _FULL
    ok &= v4
    result: BoolArray = ok[0] & ok[1]
    return result


def _crossing(own: FloatArray, tw: FloatArray, xm: FloatArray, corr: FloatArray | None,
              table: FloatArray | None, out: FloatArray) -> tuple[BoolArray, BoolArray | None]:
    """The cap test of 7.4: whether each move carries the compromise of its supply issue, as the
    update table sees it, across the target (a compromise within ON_TARGET of the target is on
    it, which is no crossing). ``own`` holds fields _SC.._B0, ``tw`` target × W, ``xm`` position
    and move, ``corr``/``table`` as in :func:`_evaluate`. Returns where the table holds the
    side's own actor (None: nowhere); leaves in ``out`` (2, 2, n) the compromise sum before the
    move minus the target's (both × W), and b0 plus the table's shift."""
    sc, near, x0, b0 = own
    b0c = b0 if corr is None else np.add(b0, corr, out=out[1])
    mine = None if table is None else table == table
    if mine is not None and mine.any():
        base = b0c - np.where(mine, table - x0, 0.0) * sc
    else:
        mine, base = None, b0c
    sums = xm * sc  # x × sc, m × sc; then the sums before the move and after it
    np.add(base, sums[0], out=sums[0])
    sums[0] -= tw
    sums[1] += sums[0]
    fire = sums[0] * sums[1] < 0.0
    far = np.abs(sums) > near
    fire &= far[0]
    fire &= far[1]
    out[0] = sums[0]
    if corr is None:
        out[1] = b0
    return fire, mine


def _evaluate(own: FloatArray, part: FloatArray, v: FloatArray, moved: FloatArray | None,
              corr: FloatArray | None, table: FloatArray | None
              ) -> tuple[FloatArray, BoolArray, BoolArray]:
    """Evaluate candidates (7.1–7.5) from their field blocks; ``v`` is updated in place.

    ``moved`` (2, n) is the voting position of the realised side a side continues from (a
    supply match, 8.1: its last history entry is kept) and NaN where it has none (the entry is
    replaced); ``corr`` (2, n) is the update table's shift of the compromise sum of the side's
    supply issue and ``table`` (2, n) the table's entry for the side's own actor (NaN: none).
    ``None`` for all three: a first evaluation. Returns the gains, the validity and whether a
    cap fired.
    """
    S, a, t, D = own[_S], own[_A], part[_T], part[_SAL][::-1]
    x, m, y, cs, ca, ratio = v
    if moved is not None:
        match = moved == moved
        np.copyto(x, moved, where=match)
        kept = m * match
        cs += kept
        np.abs(kept, out=kept)
        ca += kept
    n = x.shape[1]
    work = np.empty((7, 2, n))  # d, partner move, full shift, partner shift; for the caps:
    diff = np.subtract(t, x, out=work[0])  # direction, sum before the move, b0 + table shift
    sgn = np.sign(diff, out=work[4])  # every move points at the target
    d = np.abs(diff, out=work[0])
    v4 = ca == cs * sgn  # the committed entries all point the way this move does
    np.multiply(d, a, out=work[2])  # the compromise shift if this side moves all the way
    np.multiply(ratio, work[2], out=work[3])  # the partner's equal-gain shift
    np.divide(work[3], a[::-1], out=work[1])  # the partner's move that makes it
    rows = work[:4].reshape(8, n)
    pick = rows.take(_ATTEMPTS, axis=0)
    sel = np.where(rows[3] > d[0], pick[1], pick[0])  # attempt B if side 1 would overshoot
    np.multiply(sel[:2], sgn, out=m)
    gain = np.abs(sel[2] * S[0] - sel[3] * D[0])
    np.add(x, m, out=y)
    ok = _sides_ok(m, y, cs, v4)
    ok &= gain >= EPSILON
    fire, mine = _crossing(own[_SC:], part[_TW], v[_X:_Y], corr, table, work[5:])
    fire &= ok
    capped = fire[0] | fire[1]
    if capped.any():  # side 2's test depends on side 1's cap: redo both where one fires
        capped = _caps(own, part, v, work[4:], capped, mine, fire[0], gain, ok, v4)
    return gain, ok, capped


def _caps(own: FloatArray, part: FloatArray, v: FloatArray, work: FloatArray,
          capped: BoolArray, mine: BoolArray | None, fire1: BoolArray, gain: FloatArray,
          ok: BoolArray, v4: BoolArray) -> BoolArray:
    """Apply the caps (7.4) where ``capped`` of :func:`_evaluate`, in place: for (X, Y) =
    (side 1, side 2), then (side 2, side 1) with side 1's result. ``work`` holds the moves'
    directions, the sums before the moves and b0 + shift. Returns where a cap fired.

    A few percent of the candidates are capped. On a step's few thousand it computes on all of
    them (gathering the capped ones would cost more than the arithmetic), on a round's start
    only on the capped ones; the others keep their values either way, as neither cap fires
    there."""
    at: IntArray | slice = slice(None)
    store = v
    if capped.size > GATHER_ABOVE:
        at = capped.nonzero()[0]
        own, part, v, work = own[:, :, at], part[:, :, at], v[:, :, at], work[:, :, at]
        mine, fire1, v4 = None if mine is None else mine[:, at], fire1[at], v4[:, at]
    S, a, sc, near, x0 = own[_S], own[_A], own[_SC], own[_NEAR], own[_X0]
    tw, sal = part[_TW], part[_SAL]
    x, m, cs, ratio = v[_X], v[_M], v[_CS], v[_RATIO]
    sgn, before, b0c = work
    valid, old_gain = ok[at], gain[at]  # views of ok and gain when ``at`` is every candidate
    pos = x if mine is None else np.where(mine, x0, x)
    delta = np.abs((tw - (b0c + pos * sc)) / sc)
    cap_x = delta * a
    cap_y = ratio * cap_x
    move_y = np.abs(cap_y / a[::-1]) * sgn[::-1]
    m2 = np.where(fire1, move_y[0], m[1])
    after = before[1] + m2 * sc[1]
    fire2 = valid & capped[at] & (before[1] * after < 0.0) & (np.abs(before[1]) > near[1])
    fire2 &= np.abs(after) > near[1]
    delta *= sgn
    m[0] = np.where(fire2, move_y[1], np.where(fire1, delta[0], m[0]))
    m[1] = np.where(fire2, delta[1], m2)
    y = x + m
    valid &= _sides_ok(m, y, cs, v4)
    cap_gain = np.abs(cap_y * S[::-1] - cap_x * sal)
    fired: BoolArray = fire1 | fire2
    np.copyto(old_gain, np.where(fire2, cap_gain[1], cap_gain[0]), where=fired)
    store[_M][:, at], store[_Y][:, at] = m, y
    if isinstance(at, slice):
        return fired
    ok[at], gain[at] = valid, old_gain
    every = np.zeros(capped.size, dtype=bool)
    every[at] = fired
    return every


# --- a round's candidates (sections 4–5) -----------------------------------------------------


class _Setup:
    """What stays the same from round to round in a batch: issue pairs, who may trade on them,
    the role ratios s_p / s_q, the fields fixed for good, and the tie grid."""

    def __init__(self, s: FloatArray, sc: FloatArray, eligible: BoolArray, weight: FloatArray,
                 tol: float) -> None:
        n_b, n, k = s.shape
        self.shape = (n_b, n, k)
        self.s, self.sc, self.weight = s, sc, weight
        self.log_step = 1.0 / np.log1p(tol) if tol > 0 else 0.0
        self.pi, self.qi = np.triu_indices(k, 1)
        self.both = np.ascontiguousarray(
            (eligible[:, :, self.pi] & eligible[:, :, self.qi]).transpose(0, 2, 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            self.ratio = (s[:, :, self.pi] / s[:, :, self.qi]).reshape(-1)  # (B, N, P)
            share = sc / weight[:, None, :]
        near = np.broadcast_to((ON_TARGET * weight)[:, None, :], s.shape)
        self.fixed = np.stack((s, share, sc, near)).reshape(4, -1)  # fields _S.._NEAR

    def cells(self, gain: FloatArray, ok: BoolArray) -> FloatArray:
        """The gains' cells on the tie grid (the gains themselves without a tolerance); -inf
        where not ``ok``."""
        if self.log_step == 0.0:
            return np.where(ok, gain, -np.inf)
        cell = np.log(np.where(ok, gain, 1.0))
        cell *= self.log_step
        np.floor(cell, out=cell)
        result: FloatArray = np.where(ok, cell, -np.inf)
        return result


class _Round:
    """The candidates of one round of a batch, in creation order (draw, issue pair, G0×G3 then
    G1×G2, a, b), evaluated once (4.3); the invalid ones are dead from the start."""

    def __init__(self, setup: _Setup, x0: FloatArray) -> None:
        n_b, n, k = setup.shape
        pi, qi, sc, weight, both = setup.pi, setup.qi, setup.sc, setup.weight, setup.both
        num0 = np.sum(x0 * sc, axis=1)  # (B, K)
        safe = np.where(weight > 0, weight, 1.0)
        left = x0 <= np.where(weight > 0, num0 / safe, 0.0)[:, None]
        lp = np.ascontiguousarray(left[:, :, pi].transpose(0, 2, 1))  # (B, P, N)
        lq = np.ascontiguousarray(left[:, :, qi].transpose(0, 2, 1))
        blocks = np.empty((n_b, pi.size, 2, n, n), dtype=bool)
        blocks[:, :, 0] = (both & ~lp & ~lq)[..., :, None] & (both & lp & lq)[..., None, :]
        blocks[:, :, 1] = (both & lp & ~lq)[..., :, None] & (both & ~lp & lq)[..., None, :]
        rest, cb = np.divmod(blocks.reshape(-1).nonzero()[0], n)
        rest, ca = np.divmod(rest, n)
        draw, pair = np.divmod(rest >> 1, pi.size)
        # 5.3: side 1 is the actor with the larger ratio s_p / s_q; it supplies q
        swap = setup.ratio[(draw * n + ca) * pi.size + pair] < setup.ratio[
            (draw * n + cb) * pi.size + pair]
        pairs = np.stack((ca, cb))
        act = np.where(swap, pairs[::-1], pairs)
        sup = np.stack((qi[pair], pi[pair]))
        skey = (draw * n + act) * k + sup
        row = (draw * n + act[::-1]) * k + sup  # the partner's demand: its row of U
        self.own = np.concatenate((setup.fixed, np.stack((x0, num0[:, None, :] - x0 * sc))
                                   .reshape(2, -1)))  # fields by supply key
        self.part = np.stack((x0 * weight[:, None, :], x0, setup.s)).reshape(3, -1)  # by row
        own, part = self.own.take(skey, axis=1), self.part.take(row, axis=1)
        v = np.empty((6, 2, draw.size))
        v[_X] = own[_X0]
        v[_M:_RATIO] = 0.0
        v[_RATIO] = (own[_S] + part[_SAL]) / (part[_SAL][::-1] + own[_S][::-1])
        self.gain, self.ok, self.capped = _evaluate(own, part, v, None, None, None)
        self.fields, self.draw = (own, part, v), draw
        self.created = np.bincount(draw, minlength=n_b)
        self.valid = np.bincount(draw[self.ok], minlength=n_b)
        link = row * (n + 1)
        self.keys = np.concatenate((skey, row, link, link + 1 + act)).T.copy()  # records
        # who to update: candidates by (actor, supply issue) and by (actor, demand issue)
        off = n_b * n * k
        flat = np.concatenate((skey, row + off)).reshape(-1)
        order = np.argsort(flat.astype(np.uint16) if 2 * off <= 1 << 16 else flat,
                           kind="stable")
        self.order, self.index = order, order % draw.size
        per_key = np.bincount(flat, minlength=2 * off)
        self.hi = np.cumsum(per_key)
        self.lo = self.hi - per_key

    def lists(self) -> tuple[IntArray, IntArray]:
        """The index as two tables, each row padded with an entry that is never alive. Row
        ``skey`` of the first lists the candidates with a side that supplies that key's issue;
        row ``r`` of the second, the sides (2 × candidate + side) whose partner's demand is row
        ``r`` of U."""
        size, half = self.gain.size, self.lo.size // 2
        per_key = self.hi - self.lo
        tables = []
        for keys, entries, fill in (
                (slice(0, half), self.index[: 2 * size], size),
                (slice(half, None), 2 * self.index[2 * size :] + self.order[2 * size :] // size - 2,
                 2 * size)):
            count, lo = per_key[keys], self.lo[keys] - self.lo[keys][0]
            width = max(int(count.max(initial=0)), 1)
            table = np.full(count.size * width, fill)
            shift = np.arange(0, count.size * width, width) - lo  # key × width − lo
            table[np.repeat(shift, count) + np.arange(entries.size)] = entries
            tables.append(table.reshape(-1, width))
        return tables[0], tables[1]


# --- the selection loop (section 8) ------------------------------------------------------------

_Result = tuple[IntArray, IntArray, dict[str, NDArray[np.generic]],
                tuple[IntArray, FloatArray, FloatArray, FloatArray]]


def _result(shape: tuple[int, int, int], draws: IntArray, sides: FloatArray, skey: IntArray,
            gain: FloatArray, tied: BoolArray, record: bool) -> _Result:
    """Per draw the number of realised exchanges and of tied steps, the recorded exchanges, and
    the realised sides in order for section 9 (supply key, voting position, supply salience,
    start position); from the realised candidates' ``sides`` (position, voting position, supply
    salience, start position; each (2, h)) and supply keys (2, h)."""
    n_b, n, k = shape
    count = np.bincount(draws, minlength=n_b)
    ties = np.zeros(n_b, dtype=np.int64)
    exchanges: dict[str, NDArray[np.generic]] = {}
    x, y, sal, start = sides
    if record and draws.size:
        ties = np.bincount(draws[tied], minlength=n_b)
        exchanges = {"draw": draws, "actor": (skey // k) % n, "supply": skey % k, "from": x,
                     "to": y, "gain": gain}
    return count, ties, exchanges, (skey.T.ravel(), y.T.ravel(), sal.T.ravel(),
                                    start.T.ravel())


def _run_one(setup: _Setup, rnd: _Round, rng: np.random.Generator | None,
             record: bool) -> _Result:
    """The selection loop of a single draw, on Python floats (the operations of the arrays)."""
    own, part, v = rnd.fields
    size = rnd.gain.size
    rows = np.concatenate((own.reshape(12, size), part[:_SAL].reshape(4, size),
                           v[:_RATIO].reshape(10, size), part[_SAL][::-1], v[_RATIO])).T.tolist()
    keys, off = rnd.keys.tolist(), rnd.lo.size // 2
    gain, capped, alive = rnd.gain.tolist(), rnd.capped.tolist(), rnd.ok.tolist()
    index, lo, hi = rnd.index.tolist(), rnd.lo.tolist(), rnd.hi.tolist()
    neg = -setup.cells(rnd.gain, rnd.ok)  # the list: stable sort on -cell; +inf: not in it
    order = np.arange(size)
    n_alive = int(np.count_nonzero(rnd.ok))
    table: dict[int, float] = {}  # U and its shifts of the compromise sums, by cell and row
    seen = [0] * size
    heads: list[int] = []
    tied: list[bool] = []
    while True:
        uniform = None if rng is None else rng.random((1,))
        if n_alive == 0:
            break
        nk = neg[order]
        perm = nk.argsort(kind="stable")
        order = order[perm[:n_alive]]
        h = int(order[0])
        tied.append(bool(n_alive > 1 and nk[perm[1]] == nk[perm[0]]))
        if tied[-1] and uniform is not None:  # a random one of the cell, in creation order
            block = np.sort(order[: np.count_nonzero(nk == nk[perm[0]])])
            h = int(block[int(uniform[0] * block.size)])
        heads.append(h)
        alive[h] = False
        neg[h] = np.inf
        n_alive -= 1
        r, rk = rows[h], keys[h]
        rs0, rs1, ry0, ry1 = rk[0], rk[1], r[20], r[21]
        realised = (rs0, rs1)
        for i in (0, 1):  # the partner, who demanded this supply issue, records the move
            cell, x0, y = rk[_CELL + i], r[8 + i], r[20 + i]
            u = table.get(cell)
            merged = y if u is None else min(u, y) if x0 <= u else max(u, y)
            table[rk[_LINK + i]] = table.get(rk[_LINK + i], 0.0) + (
                merged - (x0 if u is None else u)) * r[4 + i]
            table[cell] = merged
        # candidates with R1's or R2's (actor, supply), or whose side demands what R1/R2 supply
        ok_ids: list[int] = []
        ok_gains: list[float] = []
        dead: list[int] = []
        t = len(heads)
        for key in (rs0, rs1, rk[_ROW] + off, rk[_ROW + 1] + off):
            for c in index[lo[key]:hi[key]]:
                if not alive[c] or seen[c] == t:
                    continue
                seen[c] = t
                r, kc = rows[c], keys[c]
                (S0, S1, a0, a1, sc0, sc1, n0, n1, o0, o1, b0, b1, w0, w1, t0, t1, x0, x1, m0,
                 m1, _, _, cs0, cs1, ca0, ca1, D0, D1, r0, r1) = r
                c0, c1 = table.get(kc[_LINK]), table.get(kc[_LINK + 1])
                u0, u1 = table.get(kc[_CELL]), table.get(kc[_CELL + 1])
                q0 = b0 if c0 is None else b0 + c0
                q1 = b1 if c1 is None else b1 + c1
                p0 = q0 if u0 is None else q0 - (u0 - o0) * sc0
                p1 = q1 if u1 is None else q1 - (u1 - o1) * sc1
                k0, k1 = kc[0], kc[1]
                if not (k0 in realised or k1 in realised or capped[c]):
                    # the moves stand unless a cap now fires (see the module docstring)
                    bf0, bf1 = p0 + x0 * sc0 - w0, p1 + x1 * sc1 - w1
                    af0, af1 = bf0 + m0 * sc0, bf1 + m1 * sc1
                    if not ((bf0 * af0 < 0.0 and abs(bf0) > n0 and abs(af0) > n0)
                            or (bf1 * af1 < 0.0 and abs(bf1) > n1 and abs(af1) > n1)):
                        continue
                if k0 in realised:  # 8.1: continue from the realised voting position
                    x0 = ry0 if k0 == rs0 else ry1
                    cs0 += m0
                    ca0 += abs(m0)
                if k1 in realised:
                    x1 = ry0 if k1 == rs0 else ry1
                    cs1 += m1
                    ca1 += abs(m1)
                d0, d1 = t0 - x0, t1 - x1
                g0 = 1.0 if d0 > 0.0 else -1.0 if d0 < 0.0 else 0.0
                g1 = 1.0 if d1 > 0.0 else -1.0 if d1 < 0.0 else 0.0
                d0, d1 = abs(d0), abs(d1)
                full = d1 * a1
                shift = r1 * full
                m0 = shift / a0
                if m0 > d0:  # attempt B
                    full = d0 * a0
                    shift = r0 * full
                    m0, m1, s1, s2 = d0, shift / a1, full, shift
                else:
                    m1, s1, s2 = d1, shift, full
                m0 *= g0
                m1 *= g1
                gn = abs(s1 * S0 - s2 * D0)
                y0, y1 = x0 + m0, x1 + m1
                v0, v1 = ca0 == cs0 * g0, ca1 == cs1 * g1
                ok = (abs(m0) > EPSILON and abs(y0 - 50.0) <= _HALF and cs0 + m0 <= _FULL
                      and v0 and abs(m1) > EPSILON and abs(y1 - 50.0) <= _HALF
                      and cs1 + m1 <= _FULL and v1 and gn >= EPSILON)
                fire1 = fire2 = False
                if ok:  # 7.4 caps
                    bf0, bf1 = p0 + x0 * sc0 - w0, p1 + x1 * sc1 - w1
                    af0, af1 = bf0 + m0 * sc0, bf1 + m1 * sc1
                    fire1 = bf0 * af0 < 0.0 and abs(bf0) > n0 and abs(af0) > n0
                    fire2 = bf1 * af1 < 0.0 and abs(bf1) > n1 and abs(af1) > n1
                if fire1 or fire2:
                    e0 = abs((w0 - (q0 + (x0 if u0 is None else o0) * sc0)) / sc0)
                    e1 = abs((w1 - (q1 + (x1 if u1 is None else o1) * sc1)) / sc1)
                    cx0, cx1 = e0 * a0, e1 * a1
                    cy0, cy1 = r0 * cx0, r1 * cx1
                    if fire1:
                        m1 = abs(cy0 / a1) * g1
                        af1 = bf1 + m1 * sc1
                        fire2 = bf1 * af1 < 0.0 and abs(bf1) > n1 and abs(af1) > n1
                        m0, gn = e0 * g0, abs(cy0 * S1 - cx0 * D1)
                    if fire2:
                        m0, m1, gn = abs(cy1 / a0) * g0, e1 * g1, abs(cy1 * S0 - cx1 * D0)
                    y0, y1 = x0 + m0, x1 + m1
                    ok = (abs(m0) > EPSILON and abs(y0 - 50.0) <= _HALF and cs0 + m0 <= _FULL
                          and v0 and abs(m1) > EPSILON and abs(y1 - 50.0) <= _HALF
                          and cs1 + m1 <= _FULL and v1)
                r[16:26] = (x0, x1, m0, m1, y0, y1, cs0, cs1, ca0, ca1)
                gain[c], capped[c] = gn, fire1 or fire2
                if ok:
                    ok_ids.append(c)
                    ok_gains.append(gn)
                else:
                    alive[c] = False
                    dead.append(c)
        if dead:
            neg[dead] = np.inf
            n_alive -= len(dead)
        if ok_ids:  # the cells as setup.cells computes them
            cells = np.array(ok_gains)
            neg[ok_ids] = -(np.floor(np.log(cells) * setup.log_step) if setup.log_step else cells)
    picked = np.array([rows[h] for h in heads]).reshape(-1, 15, 2)
    return _result(setup.shape, np.zeros(len(heads), dtype=np.int64),
                   picked[:, [8, 10, 0, 4]].transpose(1, 2, 0),
                   rnd.keys[heads, _SKEY:_SKEY + 2].T, np.array([gain[h] for h in heads]),
                   np.array(tied, dtype=bool), record)


class _Grid:
    """The lists of a batch: per draw (row) the candidates' gain cells and sub-keys."""

    def __init__(self, draw: IntArray, created: IntArray, cells: FloatArray) -> None:
        size = draw.size
        slot = np.arange(size) - (np.cumsum(created) - created)[draw]
        width = max(int(created.max(initial=0)), 1)
        self.spot = draw * width + slot  # the candidate's place in the (draws, width) grids
        self.key = np.full((created.size, width), -np.inf)
        self.sub = np.zeros((created.size, width))
        self.ids = np.zeros((created.size, width), dtype=np.int64)
        self.key.reshape(-1)[self.spot] = cells
        self.sub.reshape(-1)[self.spot] = np.arange(size, dtype=float)
        self.ids.reshape(-1)[self.spot] = np.arange(size)
        self.starts = np.arange(created.size) * width  # where each row starts, flat
        self.span = float(size + 1)
        self.steps = 0

    def pick(self, uniform: FloatArray | None) -> tuple[IntArray, IntArray, BoolArray]:
        """The draws with candidates left, the candidate each realises now (the head of its
        list, or with ``uniform`` a random one of the head's cell) and whether it was tied."""
        key, flat = self.key, self.key.reshape(-1)
        best = key.argmax(axis=1)
        at = self.starts + best
        top = flat.take(at)
        flat[at] = -np.inf
        second = key.max(axis=1)
        flat[at] = top
        active = (top > -np.inf).nonzero()[0]
        best, top = best.take(active), top.take(active)
        tied = second.take(active) == top
        if tied.any():
            rows_t = active[tied]
            block = key[rows_t] == top[tied, None]
            if uniform is None:
                pick = np.where(block, self.sub[rows_t], np.inf).argmin(axis=1)
            else:
                nth = (uniform[rows_t] * block.sum(axis=1)).astype(np.int64) + 1
                pick = (block & (np.cumsum(block, axis=1) == nth[:, None])).argmax(axis=1)
            best[tied] = pick
        return active, self.ids.reshape(-1).take(self.starts.take(active) + best), tied

    def drop(self, heads: IntArray) -> None:
        self.steps += 1
        self.key.reshape(-1)[self.spot[heads]] = -np.inf

    def update(self, e: IntArray, cells: FloatArray) -> None:
        """Re-rank the re-evaluated candidates ``e`` (see the module docstring)."""
        spot = self.spot[e]
        key, sub = self.key.reshape(-1), self.sub.reshape(-1)
        old = key[spot]
        key[spot] = cells
        moved = (cells != old) & (cells > -np.inf)  # still in the list, in another cell
        if not moved.any():
            return
        spot, cells, old = spot[moved], cells[moved], old[moved]
        rank = np.empty(spot.size)
        rank[np.lexsort((sub[spot], -old))] = np.arange(spot.size, dtype=float)
        t = self.steps * self.span
        sub[spot] = np.where(cells < old, rank - t, self.span + t + rank)


def _side_crossing(own: FloatArray, part: FloatArray, table: FloatArray, keys: IntArray,
                   dyn: FloatArray, sides: IntArray) -> IntArray:
    """The candidates of ``sides`` (2 × candidate + side) whose side's cap now fires: the test of
    :func:`_crossing` for one side each (``keys`` and ``dyn``: the flat records)."""
    cand, side = sides >> 1, sides & 1
    at = cand * 8 + side  # the side's column in the keys record (8 columns)
    skey, row = keys.take(at + _SKEY), keys.take(at + _ROW)
    shift, entry = table.take(keys.take(at + _LINK)), table.take(keys.take(at + _CELL))
    sc = own[_SC].take(skey)
    base = own[_B0].take(skey) + shift
    mine = entry == entry
    if mine.any():
        base = base - np.where(mine, entry - own[_X0].take(skey), 0.0) * sc
    at = cand * 12 + side  # and in the dyn record (12 columns)
    before = base + dyn.take(at + 2 * _X) * sc
    before -= part[_TW].take(row)
    after = dyn.take(at + 2 * _M) * sc
    after += before
    near = own[_NEAR].take(skey)
    fire = before * after < 0.0
    fire &= np.abs(before) > near
    fire &= np.abs(after) > near
    fired: IntArray = cand[fire]
    return fired


def _run_batch(setup: _Setup, rnd: _Round, rng: np.random.Generator | None,
               record: bool) -> _Result:
    """The selection loop of a batch, all draws in lock-step, on arrays."""
    n_b, n, k = setup.shape
    own, part, keys, gain, capped = rnd.own, rnd.part, rnd.keys, rnd.gain, rnd.capped
    dyn = np.ascontiguousarray(rnd.fields[2].reshape(12, gain.size).T)  # a record each
    alive = np.append(rnd.ok, False)  # and the end marker of the lists
    by_supply, by_row = rnd.lists()
    off = n_b * n * k
    table = np.full((off, n + 1), np.nan)  # U and its shift of the compromise sums, per row
    table[:, 0] = 0.0
    table = table.reshape(-1)
    moved = np.full(off, np.nan)  # this step's voting positions, by supply key
    slot = np.zeros(gain.size, dtype=np.int64)
    taken = np.zeros(gain.size, dtype=np.int64)  # the last step that re-evaluated a candidate
    flat_keys, flat_dyn = keys.reshape(-1), dyn.reshape(-1)
    grid = _Grid(rnd.draw, rnd.created, setup.cells(gain, rnd.ok))
    heads_l: list[IntArray] = []
    draws_l: list[IntArray] = []
    tied_l: list[BoolArray] = []
    while True:
        uniform = None if rng is None else rng.random((n_b,))
        active, heads, tied = grid.pick(uniform)
        if heads.size == 0:
            break
        heads_l.append(heads)
        draws_l.append(active)
        tied_l.append(tied)
        step = len(heads_l)
        alive[heads] = False
        grid.drop(heads)
        rk = np.ascontiguousarray(keys.take(heads, axis=0).T)
        supply = rk[_SKEY : _SKEY + 2]
        # the partner, who demanded this side's supply issue, records this side's move
        y = dyn.take(heads, axis=0)[:, 2 * _Y : 2 * _Y + 2].T
        x0, sc = own[_X0].take(supply), own[_SC].take(supply)
        cell = rk[_CELL : _CELL + 2]
        u = table[cell]
        merged = np.where(x0 <= u, np.fmin(u, y), np.fmax(u, y))  # merge(); y if no entry
        table[rk[_LINK : _LINK + 2]] += (merged - np.where(u == u, u, x0)) * sc
        table[cell] = merged
        # re-evaluate the candidates with R1's or R2's (actor, supply), and those capped before
        # of the sides whose partner's demand R1 or R2 supplies (their row of U changed)
        hits = by_supply.take(supply.reshape(-1), axis=0).reshape(-1)
        hits = hits[alive[hits]]
        sides = by_row.take(rk[_ROW : _ROW + 2].reshape(-1), axis=0).reshape(-1)
        owner = sides >> 1
        live = alive[owner]
        sides = sides[live]
        owner = sides >> 1
        hits = np.concatenate((hits, owner[capped[owner]]))
        order = np.arange(hits.size)
        slot[hits] = order  # a candidate hit twice is updated once
        e = hits[slot[hits] == order]
        taken[e] = step
        sides = sides[taken[owner] != step]
        if sides.size:  # the other sides' moves stand unless a cap now fires (module docstring)
            fired = _side_crossing(own, part, table, flat_keys, flat_dyn, sides)
            if fired.size:
                taken[fired] = step
                slot[fired] = np.arange(fired.size)
                e = np.concatenate((e, fired[slot[fired] == np.arange(fired.size)]))
        if e.size == 0:
            continue
        kr = np.ascontiguousarray(keys.take(e, axis=0).T)
        moved[supply] = y
        mv = moved[kr[_SKEY : _SKEY + 2]]
        moved[supply] = np.nan
        v = np.ascontiguousarray(dyn.take(e, axis=0).T).reshape(6, 2, -1)
        tb = table[kr[_LINK:]]
        new_gain, ok, cap = _evaluate(own.take(kr[_SKEY : _SKEY + 2], axis=1),
                                      part.take(kr[_ROW : _ROW + 2], axis=1), v,
                                      mv, tb[:2], tb[2:])
        dyn[e, : 2 * _RATIO] = v[:_RATIO].reshape(10, e.size).T
        gain[e], alive[e], capped[e] = new_gain, ok, cap
        grid.update(e, setup.cells(new_gain, ok))
    heads = np.concatenate(heads_l) if heads_l else _NONE
    skey = np.ascontiguousarray(keys.take(heads, axis=0)[:, _SKEY : _SKEY + 2].T)
    rd = dyn.take(heads, axis=0).reshape(-1, 6, 2)
    realised = np.stack((rd[:, _X].T, rd[:, _Y].T, own[_S].take(skey), own[_X0].take(skey)))
    return _result(setup.shape, np.concatenate(draws_l) if draws_l else _NONE, realised, skey,
                   gain[heads], np.concatenate(tied_l) if tied_l else _NONE > 0, record)


# --- rounds (section 9) ------------------------------------------------------------------------


def _positions_after(x0: FloatArray, sides: tuple[IntArray, FloatArray, FloatArray,
                                                  FloatArray]) -> tuple[FloatArray, FloatArray]:
    """Section 9: voting positions and the next start positions from the realised sides (supply
    key, voting position, supply salience, start position) in realisation order: the last one
    per actor–issue pair wins."""
    vote, nxt = x0.copy(), x0.copy()
    cell = sides[0]
    if cell.size == 0:
        return vote, nxt
    latest = np.full(x0.size, -1)
    np.maximum.at(latest, cell, np.arange(cell.size))
    last = latest[latest >= 0]
    y, s, start = (v[last] for v in sides[1:])
    keep = (1.0 - s) * LAMBDA
    vote.reshape(-1)[cell[last]] = y
    nxt.reshape(-1)[cell[last]] = ((keep * y) + (PHI * y)) + (((1.0 - keep) - PHI) * start)
    return vote, nxt


def _compromise(x: FloatArray, sc: FloatArray, weight: FloatArray) -> FloatArray:
    total = np.sum(x * sc, axis=1)
    result: FloatArray = np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), 0.0)
    return result


def _rounds(setup: _Setup, x0: FloatArray, rounds: int, rng: np.random.Generator | None,
            record: bool, run: FastRun) -> None:
    """Run ``rounds`` rounds from ``x0``, appending them to ``run``."""
    if record:
        run.voting.append(x0)
        run.starts.append(x0)
    for _ in range(rounds):
        rnd = _Round(setup, x0)
        loop = _run_one if setup.shape[0] == 1 and rnd.gain.size <= SCALAR_LIMIT else _run_batch
        count, ties, exchanges, sides = loop(setup, rnd, rng, record)
        vote, nxt = _positions_after(x0, sides)
        run.rounds.append(FastRound(compromise=_compromise(vote, setup.sc, setup.weight),
                                    count=count, created=rnd.created, valid=rnd.valid,
                                    ties=ties, exchanges=exchanges))
        x0 = nxt
        if record:
            run.voting.append(vote)
            run.starts.append(nxt)
    run.final = run.rounds[-1].compromise if run.rounds else run.start


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
    start = _compromise(x0, sc, weight)
    n_b = x0.shape[0]
    if rng is not None or record or n_b <= CHUNK:
        run = FastRun(start=start, final=start)
        _rounds(_Setup(s, sc, eligible, weight, tie_tolerance), x0, rounds, rng, record, run)
        return run
    # a draw's result does not depend on the batch it runs in: run chunks, then join them
    parts = []
    size = -(-n_b // -(-n_b // CHUNK))  # chunks of (nearly) equal size, at most CHUNK
    for lo in range(0, n_b, size):
        part = slice(lo, lo + size)
        parts.append(FastRun(start=start[part], final=start[part]))
        _rounds(_Setup(s[part], sc[part], eligible[part], weight[part], tie_tolerance),
                x0[part], rounds, None, False, parts[-1])
    def joined(r: int, name: str) -> NDArray[Any]:
        return np.concatenate([getattr(p.rounds[r], name) for p in parts])

    return FastRun(start=start, final=np.concatenate([p.final for p in parts]), rounds=[
        FastRound(compromise=joined(r, "compromise"), count=joined(r, "count"),
                  created=joined(r, "created"), valid=joined(r, "valid"), ties=joined(r, "ties"))
        for r in range(rounds)])
