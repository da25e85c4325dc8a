"""Figures (matplotlib, no pyplot state): each takes results and an optional ``ax``.

Every function takes results in their JSON-ready form (what ``to_dict()`` returns and the run
store keeps), so a report can be rebuilt from stored runs. Each draws on the given ``ax`` (or a
new figure) and returns the figure. Figures use distinct marker shapes and hatching so they read
in greyscale, and label issue axes with the issues' anchor labels.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from accord.scenario.schema import Issue, Scenario

__all__ = [
    "crisis_tree",
    "forecast_strips",
    "lever_deltas",
    "sensitivity_bars",
    "strategy_outcomes",
    "sweep_ranges",
    "trajectories",
]

MARKERS = ("D", "s", "^", "v", "P", "X", "*", "h")
GREYS = ("0.0", "0.35", "0.6", "0.15", "0.5", "0.25", "0.7", "0.45")
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "ooo", "---", "+++")


def _axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        fig = ax.figure
        assert isinstance(fig, Figure)
        return fig, ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _short(label: str, width: int = 22) -> str:
    return textwrap.shorten(label, width=width * 2, placeholder="…").replace(", ", ",\n", 1) \
        if len(label) > width else label


def _anchor_axis(ax: Axes, issue: Issue, axis: str = "x") -> None:
    points = sorted(issue.anchors) or [0.0, 50.0, 100.0]
    labels = [f"{p:g}\n{_short(issue.anchors.get(p, ''), 18)}" for p in points]
    if axis == "x":
        ax.set_xlim(-3, 103)
        ax.set_xticks(points, labels, fontsize=6)
    else:
        ax.set_ylim(-3, 103)
        ax.set_yticks(points, [lab.replace("\n", " ") for lab in labels], fontsize=6)


def forecast_strips(scenario: Scenario, forecasts: Mapping[str, Mapping[str, float]],
                    ax: Axes | None = None) -> Figure:
    """Per issue, the actors' positions (circles sized by capability × salience) and each
    model's forecast (a distinct marker); ``forecasts`` is ``{model: {issue: value}}``."""
    n = len(scenario.issues)
    fig = Figure(figsize=(9, 1.5 * n + 0.6), layout="constrained") if ax is None else ax.figure
    assert isinstance(fig, Figure)
    axes = fig.subplots(n, 1, squeeze=False)[:, 0] if ax is None else [ax] * n
    weights = [a.capability.value * max(s.value for s in a.saliences.values() or [])
               for a in scenario.actors]
    top = max(weights) or 1.0
    for k, issue in enumerate(scenario.issues):
        a = axes[k]
        for i, actor in enumerate(scenario.actors):
            if issue.id not in actor.positions:
                continue
            w = actor.capability.value * actor.saliences[issue.id].value
            a.scatter(actor.positions[issue.id].value, 0, s=30 + 600 * w / (top or 1),
                      facecolor="none", edgecolor="0.3", linewidth=1)
            a.annotate(actor.id, (actor.positions[issue.id].value, 0), xytext=(0, 9 + i % 3 * 7),
                       textcoords="offset points", ha="center", fontsize=6, color="0.25")
        for j, (model, values) in enumerate(forecasts.items()):
            if issue.id in values:
                a.scatter(values[issue.id], -0.6, marker=MARKERS[j % len(MARKERS)], s=45,
                          color=GREYS[j % len(GREYS)], label=model if k == 0 else None, zorder=3)
        if issue.status_quo is not None:
            a.axvline(issue.status_quo.value, color="0.5", linestyle=":", linewidth=1)
        a.set_ylim(-1.2, 1.4)
        a.set_yticks([])
        a.set_ylabel(_short(issue.name, 14), rotation=0, ha="right", va="center", fontsize=8)
        _anchor_axis(a, issue)
    if forecasts:
        fig.legend(loc="outside upper center", ncols=min(len(forecasts), 6), fontsize=7,
                   frameon=False, title="forecast (dotted line: status quo; circles: actors)",
                   title_fontsize=7)
    return fig


