"""The strategy lab (accord.negotiation): properties that follow from the model's equations.

Each test states the equation it derives from (docs/strategy.md has the model). Scenario-level
tests run a few hundred draws of korea-2020/korea-2018 or of small hand-made scenarios.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord import AccordError, Edit, Lever, Scenario, UnknownNameError, load_scenario
from accord.models.registry import run_model
from accord.models.utility import normalized_salience
from accord.negotiation import BLOCK, SPECS, Simulation, run_strategy, simulate
from accord.negotiation.bargaining import (
    MIN_GAIN,
    concession_shares,
    nash_package,
    utility_at,
)
from accord.negotiation.implementation import (
    breakdown_probability,
    halts,
    path_value,
    posterior,
    would_defect,
)
from accord.scenario import to_arrays

from .factories import make_scenario

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)
KOREA = load_scenario("korea-2020")
KOREA_2018 = load_scenario("korea-2018")


def with_parameters(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """``scenario`` with parameters set to point values; a bare name also sets its per-actor
    overrides (``detection`` sets ``detection.dprk`` too)."""
    data = scenario.model_dump()
    params = data.setdefault("parameters", {})
    for name, value in values.items():
        for key in [name, *(k for k in params if k.startswith(name + "."))]:
            params[key] = value
    return Scenario.model_validate(data)


def certain(scenario: Scenario) -> Scenario:
    """``scenario`` with every uncertainty range removed (point values only)."""
    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items()
                    if not ("value" in node and k in ("low", "high"))}
        if isinstance(node, list | tuple):
            return [strip(v) for v in node]
        return node

    return Scenario.model_validate(strip(scenario.model_dump()))


def fixed(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """As :func:`with_parameters`, and no chance of talks collapsing."""
    return with_parameters(scenario, {"talks_fail": 0.0, **values})


ENFORCED = {"detection": 1.0, "penalty": 1e6}


def arrays_equal(a: Simulation, b: Simulation) -> bool:
    return all(
        np.array_equal(v, getattr(b, name), equal_nan=v.dtype.kind == "f")
        for name, v in vars(a).items()
        if isinstance(v, np.ndarray)
    )


def unit_problem(seed: int, n: int, k: int) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (1, n, k))
    s = rng.uniform(0.05, 1, (1, n, k))
    w = s / s.sum(axis=-1, keepdims=True)
    c = rng.uniform(0.1, 1, (1, n))
    return x, w, c


# --- the decision rules -------------------------------------------------------------------

probability = st.floats(0, 1)
positive = st.floats(0, 10)


@SETTINGS
@given(gain=st.floats(-1, 1), p=probability, dp=st.floats(0, 1), f=positive, df=positive,
       b=probability, db=st.floats(0, 1), loss=positive, dl=positive)
def test_stronger_deterrence_never_turns_compliance_into_defection(
    gain: float, p: float, dp: float, f: float, df: float, b: float, db: float,
    loss: float, dl: float,
) -> None:
    """(1 − p) G > p (F + P L): the right side grows and the left shrinks with p, F, P and L."""
    def rule(*args: float) -> bool:
        return bool(would_defect(*(np.array([a]) for a in args))[0])

    before = rule(gain, p, f, b, loss)
    after = rule(gain, min(p + dp, 1.0), f + df, min(b + db, 1.0), loss + dl)
    assert not (after and not before)


@SETTINGS
@given(gain=st.floats(1e-6, 1), f=positive, b=probability, loss=positive)
def test_detection_decides_at_the_extremes(gain: float, f: float, b: float, loss: float) -> None:
    """p = 0 and G > 0: defect; p = 1 and a non-negative cost: comply; G ≤ 0: never defect."""
    a = [np.array([v]) for v in (gain, 0.0, f, b, loss)]
    assert would_defect(*a)[0]
    a[1] = np.array([1.0])
    assert not would_defect(*a)[0]
    assert not would_defect(np.array([0.0]), np.array([0.0]), *a[2:])[0]


def test_bayes_rule_on_a_hand_computed_case() -> None:
    """Prior 0.5, an opportunist would cheat, detection 0.6: passing verification gives
    0.5 / (0.5 + 0.5 × 0.4) = 5/7; being caught gives 0; if cheating would not pay, passing
    teaches nothing."""
    prior = np.array([0.5, 0.5, 0.5])
    would = np.array([True, True, False])
    p = np.array([0.6, 0.6, 0.6])
    caught = np.array([False, True, False])
    assert posterior(prior, would, p, caught) == pytest.approx([5 / 7, 0.0, 0.5])


@SETTINGS
@given(mu=probability, p=probability, would=st.booleans())
def test_beliefs_stay_probabilities_and_are_a_martingale(mu: float, p: float,
                                                         would: bool) -> None:
    """Bayes' rule: the posterior lies in [0, 1] and its expectation is the prior."""
    b, w, pp = np.array([mu]), np.array([would]), np.array([p])
    passed = posterior(b, w, pp, np.array([False]))[0]
    caught = posterior(b, w, pp, np.array([True]))[0]
    assert 0.0 <= passed <= 1.0 and caught == 0.0
    p_caught = (1 - mu) * p * would
    assert (1 - p_caught) * passed + p_caught * caught == pytest.approx(mu, abs=1e-12)


