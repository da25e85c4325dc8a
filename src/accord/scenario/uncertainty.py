"""Uncertain values as distributions, and batches of sampled scenario arrays.

Every :class:`~accord.scenario.schema.Param` with a range ``[low, high]`` is a distribution with
mode ``value``: triangular (default), PERT (a beta distribution on [low, high] with shape
parameters 1 + 4·(mode − low)/(high − low) and 1 + 4·(high − mode)/(high − low)), or uniform.
Sampling maps uniforms through each distribution's inverse CDF, so Monte Carlo (random uniforms)
and sensitivity analysis (SALib's quasi-random designs) share one mechanism.

A :class:`BatchArrays` is the ``(draws, actors, issues)`` counterpart of
:class:`~accord.scenario.arrays.ScenarioArrays`; models evaluate a whole batch at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.errors import AccordError
from accord.scenario.arrays import ScenarioArrays, to_arrays
from accord.scenario.schema import Param, Scenario

__all__ = [
    "BatchArrays",
    "UncertainValue",
    "batch_from_uniforms",
    "constant_batch",
    "ppf",
    "sample_batch",
    "scenario_at",
    "uncertain_values",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class UncertainValue:
    """One uncertain value: where it sits (``kind`` + indices) and its distribution."""

    name: str  # e.g. "usa.positions.sanctions", "issues.sanctions.status_quo", "parameters.x"
    kind: str  # position | salience | capability | status_quo | parameter
    actor: int | None
    issue: int | None
    parameter: str | None
    param: Param


@dataclass(frozen=True, eq=False)
class BatchArrays:
    """Sampled scenario values: ``position``/``salience`` ``(draws, actors, issues)``,
    ``capability`` ``(draws, actors)``, ``status_quo`` ``(draws, issues)`` (NaN where none),
    ``parameters`` ``{name: (draws,)}``; ``present`` ``(actors, issues)`` as in the scenario."""

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    capability: FloatArray
    position: FloatArray
    salience: FloatArray
    present: NDArray[np.bool_]
    status_quo: FloatArray
    parameters: dict[str, FloatArray]

    @property
    def draws(self) -> int:
        return int(self.position.shape[0])

    def draw(self, d: int) -> ScenarioArrays:
        """Draw ``d`` as plain scenario arrays."""
        return ScenarioArrays(
            actors=self.actors, issues=self.issues, capability=self.capability[d],
            position=self.position[d], salience=self.salience[d], present=self.present,
            status_quo=self.status_quo[d],
        )


def uncertain_values(scenario: Scenario) -> tuple[UncertainValue, ...]:
    """Every value of ``scenario`` with a range, in a fixed order (actors, issues, parameters)."""
    out: list[UncertainValue] = []
    for a, actor in enumerate(scenario.actors):
        if actor.capability.uncertain:
            out.append(UncertainValue(f"{actor.id}.capability", "capability", a, None, None,
                                      actor.capability))
        for kind, values in (("position", actor.positions), ("salience", actor.saliences)):
            for k, issue in enumerate(scenario.issue_ids):
                p = values.get(issue)
                if p is not None and p.uncertain:
                    out.append(UncertainValue(f"{actor.id}.{kind}s.{issue}", kind, a, k, None, p))
    for k, iss in enumerate(scenario.issues):
        if iss.status_quo is not None and iss.status_quo.uncertain:
            out.append(UncertainValue(f"{iss.id}.status_quo", "status_quo", None, k, None,
                                      iss.status_quo))
    for name, p in scenario.parameters.items():
        if p.uncertain:
            out.append(UncertainValue(f"parameters.{name}", "parameter", None, None, name, p))
    return tuple(out)


def ppf(values: tuple[UncertainValue, ...], u: FloatArray) -> FloatArray:
    """Inverse CDFs: uniforms ``u`` ``(draws, len(values))`` -> sampled values, same shape."""
    u = np.asarray(u, dtype=float)
    low = np.array([v.param.low for v in values], dtype=float)
    high = np.array([v.param.high for v in values], dtype=float)
    mode = np.array([v.param.value for v in values], dtype=float)
    dist = np.array([v.param.dist for v in values])
    span = high - low
    out = np.empty_like(u)
    tri = dist == "triangular"
    if np.any(tri):
        cols = slice(None) if np.all(tri) else tri
        lo, hi, mo, sp, uu = low[cols], high[cols], mode[cols], span[cols], u[:, cols]
        cut = (mo - lo) / sp
        left = uu * (sp * (mo - lo))
        np.sqrt(left, out=left)
        left += lo
        right = 1.0 - uu
        right *= sp * (hi - mo)
        np.sqrt(right, out=right)
        np.subtract(hi, right, out=right)
        out[:, cols] = np.where(uu < cut, left, right)
    uni = dist == "uniform"
    if np.any(uni):
        out[:, uni] = low[uni] + u[:, uni] * span[uni]
    pert = dist == "pert"
    if np.any(pert):
        from scipy.stats import beta

        a = 1.0 + 4.0 * (mode[pert] - low[pert]) / span[pert]
        b = 1.0 + 4.0 * (high[pert] - mode[pert]) / span[pert]
        # scipy's beta quantile is unreliable for subnormal probabilities
        up = np.clip(u[:, pert], 1e-15, 1.0 - 1e-15)
        out[:, pert] = low[pert] + span[pert] * beta.ppf(up, a, b)
    return np.clip(out, low, high)


def constant_batch(arrays: ScenarioArrays, draws: int,
                   parameters: dict[str, float] | None = None) -> BatchArrays:
    """``draws`` copies of the point values (no uncertainty)."""
    def rep(a: FloatArray) -> FloatArray:
        return np.repeat(a[None], draws, axis=0)

    return BatchArrays(
        actors=arrays.actors, issues=arrays.issues, capability=rep(arrays.capability),
        position=rep(arrays.position), salience=rep(arrays.salience), present=arrays.present,
        status_quo=rep(arrays.status_quo),
        parameters={k: np.full(draws, v) for k, v in (parameters or {}).items()},
    )


def batch_from_uniforms(scenario: Scenario, u: FloatArray,
                        values: tuple[UncertainValue, ...] | None = None) -> BatchArrays:
    """Scenario arrays with each uncertain value set from uniforms ``u`` ``(draws, n_values)``."""
    values = uncertain_values(scenario) if values is None else values
    u = np.atleast_2d(np.asarray(u, dtype=float))
    draws = u.shape[0]
    if u.shape[1] != len(values):
        raise ValueError(f"expected {len(values)} uniforms per draw, got {u.shape[1]}")
    batch = constant_batch(to_arrays(scenario), draws,
                           {k: p.value for k, p in scenario.parameters.items()})
    sampled = ppf(values, u) if values else np.zeros((draws, 0))
    for j, v in enumerate(values):
        col = sampled[:, j]
        if v.kind == "capability":
            batch.capability[:, v.actor] = col
        elif v.kind == "position":
            batch.position[:, v.actor, v.issue] = col
        elif v.kind == "salience":
            batch.salience[:, v.actor, v.issue] = col
        elif v.kind == "status_quo":
            batch.status_quo[:, v.issue] = col
        else:
            assert v.parameter is not None
            batch.parameters[v.parameter][:] = col
    return batch


def sample_batch(scenario: Scenario, draws: int, rng: np.random.Generator) -> BatchArrays:
    """``draws`` Monte Carlo samples of ``scenario`` (independent uniforms from ``rng``)."""
    values = uncertain_values(scenario)
    return batch_from_uniforms(scenario, rng.random((draws, len(values))), values)


def scenario_at(scenario: Scenario, values: tuple[UncertainValue, ...],
                sampled: FloatArray) -> Scenario:
    """``scenario`` with each of ``values`` set to its entry of ``sampled`` (one draw, e.g. a row
    of :func:`ppf`); the ranges stay as they are. For models that take a whole scenario rather
    than arrays (the crisis game)."""
    if len(sampled) != len(values):
        raise ValueError(f"expected {len(values)} sampled values, got {len(sampled)}")
    for v, x in zip(values, np.asarray(sampled, dtype=float).tolist(), strict=True):
        low, high = v.param.low, v.param.high
        if not math.isfinite(x) or (low is not None and high is not None
                                    and not low <= x <= high):
            raise AccordError(f"{v.name}: sampled value {x!r} is outside its range "
                              f"[{low}, {high}]")
    actors: dict[int, dict[str, Any]] = {}  # actor index -> its changed fields
    status_quo: dict[int, Param] = {}
    parameters = dict(scenario.parameters)
    for v, x in zip(values, np.asarray(sampled, dtype=float).tolist(), strict=True):
        new = v.param.model_copy(update={"value": x})
        if v.kind == "status_quo" and v.issue is not None:
            status_quo[v.issue] = new
        elif v.kind == "parameter" and v.parameter is not None:
            parameters[v.parameter] = new
        elif v.actor is not None:
            actor = scenario.actors[v.actor]
            fields = actors.setdefault(v.actor, {"positions": dict(actor.positions),
                                                 "saliences": dict(actor.saliences)})
            if v.kind == "capability":
                fields["capability"] = new
            elif v.issue is not None:
                fields[f"{v.kind}s"][scenario.issue_ids[v.issue]] = new
    return scenario.model_copy(update={
        "actors": tuple(a.model_copy(update=actors[n]) if n in actors else a
                        for n, a in enumerate(scenario.actors)),
        "issues": tuple(iss.model_copy(update={"status_quo": status_quo[k]})
                        if k in status_quo else iss for k, iss in enumerate(scenario.issues)),
        "parameters": parameters,
    })
