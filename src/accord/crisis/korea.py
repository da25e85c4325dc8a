"""The Korea crisis game, generated from a scenario: would China intervene if the US struck?

The tree (wu-2017 ¶7 asks the question; docs/crisis.md draws it):

1. Chance draws China's resolve (``resolute`` / ``restrained``) and the DPRK's type (``willing``
   to use nuclear weapons / ``unwilling``); each side knows only its own type.
2. China may publicly ``warn`` or stay ``quiet`` (optional stage, ``china_can_warn``).
3. The US, seeing the warning but neither type, chooses ``strike`` or ``hold``.
4. After a strike the DPRK ``absorb``\\s it, retaliates ``conventional``\\ly or goes ``nuclear``.
5. China, seeing everything but the DPRK's type, chooses ``intervene``, ``mobilise`` (mobilise at
   the border and stand aside) or ``stay_out``.

Each terminal is an outcome: expected levels of seven states (DPRK disarmed, regime collapse, US
forces moving north to China's border, refugees, war damage, nuclear use, US–China clash) from a
documented table. Actors value the states through their positions and saliences in the scenario
(e.g. China's weight on US forces at its border is the spatial loss on ``military_posture``), and
the scenario's commitments change the states themselves: written assurances and an agreed
contingency plan hold US forces back, a troop pledge makes their presence temporary, cost sharing
lightens China's refugee burden. So levers — which edit positions, saliences and status quo —
change payoffs, and the solver shows whether they change China's choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from accord.crisis.game import Chance, CrisisGame, Decision, NodeSpec, Terminal, build_game
from accord.errors import AccordError
from accord.scenario.schema import Scenario

__all__ = [
    "CHINA_MOVES",
    "DPRK_MOVES",
    "STATES",
    "KoreaCrisis",
    "KoreaCrisisParams",
    "Mechanics",
    "korea_crisis_game",
    "mechanics",
    "state_values",
]

STATES = ("disarmed", "collapse", "us_north", "refugees", "war", "nuclear", "clash")
DPRK_MOVES = ("absorb", "conventional", "nuclear")
CHINA_MOVES = ("intervene", "mobilise", "stay_out")
PLAYERS = ("usa", "dprk", "china")
ISSUES = ("denuclearization", "security_guarantees", "military_posture",
          "contingency_cooperation")


def _table() -> Mapping[tuple[str, str], tuple[float, ...]]:
    # DPRK move, China move: disarmed, collapse, us_north, refugees, war, nuclear, clash
    return MappingProxyType({
        ("absorb", "intervene"): (0.5, 0.0, 0.0, 0.0, 0.1, 0.0, 0.3),
        ("absorb", "mobilise"): (0.5, 0.0, 0.0, 0.0, 0.1, 0.0, 0.05),
        ("absorb", "stay_out"): (0.5, 0.0, 0.0, 0.0, 0.1, 0.0, 0.0),
        ("conventional", "intervene"): (0.5, 0.0, 0.0, 0.3, 1.5, 0.0, 1.0),
        ("conventional", "mobilise"): (1.0, 1.0, 0.5, 0.6, 1.0, 0.0, 0.1),
        ("conventional", "stay_out"): (1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0),
        ("nuclear", "intervene"): (0.7, 0.5, 0.0, 0.3, 2.0, 1.0, 1.0),
        ("nuclear", "mobilise"): (1.0, 1.0, 0.5, 0.6, 1.5, 1.0, 0.1),
        ("nuclear", "stay_out"): (1.0, 1.0, 1.0, 1.0, 1.5, 1.0, 0.0),
    })


def _map(**kw: float) -> Mapping[str, float]:
    return MappingProxyType(kw)


@dataclass(frozen=True)
class KoreaCrisisParams:
    """The named constants of the Korea crisis game; docs/crisis.md gives the evidence for each.

    Costs are in the same units as the spatial terms (a salience-weighted distance of the whole
    0–100 scale on an issue of salience 100 is 1).
    """

    #: P(China is resolute): wang-2018 ¶7 (no alliance) against ¶8 (shared border, war dead)
    prior_china_resolute: float = 0.5
    #: P(the DPRK would use nuclear weapons after a strike): wu-2017 ¶8, cato-2020 ¶11
    prior_dprk_willing: float = 0.3
    #: whether China may warn publicly before the US decides (wu-2017 ¶7, ¶11)
    china_can_warn: bool = False
    #: expected state levels per (DPRK move, China move), in the order of ``STATES``
    outcomes: Mapping[tuple[str, str], tuple[float, ...]] = field(default_factory=_table)
    #: scale of each actor's regime-collapse term (× its salience and position on guarantees)
    collapse_cost: float = 1.0
    #: the DPRK leadership's extra loss when its regime collapses (cato-2020 ¶18)
    regime_survival: float = 1.5
    war_cost: float = 1.0
    nuclear_cost: float = 2.0
    clash_cost: float = 1.0
    refugee_cost: float = 1.0
    #: a resolute China weighs a clash with the US at this share of a restrained China's weight
    resolute_clash_factor: float = 0.5
    #: China's loss of credibility when it warned and then did not intervene
    audience_cost: float = 0.25
    #: China's cost of mobilising at the border
    mobilise_cost: float = 0.05
    #: the DPRK's cost of absorbing a strike without answering (a deterrent shown to be empty)
    absorb_cost: float = 2.0
    #: what carrying out its nuclear threat is worth to a DPRK willing to use nuclear weapons
    nuclear_resolve: float = 4.0
    #: what using nuclear weapons costs a DPRK unwilling to use them, beyond the damage
    nuclear_taboo: float = 1.5
    #: how far written assurances (status quo of security_guarantees at 50) hold US forces back
    assurance_credibility: float = 0.6
    #: how far an agreed contingency plan (contingency_cooperation at 100) holds them back
    plan_credibility: float = 0.8
    war_exposure: Mapping[str, float] = field(default_factory=lambda: _map(
        usa=0.3, us_congress=0.2, china=0.3, dprk=0.6, rok=1.0, japan=0.3, russia=0.1))
    nuclear_exposure: Mapping[str, float] = field(default_factory=lambda: _map(
        usa=0.5, us_congress=0.5, china=0.4, dprk=0.8, rok=1.0, japan=0.8, russia=0.2))
    clash_exposure: Mapping[str, float] = field(default_factory=lambda: _map(
        usa=1.0, us_congress=0.6, china=1.0, dprk=0.0, rok=0.5, japan=0.4, russia=0.2))
    refugee_exposure: Mapping[str, float] = field(default_factory=lambda: _map(
        usa=0.0, us_congress=0.0, china=1.0, dprk=0.0, rok=0.4, japan=0.0, russia=0.1))

    def __post_init__(self) -> None:
        for name in ("prior_china_resolute", "prior_dprk_willing", "assurance_credibility",
                     "plan_credibility", "resolute_clash_factor"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise AccordError(f"crisis parameter {name} = {v} must lie in 0–1")
        missing = {(d, c) for d in DPRK_MOVES for c in CHINA_MOVES} - set(self.outcomes)
        if missing:
            raise AccordError(f"crisis outcome table lacks {sorted(missing)}")
        for key, row in self.outcomes.items():
            if len(row) != len(STATES):
                raise AccordError(f"crisis outcome {key} needs {len(STATES)} state levels")


@dataclass(frozen=True)
class Mechanics:
    """How the scenario's commitments change the outcome states (each 0–1).

    ``restraint``: share of a US advance to China's border that assurances and a contingency
    plan prevent. ``permanence``: how lasting US forces in the North would be (the US position on
    ``military_posture``: 75+ = alliance posture kept, 50 = pledge to leave after reunification).
    ``share``: share of China's refugee burden the US carries (agreed status quo and the US
    position on ``contingency_cooperation``). ``plan``: how far an agreed contingency plan is in
    place (status quo of ``contingency_cooperation`` from 50 to 100); it accepts China's
    stabilising role, taking the risk of a clash out of a Chinese mobilisation.
    """

    restraint: float
    permanence: float
    share: float
    plan: float


def _clip(x: float) -> float:
    return min(max(x, 0.0), 1.0)


def _need(scenario: Scenario) -> None:
    missing = [a for a in PLAYERS if a not in scenario.actor_ids]
    missing += [i for i in ISSUES if i not in scenario.issue_ids]
    if missing:
        raise AccordError(f"scenario '{scenario.id}' lacks what the Korea crisis game needs: "
                          f"{', '.join(missing)}")


def _sq(scenario: Scenario, issue: str) -> float:
    sq = scenario.issue(issue).status_quo
    return 50.0 if sq is None else sq.value


def _pos(scenario: Scenario, actor: str, issue: str) -> tuple[float, float]:
    """(position, salience) of ``actor`` on ``issue``, both 0–1 (0, 0 if absent)."""
    a = scenario.actor(actor)
    if issue not in a.positions:
        return 0.0, 0.0
    return a.positions[issue].value / 100.0, a.saliences[issue].value / 100.0


def mechanics(scenario: Scenario, params: KoreaCrisisParams | None = None) -> Mechanics:
    """The commitment mechanics of ``scenario`` (see :class:`Mechanics`)."""
    p = params or KoreaCrisisParams()
    _need(scenario)
    assured = p.assurance_credibility * _clip((_sq(scenario, "security_guarantees") - 25) / 25)
    plan = _clip((_sq(scenario, "contingency_cooperation") - 50) / 50)
    restraint = 1.0 - (1.0 - assured) * (1.0 - p.plan_credibility * plan)
    permanence = _clip((_pos(scenario, "usa", "military_posture")[0] * 100 - 25) / 50)
    share = _clip((_sq(scenario, "contingency_cooperation")
                   + _pos(scenario, "usa", "contingency_cooperation")[0] * 100) / 200)
    return Mechanics(restraint, permanence, share, plan)


def _spatial_gain(scenario: Scenario, actor: str, issue: str, target: float) -> float:
    """Salience × (distance from the status quo − distance from ``target``), 0–1 scale."""
    pos, sal = _pos(scenario, actor, issue)
    q = _sq(scenario, issue) / 100.0
    return sal * (abs(q - pos) - abs(target - pos))


def state_values(
    scenario: Scenario, actor: str, params: KoreaCrisisParams | None = None,
    mech: Mechanics | None = None,
) -> dict[str, float]:
    """What one unit of each outcome state is worth to ``actor`` (the mapping in docs/crisis.md).

    disarmed: spatial gain on denuclearization from the status quo to 100; collapse: −(salience ×
    position) on security_guarantees (the DPRK adds ``regime_survival``); us_north: spatial gain
    on military_posture from the status quo to 100; refugees: −salience on
    contingency_cooperation × exposure (China's × its unshared part; the US pays the shared part);
    war, nuclear, clash: −cost × exposure.
    """
    p = params or KoreaCrisisParams()
    m = mech or mechanics(scenario, p)
    pos_sg, sal_sg = _pos(scenario, actor, "security_guarantees")
    _, sal_cc = _pos(scenario, actor, "contingency_cooperation")
    burden = p.refugee_exposure.get(actor, 0.0) * (1.0 - m.share if actor == "china" else 1.0)
    refugees = -p.refugee_cost * sal_cc * burden
    if actor == "usa":
        refugees -= p.refugee_cost * sal_cc * m.share
    return {
        "disarmed": _spatial_gain(scenario, actor, "denuclearization", 1.0),
        "collapse": -p.collapse_cost * sal_sg * pos_sg
        - (p.regime_survival if actor == "dprk" else 0.0),
        "us_north": _spatial_gain(scenario, actor, "military_posture", 1.0),
        "refugees": refugees,
        "war": -p.war_cost * p.war_exposure.get(actor, 0.0),
        "nuclear": -p.nuclear_cost * p.nuclear_exposure.get(actor, 0.0),
        "clash": -p.clash_cost * p.clash_exposure.get(actor, 0.0),
    }


@dataclass(frozen=True, eq=False)
class KoreaCrisis:
    """The generated game, with the outcome states of each terminal and every actor's payoff.

    ``states[k]`` are the state levels at terminal ``game.terminals[k]`` (columns ``STATES``);
    ``utilities[k, a]`` is scenario actor ``actors[a]``'s payoff there (the three players' columns
    equal ``game.payoffs``). ``paths[k]`` describes the terminal: types, signal, moves.
    """

    game: CrisisGame
    scenario_id: str
    params: KoreaCrisisParams
    mechanics: Mechanics
    actors: tuple[str, ...]
    states: np.ndarray
    utilities: np.ndarray
    paths: tuple[dict[str, str], ...]
    values: dict[str, dict[str, float]]


def korea_crisis_game(
    scenario: Scenario, params: KoreaCrisisParams | None = None
) -> KoreaCrisis:
    """Generate the Korea crisis game from ``scenario`` (apply levers to the scenario first)."""
    p = params or KoreaCrisisParams()
    _need(scenario)
    mech = mechanics(scenario, p)
    actors = scenario.actor_ids
    values = {a: state_values(scenario, a, p, mech) for a in actors}
    weights = np.array([[values[a][s] for s in STATES] for a in actors])
    north, clash = STATES.index("us_north"), STATES.index("clash")

    nodes: dict[str, NodeSpec] = {}
    leaves: dict[str, tuple[np.ndarray, np.ndarray, dict[str, str]]] = {}

    def leaf(nid: str, row: np.ndarray, extra: Mapping[str, float], path: dict[str, str]) -> None:
        u = weights @ row
        for a, v in extra.items():
            u[actors.index(a)] += v
        nodes[nid] = Terminal({a: float(u[actors.index(a)]) for a in PLAYERS})
        leaves[nid] = (row, u, path)

    signals = ("warn", "quiet") if p.china_can_warn else ("none",)
    china_types = {"resolute": p.prior_china_resolute, "restrained": 1 - p.prior_china_resolute}
    dprk_types = {"willing": p.prior_dprk_willing, "unwilling": 1 - p.prior_dprk_willing}
    nodes["start"] = Chance({ct: (pr, ct) for ct, pr in china_types.items()},
                            "nature draws China's resolve")
    for ct in china_types:
        nodes[ct] = Chance({dt: (pr, f"{ct}.{dt}") for dt, pr in dprk_types.items()},
                           "nature draws the DPRK's type")
        for dt in dprk_types:
            base = f"{ct}.{dt}"
            if p.china_can_warn:
                nodes[base] = Decision("china", {s: f"{base}.{s}" for s in signals},
                                       f"china.signal.{ct}", "China: warn publicly or not")
            for sig in signals:
                here = f"{base}.{sig}" if p.china_can_warn else base
                nodes[here] = Decision("usa", {"strike": f"{here}.strike",
                                               "hold": f"{here}.hold"},
                                       _hid("usa", sig), "US: strike or hold")

                path0 = {"china_type": ct, "dprk_type": dt, "signal": sig}
                leaf(f"{here}.hold", np.zeros(len(STATES)), {}, {**path0, "usa": "hold"})
                strike = f"{here}.strike"
                nodes[strike] = Decision("dprk", {m: f"{strike}.{m}" for m in DPRK_MOVES},
                                         _hid("dprk", sig, dt), "DPRK: answer the strike")
                for dm in DPRK_MOVES:
                    after = f"{strike}.{dm}"
                    nodes[after] = Decision("china", {c: f"{after}.{c}" for c in CHINA_MOVES},
                                            _hid("china", ct, sig, dm), "China: intervene?")
                    for cm in CHINA_MOVES:
                        row = np.array(p.outcomes[(dm, cm)], dtype=np.float64)
                        row[north] *= (1.0 - mech.restraint) * mech.permanence
                        if cm == "mobilise":
                            row[clash] *= 1.0 - mech.plan
                        extra = _extras(p, ct, dt, sig, dm, cm, row)
                        leaf(f"{after}.{cm}", row, extra,
                             {**path0, "usa": "strike", "dprk": dm, "china": cm})
    game = build_game(
        PLAYERS, nodes, "start", name=f"{scenario.id}-crisis",
        title=f"Korea crisis game ({scenario.id})",
        description="Would China intervene if the US struck the DPRK? Generated by accord "
                    "from the scenario's positions and saliences.",
    )
    ordered = [leaves[game.node_ids[t]] for t in game.terminals]  # the game's terminal order
    return KoreaCrisis(
        game=game,
        scenario_id=scenario.id,
        params=p,
        mechanics=mech,
        actors=actors,
        states=np.array([row for row, _, _ in ordered]),
        utilities=np.array([u for _, u, _ in ordered]),
        paths=tuple(path for _, _, path in ordered),
        values=values,
    )


def _hid(*parts: str) -> str:
    """An information set id from its parts (the signal is left out when there is none)."""
    return ".".join(p for p in parts if p != "none")


def _extras(
    p: KoreaCrisisParams, ct: str, dt: str, sig: str, dm: str, cm: str, row: np.ndarray
) -> dict[str, float]:
    """Type-dependent terms that are not outcome states."""
    china = 0.0
    clash = row[STATES.index("clash")]
    if ct == "resolute":  # a resolute China discounts the clash
        china += (1.0 - p.resolute_clash_factor) * p.clash_cost \
            * p.clash_exposure.get("china", 0.0) * clash
    if sig == "warn" and cm != "intervene":
        china -= p.audience_cost
    if cm == "mobilise":
        china -= p.mobilise_cost
    dprk = 0.0
    if dm == "absorb":
        dprk -= p.absorb_cost
    if dm == "nuclear":
        dprk += p.nuclear_resolve if dt == "willing" else -p.nuclear_taboo
    return {"china": china, "dprk": dprk}


def describe(crisis: KoreaCrisis) -> dict[str, Any]:
    """The mechanics and state values, JSON-ready."""
    return {
        "mechanics": {"restraint": crisis.mechanics.restraint,
                      "permanence": crisis.mechanics.permanence,
                      "share": crisis.mechanics.share,
                      "plan": crisis.mechanics.plan},
        "state_values": crisis.values,
    }
