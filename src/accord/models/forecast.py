"""The Forecast record: what a model predicts and what it can say about how it got there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Forecast"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, eq=False)
class Forecast:
    """A model's prediction for one scenario.

    ``outcome`` is the predicted value per issue (0–100), ``utilities`` each actor's utility of
    that outcome (1 = its ideal point, see :func:`accord.models.utility.utility`), ``history`` the
    positions per round ``(rounds, actors, issues)`` for iterative models, and ``diagnostics``
    whatever else the model reports (JSON-able).
    """

    model: str
    params: Mapping[str, Any]
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    outcome: NDArray[np.float64]
    utilities: NDArray[np.float64] | None = None
    history: NDArray[np.float64] | None = None
    diagnostics: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, issue: str) -> float:
        """The forecast for one issue, by id."""
        try:
            return float(self.outcome[self.issues.index(issue)])
        except ValueError:
            from accord.errors import UnknownNameError

            raise UnknownNameError(
                f"unknown issue '{issue}'; this forecast has: {', '.join(self.issues)}"
            ) from None

    def outcome_by_issue(self) -> dict[str, float]:
        """``{issue_id: value}``."""
        return {k: float(v) for k, v in zip(self.issues, self.outcome, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of everything in the forecast."""
        out: dict[str, Any] = {
            "model": self.model,
            "params": _jsonable(self.params),
            "outcome": self.outcome_by_issue(),
        }
        if self.utilities is not None:
            out["utilities"] = {
                a: float(u) for a, u in zip(self.actors, self.utilities, strict=True)
            }
        if self.history is not None:
            out["history"] = _jsonable(self.history)
        if self.diagnostics:
            out["diagnostics"] = _jsonable(self.diagnostics)
        return out
