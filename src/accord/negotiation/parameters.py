"""The strategy lab's parameters: names, meanings, defaults, valid ranges, per-draw values.

Every parameter is a named number in ``Scenario.parameters``, so levers can edit it and its
uncertainty range is sampled like any other value. A scenario that does not declare one gets the
documented default (and the result says so). Parameters marked *per actor* can be given for one
actor as ``NAME.ACTOR`` (e.g. ``detection.dprk``), which replaces ``NAME`` for that actor.

Sampled values outside a parameter's valid range (possible when levers stack ``add`` edits) are
clipped to it; the result lists the parameters where that happened. See docs/strategy.md for
what each parameter means in the model and why its default is what it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.errors import AccordError
from accord.scenario.schema import Scenario

__all__ = [
    "SPECS",
    "ParameterSpec",
    "ProtocolParameters",
    "parameter_report",
    "resolve_parameters",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter: default, valid range, whether it can differ by actor, what it means."""

    name: str
    default: float
    low: float
    high: float
    per_actor: bool
    meaning: str


SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec("phases", 4.0, 1.0, 50.0, False,
                  "number of phases a grand bargain is implemented in (rounded to a whole number)"),
    ParameterSpec("step_size", 10.0, 0.5, 100.0, False,
                  "largest move on any issue in one incremental step, in scale points"),
    ParameterSpec("detection", 0.5, 0.0, 1.0, True,
                  "probability that an actor's defection in a phase is detected"),
    ParameterSpec("penalty", 0.25, 0.0, math.inf, True,
                  "cost of being caught defecting, or of abandoning an agreed step, beyond the "
                  "deal itself (guarantors' punishment), as a fraction of what the opening "
                  "package is worth to the actor"),
    ParameterSpec("walkout", 0.5, 0.0, 1.0, True,
                  "probability that a veto player ends the process when it sees another's "
                  "defection detected"),
    ParameterSpec("snapback", 0.5, 0.0, 1.0, False,
                  "fraction of the progress since the status quo reversed when the process breaks "
                  "down after a detected defection"),
    ParameterSpec("talks_fail", 0.05, 0.0, 1.0, False,
                  "probability that a negotiation round collapses for reasons outside the model "
                  "(domestic shocks, unrelated crises)"),
    ParameterSpec("discount", 0.9, 0.0, 1.0, True,
                  "weight of the next phase's gains relative to this phase's (the shadow of the "
                  "future)"),
    ParameterSpec("prior_committed", 0.5, 0.0, 1.0, True,
                  "prior probability that an actor is a committed type (never defects)"),
    ParameterSpec("veto_share", 0.1, 0.0, 1.0, False,
                  "share of the total capability at or above which an actor is a veto player"),
)

_BY_NAME = {spec.name: spec for spec in SPECS}


@dataclass(frozen=True, eq=False)
class ProtocolParameters:
    """Per-draw parameter values for ``B`` draws and ``N`` actors."""

    phases: IntArray  # (B,)
    step_size: FloatArray  # (B,) on the unit scale (points / 100)
    snapback: FloatArray  # (B,)
    talks_fail: FloatArray  # (B,)
    veto_share: FloatArray  # (B,)
    detection: FloatArray  # (B, N)
    penalty: FloatArray  # (B, N)
    walkout: FloatArray  # (B, N)
    discount: FloatArray  # (B, N)
    prior_committed: FloatArray  # (B, N)


def _split(name: str, actors: tuple[str, ...]) -> tuple[ParameterSpec, str | None] | None:
    """``(spec, actor)`` if ``name`` is one of ours (``NAME`` or ``NAME.ACTOR``), else None."""
    if name in _BY_NAME:
        return _BY_NAME[name], None
    for spec in SPECS:
        prefix = spec.name + "."
        if name.startswith(prefix):
            actor = name[len(prefix):]
            if not spec.per_actor:
                raise AccordError(
                    f"parameter '{name}': '{spec.name}' is one number for the whole negotiation "
                    "and cannot be set per actor"
                )
            if actor not in actors:
                raise AccordError(
                    f"parameter '{name}': unknown actor '{actor}'; this scenario has: "
                    + ", ".join(actors)
                )
            return spec, actor
    return None


def _check_names(scenario: Scenario) -> None:
    for name in scenario.parameters:
        _split(name, scenario.actor_ids)


def resolve_parameters(
    scenario: Scenario, sampled: dict[str, FloatArray], draws: int
) -> tuple[ProtocolParameters, tuple[str, ...]]:
    """Per-draw values of every protocol parameter, and the names that had to be clipped.

    ``sampled`` holds the draws of the scenario's parameters (``BatchArrays.parameters``); a
    parameter the scenario does not declare takes its default in every draw.
    """
    _check_names(scenario)
    actors = scenario.actor_ids
    clipped: list[str] = []

    def clip(name: str, values: FloatArray, spec: ParameterSpec) -> FloatArray:
        out = np.clip(values, spec.low, spec.high)
        if np.any(out != values):
            clipped.append(name)
        return out

    def one(spec: ParameterSpec) -> FloatArray:
        values = sampled.get(spec.name)
        if values is None:
            return np.full(draws, spec.default)
        return clip(spec.name, np.asarray(values, dtype=float), spec)

    def per_actor(spec: ParameterSpec) -> FloatArray:
        out = np.repeat(one(spec)[:, None], len(actors), axis=1)
        for a, actor in enumerate(actors):
            key = f"{spec.name}.{actor}"
            if key in sampled:
                out[:, a] = clip(key, np.asarray(sampled[key], dtype=float), spec)
        return out

    params = ProtocolParameters(
        phases=np.rint(one(_BY_NAME["phases"])).astype(np.int64),
        step_size=one(_BY_NAME["step_size"]) / 100.0,
        snapback=one(_BY_NAME["snapback"]),
        talks_fail=one(_BY_NAME["talks_fail"]),
        veto_share=one(_BY_NAME["veto_share"]),
        detection=per_actor(_BY_NAME["detection"]),
        penalty=per_actor(_BY_NAME["penalty"]),
        walkout=per_actor(_BY_NAME["walkout"]),
        discount=per_actor(_BY_NAME["discount"]),
        prior_committed=per_actor(_BY_NAME["prior_committed"]),
    )
    return params, tuple(dict.fromkeys(clipped))


def parameter_report(scenario: Scenario) -> tuple[dict[str, dict[str, Any]], tuple[str, ...]]:
    """The parameters a run uses — ``{name: {value, low?, high?, source, meaning}}`` — and the
    names of those that were not declared and took their default."""
    _check_names(scenario)
    used: dict[str, dict[str, Any]] = {}
    defaulted: list[str] = []
    for spec in SPECS:
        names = [spec.name] + [
            n for n in scenario.parameters if n.startswith(spec.name + ".")
        ]
        for name in names:
            p = scenario.parameters.get(name)
            entry: dict[str, Any]
            if p is None:
                defaulted.append(name)
                entry = {"value": spec.default, "source": "default"}
            else:
                entry = {"value": p.value, "source": "scenario"}
                if p.low is not None and p.high is not None and p.low < p.high:
                    entry.update(low=p.low, high=p.high, dist=p.dist)
            entry["meaning"] = spec.meaning
            used[name] = entry
    return used, tuple(defaulted)
