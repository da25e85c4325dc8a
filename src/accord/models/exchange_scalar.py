"""The selection loop of one draw's exchange round on Python floats (``shared/specs/exchange.md``
section 8).

A step re-evaluates a dozen candidates, too few for arrays to pay, so a single draw of moderate
size runs here. The spec re-sorts the candidate list, stably, before every realisation; this
loop does just that, on the gain cells in the list's current order (a nearly sorted array). It
does the floating-point operations of :mod:`accord.models.exchange_eval` in the same order, so
its results are those of the batched loop.
"""

from __future__ import annotations

import numpy as np

from accord.models.exchange_eval import (
    _CELL,
    _FULL,
    _HALF,
    _LINK,
    _RATIO,
    _ROW,
    _SAL,
    _SKEY,
    EPSILON,
)
from accord.models.exchange_round import Result, Round, Setup, round_result

__all__ = ["run_one"]


def run_one(setup: Setup, rnd: Round, rng: np.random.Generator | None,
             record: bool) -> Result:
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
    return round_result(setup.shape, np.zeros(len(heads), dtype=np.int64),
                   picked[:, [8, 10, 0, 4]].transpose(1, 2, 0),
                   rnd.keys[heads, _SKEY:_SKEY + 2].T, np.array([gain[h] for h in heads]),
                   np.array(tied, dtype=bool), record)
