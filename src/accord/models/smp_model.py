"""The registered SMP model: a forecast from one scenario, with KTAB's turn-by-turn records, and
its batched form for sweeps. The engine is :func:`accord.models.smp.run_smp`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

import numpy as np

from accord.errors import AccordError
from accord.models.forecast import Forecast
from accord.models.pce import PCEModel, VotingRule, VPModel
from accord.models.registry import batch_form, register
from accord.models.smp import (
    SAME_POSITION,
    BargainModel,
    BigRAdjust,
    BigRRange,
    FloatArray,
    Interpolation,
    SMPOptions,
    SMPRun,
    ThirdPartyCommit,
    Transitions,
    run_smp,
)
from accord.models.utility import utility
from accord.scenario.arrays import ScenarioArrays
from accord.scenario.uncertainty import BatchArrays

__all__ = ["smp", "smp_batch"]


def _turn_records(run: SMPRun, actors: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for t, rec in enumerate(run.turns, start=1):
        if not rec["active"][0]:
            break
        challenges = [
            {"initiator": actors[i], "target": actors[int(rec["target"][0, i])],
             "gain": float(rec["gain"][0, i]), "win_probability": float(rec["phi"][0, i])}
            for i in range(len(actors)) if rec["target"][0, i] >= 0
        ]
        bargains = [
            {"initiator": actors[int(rec["initiator"][k])],
             "receiver": actors[int(rec["receiver"][0, k])],
             "initiator_moves_to": (rec["y_init"][0, k] * 100.0).tolist(),
             "receiver_moves_to": (rec["y_recv"][0, k] * 100.0).tolist()}
            for k in range(rec["initiator"].shape[0]) if rec["valid"][0, k]
        ]
        chosen = {}
        for i, a in enumerate(actors):
            ch = int(rec["choice"][0, i])
            chosen[a] = "status quo" if ch == 0 else f"bargain {ch - 1}"
        out.append({"turn": t, "challenges": challenges, "bargains": bargains,
                    "choices": chosen})
    return out


@register(
    "smp",
    "KTAB's Spatial Model of Politics: challenges, bargains and votes, turn by turn",
    tolerance=100.0 * SAME_POSITION,  # KTAB counts positions this close as one
    invariance_params={"capability_scale": "relative"},
)
def smp(
    arrays: ScenarioArrays,
    voting_rule: VotingRule = "proportional",
    vp_model: VPModel = "linear",
    pce_model: PCEModel = "conditional",
    transitions: Transitions = "deterministic",
    big_r_range: BigRRange = "mid",
    big_r_adjust: BigRAdjust = "one_third",
    third_party_commit: ThirdPartyCommit = "semi_commit",
    interpolation: Interpolation = "s2p2",
    bargain_model: BargainModel = "init_only",
    max_turns: int = 100,
    capability_scale: Literal["as_given", "relative"] = "as_given",
    seed: int | None = None,
) -> Forecast:
    """SMP forecast: the final-state position with the highest prob (ties: lowest actor index)."""
    if not np.all(arrays.present):
        a, k = np.argwhere(~arrays.present)[0]
        raise AccordError(
            f"smp needs every actor on every issue; actor '{arrays.actors[a]}' is absent from "
            f"'{arrays.issues[k]}'"
        )
    opt = SMPOptions(voting_rule, vp_model, pce_model, transitions, big_r_range, big_r_adjust,
                     third_party_commit, interpolation, bargain_model, max_turns)
    rng = np.random.default_rng(seed)
    capability = arrays.capability
    if capability_scale == "relative":
        capability = 100.0 * capability / capability.max()
    elif capability_scale != "as_given":
        raise AccordError(
            f"smp: capability_scale must be as_given or relative, not {capability_scale!r}"
        )
    run = run_smp(arrays.position[None], arrays.salience[None], capability[None], opt, rng)
    n_states = int(run.states[0])
    history = run.positions[:n_states, 0] * 100.0
    prob = run.prob[:n_states, 0]
    final = prob[-1]
    best = int(np.argmax(final))
    outcome = history[-1, best].copy()
    reps = run.final_reps[0]
    weighted = (run.final_rep_prob[0][reps][:, None] * history[-1][reps]).sum(axis=0)
    outcome.setflags(write=False)
    params = asdict(opt) | {"capability_scale": capability_scale, "seed": seed}
    return Forecast(
        model="smp", params=params, actors=arrays.actors, issues=arrays.issues, outcome=outcome,
        utilities=utility(arrays.position, arrays.salience, outcome), history=history,
        diagnostics={
            "states": n_states, "stop": run.stop[0], "prob": prob,
            "most_likely_actor": arrays.actors[best],
            "prob_weighted_mean": dict(zip(arrays.issues, weighted.tolist(), strict=True)),
            "turns": _turn_records(run, arrays.actors),
        },
    )



@batch_form("smp")
def smp_batch(batch: BatchArrays, seed: int | None = None, **params: Any) -> FloatArray:
    """SMP forecasts of every draw, ``(draws, issues)`` (finished draws leave the batch)."""
    capability_scale = params.pop("capability_scale", "as_given")
    opt = SMPOptions(**params)
    capability = batch.capability
    if capability_scale == "relative":
        capability = 100.0 * capability / capability.max(axis=1, keepdims=True)
    rng = None
    if opt.transitions == "stochastic":
        rng = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(batch.draws)]
    run = run_smp(batch.position, batch.salience, capability, opt, rng, record=False)
    best = np.argmax(run.final_prob, axis=1)
    result: FloatArray = run.final_positions[np.arange(batch.draws), best] * 100.0
    return result
