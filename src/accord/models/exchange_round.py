"""A round's exchange candidates, for a batch of draws (``shared/specs/exchange.md`` 4–5, 8).

:class:`Setup` holds what stays the same from round to round, :class:`Round` the candidates of
one round in creation order, evaluated once, with the index of who to re-evaluate after a
realisation. Gains are compared on a logarithmic grid of relative width ``tie_tolerance``
(:meth:`Setup.cells`): gains in the same cell are ties. Mathematically equal gains come out of
binary64 a few ulps apart; the grid makes them ties again, as they are in the reference
arithmetic (spec 10.3).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from accord.models.exchange_eval import (
    _M,
    _RATIO,
    _S,
    _SAL,
    _X,
    _X0,
    ON_TARGET,
    BoolArray,
    FloatArray,
    IntArray,
    evaluate,
)

__all__ = ["Result", "Round", "Setup", "round_result"]


class Setup:
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


class Round:
    """The candidates of one round of a batch, in creation order (draw, issue pair, G0×G3 then
    G1×G2, a, b), evaluated once (4.3); the invalid ones are dead from the start."""

    def __init__(self, setup: Setup, x0: FloatArray) -> None:
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
        self.gain, self.ok, self.capped = evaluate(own, part, v, None, None, None)
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


Result = tuple[IntArray, IntArray, dict[str, NDArray[np.generic]],
                tuple[IntArray, FloatArray, FloatArray, FloatArray]]


def round_result(shape: tuple[int, int, int], draws: IntArray, sides: FloatArray, skey: IntArray,
            gain: FloatArray, tied: BoolArray, record: bool) -> Result:
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