def test_breakdown_probability_counts_the_other_veto_players() -> None:
    """P_j = 1 − Π_{i veto, i ≠ j} (1 − β_i)."""
    walkout = np.array([[0.5, 0.2, 0.9, 0.7]])
    veto = np.array([[True, True, True, False]])
    assert breakdown_probability(walkout, veto)[0] == pytest.approx(
        [1 - 0.8 * 0.1, 1 - 0.5 * 0.1, 1 - 0.5 * 0.8, 1 - 0.5 * 0.8 * 0.1])


@SETTINGS
@given(mu=probability, harm=st.floats(0, 1), stake=st.floats(-1, 1), would=st.booleans(),
       f=st.floats(0, 0.5))
def test_halting_is_the_trust_threshold(mu: float, harm: float, stake: float, would: bool,
                                        f: float) -> None:
    """Two actors: 0 halts iff (1 − μ_1) D_1 H_01 > max(0, Y_0) + F_0 — Kydd's trust threshold
    μ_1 < 1 − (Y_0 + F_0) / H_01 when the other would cheat."""
    h = np.array([[[0.0, harm], [harm, 0.0]]])
    got = halts(h, np.array([[1.0, mu]]), np.array([[False, would]]),
                np.array([[stake, 1.0]]), np.array([[f, 0.0]]))
    assert bool(got[0, 0]) == ((1 - mu) * would * harm > max(0.0, stake) + f + 1e-15)
    assert not got[0, 1]


@SETTINGS
@given(seed=st.integers(0, 10_000), m=st.integers(0, 8), delta=st.floats(0, 1))
def test_path_value_sums_discounted_steps(seed: int, m: int, delta: float) -> None:
    """W = Σ_{s=1..m} δ^s [u(o_s) − u(o_{s−1})] along m equal steps."""
    x, w, _ = unit_problem(seed, 3, 4)
    rng = np.random.default_rng(seed + 1)
    start, end = rng.uniform(0, 1, (1, 4)), rng.uniform(0, 1, (1, 4))
    got = path_value(x, w, start, end, np.array([m]), np.full((1, 3), delta))
    want = np.zeros(3)
    for s in range(1, m + 1):
        gain = utility_at(x, w, start + s / m * (end - start)) - utility_at(
            x, w, start + (s - 1) / m * (end - start))
        want += delta**s * gain[0]
    assert got[0] == pytest.approx(want, abs=1e-12)


