"""Rendering helpers for the ``accord`` command line: rich tables and number formatting."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.table import Table

from accord.models.forecast import Forecast
from accord.scenario.schema import Scenario

__all__ = [
    "deals_table",
    "format_number",
    "format_value",
    "history_json",
    "history_table",
    "scenario_table",
]


def format_value(x: float) -> str:
    """One decimal place, or an em dash for NaN."""
    return "—" if x != x else f"{x:.1f}"


def format_number(x: Any, digits: int) -> str:
    """``digits`` decimal places, or an em dash for None."""
    return "—" if x is None else f"{float(x):.{digits}f}"


def deals_table(s: Scenario, f: Forecast) -> Table:
    """The exchanges the exchange model realised, round by round."""
    table = Table(title="exchange: the package deal, exchange by exchange", title_justify="left")
    for col in ("round", "gives ground", "on", "to", "in return", "on", "to", "gain"):
        table.add_column(col, justify="right" if col in ("round", "to", "gain") else "left")
    names = {a.id: a.name for a in s.actors}
    issues = {i.id: i.name for i in s.issues}
    for r, rnd in enumerate(f.diagnostics.get("rounds", []), start=1):
        for ex in rnd["exchanges"]:
            mi = ex["moves"][ex["supplies_i"]]
            mj = ex["moves"][ex["supplies_j"]]
            table.add_row(str(r), names.get(mi["actor"], mi["actor"]),
                          issues.get(ex["supplies_i"], ex["supplies_i"]),
                          f"{mi['from']:.1f}→{mi['to']:.1f}",
                          names.get(mj["actor"], mj["actor"]),
                          issues.get(ex["supplies_j"], ex["supplies_j"]),
                          f"{mj['from']:.1f}→{mj['to']:.1f}", f"{ex['gain']:.4f}")
        table.add_section()
    return table


def history_json(f: Forecast) -> dict[str, Any]:
    """An iterative model's position trajectories (and per-actor prob, if any) as JSON data."""
    assert f.history is not None
    entry: dict[str, Any] = {"positions": f.history.tolist(), "states": int(f.history.shape[0])}
    if "prob" in f.diagnostics:
        entry["prob"] = np.asarray(f.diagnostics["prob"]).tolist()
    return entry


def history_table(s: Scenario, name: str, f: Forecast) -> Table:
    """An iterative model's positions by state, one row per actor and issue."""
    assert f.history is not None
    n_states = f.history.shape[0]
    table = Table(title=f"{name}: positions by state" + (" (prob per actor in the last row)"
                  if "prob" in f.diagnostics else ""), title_justify="left")
    table.add_column("actor")
    table.add_column("issue")
    for t in range(n_states):
        table.add_column(str(t), justify="right")
    prob = f.diagnostics.get("prob")
    for a, actor in enumerate(s.actors):
        for k, issue in enumerate(s.issues):
            table.add_row(actor.id if k == 0 else "", issue.id,
                          *(f"{f.history[t, a, k]:.1f}" for t in range(n_states)))
        if prob is not None:
            table.add_row("", "[italic]prob[/italic]",
                          *(f"[italic]{prob[t][a]:.4f}[/italic]" for t in range(n_states)),
                          end_section=True)
    return table


def scenario_table(s: Scenario) -> Table:
    """The actors × issues table of a scenario: position / salience, capability, status quo."""
    table = Table(
        title=f"{s.name} — position / salience (capability)", title_justify="left",
        show_lines=False,
    )
    table.add_column("actor")
    table.add_column("capability", justify="right")
    for issue in s.issues:
        table.add_column(issue.id, justify="right")
    for actor in s.actors:
        cells = [
            "absent"
            if issue.id in actor.absent_from
            else f"{actor.positions[issue.id].value:.0f} / {actor.saliences[issue.id].value:.0f}"
            for issue in s.issues
        ]
        table.add_row(actor.name, f"{actor.capability.value:g}", *cells)
    sq = ["—" if i.status_quo is None else f"{i.status_quo.value:.0f}" for i in s.issues]
    table.add_row("[italic]status quo[/italic]", "", *sq)
    return table
