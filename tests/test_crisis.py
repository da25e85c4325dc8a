"""Crisis games: textbook equilibria, beliefs, located YAML errors, .efg round trips, Korea."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

import accord
from accord.crisis import (
    CRISIS_LEVERS,
    Chance,
    CrisisGame,
    Decision,
    Equilibrium,
    GameError,
    NodeSpec,
    Terminal,
    backward_induction,
    build_game,
    crisis_report,
    dump_game,
    korea_crisis_game,
    load_game,
    load_game_text,
    logit_qre,
    read_efg_text,
    solve,
    to_efg,
)
from accord.levers import apply_levers


# --- textbook games ---------------------------------------------------------------------------
def entry_game() -> CrisisGame:
    """Selten's entry game: the threat to fight is not credible."""
    return build_game(["entrant", "incumbent"], {
        "start": Decision("entrant", {"enter": "in", "out": "out"}),
        "out": Terminal({"entrant": 0, "incumbent": 2}),
        "in": Decision("incumbent", {"fight": "fight", "accommodate": "share"}),
        "fight": Terminal({"entrant": -1, "incumbent": -1}),
        "share": Terminal({"entrant": 1, "incumbent": 1}),
    }, name="entry")


def signalling_game(p_strong: float, cost_strong: float, cost_weak: float) -> CrisisGame:
    """Entry deterrence with a strong or weak incumbent who may build capacity first.

    The entrant sees whether capacity was built but not the incumbent's type. Entering against a
    strong incumbent (who fights) costs the entrant 1, against a weak one it gains 1. The
    incumbent earns 2 as a monopolist, 1 (strong) or 0 (weak) after entry, less its building cost.
    """
    nodes: dict[str, NodeSpec] = {
        "nature": Chance({"strong": (p_strong, "strong"), "weak": (1 - p_strong, "weak")}),
    }
    for t, cost, duo, entrant in (("strong", cost_strong, 1.0, -1.0),
                                  ("weak", cost_weak, 0.0, 1.0)):
        nodes[t] = Decision("incumbent", {"build": f"{t}.build", "none": f"{t}.none"})
        for signal, c in (("build", cost), ("none", 0.0)):
            here = f"{t}.{signal}"
            nodes[here] = Decision("entrant", {"enter": f"{here}.enter", "out": f"{here}.out"},
                                   infoset=f"after-{signal}")
            nodes[f"{here}.enter"] = Terminal({"incumbent": duo - c, "entrant": entrant})
            nodes[f"{here}.out"] = Terminal({"incumbent": 2 - c, "entrant": 0})
    return build_game(["incumbent", "entrant"], nodes, "nature", name="entry-deterrence")


def random_perfect_information(seed: int, depth: int = 4, players: int = 3) -> CrisisGame:
    rng = np.random.default_rng(seed)
    names = [f"p{i}" for i in range(players)]
    nodes: dict[str, NodeSpec] = {}

    def grow(nid: str, level: int) -> None:
        if level == depth:
            nodes[nid] = Terminal({p: float(rng.normal()) for p in names})
        elif level == 1:
            probs = rng.dirichlet(np.ones(2))
            nodes[nid] = Chance({f"c{k}": (float(probs[k]), f"{nid}.c{k}") for k in range(2)})
            for k in range(2):
                grow(f"{nid}.c{k}", level + 1)
        else:
            k = int(rng.integers(2, 4))
            nodes[nid] = Decision(names[level % players], {f"a{j}": f"{nid}.a{j}"
                                                             for j in range(k)})
            for j in range(k):
                grow(f"{nid}.a{j}", level + 1)

    grow("r", 0)
    return build_game(names, nodes, "r", name=f"pi-{seed}")


