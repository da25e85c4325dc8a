"""The crisis report: solve the Korea crisis game for a scenario and say what China would do.

:func:`crisis_report` generates the game from the scenario (with any levers applied), solves it,
and reads off the equilibrium: path probabilities, expected payoffs, beliefs, and — the question
of wu-2017 ¶7 — China's choice if the US strikes, with the effect of each China-facing lever
applied on its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from accord.crisis.korea import (
    CHINA_MOVES,
    DPRK_MOVES,
    STATES,
    KoreaCrisis,
    KoreaCrisisParams,
    korea_crisis_game,
)
from accord.crisis.solve import Equilibrium, evaluate, solve
from accord.levers import apply_levers
from accord.scenario.schema import Scenario

__all__ = ["CRISIS_LEVERS", "ChinaChoice", "CrisisReport", "LeverEffect", "crisis_report"]

#: the levers aimed at China's worries in a crisis (DESIGN.md §7), compared by default
CRISIS_LEVERS = ("four-nos", "troop-pledge", "refugee-cost-sharing", "contingency-plan")


@dataclass(frozen=True)
class ChinaChoice:
    """What China does if the US strikes (all other moves as in equilibrium).

    ``probabilities``: China's action → probability, over China's and the DPRK's types and the
    DPRK's answer; ``by_type``: the same per China type; ``margin``: China's expected payoff of
    intervening minus that of its best alternative, averaged over the situations it meets (> 0:
    intervening pays); ``margin_by_type`` likewise.
    """

    probabilities: dict[str, float]
    by_type: dict[str, dict[str, float]]
    margin: float
    margin_by_type: dict[str, float]

    @property
    def choice(self) -> str:
        """China's most likely action if the US strikes."""
        return max(self.probabilities, key=lambda a: self.probabilities[a])

    @property
    def choice_by_type(self) -> dict[str, str]:
        return {t: max(p, key=lambda a: p[a]) for t, p in self.by_type.items()}

    @property
    def p_intervene(self) -> float:
        return self.probabilities["intervene"]

    def to_dict(self, digits: int = 4) -> dict[str, Any]:
        return {
            "choice": self.choice,
            "probabilities": _rounded(self.probabilities, digits),
            "by_type": {t: _rounded(p, digits) for t, p in self.by_type.items()},
            "choice_by_type": self.choice_by_type,
            "margin": round(self.margin, digits),
            "margin_by_type": _rounded(self.margin_by_type, digits),
        }


@dataclass(frozen=True)
class LeverEffect:
    """The effect of adding one lever on its own: China's choice before and after."""

    lever: str
    name: str
    before: ChinaChoice
    after: ChinaChoice

    @property
    def delta_intervene(self) -> float:
        """Change in the probability that China intervenes if the US strikes."""
        return self.after.p_intervene - self.before.p_intervene

    @property
    def delta_margin(self) -> float:
        """Change in China's payoff advantage of intervening (negative: less inclined)."""
        return self.after.margin - self.before.margin

    @property
    def changes_choice(self) -> bool:
        """True when China's likeliest response (overall or for either type) changes, or the
        probability of intervening moves by at least one percentage point."""
        return (self.after.choice != self.before.choice
                or self.after.choice_by_type != self.before.choice_by_type
                or abs(self.delta_intervene) >= 0.01)

    def to_dict(self, digits: int = 4) -> dict[str, Any]:
        return {
            "lever": self.lever,
            "name": self.name,
            "changes_choice": self.changes_choice,
            "choice_before": self.before.choice,
            "choice_after": self.after.choice,
            "choice_by_type_before": self.before.choice_by_type,
            "choice_by_type_after": self.after.choice_by_type,
            "p_intervene_before": round(self.before.p_intervene, digits),
            "p_intervene_after": round(self.after.p_intervene, digits),
            "delta_intervene": round(self.delta_intervene, digits),
            "margin_before": round(self.before.margin, digits),
            "margin_after": round(self.after.margin, digits),
            "delta_margin": round(self.delta_margin, digits),
        }


