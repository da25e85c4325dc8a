"""Monte Carlo sweeps: sample the scenario's uncertainty, forecast every draw, summarise.

Draws are processed in fixed-size blocks; block *b* samples with the *b*-th child of
``SeedSequence(seed)``. The split into blocks does not depend on the executor or on the number
of workers, so the same seed gives identical numbers serially, on a process pool or on Dask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.analysis.batch import batch_forecast
from accord.analysis.executors import Executor, SerialExecutor
from accord.api import DEFAULT_MODELS
from accord.errors import AccordError
from accord.levers import apply_levers
from accord.models.registry import get_model
from accord.provenance import provenance
from accord.scenario.schema import Scenario
from accord.scenario.uncertainty import sample_batch, uncertain_values

__all__ = ["BLOCK", "QUANTILES", "SweepResult", "sweep"]

BLOCK = 2000
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class _Block:
    scenario: Scenario
    models: tuple[str, ...]
    params: dict[str, dict[str, Any]]
    seed: np.random.SeedSequence
    size: int


def _run_block(block: _Block) -> dict[str, FloatArray]:
    batch = sample_batch(block.scenario, block.size, np.random.default_rng(block.seed))
    return {m: batch_forecast(m, batch, **block.params.get(m, {})) for m in block.models}


@dataclass(frozen=True)
class SweepResult:
    """Forecasts of every draw (``samples[model]``: ``(draws, issues)``) and their summary."""

    scenario: Scenario
    models: tuple[str, ...]
    levers: tuple[str, ...]
    draws: int
    seed: int
    samples: dict[str, FloatArray] = field(repr=False)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{model: {issue: {mean, q05, q25, q50, q75, q95}}}``."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for m, values in self.samples.items():
            qs = np.quantile(values, QUANTILES, axis=0)
            out[m] = {
                issue: {"mean": float(values[:, k].mean()),
                        **{f"q{round(q * 100):02d}": float(qs[j, k])
                           for j, q in enumerate(QUANTILES)}}
                for k, issue in enumerate(self.scenario.issue_ids)
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with provenance (no clock time, no executor: reproducible)."""
        return {
            "scenario": self.scenario.id,
            "draws": self.draws,
            "seed": self.seed,
            "levers": list(self.levers),
            "summary": self.summary(),
            "provenance": provenance(self.scenario, models=list(self.models),
                                     params=self.params, seed=self.seed, draws=self.draws,
                                     uncertain_values=len(uncertain_values(self.scenario))),
        }


def sweep(
    scenario: Scenario,
    models: Sequence[str] = DEFAULT_MODELS,
    *,
    levers: Sequence[str] = (),
    draws: int = 1000,
    seed: int | None = None,
    executor: Executor | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    block: int = BLOCK,
) -> SweepResult:
    """Sample ``scenario`` (with ``levers`` applied) ``draws`` times and forecast each draw."""
    if draws < 1:
        raise AccordError(f"draws must be at least 1, not {draws}")
    models = tuple(dict.fromkeys(models))
    for m in models:
        get_model(m).check_params((params or {}).get(m, {}))
    varied = apply_levers(scenario, levers)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    elif isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise AccordError(f"seed must be a whole number >= 0, not {seed!r}")
    seed = int(seed)  # a numpy integer would not go into JSON
    sizes = [min(block, draws - start) for start in range(0, draws, block)]
    children = np.random.SeedSequence(seed).spawn(len(sizes))
    tasks = [_Block(varied, models, dict(params or {}), child, size)
             for child, size in zip(children, sizes, strict=True)]
    results = list((executor or SerialExecutor()).map(_run_block, tasks, progress))
    samples = {m: np.concatenate([r[m] for r in results]) for m in models}
    return SweepResult(varied, models, tuple(levers), draws, seed, samples, dict(params or {}))
