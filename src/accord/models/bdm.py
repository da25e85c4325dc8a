"""BDM: Bueno de Mesquita's expected-utility ("challenge") model, registered as ``bdm``.

The model (``docs/models/bdm.md``; specification ``shared/specs/bdm.md``) is one-dimensional. In
each round every actor's risk attitude is inferred from how exposed it is to challenges; every
actor then weighs, for each other actor, its expected utility of challenging it against its
estimate of the other's expected utility of challenging back, and where it expects to lose ground
it receives an offer: to move to the other's position (conflict, capitulation) or part of the way
(compromise). Each actor accepts at most one offer; all move at once. The forecast is the
capability × salience weighted median after the last round.

Three published readings are profiles (``scholz2011``, the default; ``dmasad2014``;
``paper_text``); the options they set can be overridden one by one.

On a scenario the model runs on every issue on its own (positions on 0–100, saliences / 100, the
actors absent from an issue left out of it). :func:`run_bdm` is the batched form for Monte Carlo:
arrays ``(draws, actors, issues)``; every draw and issue is one row of the array engine
(:mod:`accord.models.bdm_core`), all played at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.errors import AccordError
from accord.models.bdm_core import (
    NO_OFFER,
    OFFER_TYPES,
    RoundRecord,
    detect_cycles,
    lower_weighted_median,
    run_rows,
    success_probabilities,
)
from accord.models.bdm_options import (
    PROFILES,
    BDMOptions,
    Normalisation,
    Perspective,
    Profile,
    Selection,
    TieBreak,
    VoterExponent,
)
from accord.models.forecast import Forecast
from accord.models.registry import batch_form, register
from accord.models.utility import utility
from accord.scenario.arrays import ScenarioArrays
from accord.scenario.uncertainty import BatchArrays

__all__ = [
    "OFFER_TYPES",
    "PROFILES",
    "BDMOffers",
    "BDMOptions",
    "BDMRun",
    "bdm",
    "bdm_batch",
    "bdm_options",
    "detect_cycles",
    "lower_weighted_median",
    "run_bdm",
    "success_probabilities",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

MAX_ROUNDS = 10_000


@dataclass
class BDMOffers:
    """The offers of one round, ``(draws, issues, actors, actors)`` with [.., i, j] = offer to i
    from j: ``kind`` (0 conflict, 1 compromise, 2 capitulation, 3 none), the ``position``
    offered to i, i's expected utility ``a`` of challenging j and its estimate ``b`` of j's, and
    ``choice`` ``(draws, issues, actors)``: the proposer whose offer i accepted (-1: none)."""

    kind: NDArray[np.int8]
    position: FloatArray
    a: FloatArray
    b: FloatArray
    choice: IntArray


@dataclass
class BDMRun:
    """A batch of BDM runs. Shapes: ``positions`` ``(rounds + 1, draws, actors, issues)`` (NaN
    where an actor is absent), ``median``/``mean`` ``(rounds + 1, draws, issues)``, ``risk`` and
    ``threat`` ``(rounds, draws, actors, issues)`` (r and S as computed in each round),
    ``delta`` ``(draws, issues)``, ``cycle_from``/``cycle_period`` ``(draws, issues)`` (-1/0
    where the state never repeats; period 1 is a fixed point) and, when recorded, ``offers`` per
    round."""

    options: BDMOptions
    rounds: int
    positions: FloatArray
    median: FloatArray
    mean: FloatArray
    risk: FloatArray
    threat: FloatArray
    delta: FloatArray
    cycle_from: IntArray
    cycle_period: IntArray
    offers: list[BDMOffers] = field(default_factory=list)

    @property
    def forecast(self) -> FloatArray:
        """The weighted median after the last round, ``(draws, issues)``."""
        result: FloatArray = self.median[-1]
        return result


def bdm_options(profile: str = "scholz2011", **overrides: Any) -> BDMOptions:
    """The options of ``profile`` (see ``PROFILES``) with ``overrides`` (None: keep) applied."""
    return BDMOptions.from_profile(profile, **overrides)


def _check_rounds(rounds: object) -> int:
    if (
        not isinstance(rounds, int | np.integer)
        or isinstance(rounds, bool)
        or not 1 <= rounds <= MAX_ROUNDS
    ):
        raise AccordError(f"bdm: rounds must be a whole number from 1 to {MAX_ROUNDS}, "
                          f"not {rounds!r}")
    return int(rounds)


def run_bdm(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    present: BoolArray | None = None,
    *,
    options: BDMOptions | None = None,
    rounds: int = 10,
    record: bool = False,
) -> BDMRun:
    """Run BDM on a batch of draws, every issue on its own, all at once.

    ``position`` and ``salience`` are ``(draws, actors, issues)`` (positions on any scale,
    saliences on 0–100), ``capability`` ``(draws, actors)`` and ``present`` (optional)
    ``(draws, actors, issues)`` or ``(actors, issues)``: False leaves an actor out of an issue.
    ``record`` keeps every round's offers (memory: rounds × draws × issues × actors² numbers).
    """
    opt = options or BDMOptions()
    n_rounds = _check_rounds(rounds)
    x = np.asarray(position, dtype=float)
    s = np.asarray(salience, dtype=float)
    c = np.asarray(capability, dtype=float)
    if x.ndim != 3 or s.shape != x.shape or c.shape != x.shape[:2]:
        raise AccordError(
            "bdm: run_bdm needs positions and saliences (draws, actors, issues) and capabilities "
            f"(draws, actors); got {x.shape}, {s.shape} and {c.shape}"
        )
    n_d, n_a, n_i = x.shape
    here = np.ones(x.shape, dtype=bool) if present is None else np.asarray(present, dtype=bool)
    try:
        here = np.broadcast_to(here, x.shape)
    except ValueError:
        raise AccordError(
            f"bdm: the presence mask {here.shape} does not fit the positions {x.shape}"
        ) from None

    def rows(a: NDArray[Any]) -> NDArray[Any]:  # (D, N, M) -> (D·M, N)
        return np.ascontiguousarray(np.swapaxes(a, 1, 2)).reshape(n_d * n_i, n_a)

    cap = np.broadcast_to(c[:, None, :], (n_d, n_i, n_a)).reshape(n_d * n_i, n_a)
    run = run_rows(rows(x), rows(s), cap, rows(here), opt, n_rounds, keep=record)

    def actors_last(a: FloatArray) -> FloatArray:  # (T, D·M, N) -> (T, D, N, M)
        out: FloatArray = np.swapaxes(a.reshape(a.shape[0], n_d, n_i, n_a), 2, 3)
        return out

    return BDMRun(
        options=opt,
        rounds=n_rounds,
        positions=actors_last(run.history),
        median=run.median.reshape(n_rounds + 1, n_d, n_i),
        mean=run.mean.reshape(n_rounds + 1, n_d, n_i),
        risk=actors_last(run.risk),
        threat=actors_last(run.threat),
        delta=run.delta.reshape(n_d, n_i),
        cycle_from=run.cycle_from.reshape(n_d, n_i),
        cycle_period=run.cycle_period.reshape(n_d, n_i),
        offers=[_offers(rec, n_d, n_i, n_a) for rec in run.records],
    )


def _offers(rec: RoundRecord, n_d: int, n_i: int, n_a: int) -> BDMOffers:
    def square(a: NDArray[Any]) -> NDArray[Any]:
        return a.reshape(n_d, n_i, n_a, n_a)

    return BDMOffers(
        kind=square(rec.kind), position=square(rec.offer), a=square(rec.a), b=square(rec.b),
        choice=rec.choice.reshape(n_d, n_i, n_a),
    )


# --- the registered model -------------------------------------------------------------------


def _offer_list(run: BDMRun, k: int, actors: tuple[str, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for t, rec in enumerate(run.offers, start=1):
        kind, choice = rec.kind[0, k], rec.choice[0, k]
        for i, j in zip(*np.nonzero(kind != NO_OFFER), strict=True):
            out.append({
                "round": t,
                "from": actors[j],
                "to": actors[i],
                "type": OFFER_TYPES[int(kind[i, j])],
                "position": float(rec.position[0, k, i, j]),
                "accepted": bool(choice[i] == j),
                "receiver_eu": float(rec.a[0, k, i, j]),
                "proposer_eu": float(rec.b[0, k, i, j]),
            })
    return out


def _per_actor(values: FloatArray, present: BoolArray,
               actors: tuple[str, ...]) -> dict[str, list[float]]:
    """``values`` ``(rounds, actors)`` -> {actor: [value per round]} for present actors."""
    return {a: values[:, n].tolist() for n, a in enumerate(actors) if present[n]}


@register(
    "bdm",
    "Bueno de Mesquita's expected-utility model (Scholz et al. 2011 reading), issue by issue",
)
def bdm(
    arrays: ScenarioArrays,
    rounds: int = 10,
    profile: Profile = "scholz2011",
    normalisation: Normalisation | None = None,
    voter_exponent: VoterExponent | None = None,
    perspective: Perspective | None = None,
    selection: Selection | None = None,
    tie_break: TieBreak | None = None,
    q: float | None = None,
    position_range: float | None = None,
) -> Forecast:
    """BDM forecast per issue: the weighted median after ``rounds`` rounds.

    ``profile`` sets the defaults of the options (see ``PROFILES``); any option given overrides
    it. ``position_range`` is Δ (None: each issue's spread of initial positions; 100 is the
    whole 0–100 scale).
    """
    opt = bdm_options(profile, normalisation=normalisation, voter_exponent=voter_exponent,
                      perspective=perspective, selection=selection, tie_break=tie_break,
                      q=q, position_range=position_range)
    n_rounds = _check_rounds(rounds)
    weak = [a for n, a in enumerate(arrays.actors)
            if arrays.capability[n] <= 0 and arrays.present[n].any()]
    if weak:
        raise AccordError(
            f"bdm: every actor needs a capability above 0 (its votes and its weight in the "
            f"median); '{weak[0]}' has {arrays.capability[arrays.actors.index(weak[0])]:g}"
        )
    run = run_bdm(arrays.position[None], arrays.salience[None], arrays.capability[None],
                  arrays.present[None], options=opt, rounds=n_rounds, record=True)
    outcome = run.forecast[0].copy()
    outcome.setflags(write=False)
    history = run.positions[:, 0]
    issues, actors = arrays.issues, arrays.actors
    cycle: dict[str, dict[str, Any] | None] = {}
    for k, issue in enumerate(issues):
        start = int(run.cycle_from[0, k])
        cycle[issue] = None if start < 0 else {
            "issue": issue, "period": int(run.cycle_period[0, k]), "from_round": start,
        }
    diagnostics: dict[str, Any] = {
        "profile": profile,
        "states": n_rounds + 1,
        "stop": f"after {n_rounds} rounds",
        "delta": dict(zip(issues, run.delta[0].tolist(), strict=True)),
        "median": {m: run.median[:, 0, k].tolist() for k, m in enumerate(issues)},
        "mean": {m: run.mean[:, 0, k].tolist() for k, m in enumerate(issues)},
        "risk_exponents": {m: _per_actor(run.risk[:, 0, :, k], arrays.present[:, k], actors)
                           for k, m in enumerate(issues)},
        "threat": {m: _per_actor(run.threat[:, 0, :, k], arrays.present[:, k], actors)
                   for k, m in enumerate(issues)},
        "offers": {m: _offer_list(run, k, actors) for k, m in enumerate(issues)},
        "cycle": cycle,
    }
    params = {"rounds": n_rounds, "profile": profile, **opt.as_dict()}
    return Forecast(
        model="bdm", params=params, actors=actors, issues=issues, outcome=outcome,
        utilities=utility(arrays.position, arrays.salience, outcome), history=history,
        diagnostics=diagnostics,
    )


@batch_form("bdm")
def bdm_batch(batch: BatchArrays, rounds: int = 10, profile: Profile = "scholz2011",
              **options: Any) -> FloatArray:
    """BDM forecasts of every draw of a Monte Carlo batch, ``(draws, issues)``, all at once.

    ``options`` are those of :func:`bdm` (None: the profile's).
    """
    opt = bdm_options(profile, **options)
    run = run_bdm(batch.position, batch.salience, batch.capability, batch.present, options=opt,
                  rounds=rounds)
    return run.forecast
