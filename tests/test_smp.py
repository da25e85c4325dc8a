"""SMP against KTAB's own output (golden), plus stochastic mode, batching and options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accord import AccordError, load_scenario, run_model, to_arrays
from accord.models.smp import SMPOptions, run_smp
from accord.scenario.ktab import read_ktab_csv

from .conftest import REFERENCE, need

KTAB = REFERENCE / "ktab-smp"
CASES = [
    ("dummyData_3Dim", 11), ("SOE-Pol-Comp", 28), ("SOE-Policy", 20), ("dummyData_6Dim", 30),
    ("SOE-Competitive", 36), ("dummyData-a040", 21), ("dummyData-a080", 18),
    ("dummyData-a160", 14),
]


def reference_history(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "History of actor positions over time:"
    split = lines.index("History of actors' winning probabilities:")
    positions = [line.rsplit(":", 1)[1].split() for line in lines[1:split]]
    probs = [line.rsplit(":", 1)[1].split() for line in lines[split + 1 :] if line.strip()]
    return positions, probs


@pytest.mark.parametrize(("name", "states"), CASES, ids=[c[0] for c in CASES])
def test_identical_to_ktab(name: str, states: int) -> None:
    need(KTAB / f"{name}.csv")
    scenario = read_ktab_csv(KTAB / f"{name}.csv")
    forecast = run_model("smp", scenario)
    ref_positions, ref_probs = reference_history(KTAB / f"{name}.history.txt")
    assert forecast.diagnostics["states"] == states == len(ref_positions[0])
    history = forecast.history
    assert history is not None
    n_actors, n_issues = len(scenario.actors), len(scenario.issues)
    mine = [
        ["%5.1f" % history[t, i, k] for t in range(states)]  # noqa: UP031 (C's %5.1f, as KTAB)
        for i in range(n_actors)
        for k in range(n_issues)
    ]
    assert [[v.strip() for v in row] for row in mine] == ref_positions
    prob = forecast.diagnostics["prob"]
    assert [["%.4f" % prob[t, i] for t in range(states)] for i in range(n_actors)] == ref_probs  # noqa: UP031


def test_first_checks_of_the_spec() -> None:
    f = run_model("smp", read_ktab_csv(need(KTAB / "dummyData_3Dim.csv")))
    assert f.history is not None
    assert round(f.history[0, 0, 1], 1) == 6.4 and round(f.history[1, 0, 1], 1) == 44.7
    assert ["%.4f" % p for p in f.diagnostics["prob"][10]] == [  # noqa: UP031
        "0.3340", "0.3340", "0.0183", "0.0957", "0.1512", "0.4009", "0.1512"]
    # the forecast is the final position of the most likely actor (ties: lowest index)
    best = int(np.argmax(f.diagnostics["prob"][-1]))
    np.testing.assert_array_equal(f.outcome, f.history[-1, best])
    assert f.diagnostics["stop"] == "converged"


def test_batched_runs_equal_single_runs() -> None:
    a = to_arrays(load_scenario("korea-2020"))
    rng = np.random.default_rng(3)
    draws = 6
    pos = np.clip(a.position + rng.normal(0, 5, (draws, *a.position.shape)), 0, 100)
    sal = np.broadcast_to(a.salience, pos.shape)
    cap = np.broadcast_to(a.capability, (draws, a.n_actors))
    batch = run_smp(pos, sal, cap)
    compact = run_smp(pos, sal, cap, record=False)
    assert len(set(batch.states.tolist())) > 1  # draws of different lengths
    for d in range(draws):
        single = run_smp(pos[d : d + 1], sal[d : d + 1], cap[d : d + 1])
        for run in (batch, compact):
            assert single.states[0] == run.states[d]
            np.testing.assert_array_equal(single.final_positions[0], run.final_positions[d])
            np.testing.assert_array_equal(single.final_prob[0], run.final_prob[d])
        n = int(single.states[0])
        np.testing.assert_array_equal(single.positions[:, 0], batch.positions[:n, d])


def test_stochastic_draws_do_not_depend_on_the_batch() -> None:
    a = to_arrays(load_scenario("korea-2020"))
    draws = 5
    pos = np.broadcast_to(a.position, (draws, *a.position.shape))
    sal = np.broadcast_to(a.salience, pos.shape)
    cap = np.broadcast_to(a.capability, (draws, a.n_actors))
    opt = SMPOptions(transitions="stochastic")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(42).spawn(draws)]
    whole = run_smp(pos, sal, cap, opt, rng=streams, record=False)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(42).spawn(draws)]
    halves = [run_smp(pos[sl], sal[sl], cap[sl], opt, rng=streams[sl], record=False)
              for sl in (slice(0, 2), slice(2, 5))]
    np.testing.assert_array_equal(
        whole.final_positions, np.concatenate([h.final_positions for h in halves]))
    with pytest.raises(AccordError, match="3 random generators for 5 draws"):
        run_smp(pos, sal, cap, opt, rng=streams[:3])


def test_stochastic_mode_same_seed_same_run() -> None:
    s = load_scenario("korea-2020")
    first = run_model("smp", s, transitions="stochastic", seed=11)
    again = run_model("smp", s, transitions="stochastic", seed=11)
    np.testing.assert_array_equal(first.history, again.history)
    others = [run_model("smp", s, transitions="stochastic", seed=k).history for k in range(5)]
    assert any(h.shape != first.history.shape or not np.array_equal(h, first.history) for h in others)


@pytest.mark.parametrize(
    "option",
    [
        {"voting_rule": "binary"}, {"voting_rule": "prop_bin"}, {"voting_rule": "prop_cbc"},
        {"voting_rule": "cubic"}, {"voting_rule": "asym_prosp"}, {"vp_model": "square"},
        {"vp_model": "quartic"}, {"vp_model": "octic"}, {"vp_model": "binary"},
        {"pce_model": "markov_uniform"}, {"pce_model": "markov_incentive"},
        {"big_r_range": "min"}, {"big_r_range": "max"}, {"big_r_adjust": "none"},
        {"big_r_adjust": "half"}, {"big_r_adjust": "two_thirds"}, {"big_r_adjust": "full"},
        {"third_party_commit": "no_commit"}, {"third_party_commit": "full_commit"},
        {"interpolation": "s1p1"}, {"interpolation": "s2pmax"},
        {"bargain_model": "init_rcvr"}, {"bargain_model": "pw_comp"},
        {"capability_scale": "relative"}, {"max_turns": 3},
    ],
    ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()),
)
def test_every_option_runs_and_stays_in_range(option: dict[str, object]) -> None:
    s = read_ktab_csv(need(KTAB / "dummyData_3Dim.csv"))
    f = run_model("smp", s, **option)
    a = to_arrays(s)
    assert f.history is not None and f.history.shape[1:] == a.position.shape
    assert np.all(f.outcome >= a.position.min(axis=0) - 0.1)
    assert np.all(f.outcome <= a.position.max(axis=0) + 0.1)
    probs = f.diagnostics["prob"]
    assert np.all((probs >= 0) & (probs <= 1 + 1e-12))
    if option.get("max_turns") == 3:
        assert f.diagnostics["states"] <= 4


def test_bad_options_and_inputs() -> None:
    s = load_scenario("example-trade")
    with pytest.raises(AccordError, match="voting_rule must be one of"):
        run_model("smp", s, voting_rule="majority")
    with pytest.raises(AccordError, match="max_turns"):
        SMPOptions(max_turns=0)
    with pytest.raises(AccordError, match="capability above 0"):
        run_smp(np.zeros((1, 3, 1)), np.ones((1, 3, 1)), np.array([[1.0, 0.0, 1.0]]))
    copenhagen = need(REFERENCE / "exchange" / "copenhagen.csv")
    with pytest.raises(AccordError, match="absent from"):
        run_model("smp", load_scenario(copenhagen))


def test_forecast_records_turns_and_weighted_mean() -> None:
    f = run_model("smp", load_scenario("korea-2020"))
    turns = f.diagnostics["turns"]
    assert len(turns) == f.diagnostics["states"] - 1
    actors = set(f.actors)
    for turn in turns:
        for ch in turn["challenges"]:
            assert ch["initiator"] in actors and ch["target"] in actors and ch["gain"] > 1e-5
        assert set(turn["choices"]) == actors
    mean = f.diagnostics["prob_weighted_mean"]
    assert set(mean) == set(f.issues)
    assert all(0 <= v <= 100 for v in mean.values())
