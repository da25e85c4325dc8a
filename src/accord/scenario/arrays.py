"""Scenario -> ScenarioArrays: the frozen numpy view that models compute on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from accord.scenario.schema import Scenario

__all__ = ["ScenarioArrays", "to_arrays"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


_T = TypeVar("_T", bound=np.generic)


def _frozen(a: NDArray[_T]) -> NDArray[_T]:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class ScenarioArrays:
    """Point values of a scenario as read-only arrays.

    ``position`` and ``salience`` are ``(actors, issues)`` on 0–100; ``capability`` is
    ``(actors,)``; ``status_quo`` is ``(issues,)`` with NaN where an issue has none; ``present``
    is False where an actor is absent from an issue (its position and salience there are 0).
    ``scales`` holds, per issue, the raw scale ``(low, high)`` it was measured on (``None`` for a
    plain 0–100 issue; empty when unknown), for models that compute on the raw numbers.
    """

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    capability: FloatArray
    position: FloatArray
    salience: FloatArray
    present: BoolArray
    status_quo: FloatArray
    scales: tuple[tuple[float, float] | None, ...] = ()

    @property
    def n_actors(self) -> int:
        return len(self.actors)

    @property
    def n_issues(self) -> int:
        return len(self.issues)

    @property
    def weight(self) -> FloatArray:
        """capability × salience, ``(actors, issues)``: each actor's clout on each issue."""
        return self.capability[:, None] * self.salience

    @property
    def has_status_quo(self) -> bool:
        return bool(np.all(np.isfinite(self.status_quo)))


def to_arrays(scenario: Scenario) -> ScenarioArrays:
    """The point values (``Param.value``) of ``scenario`` as arrays."""
    n_a, n_i = len(scenario.actors), len(scenario.issues)
    position = np.zeros((n_a, n_i))
    salience = np.zeros((n_a, n_i))
    present = np.zeros((n_a, n_i), dtype=bool)
    for a, actor in enumerate(scenario.actors):
        for k, issue in enumerate(scenario.issues):
            if issue.id in actor.positions:
                position[a, k] = actor.positions[issue.id].value
                salience[a, k] = actor.saliences[issue.id].value
                present[a, k] = True
    capability = np.array([a.capability.value for a in scenario.actors], dtype=float)
    status_quo = np.array(
        [np.nan if i.status_quo is None else i.status_quo.value for i in scenario.issues]
    )
    return ScenarioArrays(
        actors=scenario.actor_ids,
        issues=scenario.issue_ids,
        capability=_frozen(capability),
        position=_frozen(position),
        salience=_frozen(salience),
        present=_frozen(present),
        status_quo=_frozen(status_quo),
        scales=tuple(
            None if i.scale is None else (i.scale.low, i.scale.high) for i in scenario.issues
        ),
    )