# --- the bargain ---------------------------------------------------------------------------


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 6), k=st.integers(1, 5))
def test_nash_package_meets_its_first_order_conditions(seed: int, n: int, k: int) -> None:
    """At the Nash package Σ_i (c_i / g_i) w_ik (o_k − x_ik) = 0 on every issue, and every party
    gains at least MIN_GAIN; where there is none, no outcome tried does better for all."""
    x, w, c = unit_problem(seed, n, k)
    q = np.random.default_rng(seed + 2).uniform(0, 1, (1, k))
    d = utility_at(x, w, q)
    o, agreed, gain, _ = nash_package(x, w, c, d, q)
    if agreed[0]:
        g = utility_at(x, w, o) - d
        assert g.min() >= MIN_GAIN and gain[0] == pytest.approx(g.min())
        foc = np.einsum("bn,bnk->bk", c / g, w * (o[:, None, :] - x))
        scale = np.einsum("bn,bnk->bk", c / g, w).max()
        assert np.abs(foc).max() <= 1e-7 * scale
    else:
        trials = np.random.default_rng(seed + 3).uniform(0, 1, (2000, k))
        g = utility_at(np.repeat(x, 2000, 0), np.repeat(w, 2000, 0), trials) - d
        assert g.min(axis=1).max() < 1e-4


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 5), k=st.integers(1, 4))
def test_no_package_beats_a_pareto_optimal_status_quo(seed: int, n: int, k: int) -> None:
    """Every o(λ) = Σ λ w x / Σ λ w maximises Σ λ_i u_i, so it is Pareto optimal: starting
    there, no package can leave every party better off."""
    x, w, c = unit_problem(seed, n, k)
    lam = np.random.default_rng(seed + 4).uniform(0.1, 1, (1, n))
    q = np.einsum("bn,bnk->bk", lam, w * x) / np.einsum("bn,bnk->bk", lam, w)
    _, agreed, _, _ = nash_package(x, w, c, utility_at(x, w, q), q)
    assert not agreed[0]


def test_grand_bargain_package_is_the_nash_forecast_when_everyone_has_a_veto() -> None:
    """With veto_share 0 every actor is a party, as in the `nash` model."""
    s = make_scenario([[10, 80, 40], [90, 20, 50], [50, 50, 95]],
                      [[80, 30, 50], [40, 90, 20], [30, 40, 90]], [40, 35, 25], [45, 55, 20])
    sim = simulate(fixed(s, {"veto_share": 0.0, **ENFORCED}), draws=3, seed=1)
    forecast = run_model("nash", s)
    assert sim.veto.all()
    assert sim.target[0] == pytest.approx(np.asarray(forecast.outcome), abs=1e-4)


def test_concession_shares() -> None:
    """Shares ∝ capability × utility given up, among veto players that give ground."""
    x = np.array([[[0.0, 0.5], [1.0, 0.5], [0.2, 0.5]]])
    w = np.full((1, 3, 2), 0.5)
    power = np.array([[2.0, 1.0, 0.0]])
    before, after = np.array([[0.5, 0.5]]), np.array([[0.6, 0.7]])
    r = concession_shares(x, w, power, before, after)
    # issue 0: actor 0 (ideal 0) loses, actor 1 (ideal 1) gains, actor 2 has no veto
    assert r[0, :, 0] == pytest.approx([1.0, 0.0, 0.0])
    # issue 1: everyone's ideal is 0.5, so all lose the same; shares follow capability
    assert r[0, :, 1] == pytest.approx([2 / 3, 1 / 3, 0.0])
    assert concession_shares(x, w, power, after, after).sum() == 0.0


