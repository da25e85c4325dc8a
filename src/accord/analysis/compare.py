"""Lever comparison: the baseline forecast, each lever alone, all together, and the deltas."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accord.api import DEFAULT_MODELS, forecast_all
from accord.errors import AccordError
from accord.levers import apply_levers
from accord.provenance import provenance
from accord.scenario.schema import Scenario

__all__ = ["COMBINED", "CompareResult", "compare"]

COMBINED = "all levers"
Table = dict[str, dict[str, float]]  # {model: {issue: value}}


@dataclass(frozen=True)
class CompareResult:
    """Forecasts per variant (``baseline``, each lever id, and ``all levers``)."""

    scenario: Scenario
    models: tuple[str, ...]
    levers: tuple[str, ...]
    forecasts: dict[str, Table]

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(self.forecasts)

    def delta(self, variant: str) -> Table:
        """Forecast of ``variant`` minus the baseline, per model and issue."""
        base = self.forecasts["baseline"]
        return {m: {k: v - base[m][k] for k, v in issues.items()}
                for m, issues in self.forecasts[variant].items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.id,
            "models": list(self.models),
            "levers": list(self.levers),
            "forecasts": self.forecasts,
            "deltas": {v: self.delta(v) for v in self.variants if v != "baseline"},
            "provenance": provenance(self.scenario, models=list(self.models)),
        }


def compare(
    scenario: Scenario, levers: Sequence[str], models: Sequence[str] = DEFAULT_MODELS
) -> CompareResult:
    """Forecast the baseline, each lever alone and (with two or more) all levers together."""
    if not levers:
        known = ", ".join(lv.id for lv in scenario.levers) or "none"
        raise AccordError(f"name at least one lever to compare (this scenario has: {known})")
    levers = tuple(dict.fromkeys(levers))
    for lever in levers:
        scenario.lever(lever)  # unknown ids fail here, before any work
    models = tuple(dict.fromkeys(models))

    def table(s: Scenario) -> Table:
        return {m: f.outcome_by_issue() for m, f in forecast_all(s, models).items()}

    forecasts = {"baseline": table(scenario)}
    for lever in levers:
        forecasts[lever] = table(apply_levers(scenario, [lever]))
    if len(levers) > 1:
        forecasts[COMBINED] = table(apply_levers(scenario, levers))
    return CompareResult(scenario, models, levers, forecasts)
