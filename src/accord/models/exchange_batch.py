"""The selection loop of an exchange round for a batch of draws, in lock-step, on arrays
(``shared/specs/exchange.md`` section 8).

Each step realises one exchange in every draw that has candidates left, then re-evaluates the
candidates this affects in all those draws at once.

The spec re-sorts the candidate list, stably, before every realisation. A batch keeps the order
implicitly: a candidate's place is (gain cell, sub-key), and the sub-key follows from when and
from where the candidate entered its cell. Entries that come from a higher cell go to the front
of the cell, newest first; from a lower cell, to the back, newest last; a re-evaluated candidate
that stays in its cell keeps its place; entries that arrive in the same step keep their
previous relative order. That is exactly what repeated stable sorting does, and it makes the
head of each draw's list an argmax.
"""

from __future__ import annotations

import numpy as np

from accord.models.exchange_eval import (
    _CELL,
    _LINK,
    _RATIO,
    _ROW,
    _S,
    _SC,
    _SKEY,
    _X,
    _X0,
    _Y,
    BoolArray,
    FloatArray,
    IntArray,
    evaluate,
    side_crossing,
)
from accord.models.exchange_round import Result, Round, Setup, round_result

__all__ = ["run_batch"]

_NONE = np.zeros(0, dtype=np.int64)


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


def run_batch(setup: Setup, rnd: Round, rng: np.random.Generator | None,
               record: bool) -> Result:
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
            fired = side_crossing(own, part, table, flat_keys, flat_dyn, sides)
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
        new_gain, ok, cap = evaluate(own.take(kr[_SKEY : _SKEY + 2], axis=1),
                                      part.take(kr[_ROW : _ROW + 2], axis=1), v,
                                      mv, tb[:2], tb[2:])
        dyn[e, : 2 * _RATIO] = v[:_RATIO].reshape(10, e.size).T
        gain[e], alive[e], capped[e] = new_gain, ok, cap
        grid.update(e, setup.cells(new_gain, ok))
    heads = np.concatenate(heads_l) if heads_l else _NONE
    skey = np.ascontiguousarray(keys.take(heads, axis=0)[:, _SKEY : _SKEY + 2].T)
    rd = dyn.take(heads, axis=0).reshape(-1, 6, 2)
    realised = np.stack((rd[:, _X].T, rd[:, _Y].T, own[_S].take(skey), own[_X0].take(skey)))
    return round_result(setup.shape, np.concatenate(draws_l) if draws_l else _NONE, realised, skey,
                   gain[heads], np.concatenate(tied_l) if tied_l else _NONE > 0, record)