def test_backward_induction_entry_game() -> None:
    eq = backward_induction(entry_game())
    assert eq.behaviour() == {"start": {"enter": 1.0, "out": 0.0},
                              "in": {"fight": 0.0, "accommodate": 1.0}}
    assert eq.expected_payoffs == {"entrant": 1.0, "incumbent": 1.0}
    assert eq.terminal_probabilities() == {"out": 0.0, "fight": 0.0, "share": 1.0}
    assert eq.regret == 0.0
    assert solve(entry_game()).method == "backward-induction"


def test_backward_induction_averages_chance_and_breaks_ties_by_order() -> None:
    g = build_game(["a"], {
        "r": Decision("a", {"gamble": "c", "safe": "s", "same": "s2"}),
        "c": Chance({"win": (0.25, "w"), "lose": (0.75, "l")}),
        "w": Terminal({"a": 8}), "l": Terminal({"a": 0}),
        "s": Terminal({"a": 2}), "s2": Terminal({"a": 2}),
    })
    eq = backward_induction(g)
    assert eq.behaviour()["r"] == {"gamble": 1.0, "safe": 0.0, "same": 0.0}  # 2 = 2 = 2: first
    assert eq.reach[g.node("w")] == pytest.approx(0.25)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_qre_converges_to_the_subgame_perfect_equilibrium(seed: int) -> None:
    game = random_perfect_information(seed)
    spe = backward_induction(game)
    gaps = [np.max(np.abs(logit_qre(game, lam_max=lam).strategy - spe.strategy))
            for lam in (10.0, 100.0, 1e4)]
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 1e-3
    final = logit_qre(game)
    assert final.converged
    for p, v in spe.expected_payoffs.items():
        assert final.expected_payoffs[p] == pytest.approx(v, abs=1e-3)


def test_separating_equilibrium() -> None:
    eq = solve(signalling_game(0.5, cost_strong=0.5, cost_weak=3.0))
    b = eq.behaviour()
    assert b["strong"]["build"] == pytest.approx(1, abs=1e-3)
    assert b["weak"]["none"] == pytest.approx(1, abs=1e-3)
    assert b["after-build"]["out"] == pytest.approx(1, abs=1e-3)
    assert b["after-none"]["enter"] == pytest.approx(1, abs=1e-3)
    assert eq.belief("after-build") == pytest.approx({"strong.build": 1.0, "weak.build": 0.0},
                                                     abs=1e-6)
    assert eq.belief("after-none") == pytest.approx({"strong.none": 0.0, "weak.none": 1.0},
                                                    abs=1e-6)
    assert eq.expected_payoffs["incumbent"] == pytest.approx(0.5 * 1.5 + 0.5 * 0.0, abs=1e-3)
    assert eq.regret < 1e-3


def test_pooling_equilibrium_with_bayes_beliefs_on_the_path() -> None:
    eq = solve(signalling_game(0.8, cost_strong=1.5, cost_weak=3.0))
    b = eq.behaviour()
    assert b["strong"]["none"] == pytest.approx(1, abs=1e-3)
    assert b["weak"]["none"] == pytest.approx(1, abs=1e-3)
    assert b["after-none"]["out"] == pytest.approx(1, abs=1e-3)
    # on the path, beliefs are the prior (Bayes' rule with both types pooling)
    assert eq.belief("after-none") == pytest.approx({"strong.none": 0.8, "weak.none": 0.2},
                                                    abs=1e-6)
    # off the path the limit belief puts weight on the type with the smaller cost of deviating
    assert eq.belief("after-build")["strong.build"] == pytest.approx(1.0, abs=1e-6)
    assert eq.expected_payoffs == pytest.approx({"incumbent": 2.0, "entrant": 0.0}, abs=1e-3)


def test_matching_pennies_mixes() -> None:
    g = build_game(["a", "b"], {
        "r": Decision("a", {"H": "h", "T": "t"}),
        "h": Decision("b", {"H": "hh", "T": "ht"}, infoset="B"),
        "t": Decision("b", {"H": "th", "T": "tt"}, infoset="B"),
        "hh": Terminal({"a": 1, "b": -1}), "ht": Terminal({"a": -1, "b": 1}),
        "th": Terminal({"a": -1, "b": 1}), "tt": Terminal({"a": 1, "b": -1}),
    })
    eq = solve(g)
    assert eq.strategy == pytest.approx(np.full(4, 0.5))
    assert eq.belief("B") == pytest.approx({"h": 0.5, "t": 0.5})