def trajectories(scenario: Scenario, history: Sequence[Sequence[Sequence[float]]], model: str,
                 ax: Axes | None = None) -> Figure:
    """Positions over rounds (``history[state][actor][issue]``), one panel per issue."""
    n = len(scenario.issues)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig = Figure(figsize=(3.0 * cols, 2.6 * rows + 0.5), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    states = list(range(len(history)))
    for k, issue in enumerate(scenario.issues):
        a = axes[k]
        for i, actor in enumerate(scenario.actors):
            a.plot(states, [history[t][i][k] for t in states],
                   marker=MARKERS[i % len(MARKERS)], markersize=3, linewidth=1,
                   color=GREYS[i % len(GREYS)], label=actor.id if k == 0 else None)
        a.set_title(issue.name, fontsize=8)
        a.set_xlabel("round", fontsize=7)
        _anchor_axis(a, issue, axis="y")
    for a in axes[n:]:
        a.set_visible(False)
    fig.legend(loc="outside upper center", ncols=min(len(scenario.actors), 7), fontsize=7,
               frameon=False, title=f"{model}: positions by round", title_fontsize=8)
    return fig


def lever_deltas(scenario: Scenario, deltas: Mapping[str, Mapping[str, Mapping[str, float]]],
                 model: str, ax: Axes | None = None) -> Figure:
    """Change of ``model``'s forecast per issue per lever (``{lever: {model: {issue: Δ}}}``)."""
    levers = list(deltas)
    fig, a = _axes(ax, (9, 0.5 + 0.28 * len(levers) * len(scenario.issues) / 2))
    height = 0.8 / max(len(levers), 1)
    for j, lever in enumerate(levers):
        values = [deltas[lever].get(model, {}).get(i.id, 0.0) for i in scenario.issues]
        a.barh([k + j * height for k in range(len(scenario.issues))], values, height=height,
               color="white", edgecolor="0.2", hatch=HATCHES[j % len(HATCHES)], label=lever)
    a.axvline(0, color="0.2", linewidth=0.8)
    a.set_yticks([k + 0.4 - height / 2 for k in range(len(scenario.issues))],
                 [i.name for i in scenario.issues], fontsize=7)
    a.invert_yaxis()
    a.set_xlabel(f"change of the {model} forecast (points on the 0–100 scale)", fontsize=8)
    a.legend(fontsize=6, ncols=2, frameon=False)
    return fig


def sweep_ranges(scenario: Scenario, summary: Mapping[str, Mapping[str, Mapping[str, float]]],
                 ax: Axes | None = None) -> Figure:
    """Per issue and model, the 5–95 % range (whiskers), 25–75 % (box) and median."""
    models = list(summary)
    fig, a = _axes(ax, (9, 0.6 + 0.5 * len(scenario.issues) * max(1, len(models)) / 2))
    step = 0.8 / max(len(models), 1)
    for j, m in enumerate(models):
        for k, issue in enumerate(scenario.issues):
            st = summary[m][issue.id]
            y = k + j * step
            a.plot([st["q05"], st["q95"]], [y, y], color="0.3", linewidth=1)
            a.barh(y, st["q75"] - st["q25"], left=st["q25"], height=step * 0.8, color="white",
                   edgecolor="0.2", hatch=HATCHES[j % len(HATCHES)],
                   label=m if k == 0 else None)
            a.plot([st["q50"]], [y], marker=MARKERS[j % len(MARKERS)], color="0.0", markersize=4)
    a.set_yticks([k + 0.4 - step / 2 for k in range(len(scenario.issues))],
                 [i.name for i in scenario.issues], fontsize=7)
    a.invert_yaxis()
    a.set_xlim(0, 100)
    a.set_xlabel("forecast: 5–95 % (line), 25–75 % (box), median (marker)", fontsize=8)
    a.legend(fontsize=7, frameon=False)
    return fig


def sensitivity_bars(result: Mapping[str, Any], top: int = 15, ax: Axes | None = None) -> Figure:
    """Total-effect (hatched) and first-order (solid) Sobol indices of the top inputs."""
    rows = list(result["inputs"])[:top]
    fig, a = _axes(ax, (8, 0.6 + 0.3 * len(rows)))
    names = [str(r["input"]) for r in rows]
    a.barh(names, [float(r["ST"]) for r in rows], color="white", edgecolor="0.2", hatch="///",
           label="total effect ST")
    a.barh(names, [max(float(r["S1"]), 0.0) for r in rows], height=0.4, color="0.3",
           label="first order S1")
    a.invert_yaxis()
    a.tick_params(axis="y", labelsize=7)
    a.set_xlabel(f"share of the variance of the {result['model']} forecast of "
                 f"{result['output']}", fontsize=8)
    a.legend(fontsize=7, frameon=False)
    return fig


def strategy_outcomes(result: Mapping[str, Any], ax: Axes | None = None) -> Figure:
    """Per protocol: probability of reaching each denuclearization level, and of breakdown."""
    protocols = result.get("protocols", {})
    fig, a = _axes(ax, (7, 3.2))
    labels = ["≥25", "≥50", "≥75", "breakdown"]
    width = 0.8 / max(len(protocols), 1)
    for j, (name, p) in enumerate(protocols.items()):
        levels = p.get("p_denuclearization") or {}
        values = [levels.get("25", 0.0), levels.get("50", 0.0), levels.get("75", 0.0),
                  p.get("p_breakdown", 0.0)]
        a.bar([x + j * width for x in range(4)], values, width=width, color="white",
              edgecolor="0.2", hatch=HATCHES[j % len(HATCHES)], label=name)
    a.set_xticks([x + 0.4 - width / 2 for x in range(4)],
                 ["denucl. " + lab if lab != "breakdown" else lab for lab in labels], fontsize=8)
    a.set_ylim(0, 1)
    a.set_ylabel("probability", fontsize=8)
    a.legend(fontsize=7, frameon=False)
    return fig


def crisis_tree(result: Mapping[str, Any], ax: Axes | None = None) -> Figure:
    """The crisis tree: nodes laid out by depth, edges as thick as the equilibrium path."""
    tree = result.get("tree", {})
    nodes: list[Mapping[str, Any]] = list(tree.get("nodes", []))
    fig, a = _axes(ax, (10, 4.5))
    if not nodes:
        a.text(0.5, 0.5, "no tree in this result", ha="center", va="center")
        a.set_axis_off()
        return fig
    children: dict[Any, list[Any]] = {}
    for node in nodes:
        if node.get("parent") is not None:
            children.setdefault(node["parent"], []).append(node["id"])
    by_id = {n["id"]: n for n in nodes}
    xs: dict[Any, float] = {}
    counter = [0.0]

    def place(nid: Any, depth: int) -> float:
        kids = children.get(nid, [])
        if not kids:
            xs[nid] = counter[0]
            counter[0] += 1
        else:
            xs[nid] = sum(place(k, depth + 1) for k in kids) / len(kids)
        return xs[nid]

    roots = [n["id"] for n in nodes if n.get("parent") is None]
    for r in roots:
        place(r, 0)
    depth: dict[Any, int] = {}
    for n in nodes:
        d, p = 0, n.get("parent")
        while p is not None:
            d, p = d + 1, by_id[p].get("parent")
        depth[n["id"]] = d
    for n in nodes:
        if n.get("parent") is not None:
            prob = float(n.get("reach", 0.0))
            a.plot([xs[n["parent"]], xs[n["id"]]], [-depth[n["parent"]], -depth[n["id"]]],
                   color="0.0" if prob > 0.01 else "0.75", linewidth=0.5 + 4 * prob)
            if n.get("action") and prob > 0.05:
                a.annotate(str(n["action"]), ((xs[n["parent"]] + xs[n["id"]]) / 2,
                           -(depth[n["parent"]] + depth[n["id"]]) / 2), fontsize=5, ha="center")
    a.scatter([xs[n["id"]] for n in nodes], [-depth[n["id"]] for n in nodes], s=8, color="0.2")
    a.set_axis_off()
    a.set_title("crisis game: equilibrium path (line width = probability of reaching)",
                fontsize=8)
    return fig
