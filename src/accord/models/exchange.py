"""Exchange: Stokman's equal-gain exchange model, as computed by the decide-exchange-model package.

The model (``docs/models/exchange.md``; specification ``shared/specs/exchange.md``) runs rounds.
In each round every pair of actors on opposite sides of the compromise on two issues can trade:
each gives ground on the issue it cares about relatively less, by amounts that give both the same
utility gain. Trades are realised best first, the others are recomputed after each one, and at the
end of the round every actor that moved keeps part of its move. The forecast is the compromise
point (capability × salience weighted mean position) after the last round.

Two arithmetics:

* ``fast`` (default): binary64, vectorised over candidates (and over Monte Carlo draws, see
  :func:`run_exchange`). Gains within ``tie_tolerance`` (relative) of each other count as equal.
  Round 1 agrees with ``exact`` to about 1e-10 (but for rare knife-edge cap tests that the
  reference's 28th digit decides); later rounds may differ, because the reference breaks
  mathematically equal gains by 28th-digit rounding noise (spec 10.3). With
  ``tie_break="random"`` such near-ties are broken at random (``seed``), which shows how much the
  outcome depends on them.
* ``exact``: the spec's 28-digit decimal arithmetic and evaluation order; reproduces the reference
  package's results digit for digit (:mod:`accord.models.exchange_exact`). The decimals are the
  numbers a decide file holds: the shortest decimal that gives each stored float, on the issue's
  raw scale (``ScenarioArrays.scales``), rescaled as the package does; saliences are divided by
  100 (decide's 0–1 scale).

Actors absent from an issue take no part in it; their entries in ``Forecast.history`` keep the 0
placeholder of :class:`~accord.scenario.arrays.ScenarioArrays` (their weight there is 0, so the
weighted mean of a history row is still the round's compromise).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from accord.errors import AccordError
from accord.models.exchange_exact import CONTEXT, ExactExchange, run_exact
from accord.models.exchange_fast import FastRun, run_fast
from accord.models.forecast import Forecast
from accord.models.registry import batch_form, register
from accord.models.utility import utility
from accord.scenario.arrays import ScenarioArrays
from accord.scenario.decide_write import plain_decimal, raw_decimal
from accord.scenario.uncertainty import BatchArrays

__all__ = ["Arithmetic", "TieBreak", "exact_inputs", "exchange", "exchange_batch", "run_exchange"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

Arithmetic = Literal["fast", "exact"]
TieBreak = Literal["none", "random"]

MAX_ROUNDS = 10_000


def _check(rounds: int, tie_break: str, tie_tolerance: float) -> None:
    if isinstance(rounds, bool) or not isinstance(rounds, int | np.integer):
        raise AccordError(f"exchange: rounds must be a whole number, not {rounds!r}")
    if not 0 <= rounds <= MAX_ROUNDS:
        raise AccordError(f"exchange: rounds must be between 0 and {MAX_ROUNDS}, not {rounds}")
    if tie_break not in ("none", "random"):
        raise AccordError(f"exchange: tie_break must be 'none' or 'random', not {tie_break!r}")
    if not (isinstance(tie_tolerance, int | float) and 0.0 <= tie_tolerance < 1e-3):
        raise AccordError(
            f"exchange: tie_tolerance must be a relative tolerance in [0, 0.001), not "
            f"{tie_tolerance!r}"
        )


def run_exchange(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    present: BoolArray | None = None,
    *,
    rounds: int = 10,
    tie_break: TieBreak = "none",
    tie_tolerance: float = 1e-9,
    rng: np.random.Generator | None = None,
    record: bool = False,
) -> FastRun:
    """Run the fast model on a batch of draws, all draws as arrays.

    ``position`` and ``salience`` are ``(draws, actors, issues)`` on accord's 0–100 scales,
    ``capability`` ``(draws, actors)``, ``present`` ``(actors, issues)`` or ``(draws, actors,
    issues)`` (default: everyone everywhere). With ``tie_break="random"``, near-ties are broken
    with ``rng`` (one stream for the batch). ``record`` keeps positions and realised exchanges per
    round. Returns a :class:`~accord.models.exchange_fast.FastRun`; ``final`` holds the
    compromise per draw and issue after the last round.
    """
    _check(rounds, tie_break, tie_tolerance)
    x = np.asarray(position, dtype=float)
    s = np.asarray(salience, dtype=float)
    c = np.asarray(capability, dtype=float)
    if x.ndim != 3 or s.shape != x.shape or c.shape != x.shape[:2]:
        raise AccordError(
            "exchange: position and salience must be (draws, actors, issues) and capability "
            f"(draws, actors); got {x.shape}, {s.shape} and {c.shape}"
        )
    mask = np.ones(x.shape, dtype=bool) if present is None else np.asarray(present, dtype=bool)
    try:
        mask = np.broadcast_to(mask, x.shape)
    except ValueError:
        raise AccordError(
            f"exchange: present must be (actors, issues) or {x.shape}, not {mask.shape}"
        ) from None
    for name, arr in (("position", x), ("salience", s), ("capability", c)):
        if not np.all(np.isfinite(arr)):
            raise AccordError(f"exchange: {name} holds a value that is not a finite number")
    if np.any(mask & ((x < 0) | (x > 100))):
        raise AccordError("exchange: positions must lie in 0–100")
    if np.any(mask & ((s < 0) | (s > 100))) or np.any(c < 0):
        raise AccordError("exchange: saliences must lie in 0–100 and capabilities be >= 0")
    if tie_break == "random" and rng is None:
        rng = np.random.default_rng()
    return run_fast(x, s / 100.0, c, mask, rounds, float(tie_tolerance),
                    rng if tie_break == "random" else None, record)


def exchange_batch(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    present: BoolArray | None = None,
    *,
    rounds: int = 10,
    tie_break: TieBreak = "none",
    tie_tolerance: float = 1e-9,
    rng: np.random.Generator | None = None,
) -> FloatArray:
    """The compromise per draw and issue ``(draws, issues)`` after ``rounds`` rounds (fast mode);
    arguments as :func:`run_exchange`. For Monte Carlo."""
    return run_exchange(position, salience, capability, present, rounds=rounds,
                        tie_break=tie_break, tie_tolerance=tie_tolerance, rng=rng).final


@batch_form("exchange")
def exchange_sweep(
    batch: BatchArrays,
    rounds: int = 10,
    arithmetic: Arithmetic = "fast",
    tie_break: TieBreak = "none",
    tie_tolerance: float = 1e-9,
    seed: int | None = None,
) -> FloatArray:
    """The registered batched form (fast arithmetic): compromises ``(draws, issues)``."""
    if arithmetic != "fast":
        raise AccordError("exchange: only fast arithmetic has a batched form; exact mode runs "
                          "one scenario at a time")
    rng = np.random.default_rng(seed) if tie_break == "random" else None
    present = np.broadcast_to(batch.present, batch.position.shape)
    return exchange_batch(batch.position, batch.salience, batch.capability, present,
                          rounds=rounds, tie_break=tie_break, tie_tolerance=tie_tolerance,
                          rng=rng)


# --- exact mode: the decimals a decide file holds --------------------------------------------


def exact_inputs(
    arrays: ScenarioArrays,
) -> tuple[list[list[Decimal | None]], list[list[Decimal | None]], list[Decimal]]:
    """Positions (internal 0–100), saliences (0–1) and capabilities as exact decimals.

    Each number is the shortest decimal that reads back to the stored float, taken on the issue's
    raw scale (``arrays.scales``) and mapped to 0–100 with the spec's 28-digit factor
    f = 100 ÷ (upper − lower) (spec 2.2); saliences are accord's divided by 100. ``None`` marks
    an absent actor.
    """
    scales: Sequence[tuple[float, float] | None] = arrays.scales or (None,) * arrays.n_issues
    with localcontext(CONTEXT):
        maps: list[tuple[Decimal, Decimal]] = []
        for scale in scales:
            if scale is None:
                maps.append((Decimal(0), Decimal(1)))
            else:
                low, high = plain_decimal(scale[0]), plain_decimal(scale[1])
                maps.append((low, Decimal(100) / (high - low)))
        position: list[list[Decimal | None]] = []
        salience: list[list[Decimal | None]] = []
        for a in range(arrays.n_actors):
            prow: list[Decimal | None] = []
            srow: list[Decimal | None] = []
            for k in range(arrays.n_issues):
                if not arrays.present[a, k]:
                    prow.append(None)
                    srow.append(None)
                    continue
                low, f = maps[k]
                raw = raw_decimal(float(arrays.position[a, k]), scales[k])
                prow.append((raw - low) * f if scales[k] is not None else raw)
                srow.append(Decimal(repr(float(arrays.salience[a, k]))) / 100)
            position.append(prow)
            salience.append(srow)
        capability = [Decimal(repr(float(v))) for v in arrays.capability]
    return position, salience, capability


# --- the registered model ------------------------------------------------------------------


def _issue_dict(issues: Sequence[str], values: Sequence[float]) -> dict[str, float]:
    return {k: float(v) for k, v in zip(issues, values, strict=True)}


def _exchange_record(actors: Sequence[str], issues: Sequence[str], a1: int, k1: int,
                     from1: float, to1: float, a2: int, k2: int, from2: float, to2: float,
                     gain: float) -> dict[str, Any]:
    return {
        "actor_i": actors[a1], "actor_j": actors[a2],
        "supplies_i": issues[k1], "supplies_j": issues[k2],
        "moves": {issues[k1]: {"actor": actors[a1], "from": from1, "to": to1},
                  issues[k2]: {"actor": actors[a2], "from": from2, "to": to2}},
        "gain": gain,
    }


_Result = tuple[FloatArray, FloatArray, FloatArray, FloatArray, list[dict[str, Any]]]


def _from_exact(arrays: ScenarioArrays, run: ExactExchange) -> _Result:
    def grid(rows: list[list[Decimal | None]]) -> list[list[float]]:
        return [[0.0 if v is None else float(v) for v in row] for row in rows]

    history = np.array([grid(v) for v in run.voting], dtype=float)
    starts = np.array([grid(v) for v in run.starts], dtype=float)
    rounds = []
    for r, rnd in enumerate(run.rounds, start=1):
        rounds.append({
            "round": r,
            "compromise": _issue_dict(arrays.issues, [float(v) for v in rnd.compromise]),
            "count": len(rnd.exchanges),
            "exchanges": [
                _exchange_record(arrays.actors, arrays.issues, e.actor1, e.supply1,
                                 float(e.from1), float(e.to1), e.actor2, e.supply2,
                                 float(e.from2), float(e.to2), float(e.gain))
                for e in rnd.exchanges
            ],
            "candidates": {"created": rnd.created, "valid": rnd.valid},
            "ties": rnd.ties,
        })
    final = [float(v) for v in (run.rounds[-1].compromise if run.rounds else run.start)]
    return np.array(final), np.array([float(v) for v in run.start]), history, starts, rounds


def _from_fast(arrays: ScenarioArrays, run: FastRun) -> _Result:
    history = np.stack([v[0] for v in run.voting])
    starts = np.stack([v[0] for v in run.starts])
    rounds = []
    for r, rnd in enumerate(run.rounds, start=1):
        ex = rnd.exchanges
        records = []
        if ex:
            act, sup = ex["actor"].tolist(), ex["supply"].tolist()
            frm, to, gain = ex["from"].tolist(), ex["to"].tolist(), ex["gain"].tolist()
            for n in range(len(gain)):
                records.append(_exchange_record(
                    arrays.actors, arrays.issues, act[0][n], sup[0][n], frm[0][n], to[0][n],
                    act[1][n], sup[1][n], frm[1][n], to[1][n], gain[n]))
        rounds.append({
            "round": r,
            "compromise": _issue_dict(arrays.issues, rnd.compromise[0].tolist()),
            "count": int(rnd.count[0]),
            "exchanges": records,
            "candidates": {"created": int(rnd.created[0]), "valid": int(rnd.valid[0])},
            "ties": int(rnd.ties[0]),
        })
    return run.final[0].copy(), run.start[0], history, starts, rounds


@register(
    "exchange",
    "Stokman's equal-gain exchange model (decide-exchange-model): issue trades, round by round",
)
def exchange(
    arrays: ScenarioArrays,
    rounds: int = 10,
    arithmetic: Arithmetic = "fast",
    tie_break: TieBreak = "none",
    tie_tolerance: float = 1e-9,
    seed: int | None = None,
) -> Forecast:
    """The compromise after ``rounds`` rounds of equal-gain exchanges; see the module docstring.

    ``diagnostics["rounds"][r]`` holds round r + 1: ``compromise`` {issue: value}, ``count``,
    ``exchanges`` (the realised exchanges in order: ``actor_i``/``actor_j``, the issue each
    ``supplies_i``/``supplies_j``, ``moves`` {issue: {actor, from, to}} and the equal ``gain``),
    ``candidates`` {created, valid} and ``ties`` (realisations whose best gain was shared).
    """
    _check(rounds, tie_break, tie_tolerance)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                             or seed < 0):
        raise AccordError(f"exchange: seed must be a whole number >= 0, not {seed!r}")
    if arithmetic not in ("fast", "exact"):
        raise AccordError(f"exchange: arithmetic must be 'fast' or 'exact', not {arithmetic!r}")
    if arithmetic == "exact" and tie_break != "none":
        raise AccordError(
            "exchange: tie_break='random' needs arithmetic='fast' (exact arithmetic breaks ties "
            "as the reference package does)"
        )
    if arithmetic == "exact":
        pos, sal, cap = exact_inputs(arrays)
        outcome, start, history, starts, round_records = _from_exact(
            arrays, run_exact(pos, sal, cap, int(rounds)))
    else:
        run = run_exchange(arrays.position[None], arrays.salience[None], arrays.capability[None],
                           arrays.present[None], rounds=int(rounds), tie_break=tie_break,
                           tie_tolerance=tie_tolerance, rng=np.random.default_rng(seed),
                           record=True)
        outcome, start, history, starts, round_records = _from_fast(arrays, run)
    outcome.setflags(write=False)
    params = {"rounds": int(rounds), "arithmetic": arithmetic, "tie_break": tie_break,
              "tie_tolerance": float(tie_tolerance), "seed": seed}
    return Forecast(
        model="exchange", params=params, actors=arrays.actors, issues=arrays.issues,
        outcome=outcome, utilities=utility(arrays.position, arrays.salience, outcome),
        history=history,
        diagnostics={
            "arithmetic": arithmetic,
            "start": _issue_dict(arrays.issues, start.tolist()),
            "rounds": round_records,
            "exchanges_per_round": [r["count"] for r in round_records],
            "start_positions": starts.tolist(),
        },
    )
