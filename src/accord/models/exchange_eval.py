"""Evaluating exchange candidates on arrays (``shared/specs/exchange.md`` section 7).

The fields of a candidate's sides are kept in blocks of (fields, 2 sides, candidates); the
functions here work on such blocks for any number of candidates at once, in place where they
say so, and do the same floating-point operations in the same order for every candidate, so a
candidate's result never depends on what else is evaluated with it.

* A re-evaluation that only records a partner's move in an update table (no supply match, 8.1)
  finds the same moves as before (same position, same committed history); only a cap (7.4) can
  change them. Unless the last evaluation was capped, such a candidate is tested for a cap first
  (:func:`side_crossing`, only on the sides whose row of U changed) and left as it is when none
  fires, which is what a full evaluation gives.
* A side's move history is kept as the sum and the sum of absolute values of its earlier
  entries, plus its last entry: histories only ever grow by one entry or replace their last one
  (8.1). V3 needs the sum; V4 (all entries point one way) holds when the absolute sum equals the
  sum times the direction of the current move (entries are never 0, so this is exact).
* A compromise within ``ON_TARGET`` of a cap's target counts as on it (no crossing, no cap):
  after a trade has put a compromise on a target, the reference usually finds it exactly
  there. And a position or history sum may pass 0 or 100 by ``SLACK`` of rounding.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "EPSILON",
    "ON_TARGET",
    "BoolArray",
    "FloatArray",
    "IntArray",
    "crossing",
    "evaluate",
    "side_crossing",
    "sides_ok",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

EPSILON = 1e-10
ON_TARGET = 1e-9  # a compromise this close to a cap's target (0–100 scale) is on it
SLACK = 1e-9  # rounding slack at the bounds 0 and 100 (V2) and at the history limit (V3)
GATHER_ABOVE = 8192  # with more candidates than this, the caps gather the capped ones
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


def sides_ok(m: FloatArray, y: FloatArray, cs: FloatArray, v4: BoolArray) -> BoolArray:
    """Section 6 for both sides (rows): V1–V3 on the move ``m`` to ``y``; ``v4`` is V4, known
    already. (V1's upper bound |m| ≤ 100 follows from V2, as positions lie in 0–100.)"""
    ok = np.abs(m) > EPSILON
    ok &= np.abs(y - 50.0) <= _HALF
    ok &= cs + m <= _FULL
    ok &= v4
    result: BoolArray = ok[0] & ok[1]
    return result


def crossing(own: FloatArray, tw: FloatArray, xm: FloatArray, corr: FloatArray | None,
              table: FloatArray | None, out: FloatArray) -> tuple[BoolArray, BoolArray | None]:
    """The cap test of 7.4: whether each move carries the compromise of its supply issue, as the
    update table sees it, across the target (a compromise within ON_TARGET of the target is on
    it, which is no crossing). ``own`` holds fields _SC.._B0, ``tw`` target × W, ``xm`` position
    and move, ``corr``/``table`` as in :func:`evaluate`. Returns where the table holds the
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


def evaluate(own: FloatArray, part: FloatArray, v: FloatArray, moved: FloatArray | None,
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
    ok = sides_ok(m, y, cs, v4)
    ok &= gain >= EPSILON
    fire, mine = crossing(own[_SC:], part[_TW], v[_X:_Y], corr, table, work[5:])
    fire &= ok
    capped = fire[0] | fire[1]
    if capped.any():  # side 2's test depends on side 1's cap: redo both where one fires
        capped = _caps(own, part, v, work[4:], capped, mine, fire[0], gain, ok, v4)
    return gain, ok, capped


def _caps(own: FloatArray, part: FloatArray, v: FloatArray, work: FloatArray,
          capped: BoolArray, mine: BoolArray | None, fire1: BoolArray, gain: FloatArray,
          ok: BoolArray, v4: BoolArray) -> BoolArray:
    """Apply the caps (7.4) where ``capped`` of :func:`evaluate`, in place: for (X, Y) =
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
    valid &= sides_ok(m, y, cs, v4)
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


def side_crossing(own: FloatArray, part: FloatArray, table: FloatArray, keys: IntArray,
                   dyn: FloatArray, sides: IntArray) -> IntArray:
    """The candidates of ``sides`` (2 × candidate + side) whose side's cap now fires: the test of
    :func:`crossing` for one side each (``keys`` and ``dyn``: the flat records)."""
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