def _bayes_check(game: CrisisGame, eq: Equilibrium) -> None:
    """Reach probabilities by a plain recursion; beliefs = reach / reach of the infoset."""
    specs = game.to_specs()
    behaviour = eq.behaviour()
    reach: dict[str, float] = {}

    def walk(nid: str, p: float) -> None:
        reach[nid] = p
        spec = specs[nid]
        if isinstance(spec, Chance):
            for prob, child in spec.outcomes.values():
                walk(child, p * prob)
        elif isinstance(spec, Decision):
            h = game.infosets[game.infoset[game.node(nid)]].id
            for a, child in spec.actions.items():
                walk(child, p * behaviour[h][a])

    walk(game.node_ids[0], 1.0)
    for n, nid in enumerate(game.node_ids):
        assert eq.reach[n] == pytest.approx(reach[nid], abs=1e-9)
    for h in game.infosets:
        total = sum(reach[game.node_ids[n]] for n in h.nodes)
        if total > 1e-6:
            for n in h.nodes:
                assert eq.beliefs[n] == pytest.approx(reach[game.node_ids[n]] / total, abs=1e-6)


def test_beliefs_follow_bayes_rule_on_the_path() -> None:
    for game in (signalling_game(0.5, 0.5, 3.0), signalling_game(0.8, 1.5, 3.0),
                 korea_crisis_game(accord.load_scenario("korea-2020")).game):
        _bayes_check(game, solve(game))


# --- the YAML format and its errors -----------------------------------------------------------
GAME_YAML = """\
game: entry-deterrence
title: Entry deterrence with a strong or weak incumbent
players: [incumbent, entrant]
nodes:
  nature:
    chance:
      strong: {prob: 1/2, next: strong}
      weak: {prob: 1/2, next: weak}
  strong:
    player: incumbent
    actions: {build: sb, none: sn}
  weak:
    player: incumbent
    actions: {build: wb, none: wn}
  sb:
    player: entrant
    infoset: after-build
    actions: {enter: sbe, out: sbo}
  sn:
    player: entrant
    infoset: after-none
    actions: {enter: sne, out: sno}
  wb:
    player: entrant
    infoset: after-build
    actions: {enter: wbe, out: wbo}
  wn:
    player: entrant
    infoset: after-none
    actions: {enter: wne, out: wno}
  sbe: {payoffs: {incumbent: 0.5, entrant: -1}}
  sbo: {payoffs: {incumbent: 1.5, entrant: 0}}
  sne: {payoffs: {incumbent: 1, entrant: -1}}
  sno: {payoffs: {incumbent: 2, entrant: 0}}
  wbe: {payoffs: {incumbent: -3, entrant: 1}}
  wbo: {payoffs: {incumbent: -1, entrant: 0}}
  wne: {payoffs: {incumbent: 0, entrant: 1}}
  wno: {payoffs: {incumbent: 2, entrant: 0}}
"""


def line_of(text: str, marker: str) -> int:
    """The line on which ``marker`` (which may span lines) starts."""
    assert marker in text, marker
    return text[: text.index(marker)].count("\n") + 1


def test_yaml_game_loads_and_solves() -> None:
    game = load_game_text(GAME_YAML, "g.yaml")
    assert game.name == "entry-deterrence"
    assert not game.perfect_information and game.perfect_recall
    eq = solve(game)
    assert eq.behaviour()["strong"]["build"] == pytest.approx(1, abs=1e-3)
    assert load_game_text(dump_game(game)).to_specs() == game.to_specs()