# --- protocols on scenarios ----------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["grand_bargain", "incremental"])
def test_enforced_deals_are_kept_and_reach_what_was_agreed(protocol: str) -> None:
    """Certain detection and a prohibitive penalty: (1 − 1) G > F fails for every G, so nobody
    defects; then nobody fears being cheated (no halts) and nothing is caught (no walk-outs):
    the protocol ends where its parties agreed — the grand bargain at its package after K
    phases, the incremental process at a point where no mutually beneficial step remains."""
    sim = simulate(fixed(KOREA, ENFORCED), protocol, draws=300, seed=3)
    assert sim.agreed.all()
    assert not sim.defected.any() and not sim.breakdown.any() and not sim.capped.any()
    assert np.abs(sim.final - sim.target).max() < 1e-9
    gain = sim.utility - sim.status_quo_utility
    assert (gain[sim.veto] >= MIN_GAIN).all()
    if protocol == "incremental":
        # stopped because no step leaves every veto player better off: check from the end point
        point = simulate(fixed(certain(KOREA), ENFORCED), protocol, draws=5, seed=3)
        a = to_arrays(KOREA)
        x = np.repeat(a.position[None] / 100, 5, 0)
        w = np.repeat(normalized_salience(a.salience)[None], 5, 0)
        power = np.where(point.veto, a.capability, 0.0)
        end = point.final / 100
        _, more, _, _ = nash_package(x, w, power, utility_at(x, w, end), end)
        assert point.agreed.all() and not more.any()


def test_committed_types_never_defect() -> None:
    """Only opportunists defect: with every prior at 1, nobody does, even unverified."""
    s = fixed(KOREA, {"prior_committed": 1.0, "detection": 0.0})
    for protocol in ("grand_bargain", "incremental"):
        sim = simulate(s, protocol, draws=200, seed=4)
        assert sim.committed.all() and not sim.defected.any()
        assert np.abs(sim.final - sim.target).max() < 1e-9


def test_unverified_opportunists_defect() -> None:
    """Detection 0 and G > 0: every opportunist that has something to deliver in a phase that
    goes ahead withholds it. At the point values the DPRK's ideal is the status quo on
    denuclearization, so it gives ground there in every phase: it defects as soon as a phase
    goes ahead, and the shortfall is never seen."""
    s = fixed(certain(KOREA), {"prior_committed": 0.0, "detection": 0.0})
    sim = simulate(s, "grand_bargain", draws=20, seed=5)
    dprk = sim.actors.index("dprk")
    went = sim.phases >= 1
    assert went.any()
    assert sim.defected[went, dprk].all()
    assert not sim.detected.any()
    assert (sim.final[went, 0] < sim.target[went, 0] - 1e-6).all()


@SETTINGS
@given(k=st.integers(1, 10))
def test_any_number_of_phases_reaches_the_package(k: int) -> None:
    """Phase t moves every issue to q + t/K (P − q); with nobody defecting the last phase lands
    on P, whatever K."""
    sim = simulate(fixed(KOREA, {"phases": k, "prior_committed": 1.0}), draws=50, seed=6)
    assert (sim.phases == k).all()
    assert np.abs(sim.final - sim.target).max() < 1e-9


@pytest.mark.parametrize("protocol", ["grand_bargain", "incremental"])
@settings(max_examples=8, deadline=None, derandomize=True)
@given(low=st.floats(0, 0.5), extra=st.floats(0.01, 2), detection=st.floats(0.05, 0.6))
def test_raising_the_penalty_never_raises_breakdown(protocol: str, low: float, extra: float,
                                                    detection: float) -> None:
    """With types known (every prior 0, so beliefs never move) the choices of a phase depend on
    the draw, the phase and the penalty only: D = [(1 − p) G > p (φS + P L)] falls with φ, the
    fear of being cheated, Σ_j D_j H_ij, falls with it, and the cost of halting, Y⁺ + φS,
    rises. Detection, walk-out and talks coins
    are common to both runs. So every breakdown under the higher penalty is also one under the
    lower — draw by draw. (For the incremental process a caught defection must end the process,
    walkout 1, or the two runs would renegotiate from different places.)"""
    base = {"prior_committed": 0.0, "detection": detection, "walkout": 1.0}
    a = simulate(with_parameters(KOREA, {**base, "penalty": low}), protocol, draws=200, seed=7)
    b = simulate(with_parameters(KOREA, {**base, "penalty": low + extra}), protocol, draws=200,
                 seed=7)
    assert not (b.breakdown & ~a.breakdown).any()
    assert b.breakdown.mean() <= a.breakdown.mean()


