"""Report content: compute every result for a scenario, or collect them from stored runs.

The report is built from results in their JSON-ready form (``to_dict()``), the same form the run
store keeps, so ``accord report --run ID`` rebuilds a report without recomputing anything.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from accord.errors import AccordError
from accord.scenario.schema import Scenario

__all__ = ["ReportData", "compute_report", "report_from_runs"]

Progress = Callable[[str], None]


@dataclass
class ReportData:
    """A scenario and the results to report on, by kind (forecast, compare, sweep, ...)."""

    scenario: Scenario
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    levers: tuple[str, ...] = ()


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def compute_report(
    scenario: Scenario,
    levers: Sequence[str] = (),
    draws: int = 2000,
    seed: int = 0,
    progress: Progress | None = None,
) -> ReportData:
    """Run every part of accord that exists on ``scenario`` (levers applied where asked)."""
    from accord.analysis import compare, sensitivity, sweep
    from accord.api import forecast_all
    from accord.levers import apply_levers
    from accord.models import available_models

    def step(label: str) -> None:
        if progress:
            progress(label)

    data = ReportData(scenario, levers=tuple(levers))
    varied = apply_levers(scenario, levers)
    step("forecasts")
    data.results["forecast"] = {
        "forecasts": {m: f.to_dict() for m, f in forecast_all(varied, available_models()).items()}
    }
    lever_ids = list(levers) or [lv.id for lv in scenario.levers]
    if lever_ids:
        step("lever comparison")
        data.results["compare"] = compare(scenario, lever_ids, ("mean", "median", "nash")).to_dict()
    step("uncertainty")
    data.results["sweep"] = sweep(scenario, ("mean", "median", "nash"), levers=levers,
                                  draws=draws, seed=seed).to_dict()
    if _available("SALib"):
        try:
            step("sensitivity")
            data.results["sensitivity"] = sensitivity(
                scenario, scenario.issue_ids[0], "mean", samples=256, seed=seed, levers=levers
            ).to_dict()
        except AccordError:  # no uncertain values: nothing to analyse
            pass
    if _available("accord.negotiation"):
        from accord.negotiation import run_strategy

        step("strategy lab")
        with suppress(AccordError):  # e.g. no status quo to negotiate from: no section
            data.results["strategy"] = run_strategy(
                scenario, levers=levers, draws=min(draws, 2000), seed=seed
            ).to_dict()
    if _available("accord.crisis"):
        from accord.crisis import crisis_report

        step("crisis game")
        with suppress(AccordError):  # the crisis game needs the actors it is written for
            data.results["crisis"] = crisis_report(scenario, levers=levers).to_dict()
        if "crisis" in data.results:
            from accord.crisis import crisis_sweep

            step("crisis game over the uncertainty")
            data.results["crisis_sweep"] = crisis_sweep(
                scenario, levers, draws=max(10, min(100, draws // 10)), seed=seed).to_dict()
    return data


def report_from_runs(runs: Sequence[Any]) -> ReportData:
    """Report content from stored runs (newest run of each kind wins); nothing is recomputed."""
    if not runs:
        raise AccordError("no runs given")
    scenarios = {r.scenario_sha256 for r in runs}
    if len(scenarios) > 1:
        raise AccordError(
            "these runs were made from different scenarios "
            f"({', '.join(sorted({r.scenario_id for r in runs}))}); report on one at a time"
        )
    data = ReportData(runs[0].load_scenario())
    for run in sorted(runs, key=lambda r: r.created):
        data.results[run.kind] = run.result
    return data
