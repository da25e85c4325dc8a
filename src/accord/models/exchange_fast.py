"""The exchange model in binary64, for one draw or vectorised over Monte Carlo draws.

This is the engine behind ``exchange(..., arithmetic="fast")`` and
:func:`accord.models.exchange.run_exchange`. It follows the same specification as
:mod:`accord.models.exchange_exact` (``shared/specs/exchange.md``; section numbers in these
modules are the spec's) and differs only in form:

* A round's candidates are created and evaluated once as arrays, all draws of a batch together
  (:mod:`~accord.models.exchange_round`, :mod:`~accord.models.exchange_eval`).
* The selection loop is sequential. For a single draw of moderate size it runs on Python floats
  (:mod:`~accord.models.exchange_scalar`); for a batch, or a big draw, the draws run in
  lock-step (:mod:`~accord.models.exchange_batch`); deterministic unrecorded batches run at
  most ``CHUNK`` draws at a time. Both loops do the same floating-point operations in the same
  order, so a draw's result does not depend on its batch.
* The update tables U are kept once per round per (demander, issue), with their shift of each
  compromise sum updated in place rather than re-summed (see the exact engine for why one table
  per round is the same as one per candidate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.models.exchange_batch import run_batch
from accord.models.exchange_eval import BoolArray, FloatArray, IntArray
from accord.models.exchange_round import Round, Setup
from accord.models.exchange_scalar import run_one

__all__ = ["FastRound", "FastRun", "run_fast"]

LAMBDA = 0.4
PHI = 0.1
CHUNK = 256  # draws run in lock-step at a time (deterministic batches without a record)
SCALAR_LIMIT = 6000  # a single draw's round with at most this many candidates runs on floats


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


def _rounds(setup: Setup, x0: FloatArray, rounds: int, rng: np.random.Generator | None,
            record: bool, run: FastRun) -> None:
    """Run ``rounds`` rounds from ``x0``, appending them to ``run``."""
    if record:
        run.voting.append(x0)
        run.starts.append(x0)
    for _ in range(rounds):
        rnd = Round(setup, x0)
        loop = run_one if setup.shape[0] == 1 and rnd.gain.size <= SCALAR_LIMIT else run_batch
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
        _rounds(Setup(s, sc, eligible, weight, tie_tolerance), x0, rounds, rng, record, run)
        return run
    # a draw's result does not depend on the batch it runs in: run chunks, then join them
    parts = []
    size = -(-n_b // -(-n_b // CHUNK))  # chunks of (nearly) equal size, at most CHUNK
    for lo in range(0, n_b, size):
        part = slice(lo, lo + size)
        parts.append(FastRun(start=start[part], final=start[part]))
        _rounds(Setup(s[part], sc[part], eligible[part], weight[part], tie_tolerance),
                x0[part], rounds, None, False, parts[-1])
    def joined(r: int, name: str) -> NDArray[Any]:
        return np.concatenate([getattr(p.rounds[r], name) for p in parts])

    return FastRun(start=start, final=np.concatenate([p.final for p in parts]), rounds=[
        FastRound(compromise=joined(r, "compromise"), count=joined(r, "count"),
                  created=joined(r, "created"), valid=joined(r, "valid"), ties=joined(r, "ties"))
        for r in range(rounds)])
