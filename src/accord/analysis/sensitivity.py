"""Global sensitivity: Sobol indices (SALib) of one issue's forecast over all uncertain values.

Each uncertain value is one input. SALib's Sobol design samples the unit hypercube; every point
is mapped through the values' inverse CDFs (:func:`accord.scenario.uncertainty.ppf`), so the
indices respect each value's distribution (triangular, PERT or uniform).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from accord.analysis.batch import batch_forecast
from accord.errors import AccordError
from accord.levers import apply_levers
from accord.provenance import provenance
from accord.scenario.schema import Scenario
from accord.scenario.uncertainty import batch_from_uniforms, uncertain_values

__all__ = ["SensitivityResult", "sensitivity"]

_CHUNK = 20_000


@dataclass(frozen=True)
class SensitivityResult:
    """Sobol indices per input, ranked by total effect."""

    scenario: Scenario
    model: str
    output: str
    samples: int
    seed: int
    inputs: list[dict[str, float | str]]  # name, S1, S1_conf, ST, ST_conf

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.id, "model": self.model, "output": self.output,
            "samples": self.samples, "evaluations": self.samples * (len(self.inputs) + 2),
            "inputs": self.inputs,
            "provenance": provenance(self.scenario, model=self.model, seed=self.seed),
        }


def sensitivity(
    scenario: Scenario,
    output: str,
    model: str = "mean",
    samples: int = 512,
    seed: int = 0,
    levers: Sequence[str] = (),
) -> SensitivityResult:
    """First-order and total Sobol indices of ``model``'s forecast of issue ``output``."""
    try:
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise AccordError("sensitivity needs SALib: pip install 'accord[sensitivity]'") from None
    varied = apply_levers(scenario, levers)
    k = varied.issue_ids.index(varied.issue(output).id)
    values = uncertain_values(varied)
    if not values:
        raise AccordError(
            f"{varied.id}: no value has an uncertainty range, so there is nothing to vary; "
            "write values as {value, low, high}"
        )
    if samples < 2 or samples & (samples - 1):
        raise AccordError(f"samples must be a power of two (Sobol sequence), not {samples}")
    problem = {"num_vars": len(values), "names": [v.name for v in values],
               "bounds": [[0.0, 1.0]] * len(values)}
    design = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    design = np.clip(design, 1e-12, 1.0 - 1e-12)
    y = np.concatenate([
        batch_forecast(model, batch_from_uniforms(varied, design[i : i + _CHUNK], values))[:, k]
        for i in range(0, len(design), _CHUNK)
    ])
    if np.ptp(y) == 0.0:
        raise AccordError(
            f"the {model} forecast of '{output}' does not change with any uncertain value, so "
            "every Sobol index is zero"
        )
    result = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    rows: list[dict[str, float | str]] = [
        {"input": v.name, "S1": float(result["S1"][j]), "S1_conf": float(result["S1_conf"][j]),
         "ST": float(result["ST"][j]), "ST_conf": float(result["ST_conf"][j])}
        for j, v in enumerate(values)
    ]
    rows.sort(key=lambda r: -float(r["ST"]))
    return SensitivityResult(varied, model, output, samples, seed, rows)
