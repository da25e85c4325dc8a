"""Report sections: titles, prose, tables and figures built from :class:`ReportData`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure

from accord.report import figures
from accord.report.build import ReportData
from accord.scenario.schema import Param, Scenario

__all__ = ["Section", "Table", "build_sections"]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[tuple[str, Figure]] = field(default_factory=list)


def _f(x: Any, digits: int = 1) -> str:
    return "—" if x is None else f"{float(x):.{digits}f}"


def _param(p: Param) -> str:
    text = f"{p.value:g}"
    if p.low is not None and p.high is not None:
        text += f" ({p.low:g}–{p.high:g})"
    return text


def _cite(p: Param) -> str:
    return "; ".join(f"{e.source} ¶{e.paragraph}: {e.claim}" for e in p.evidence)


def _overview(s: Scenario, data: ReportData) -> Section:
    sec = Section("overview", "Scenario")
    sec.paragraphs.append(s.description or s.name)
    if data.levers:
        sec.paragraphs.append("Levers applied: " + ", ".join(data.levers) + ".")
    header = ["actor", "capability", *(i.name for i in s.issues)]
    rows = [[a.name, _param(a.capability),
             *("absent" if i.id in a.absent_from else
               f"{a.positions[i.id].value:g} / {a.saliences[i.id].value:g}" for i in s.issues)]
            for a in s.actors]
    rows.append(["status quo", "", *("—" if i.status_quo is None else _param(i.status_quo)
                                     for i in s.issues)])
    sec.tables.append(Table(header, rows, "position / salience per issue (0–100)"))
    sec.tables.append(Table(["issue", "anchor points"], [
        [i.name, "; ".join(f"{p:g}: {label}" for p, label in i.anchors.items())]
        for i in s.issues]))
    if s.sources:
        sec.tables.append(Table(["source", "title", "author", "date"], [
            [src.id, src.title, src.author, src.date] for src in s.sources], "sources"))
    evidence = []
    for a in s.actors:
        evidence.append([a.name, "capability", _param(a.capability), _cite(a.capability)])
        for i in s.issues:
            if i.id in a.positions:
                for kind, p in (("position", a.positions[i.id]),
                                ("salience", a.saliences[i.id])):
                    evidence.append([a.name, f"{kind}: {i.name}", _param(p), _cite(p)])
    for i in s.issues:
        if i.status_quo is not None:
            evidence.append(["—", f"status quo: {i.name}", _param(i.status_quo),
                             _cite(i.status_quo)])
    if any(row[3] for row in evidence):
        sec.tables.append(Table(["actor", "value", "number (range)", "evidence"], evidence,
                                "every number and the evidence it rests on"))
    return sec


def _forecasts(s: Scenario, res: dict[str, Any]) -> list[Section]:
    fcs = res["forecasts"]
    sec = Section("forecasts", "Forecasts by model")
    table = {m: f["outcome"] for m, f in fcs.items()}
    rows = []
    for i in s.issues:
        cells = [f"{_f(table[m][i.id])} — {i.nearest_anchor(table[m][i.id])}" for m in table]
        rows.append([i.name, "—" if i.status_quo is None else _f(i.status_quo.value), *cells])
    sec.tables.append(Table(["issue", "status quo", *table], rows))
    sec.figures.append(("forecast strips", figures.forecast_strips(s, table)))
    out = [sec]
    traj = Section("trajectories", "How the iterative models got there")
    for m, f in fcs.items():
        if f.get("history"):
            traj.figures.append((f"{m} trajectories", figures.trajectories(s, f["history"], m)))
    if traj.figures:
        out.append(traj)
    deals = fcs.get("exchange", {}).get("diagnostics", {}).get("rounds")
    if deals:
        sec_d = Section("deals", "Deals found by the exchange model")
        sec_d.paragraphs.append("Each row is an exchange: each actor gives ground on the issue it "
                                "cares less about, in return for a move on the other.")
        rows = []
        for r, rnd in enumerate(deals, start=1):
            for ex in rnd.get("exchanges", []):
                moves = "; ".join(f"{mv['actor']} {k}: {_f(mv['from'])}→{_f(mv['to'])}"
                                  for k, mv in ex.get("moves", {}).items())
                rows.append([str(r), ex["actor_i"], ex["actor_j"], str(ex["supplies_i"]),
                             str(ex["supplies_j"]), moves, _f(ex.get("gain"), 4)])
        sec_d.tables.append(Table(["round", "actor i", "actor j", "i gives on", "j gives on",
                                   "moves", "gain"], rows[:200]))
        out.append(sec_d)
    return out


def _compare(s: Scenario, res: dict[str, Any]) -> Section:
    sec = Section("levers", "Lever comparison")
    base = res["forecasts"]["baseline"]
    for m in res["models"]:
        rows = [[i.name, _f(base[m][i.id]),
                 *(f"{res['deltas'][v][m][i.id]:+.1f}" for v in res["deltas"])]
                for i in s.issues]
        sec.tables.append(Table(["issue", f"{m} baseline", *res["deltas"]], rows,
                                f"{m}: change against the baseline"))
    sec.figures.append(("lever deltas (nash)" if "nash" in res["models"] else "lever deltas",
                        figures.lever_deltas(s, res["deltas"], res["models"][-1])))
    return sec


def _uncertainty(s: Scenario, sweep: dict[str, Any] | None,
                 sens: dict[str, Any] | None) -> Section:
    sec = Section("uncertainty", "Uncertainty")
    if sweep:
        sec.paragraphs.append(
            f"{sweep['draws']} draws (seed {sweep['seed']}) over every value with a range.")
        for m, issues in sweep["summary"].items():
            sec.tables.append(Table(["issue", "mean", "5%", "25%", "50%", "75%", "95%"], [
                [i.name, *(_f(issues[i.id][k]) for k in ("mean", "q05", "q25", "q50", "q75",
                                                          "q95"))] for i in s.issues], m))
        sec.figures.append(("forecast ranges", figures.sweep_ranges(s, sweep["summary"])))
    if sens:
        sec.paragraphs.append(f"What drives the {sens['model']} forecast of {sens['output']} "
                              "(Sobol indices; total effect includes interactions).")
        sec.figures.append(("sensitivity", figures.sensitivity_bars(sens)))
    return sec


def _strategy(res: dict[str, Any]) -> Section:
    sec = Section("strategy", "Strategy lab: grand bargain vs incremental")
    rows = []
    for name, p in res.get("protocols", {}).items():
        lv = p.get("p_denuclearization") or {}
        rows.append([name, _f(lv.get("25"), 2), _f(lv.get("50"), 2), _f(lv.get("75"), 2),
                     _f(p.get("p_breakdown"), 2), _f(p.get("expected_phases"), 1)])
    sec.tables.append(Table(["protocol", "P(denucl. ≥25)", "P(≥50)", "P(≥75)", "P(breakdown)",
                             "expected phases"], rows))
    sec.figures.append(("strategy outcomes", figures.strategy_outcomes(res)))
    return sec


def _crisis(res: dict[str, Any]) -> Section:
    sec = Section("crisis", "Crisis game: would China intervene?")
    china = res["china_if_strike"]
    sec.paragraphs.append(
        f"In equilibrium the US strikes with probability {res['p_strike']:.2f}. If it struck, "
        f"China's likeliest answer is to {china['choice'].replace('_', ' ')} "
        "(probabilities below, by China's type).")
    sec.tables.append(Table(["China", *china["probabilities"]], [
        ["overall", *(_f(v, 2) for v in china["probabilities"].values())],
        *([t, *(_f(v, 2) for v in p.values())] for t, p in china["by_type"].items())],
        "China's response if the US strikes"))
    sec.tables.append(Table(["outcome", "probability"], [
        [str(p["node"]), _f(p["probability"], 3)] for p in res["paths"]], "equilibrium paths"))
    effects = res.get("lever_effects", [])
    if effects:
        sec.tables.append(Table(
            ["lever", "changes China's choice?", "P(intervene) before → after",
             "change in China's edge for intervening"],
            [[e["lever"], "yes" if e["changes_choice"] else "no",
              f"{e['p_intervene_before']:.2f} → {e['p_intervene_after']:.2f}",
              f"{e['delta_margin']:+.3f}"] for e in effects], "each lever alone"))
    if res.get("tree"):
        sec.figures.append(("crisis tree", figures.crisis_tree(res)))
    return sec


def _crisis_sweep(res: dict[str, Any]) -> Section:
    sec = Section("crisis_sweep", "Crisis game over the scenario's uncertainty")
    pi, shares = res["p_intervene_if_strike"], res["china_choice_shares"]
    sec.paragraphs.append(
        f"The crisis game solved for {res['draws']} draws of the scenario's uncertain values "
        f"(seed {res['seed']}). If the US struck, China would intervene with probability "
        f"{pi['mean']:.2f} on average (5–95 %: {pi['q05']:.2f}–{pi['q95']:.2f}); its likeliest "
        "answer is " + ", ".join(f"to {a.replace('_', ' ')} in {100 * v:.0f} % of draws"
                                 for a, v in shares.items() if v > 0) + ".")
    rows = [["(no lever added)", "—", *(_f(100 * v, 0) + " %" for v in shares.values()), "—"]]
    for e in res.get("lever_effects", []):
        d = e["delta_intervene"]
        rows.append([e["lever"], _f(100 * e["share_changing_choice"], 0) + " %",
                     *(_f(100 * v, 0) + " %" for v in e["china_choice_shares"].values()),
                     f"{d['mean']:+.2f} ({d['q05']:+.2f} to {d['q95']:+.2f})"])
    sec.tables.append(Table(
        ["lever", "changes China's likeliest answer", *(f"China: {a.replace('_', ' ')}"
                                                       for a in shares),
         "change in P(intervene), mean (5–95 %)"], rows, "each lever alone, draw by draw"))
    return sec

def _provenance(data: ReportData) -> Section:
    sec = Section("provenance", "Provenance")
    rows = []
    for kind, res in data.results.items():
        prov = res.get("provenance") or {}
        if kind == "forecast":
            for m, f in res["forecasts"].items():
                rows.append([kind, m, str(f.get("params", {})), "—"])
            continue
        rows.append([kind, str(prov.get("models") or prov.get("model") or ""),
                     str({k: v for k, v in prov.items() if k not in ("scenario",)}),
                     str(res.get("seed", prov.get("seed", "—")))])
    from accord import __version__
    from accord.provenance import scenario_hash

    sec.paragraphs.append(f"Scenario {data.scenario.id}, content hash "
                          f"{scenario_hash(data.scenario)}; accord {__version__}.")
    sec.tables.append(Table(["result", "models", "parameters and provenance", "seed"], rows))
    return sec


def build_sections(data: ReportData) -> list[Section]:
    """Every section whose results exist, in reading order."""
    s, r = data.scenario, data.results
    out = [_overview(s, data)]
    if "forecast" in r:
        out += _forecasts(s, r["forecast"])
    if "compare" in r:
        out.append(_compare(s, r["compare"]))
    if "sweep" in r or "sensitivity" in r:
        out.append(_uncertainty(s, r.get("sweep"), r.get("sensitivity")))
    builders: dict[str, Callable[[dict[str, Any]], Section]] = {
        "strategy": _strategy, "crisis": _crisis, "crisis_sweep": _crisis_sweep}
    for key, build in builders.items():
        if key in r:
            out.append(build(r[key]))
    out.append(_provenance(data))
    return out