def test_results_do_not_depend_on_how_draws_are_split() -> None:
    """Draw i of block b uses row i of block b's streams: any split gives the same numbers."""
    total = BLOCK + 300
    for protocol in ("grand_bargain", "incremental"):
        whole = simulate(KOREA, protocol, draws=total, seed=8)
        parts = Simulation.concat([
            simulate(KOREA, protocol, draws=250, seed=8),
            simulate(KOREA, protocol, draws=BLOCK - 200, seed=8, start=250),
            simulate(KOREA, protocol, draws=total - BLOCK - 50, seed=8, start=BLOCK + 50),
        ])
        assert arrays_equal(whole, parts)


def test_same_seed_same_result() -> None:
    a = run_strategy(KOREA, draws=300, seed=11).to_dict()
    b = run_strategy(KOREA, draws=300, seed=11).to_dict()
    c = run_strategy(KOREA, draws=300, seed=12).to_dict()
    assert a == b
    assert a["protocols"] != c["protocols"]
    fresh = run_strategy(KOREA, draws=50)
    again = run_strategy(KOREA, draws=50, seed=fresh.seed)
    assert fresh.to_dict() == again.to_dict()


def test_protocols_share_draws_and_coins() -> None:
    """Common random numbers: both protocols see the same scenario draws and the same types."""
    r = run_strategy(KOREA, draws=200, seed=13)
    gb, inc = r.simulations["grand_bargain"], r.simulations["incremental"]
    assert np.array_equal(gb.status_quo, inc.status_quo)
    assert np.array_equal(gb.committed, inc.committed)
    assert np.array_equal(gb.veto, inc.veto)


def test_beliefs_follow_the_record() -> None:
    """Beliefs stay in [0, 1]; a caught actor is believed an opportunist; a committed actor is
    never caught, so belief in it never falls below its prior."""
    s = with_parameters(KOREA, {"detection": 0.3})
    for protocol in ("grand_bargain", "incremental"):
        sim = simulate(s, protocol, draws=400, seed=14)
        assert ((sim.belief >= 0) & (sim.belief <= 1)).all()
        assert (sim.belief[sim.detected] == 0).all()
        assert not (sim.detected & sim.committed).any()
        dprk = sim.actors.index("dprk")
        prior = KOREA.parameters["prior_committed.dprk"]
        assert prior.low is not None
        assert (sim.belief[sim.committed[:, dprk], dprk] >= prior.low - 1e-12).all()


# --- results, metadata, inputs ---------------------------------------------------------------


@pytest.mark.parametrize("scenario", [KOREA, KOREA_2018], ids=["korea-2020", "korea-2018"])
@pytest.mark.parametrize("levers", [(), ("yongbyon-deal", "china-stakeholder"), ("hawk-shock",)])
def test_runs_on_korea(scenario: Scenario, levers: tuple[str, ...]) -> None:
    result = run_strategy(scenario, levers=levers, draws=200, seed=15)
    out = json.loads(json.dumps(result.to_dict()))
    assert set(out["protocols"]) == {"grand_bargain", "incremental"}
    for summary in out["protocols"].values():
        p = summary["p_denuclearization"]
        assert list(p) == ["25", "50", "75"]
        assert 1 >= p["25"] >= p["50"] >= p["75"] >= 0
        for key in ("p_agreement", "p_breakdown", "p_halt", "p_collapse", "p_complete"):
            assert 0 <= summary[key] <= 1
        assert summary["p_complete"] + summary["p_breakdown"] <= summary["p_agreement"] + 1e-12
        assert all(0 <= v <= 100 for v in summary["expected_final"].values())
        assert set(summary["expected_utility"]) == set(scenario.actor_ids)
        assert summary["expected_phases"] >= 0
    meta = out["metadata"]
    assert meta["draws"] == 200 and meta["seed"] == 15 and meta["levers"] == list(levers)
    assert meta["defaulted"] == [] and meta["clipped"] == []
    assert meta["parameters"]["detection.dprk"]["source"] == "scenario"