@dataclass(frozen=True, eq=False)
class CrisisReport:
    """The solved Korea crisis game for one scenario (with ``levers`` applied)."""

    scenario_id: str
    levers: tuple[str, ...]
    crisis: KoreaCrisis
    equilibrium: Equilibrium
    china: ChinaChoice
    dprk_if_strike: dict[str, dict[str, float]]
    p_strike: float
    outcome: dict[str, float]
    stakeholder_payoffs: dict[str, float]
    lever_effects: tuple[LeverEffect, ...]

    @property
    def expected_payoffs(self) -> dict[str, float]:
        return self.equilibrium.expected_payoffs

    def paths(self, threshold: float = 1e-4) -> list[dict[str, Any]]:
        """Terminal outcomes reached with at least ``threshold`` probability, likeliest first."""
        g = self.crisis.game
        rows = []
        for k, t in enumerate(g.terminals):
            p = float(self.equilibrium.reach[t])
            if p >= threshold:
                rows.append({"node": g.node_ids[t], "probability": p, **self.crisis.paths[k]})
        return sorted(rows, key=lambda r: -float(r["probability"]))

    def to_dict(self, digits: int = 4) -> dict[str, Any]:
        """JSON-ready: path probabilities, payoffs, China's choice, beliefs, lever effects."""
        eq = self.equilibrium
        g = self.crisis.game
        m = self.crisis.mechanics
        return {
            "scenario": self.scenario_id,
            "levers": list(self.levers),
            "game": {"nodes": g.n_nodes, "terminals": len(g.terminals),
                     "infosets": len(g.infosets), "players": list(g.players)},
            "solver": {"method": eq.method, "lambda": None if math.isinf(eq.lam) else eq.lam,
                       "steps": eq.steps, "iterations": eq.iterations,
                       "converged": eq.converged, "regret": round(eq.regret, 8)},
            "p_strike": round(self.p_strike, digits),
            "paths": [{**row, "probability": round(float(row["probability"]), digits)}
                      for row in self.paths()],
            "expected_payoffs": _rounded(self.expected_payoffs, digits),
            "stakeholder_payoffs": _rounded(self.stakeholder_payoffs, digits),
            "expected_outcome": _rounded(self.outcome, digits),
            "china_if_strike": self.china.to_dict(digits),
            "dprk_if_strike": {t: _rounded(p, digits) for t, p in self.dprk_if_strike.items()},
            "behaviour": {h: _rounded(a, digits) for h, a in eq.behaviour().items()},
            "beliefs": {h.id: _rounded(eq.belief(h.id), digits) for h in g.infosets},
            "mechanics": {"restraint": round(m.restraint, digits),
                          "permanence": round(m.permanence, digits),
                          "share": round(m.share, digits), "plan": round(m.plan, digits)},
            "lever_effects": [e.to_dict(digits) for e in self.lever_effects],
            "tree": {"nodes": [
                {"id": g.node_ids[n],
                 "parent": None if g.parent[n] < 0 else g.node_ids[int(g.parent[n])],
                 "action": g.edge_label[n], "reach": round(float(eq.reach[n]), digits)}
                for n in range(g.n_nodes)
            ]},
        }

    def summary(self) -> str:
        """A few lines of plain text for the command line."""
        c = self.china
        lines = [
            f"Korea crisis game for {self.scenario_id}"
            + (f" with {', '.join(self.levers)}" if self.levers else ""),
            f"The US strikes with probability {self.p_strike:.2f}.",
            "If the US strikes, China: " + _listing(c.probabilities) + f" (likeliest: {c.choice})",
        ]
        for t, p in c.by_type.items():
            lines.append(f"  {t} China: {_listing(p)}; edge of intervening "
                         f"{c.margin_by_type[t]:+.3f}")
        lines.append("Expected payoffs: " + ", ".join(
            f"{a} {v:+.3f}" for a, v in self.expected_payoffs.items()))
        for e in self.lever_effects:
            verdict = "changes China's choice" if e.changes_choice else "does not change it"
            lines.append(f"  + {e.lever}: {verdict}; P(intervene) {e.before.p_intervene:.2f} → "
                         f"{e.after.p_intervene:.2f}; edge of intervening {e.delta_margin:+.3f}")
        return "\n".join(lines)


def _listing(p: Mapping[str, float]) -> str:
    return ", ".join(f"{a} {v:.2f}" for a, v in p.items())


def _rounded(d: Mapping[str, float], digits: int) -> dict[str, float]:
    return {k: round(float(v), digits) for k, v in d.items()}


def _strike_profile(crisis: KoreaCrisis, eq: Equilibrium) -> Equilibrium:
    """The equilibrium with the US made to strike at every information set."""
    g = crisis.game
    sigma = np.array(eq.strategy, dtype=np.float64)
    for h in g.infosets:
        if g.players[h.player] == "usa":
            for a, c in zip(h.actions, h.cols, strict=True):
                sigma[c] = 1.0 if a == "strike" else 0.0
    return evaluate(g, sigma, method=eq.method)