# (replace this, with that) -> (marker of the reported line, field path, words of the message)
BROKEN: dict[str, tuple[str, str, str, str, str]] = {
    "unreachable": ("  wno: {payoffs: {incumbent: 2, entrant: 0}}\n",
                    "  wno: {payoffs: {incumbent: 2, entrant: 0}}\n"
                    "  orphan: {payoffs: {incumbent: 0, entrant: 0}}\n",
                    "orphan:", "nodes.orphan", "cannot be reached from the root 'nature'"),
    "probabilities": ("weak: {prob: 1/2", "weak: {prob: 1/3", "    chance:", "nodes.nature.chance",
                      "probabilities sum to 0.833333, not 1"),
    "infoset-players": ("  wb:\n    player: entrant", "  wb:\n    player: incumbent",
                        "infoset: after-build\n    actions: {enter: wbe", "nodes.wb.infoset",
                        "information set 'after-build' mixes players"),
    "infoset-actions": ("actions: {enter: wbe, out: wbo}", "actions: {enter: wbe, stay: wbo}",
                        "actions: {enter: wbe, stay: wbo}", "nodes.wb.actions",
                        "mixes action sets"),
    "missing-payoff": ("wne: {payoffs: {incumbent: 0, entrant: 1}}",
                       "wne: {payoffs: {incumbent: 0}}",
                       "wne: {payoffs", "nodes.wne.payoffs", "missing payoff for player 'entrant'"),
    "unknown-player": ("  strong:\n    player: incumbent", "  strong:\n    player: monopolist",
                       "player: monopolist", "nodes.strong.player", "unknown player 'monopolist'"),
    "unknown-payoff-player": ("sno: {payoffs: {incumbent: 2, entrant: 0}}",
                              "sno: {payoffs: {incumbent: 2, entrant: 0, regulator: 1}}",
                              "sno: {payoffs", "nodes.sno.payoffs.regulator",
                              "unknown player 'regulator'"),
    "cycle": ("actions: {enter: sne, out: sno}", "actions: {enter: sne, out: strong}",
              "actions: {enter: sne, out: strong}", "nodes.sn.actions.out",
              "leads back to 'strong': the tree has a cycle (strong → sn → strong)"),
    "unknown-node": ("actions: {enter: sbe, out: sbo}", "actions: {enter: sbe, out: sbx}",
                     "actions: {enter: sbe, out: sbx}", "nodes.sb.actions.out",
                     "leads to unknown node 'sbx'"),
    "two-parents": ("actions: {enter: wbe, out: wbo}", "actions: {enter: wbe, out: sbo}",
                    "  sbo: {payoffs", "nodes.sbo", "is reached from 2 places"),
    "not-a-number": ("sbe: {payoffs: {incumbent: 0.5,", "sbe: {payoffs: {incumbent: lots,",
                     "sbe: {payoffs", "nodes.sbe.payoffs.incumbent", "expected a number"),
    "unknown-key": ("  weak:\n    player: incumbent", "  weak:\n    owner: x\n    player: incumbent",
                    "owner: x", "nodes.weak.owner", "unknown key 'owner'"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_invalid_trees_are_located(case: str) -> None:
    old, new, marker, path, words = BROKEN[case]
    assert old in GAME_YAML
    text = GAME_YAML.replace(old, new, 1)
    with pytest.raises(GameError) as info:
        load_game_text(text, "g.yaml")
    expected = f"g.yaml:{line_of(text, marker)}: {path}: "
    assert any(p.render("g.yaml").startswith(expected) and words in p.message
               for p in info.value.problems), str(info.value)
    assert isinstance(info.value, accord.AccordError)


def test_yaml_syntax_and_duplicate_keys_are_located() -> None:
    with pytest.raises(GameError, match=r"^g\.yaml:3: not valid YAML"):
        load_game_text("game: x\nplayers: [a\nnodes: {}\n", "g.yaml")
    dup = GAME_YAML.replace("  sbo: {payoffs", "  sbe: {payoffs: {incumbent: 0, entrant: 0}}\n"
                                                "  sbo: {payoffs", 1)
    with pytest.raises(GameError, match=r"g\.yaml:\d+: nodes\.sbe: duplicate key"):
        load_game_text(dup, "g.yaml")


def test_absent_minded_and_python_built_errors() -> None:
    with pytest.raises(GameError, match="occurs twice in one play"):
        build_game(["a"], {
            "r": Decision("a", {"x": "n", "y": "t1"}, infoset="h"),
            "n": Decision("a", {"x": "t2", "y": "t3"}, infoset="h"),
            "t1": Terminal({"a": 0}), "t2": Terminal({"a": 1}), "t3": Terminal({"a": 2}),
        })
    with pytest.raises(GameError, match=r"^<game>: nodes\.r\.player: unknown player 'b'"):
        build_game(["a"], {"r": Decision("b", {"x": "t"}), "t": Terminal({"a": 0})})


def test_load_game_reads_files(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(GAME_YAML, encoding="utf-8")
    (tmp_path / "g.efg").write_text(to_efg(load_game(tmp_path / "g.yaml")), encoding="utf-8")
    assert load_game(tmp_path / "g.efg").to_specs() == load_game(tmp_path / "g.yaml").to_specs()
    with pytest.raises(accord.AccordError, match="no such game file"):
        load_game(tmp_path / "missing.yaml")


# --- Gambit .efg -------------------------------------------------------------------------------
def test_efg_round_trip() -> None:
    for game in (entry_game(), load_game_text(GAME_YAML),
                 korea_crisis_game(accord.load_scenario("korea-2020")).game):
        text = to_efg(game)
        back = read_efg_text(text, "x.efg", name=game.name)
        assert to_efg(back) == text
        # node labels are not part of the .efg format; everything else survives
        assert _unlabelled(back) == _unlabelled(game)
        assert solve(back).strategy == pytest.approx(solve(game).strategy, abs=1e-9)


def _unlabelled(game: CrisisGame) -> dict[str, NodeSpec]:
    return {k: dataclasses.replace(v, label="") for k, v in game.to_specs().items()}


HAND_WRITTEN = r"""EFG 2 R "A \"quoted\" title" { "Player 1" "Player 2" }
"comment"

c "" 1 "" { "L" 1/3 "R" 0.6666666666666667 } 0
p "" 1 1 "(1,1)" { "a" "b" } 1 "bonus" { 1, 0 }
t "" 2 "x" { 2, 3 }
t "" 3 "y" { 0 0 }
p "" 1 1 { "a" "b" } 0
t "" 2
t "" 3
"""


def test_efg_reader_handles_the_format() -> None:
    game = read_efg_text(HAND_WRITTEN, "h.efg", name="hand")
    assert game.players == ("Player-1", "Player-2")
    assert game.title == 'A "quoted" title' and game.description == "comment"
    assert len(game.infosets) == 1 and len(game.infosets[0].nodes) == 2
    # the outcome on the first decision node adds to every payoff below it
    assert game.payoffs.tolist() == [[3.0, 3.0], [1.0, 0.0], [2.0, 3.0], [0.0, 0.0]]
    assert game.edge_prob[game.children(0)].tolist() == pytest.approx([1 / 3, 2 / 3])


@pytest.mark.parametrize(("text", "line", "words"), [
    ('EFG 2 R "t" { "a" }\np "" 1 1 "" { "x" } 0\nt "" 1 "" { 1, 2 }\n', 3,
     "outcome 1 gives 2 payoffs for 1 players"),
    ('EFG 2 R "t" { "a" }\np "" 2 1 "" { "x" } 0\n', 2, "player number 2 is not between 1"),
    ('EFG 2 R "t" { "a" }\np "" 1 1 "" { "x" "y" } 0\nt "" 1 "" { 1 }\n', 3,
     "the file ends where a node"),
    ('EFG 2 R "t" { "a" }\nc "" 1 "" { "x" 1/2 "y" 1/3 } 0\nt "" 1 "" { 1 }\nt "" 2 "" { 1 }\n', 2,
     "probabilities sum to 0.833333"),
    ("GAME\n", 1, "starts with 'EFG 2 R'"),
])
def test_efg_errors_are_located(text: str, line: int, words: str) -> None:
    with pytest.raises(GameError) as info:
        read_efg_text(text, "bad.efg")
    assert str(info.value).startswith(f"bad.efg:{line}:"), str(info.value)
    assert words in str(info.value)


def _open_spiel_check(pyspiel: object, game: CrisisGame) -> None:
    """Walk our tree and OpenSpiel's copy of the exported .efg side by side."""
    from open_spiel.python import policy as policy_lib
    from open_spiel.python.algorithms import exploitability

    spiel = pyspiel.load_efg_game(to_efg(game))  # type: ignore[attr-defined]
    eq = solve(game)
    behaviour = eq.behaviour()
    policy = policy_lib.TabularPolicy(spiel)
    values: list[np.ndarray] = []

    def walk(state: object, node: int, p: float) -> None:
        if state.is_terminal():  # type: ignore[attr-defined]
            k = int(np.flatnonzero(game.terminals == node)[0])
            assert state.returns() == pytest.approx(game.payoffs[k].tolist())  # type: ignore[attr-defined]
            values.append(p * game.payoffs[k])
            return
        kids = game.children(node)
        if state.is_chance_node():  # type: ignore[attr-defined]
            outcomes = state.chance_outcomes()  # type: ignore[attr-defined]
            assert [pr for _, pr in outcomes] == pytest.approx(game.edge_prob[kids].tolist())
            for (action, pr), child in zip(outcomes, kids, strict=True):
                walk(state.child(action), int(child), p * pr)  # type: ignore[attr-defined]
            return
        h = game.infosets[game.infoset[node]]
        row = policy.policy_for_key(state.information_state_string())  # type: ignore[attr-defined]
        for action, label, child in zip(state.legal_actions(), h.actions, kids, strict=True):  # type: ignore[attr-defined]
            assert state.action_to_string(action) == label  # type: ignore[attr-defined]
            row[action] = behaviour[h.id][label]
            walk(state.child(action), int(child), p * behaviour[h.id][label])  # type: ignore[attr-defined]

    walk(spiel.new_initial_state(), 0, 1.0)
    assert np.sum(values, axis=0) == pytest.approx(list(eq.expected_payoffs.values()), abs=1e-9)
    # our equilibrium leaves no player a profitable deviation in OpenSpiel's own evaluation
    assert exploitability.nash_conv(spiel, policy) == pytest.approx(0.0, abs=1e-2)


def test_open_spiel_agrees() -> None:
    pyspiel = pytest.importorskip("pyspiel")
    for game in (entry_game(), signalling_game(0.5, 0.5, 3.0), signalling_game(0.8, 1.5, 3.0),
                 korea_crisis_game(accord.load_scenario("korea-2020")).game):
        _open_spiel_check(pyspiel, game)


# --- the Korea crisis game ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["korea-2020", "korea-2018"])
@pytest.mark.parametrize("lever", [None, *CRISIS_LEVERS])
def test_korea_game_solves(name: str, lever: str | None) -> None:
    scenario = accord.load_scenario(name)
    if lever is not None:
        scenario = apply_levers(scenario, [lever])
    crisis = korea_crisis_game(scenario)
    assert set(crisis.game.players) == {"usa", "dprk", "china"}
    assert crisis.states.shape == (len(crisis.game.terminals), 7)
    assert crisis.utilities.shape == (len(crisis.game.terminals), len(scenario.actors))
    eq = solve(crisis.game)
    assert eq.method == "logit-qre" and eq.converged
    assert eq.regret < 1e-3
    assert eq.reach[crisis.game.terminals].sum() == pytest.approx(1.0)
    for acts in eq.behaviour().values():
        assert sum(acts.values()) == pytest.approx(1.0)


def _check_china(china: Mapping[str, float]) -> None:
    assert set(china) == {"intervene", "mobilise", "stay_out"}
    assert sum(china.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["korea-2020", "korea-2018"])
def test_crisis_report(name: str) -> None:
    report = crisis_report(name)
    data = report.to_dict()
    json.dumps(data)  # JSON-ready
    assert {"scenario", "levers", "game", "solver", "p_strike", "paths", "expected_payoffs",
            "stakeholder_payoffs", "expected_outcome", "china_if_strike", "dprk_if_strike",
            "behaviour", "beliefs", "mechanics", "lever_effects"} <= data.keys()
    assert sum(row["probability"] for row in data["paths"]) == pytest.approx(1.0, abs=1e-3)
    assert set(data["expected_payoffs"]) == {"usa", "dprk", "china"}
    _check_china(report.china.probabilities)
    for by_type in report.china.by_type.values():
        _check_china(by_type)
    assert [e["lever"] for e in data["lever_effects"]] == list(CRISIS_LEVERS)
    for effect in report.lever_effects:
        # every China-facing lever makes intervening less attractive to China
        assert effect.delta_margin < 0
        assert effect.delta_intervene < 0.01
        assert set(effect.to_dict()) >= {"changes_choice", "delta_intervene", "delta_margin"}
    # a resolute China is the likelier to intervene (it discounts a clash with the US)
    by_type = report.china.by_type
    assert by_type["resolute"]["intervene"] >= by_type["restrained"]["intervene"]
    assert report.china.margin_by_type["resolute"] > report.china.margin_by_type["restrained"]
    # the contingency plan, which meets three of China's worries at once, moves China most,
    # and the four levers together keep China out (docs/crisis.md reports the numbers)
    plan = next(e for e in report.lever_effects if e.lever == "contingency-plan")
    assert plan.delta_margin == min(e.delta_margin for e in report.lever_effects)
    together = crisis_report(name, CRISIS_LEVERS)
    assert together.china.p_intervene < 0.01 and together.lever_effects == ()
    assert "China" in report.summary()


def test_crisis_report_rejects_unknown_levers() -> None:
    with pytest.raises(accord.AccordError, match="unknown lever 'no-such-lever'"):
        crisis_report("korea-2020", ["no-such-lever"])


def test_levers_move_the_mechanics() -> None:
    from accord.crisis import mechanics

    base = accord.load_scenario("korea-2020")
    m0 = mechanics(base)
    assert mechanics(apply_levers(base, ["four-nos"])).restraint > m0.restraint
    assert mechanics(apply_levers(base, ["troop-pledge"])).permanence < m0.permanence
    assert mechanics(apply_levers(base, ["refugee-cost-sharing"])).share > m0.share
    plan = mechanics(apply_levers(base, ["contingency-plan"]))
    assert plan.restraint > m0.restraint and plan.share > m0.share and plan.plan > 0


def test_benchmark_sized_game_solves() -> None:
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_crisis.py"
    spec = importlib.util.spec_from_file_location("bench_crisis", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    game = bench.layered_game(0)
    assert (len(game.terminals), len(game.infosets), len(game.players)) == (160, 44, 4)
    assert not game.perfect_information
    eq = solve(game)
    assert eq.converged and eq.regret < 1e-2
    assert re.fullmatch(r"layered-4p-0", game.name)


def test_the_documented_game_format_example_loads() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "crisis.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", doc, re.S)
    assert block is not None
    game = load_game_text(block.group(1), "crisis.md")
    eq = solve(game)
    assert eq.behaviour()["strong"]["build"] == pytest.approx(1, abs=1e-3)
    assert eq.belief("after-none") == pytest.approx({"strong.none": 0, "weak.none": 1}, abs=1e-6)