def test_levers_edit_protocol_parameters() -> None:
    """yongbyon-deal brings inspectors (detection of the DPRK up); china-stakeholder raises the
    penalty it faces; hawk-shock shortens the administration's horizon."""
    def value(levers: tuple[str, ...], name: str) -> float:
        return float(run_strategy(KOREA, levers=levers, draws=1, seed=0)
                     .parameters[name]["value"])

    assert value(("yongbyon-deal",), "detection.dprk") > value((), "detection.dprk")
    assert value(("china-stakeholder",), "penalty.dprk") > value((), "penalty.dprk")
    assert value(("china-red-line",), "penalty.dprk") > value((), "penalty.dprk")
    assert value(("hawk-shock",), "discount.usa") < value((), "discount.usa")


def test_defaults_are_reported() -> None:
    s = make_scenario([[10, 80], [90, 20], [50, 60]], [[80, 30], [40, 90], [50, 50]],
                      [40, 35, 25], [45, 55])
    result = run_strategy(s, draws=20, seed=1)
    assert set(result.defaulted) == {spec.name for spec in SPECS}
    assert result.parameters["detection"] == {
        "value": 0.5, "source": "default", "meaning": result.parameters["detection"]["meaning"]}
    assert result.to_dict()["protocols"]["grand_bargain"]["p_denuclearization"] is None


def test_out_of_range_values_are_clipped_and_reported() -> None:
    s = with_parameters(KOREA, {"detection.dprk": 0.95})
    boost = Lever(id="boost", name="boost", edits=(
        Edit(field="parameter", parameter="detection.dprk", op="add", value=0.2),))
    result = run_strategy(s, levers=[boost], draws=20, seed=1)
    assert result.clipped == ("detection.dprk",)
    assert result.levers == ("boost",)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: run_strategy(KOREA, protocols=["grand_bargin"], draws=5), "unknown protocol"),
    (lambda: run_strategy(KOREA, protocols=[], draws=5), "at least one protocol"),
    (lambda: run_strategy(KOREA, levers=["no-such-lever"], draws=5), "unknown lever"),
    (lambda: run_strategy(KOREA, draws=0), "draws"),
    (lambda: run_strategy(KOREA, draws=5, seed=-1), "seed"),
    (lambda: simulate(KOREA, "incremental", draws=5, start=-3), "start"),
])
def test_bad_inputs(call: Any, message: str) -> None:
    with pytest.raises(AccordError, match=message):
        call()


def test_unknown_names_are_unknown_name_errors() -> None:
    with pytest.raises(UnknownNameError, match="grand_bargain, incremental"):
        run_strategy(KOREA, protocols=["treaty"], draws=5)


@pytest.mark.parametrize(("name", "message"), [
    ("detection.nobody", "unknown actor 'nobody'"),
    ("phases.usa", "one number for the whole negotiation"),
])
def test_bad_parameter_names(name: str, message: str) -> None:
    s = with_parameters(KOREA, {name: 0.5})
    with pytest.raises(AccordError, match=message):
        run_strategy(s, draws=5, seed=1)


def test_needs_a_status_quo() -> None:
    s = make_scenario([[10, 80], [90, 20]], [[80, 30], [40, 90]], [40, 35])
    with pytest.raises(AccordError, match="status quo"):
        run_strategy(s, draws=5, seed=1)


def test_every_parameter_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "strategy.md").read_text()
    for spec in SPECS:
        assert f"`{spec.name}`" in doc, spec.name
        assert math.isfinite(spec.default)