def china_if_strike(crisis: KoreaCrisis, eq: Equilibrium) -> ChinaChoice:
    """China's choice if the US strikes (see :class:`ChinaChoice`)."""
    g = crisis.game
    forced = _strike_profile(crisis, eq)
    reach_t = forced.reach[g.terminals]
    types = ("resolute", "restrained")
    probs: dict[str, dict[str, float]] = {t: dict.fromkeys(CHINA_MOVES, 0.0) for t in types}
    for k, path in enumerate(crisis.paths):
        if path.get("usa") == "strike":
            probs[path["china_type"]][path["china"]] += float(reach_t[k])
    total = {t: sum(p.values()) for t, p in probs.items()}
    overall = {a: sum(probs[t][a] for t in types) / max(sum(total.values()), 1e-300)
               for a in CHINA_MOVES}
    by_type = {t: {a: v / max(total[t], 1e-300) for a, v in probs[t].items()} for t in types}
    # the payoff advantage of intervening at each China information set met after a strike
    q = forced.action_values
    weights: dict[str, float] = dict.fromkeys(types, 0.0)
    margins: dict[str, float] = dict.fromkeys(types, 0.0)
    for h in g.infosets:
        if g.players[h.player] != "china" or "intervene" not in h.actions:
            continue
        w = float(forced.reach[list(h.nodes)].sum())
        vals = {a: float(q[c]) for a, c in zip(h.actions, h.cols, strict=True)}
        gap = vals["intervene"] - max(v for a, v in vals.items() if a != "intervene")
        t = "resolute" if ".resolute." in f".{h.id}." else "restrained"
        weights[t] += w
        margins[t] += w * gap
    margin_by_type = {t: margins[t] / weights[t] if weights[t] > 0 else 0.0 for t in types}
    margin = sum(margins.values()) / max(sum(weights.values()), 1e-300)
    return ChinaChoice(overall, by_type, margin, margin_by_type)


def _dprk_if_strike(crisis: KoreaCrisis, eq: Equilibrium) -> dict[str, dict[str, float]]:
    forced = _strike_profile(crisis, eq)
    reach_t = forced.reach[crisis.game.terminals]
    out: dict[str, dict[str, float]] = {}
    for t in ("willing", "unwilling"):
        counts = dict.fromkeys(DPRK_MOVES, 0.0)
        for k, path in enumerate(crisis.paths):
            if path.get("usa") == "strike" and path["dprk_type"] == t:
                counts[path["dprk"]] += float(reach_t[k])
        total = sum(counts.values())
        out[t] = {a: v / total if total > 0 else 0.0 for a, v in counts.items()}
    return out


def _solve(
    scenario: Scenario, params: KoreaCrisisParams | None, options: Mapping[str, Any]
) -> tuple[KoreaCrisis, Equilibrium]:
    crisis = korea_crisis_game(scenario, params)
    return crisis, solve(crisis.game, **options)


def crisis_report(
    scenario: Scenario | str | Path,
    levers: Iterable[str] = (),
    *,
    compare: Iterable[str] | None = None,
    params: KoreaCrisisParams | None = None,
    **solver_options: Any,
) -> CrisisReport:
    """Solve the Korea crisis game for ``scenario`` with ``levers`` applied, and compare levers.

    ``compare`` names the levers whose effect on China's choice is measured, each added on its own
    to the scenario (with ``levers``); by default those of :data:`CRISIS_LEVERS` that the scenario
    has and that are not already applied. ``solver_options`` go to :func:`~accord.crisis.solve`.
    """
    if not isinstance(scenario, Scenario):
        from accord.scenario.resolve import load_scenario

        scenario = load_scenario(scenario)
    applied = tuple(levers)
    base = apply_levers(scenario, applied)
    crisis, eq = _solve(base, params, solver_options)
    china = china_if_strike(crisis, eq)
    known = {lv.id for lv in scenario.levers}
    if compare is None:
        others = tuple(lv for lv in CRISIS_LEVERS if lv in known and lv not in applied)
    else:
        others = tuple(compare)
    effects = []
    for lever in others:
        variant = apply_levers(scenario, (*applied, lever))
        c2, e2 = _solve(variant, params, solver_options)
        effects.append(LeverEffect(lever, scenario.lever(lever).name, china,
                                   china_if_strike(c2, e2)))
    reach_t = eq.reach[crisis.game.terminals]
    outcome = dict(zip(STATES, (reach_t @ crisis.states).tolist(), strict=True))
    stake = dict(zip(crisis.actors, (reach_t @ crisis.utilities).tolist(), strict=True))
    p_strike = float(sum(reach_t[k] for k, p in enumerate(crisis.paths)
                         if p.get("usa") == "strike"))
    return CrisisReport(
        scenario_id=scenario.id,
        levers=applied,
        crisis=crisis,
        equilibrium=eq,
        china=china,
        dprk_if_strike=_dprk_if_strike(crisis, eq),
        p_strike=p_strike,
        outcome=outcome,
        stakeholder_payoffs=stake,
        lever_effects=tuple(effects),
    )
