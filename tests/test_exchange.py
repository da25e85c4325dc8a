"""The exchange model: golden tests against the decide package (exact arithmetic), fast mode,
ties, batching, bad inputs and the Korea scenario."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest

import accord
import accord.models.compromise  # built-ins first, so the registry keeps its usual order
import accord.models.exchange
from accord import AccordError, Scenario, load_scenario, run_model, to_arrays
from accord.models import exchange_fast
from accord.models.exchange import (
    TieBreak,
    exact_inputs,
    exchange,
    exchange_batch,
    run_exchange,
)
from accord.models.exchange_fast import FastRun
from accord.models.forecast import Forecast
from accord.scenario.arrays import ScenarioArrays
from accord.scenario.decide import read_decide
from accord.scenario.uncertainty import sample_batch

from .conftest import REFERENCE, need
from .factories import make_scenario

DECIDE = REFERENCE / "exchange"

# spec section 13: compromise per issue after rounds 1–10 (internal 0–100 scale, 4 decimals)
COPENHAGEN = {
    "start": [61.5763, 58.1447, 30.7074, 52.2359, 51.9499, 57.6214, 64.6207],
    "rounds": [
        [54.2618, 67.0158, 36.9193, 47.4279, 19.0632, 68.5412, 95.4778],
        [42.2472, 63.6102, 41.8866, 38.5431, 13.4022, 70.9236, 96.1872],
        [55.7352, 69.6168, 37.9855, 56.7243, 16.6644, 78.8950, 94.3303],
        [46.2176, 81.4998, 22.1764, 42.9695, 12.9346, 71.5041, 92.3450],
        [57.5851, 75.3923, 35.0547, 54.1549, 13.2143, 79.5990, 95.0820],
        [60.1892, 77.1217, 30.9516, 40.8022, 15.2825, 72.4809, 93.8028],
        [56.8501, 69.4699, 23.8270, 49.5688, 15.5114, 72.9090, 97.6150],
        [62.0743, 67.5896, 33.6558, 42.2937, 12.4389, 82.0865, 98.6435],
        [55.8298, 76.4140, 29.0423, 55.0734, 21.6285, 73.9937, 94.1021],
        [63.8841, 76.0868, 32.9948, 38.7480, 19.1683, 75.9037, 94.0266],
    ],
    "counts": [48, 46, 42, 44, 47, 42, 45, 46, 45, 45],
    "candidates": (437, 420),
    "first": [  # side 1 (actor, supply issue, y); side 2 (actor, supply issue, y); gain
        ("USA", "Extra", "90.000000", "China India", "Commitments", "21.893663", "3.2788177340"),
        ("USA", "Control", "52.126006", "Least Developed Countries", "Newtreaty", "10.000000",
         "1.8533898305"),
        ("USA", "Control", "90.000000", "Alliance of Small Island States", "Newtreaty",
         "19.084202", "1.6663168606"),
        ("China India", "Control", "50.737583", "EU (incl Norway)", "MRVdecrease", "10.000000",
         "1.5845070423"),
        ("China India", "Domestred", "21.314827", "EU (incl Norway)", "Newtreaty", "100.000000",
         "0.8614157527"),
        ("USA", "Extra", "95.620315", "Least Developed Countries", "MRVdecrease", "90.000000",
         "0.7871422081"),
    ],
}
SAMPLE = {
    "start": [49.3532, 27.2460, 50.5789, 52.4855, 49.4883, 56.6008],
    "rounds": [
        [67.1779, 48.6005, 50.6828, 16.2347, 75.1462, 46.7727],
        [69.7596, 54.3592, 50.4488, 10.7618, 80.9139, 40.5103],
        [60.2404, 58.2697, 66.7549, 5.7015, 87.7611, 46.0230],
        [69.5051, 56.6045, 48.3013, 8.5767, 71.2906, 38.0835],
        [74.6524, 55.5317, 50.2045, 9.8377, 82.6248, 38.6790],
        [73.5288, 60.8048, 47.6279, 7.2050, 78.6624, 41.7838],
        [73.2079, 55.8810, 46.4910, 8.9641, 82.6248, 43.6230],
        [67.6164, 57.3614, 45.8368, 13.1954, 85.1393, 50.5913],
        [72.9632, 60.3511, 47.0022, 8.2861, 81.8961, 42.2595],
        [75.8168, 59.4633, 44.5755, 11.5011, 78.2234, 48.3479],
    ],
    "counts": [39, 37, 36, 42, 35, 39, 36, 36, 36, 30],
    "candidates": (240, 230),
    "first": [
        ("Willems", "extra-investering", "100.000000", "Wcentr", "tolheffing-binnenstad",
         "61.051174", "1.9736842105"),
        ("Wcentr", "kleine-of-grote-ring", "25.000000", "PvdA", "woonwerkverkeer", "0.148800",
         "1.7926363088"),
        ("GL", "woonwerkverkeer", "22.672214", "KvK", "wanneer-tol", "100.000000",
         "1.5343653251"),
        ("PvdA", "extra-investering", "76.639963", "Wcentr", "tol-hoogte", "38.461538",
         "1.1576210049"),
    ],
}
CASES = {"copenhagen.csv": COPENHAGEN, "sample_data.txt": SAMPLE}


def load(name: str) -> Scenario:
    return read_decide(need(DECIDE / name))


def compromises(f: Forecast) -> list[list[float]]:
    return [list(r["compromise"].values()) for r in f.diagnostics["rounds"]]


def names(s: Scenario) -> dict[str, str]:
    return {a.id: a.name for a in s.actors} | {i.id: i.name for i in s.issues}


@pytest.fixture(scope="module", params=list(CASES))
def golden(request: pytest.FixtureRequest) -> tuple[Scenario, Forecast, dict]:  # type: ignore[type-arg]
    s = load(request.param)
    return s, run_model("exchange", s, arithmetic="exact"), CASES[request.param]


# --- exact arithmetic: the reference package's numbers ------------------------------------


def test_exact_reproduces_every_round(golden: tuple[Scenario, Forecast, dict]) -> None:  # type: ignore[type-arg]
    _, f, ref = golden
    assert [round(v, 4) for v in f.diagnostics["start"].values()] == ref["start"]
    assert [[round(v, 4) for v in row] for row in compromises(f)] == ref["rounds"]
    assert f.diagnostics["exchanges_per_round"] == ref["counts"]
    assert [round(v, 4) for v in f.outcome] == ref["rounds"][-1]
    first = f.diagnostics["rounds"][0]
    assert (first["candidates"]["created"], first["candidates"]["valid"]) == ref["candidates"]
    assert first["count"] == len(first["exchanges"]) == ref["counts"][0]


def test_exact_first_exchanges(golden: tuple[Scenario, Forecast, dict]) -> None:  # type: ignore[type-arg]
    s, f, ref = golden
    label = names(s)
    seen = []
    for ex in f.diagnostics["rounds"][0]["exchanges"][: len(ref["first"])]:
        i, j = ex["supplies_i"], ex["supplies_j"]
        assert ex["moves"][i]["actor"] == ex["actor_i"] and ex["moves"][j]["actor"] == ex["actor_j"]
        seen.append((label[ex["actor_i"]], label[i], f"{ex['moves'][i]['to']:.6f}",
                     label[ex["actor_j"]], label[j], f"{ex['moves'][j]['to']:.6f}",
                     f"{ex['gain']:.10f}"))
    assert seen == ref["first"]


def test_an_actor_continues_from_its_last_voting_position() -> None:
    f = run_model("exchange", load("copenhagen.csv"), arithmetic="exact", rounds=1)
    ex = f.diagnostics["rounds"][0]["exchanges"]
    # exchanges 2 and 3: USA moves on Control twice, the second time from where the first ended
    assert ex[2]["moves"]["Control"]["from"] == ex[1]["moves"]["Control"]["to"]


def test_raw_scale_positions_use_the_files_decimals() -> None:
    s = load("sample_data.txt")
    position, salience, capability = exact_inputs(to_arrays(s))
    k = s.issue_ids.index("tol-hoogte")
    a = s.actor_ids.index("Willems")  # raw 3.0 on 0.5–7: 2.5 × (100 ÷ 6.5), 28 digits each
    assert position[a][k] == Decimal("38.46153846153846153846153845")
    assert salience[a][k] == Decimal("0.7") and capability[a] == Decimal("1")
    f = run_model("exchange", s, arithmetic="exact")
    scale = s.issues[k].scale
    assert scale is not None
    assert round(scale.to_raw(f.diagnostics["start"]["tol-hoogte"]), 4) == 2.2710
    assert round(scale.to_raw(f["tol-hoogte"]), 4) == 4.3651


def test_exact_without_scales_treats_issues_as_0_100() -> None:
    a = to_arrays(load("copenhagen.csv"))
    bare = ScenarioArrays(a.actors, a.issues, a.capability, a.position, a.salience, a.present,
                          a.status_quo)
    np.testing.assert_array_equal(exchange(bare, arithmetic="exact", rounds=2).outcome,
                                  exchange(a, arithmetic="exact", rounds=2).outcome)


# --- fast arithmetic -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "rounds"), [("copenhagen.csv", 1), ("sample_data.txt", 4)])
def test_fast_matches_exact_in_the_early_rounds(name: str, rounds: int) -> None:
    s = load(name)
    fast = run_model("exchange", s, rounds=rounds)
    exact = run_model("exchange", s, rounds=rounds, arithmetic="exact")
    np.testing.assert_allclose(compromises(fast), compromises(exact), rtol=0, atol=1e-9)
    for rf, rx in zip(fast.diagnostics["rounds"], exact.diagnostics["rounds"], strict=True):
        assert rf["candidates"] == rx["candidates"]
        assert len(rf["exchanges"]) == len(rx["exchanges"])
        for a, b in zip(rf["exchanges"], rx["exchanges"], strict=True):
            assert [a[k] for k in ("actor_i", "actor_j", "supplies_i", "supplies_j")] == [
                b[k] for k in ("actor_i", "actor_j", "supplies_i", "supplies_j")]
            assert a["gain"] == pytest.approx(b["gain"], rel=1e-9)
            for issue, move in a["moves"].items():
                assert move["to"] == pytest.approx(b["moves"][issue]["to"], abs=1e-9)


def test_fast_later_rounds_stay_close_on_average() -> None:
    # binary64 leaves the reference trajectory at the first noise-decided tie (spec 10.3), but
    # it is the same model: its forecasts are in the same region
    s = load("copenhagen.csv")
    fast, exact = run_model("exchange", s), run_model("exchange", s, arithmetic="exact")
    assert np.abs(fast.outcome - exact.outcome).mean() < 10.0


def test_fast_is_deterministic_and_registered() -> None:
    s = load_scenario("korea-2020")
    first, second = run_model("exchange", s), run_model("exchange", s)
    np.testing.assert_array_equal(first.outcome, second.outcome)
    assert first.to_dict() == second.to_dict()
    assert "exchange" in accord.available_models()


# --- ties ------------------------------------------------------------------------------------


def test_random_tie_break_is_reproducible_and_shows_the_spread() -> None:
    s = load("copenhagen.csv")
    a = run_model("exchange", s, tie_break="random", seed=7)
    b = run_model("exchange", s, tie_break="random", seed=7)
    np.testing.assert_array_equal(a.outcome, b.outcome)
    assert a.diagnostics["rounds"] == b.diagnostics["rounds"]
    outcomes = {tuple(np.round(run_model("exchange", s, tie_break="random", seed=seed).outcome, 6))
                for seed in range(6)}
    assert len(outcomes) > 1  # copenhagen has tied gains (two actors with identical data)
    assert sum(r["ties"] for r in a.diagnostics["rounds"]) > 0


def test_without_ties_random_tie_break_changes_nothing() -> None:
    s = make_scenario([[10, 80], [90, 20], [30, 70], [75, 35]],
                      [[60, 20], [25, 70], [50, 40], [35, 55]], [1.0, 2.0, 1.5, 0.7])
    plain = run_model("exchange", s)
    assert all(r["ties"] == 0 for r in plain.diagnostics["rounds"])
    for seed in (1, 2):
        np.testing.assert_array_equal(
            run_model("exchange", s, tie_break="random", seed=seed).outcome, plain.outcome)


# --- batches ---------------------------------------------------------------------------------


def test_batched_runs_equal_single_runs() -> None:
    a = to_arrays(load_scenario("korea-2020"))
    rng = np.random.default_rng(5)
    draws = 8
    pos = np.clip(a.position + rng.normal(0, 8, (draws, *a.position.shape)), 0, 100)
    sal = np.clip(a.salience + rng.normal(0, 5, pos.shape), 1, 100)
    cap = a.capability * rng.uniform(0.8, 1.2, (draws, a.n_actors))
    batch = exchange_batch(pos, sal, cap)
    assert batch.shape == (draws, a.n_issues)
    assert len({tuple(row) for row in np.round(batch, 9)}) == draws
    for d in range(draws):
        single = exchange_batch(pos[d : d + 1], sal[d : d + 1], cap[d : d + 1])
        np.testing.assert_array_equal(single[0], batch[d])
    f = exchange(a)
    np.testing.assert_array_equal(exchange_batch(a.position[None], a.salience[None],
                                                 a.capability[None])[0], f.outcome)


def test_batches_with_absent_actors() -> None:
    a = to_arrays(load("copenhagen.csv"))
    assert not a.present.all()
    pos = np.stack([a.position, np.clip(a.position + 3.0, 0, 100)])
    sal = np.stack([a.salience, a.salience])
    cap = np.stack([a.capability, a.capability])
    run = run_exchange(pos, sal, cap, a.present, rounds=3, record=True)
    np.testing.assert_allclose(run.final[0], exchange(a, rounds=3).outcome, rtol=0, atol=0)
    assert np.all(run.voting[-1][:, ~a.present] == 0.0)
    assert [r.count.shape for r in run.rounds] == [(2,)] * 3


def _same_runs(a: FastRun, b: FastRun) -> None:
    np.testing.assert_array_equal(a.final, b.final)
    for x, y in zip(a.voting + a.starts, b.voting + b.starts, strict=True):
        np.testing.assert_array_equal(x, y)
    for ra, rb in zip(a.rounds, b.rounds, strict=True):
        for name in ("compromise", "count", "created", "valid", "ties"):
            np.testing.assert_array_equal(getattr(ra, name), getattr(rb, name))
        assert ra.exchanges.keys() == rb.exchanges.keys()
        for name, value in ra.exchanges.items():
            np.testing.assert_array_equal(value, rb.exchanges[name])


@pytest.mark.parametrize("tie_break", ["none", "random"])
def test_float_and_array_selection_loops_agree(monkeypatch: pytest.MonkeyPatch,
                                              tie_break: TieBreak) -> None:
    # a single draw runs its selection loop on Python floats, a batch (or a big draw) on arrays;
    # both must realise the same exchanges, ties (copenhagen has many) and caps included
    for arrays in (to_arrays(load("copenhagen.csv")), to_arrays(load("sample_data.txt"))):
        args = (arrays.position[None], arrays.salience[None], arrays.capability[None],
                arrays.present[None])
        runs = []
        for limit in (10**9, -1):
            monkeypatch.setattr(exchange_fast, "SCALAR_LIMIT", limit)
            runs.append(run_exchange(*args, tie_break=tie_break, rng=np.random.default_rng(3),
                                     record=True))
        _same_runs(*runs)
        assert sum(int(r.count[0]) for r in runs[0].rounds) > 300


def test_chunked_batches_equal_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_scenario("korea-2020")
    b = sample_batch(s, 10, np.random.default_rng(2))  # chunks of 3, 3, 3 and 1
    whole = run_exchange(b.position, b.salience, b.capability, b.present, rounds=4)
    monkeypatch.setattr(exchange_fast, "CHUNK", 3)
    chunked = run_exchange(b.position, b.salience, b.capability, b.present, rounds=4)
    _same_runs(whole, chunked)
    a = to_arrays(load("copenhagen.csv"))  # tied gains, in chunks too
    copies = np.repeat(a.position[None], 7, axis=0)
    tied = run_exchange(copies, np.broadcast_to(a.salience, copies.shape),
                        np.broadcast_to(a.capability, (7, a.n_actors)), a.present, rounds=3)
    np.testing.assert_array_equal(tied.final, np.repeat(exchange(a, rounds=3).outcome[None], 7, 0))



def test_big_batch_equals_its_draws_run_alone() -> None:
    # more (draw, actor, issue) keys than 16 bits index, absent actors, unequal chunks: each
    # draw's result is what it gets alone (the scalar loop), bit for bit
    rng = np.random.default_rng(5)
    n_b, n, k = 400, 12, 8
    x = rng.uniform(0, 100, (n_b, n, k))
    s = rng.uniform(5, 100, (n_b, n, k))
    c = rng.uniform(1, 100, (n_b, n))
    present = rng.random((n_b, n, k)) > 0.1
    assert 2 * n_b * n * k > 1 << 16
    batch = run_exchange(x, s, c, present, rounds=3).final
    for d in (0, 133, 257, 399):
        alone = run_exchange(x[d : d + 1], s[d : d + 1], c[d : d + 1], present[d : d + 1],
                             rounds=3).final[0]
        np.testing.assert_array_equal(batch[d], alone)


# --- forecast contents -----------------------------------------------------------------------


@pytest.mark.parametrize("arithmetic", ["fast", "exact"])
def test_korea(arithmetic: str) -> None:
    s = load_scenario("korea-2020")
    f = run_model("exchange", s, arithmetic=arithmetic, rounds=4)
    a = to_arrays(s)
    assert f.model == "exchange" and f.params["arithmetic"] == arithmetic
    assert f.history is not None and f.history.shape == (5, a.n_actors, a.n_issues)
    lo, hi = a.position.min(axis=0), a.position.max(axis=0)
    assert np.all(f.outcome >= lo - 1e-9) and np.all(f.outcome <= hi + 1e-9)
    # the history rows are the voting positions: their weighted mean is each round's compromise
    w = a.weight
    for r, rnd in enumerate(f.diagnostics["rounds"], start=1):
        np.testing.assert_allclose((w * f.history[r]).sum(0) / w.sum(0),
                                   list(rnd["compromise"].values()), atol=1e-9)
        assert rnd["count"] == len(rnd["exchanges"]) > 0
    np.testing.assert_allclose(list(f.diagnostics["rounds"][-1]["compromise"].values()),
                               f.outcome)
    data = json.loads(json.dumps(f.to_dict()))  # plain JSON all the way down
    ex = data["diagnostics"]["rounds"][0]["exchanges"][0]
    assert set(ex) == {"actor_i", "actor_j", "supplies_i", "supplies_j", "moves", "gain"}
    assert set(ex["moves"]) == {ex["supplies_i"], ex["supplies_j"]}
    assert ex["moves"][ex["supplies_i"]]["actor"] == ex["actor_i"]
    assert set(ex["moves"][ex["supplies_j"]]) == {"actor", "from", "to"}
    assert ex["actor_i"] in s.actor_ids and ex["supplies_j"] in s.issue_ids


def test_absent_actors_keep_their_placeholder() -> None:
    s = load("copenhagen.csv")
    a = to_arrays(s)
    for arithmetic in ("fast", "exact"):
        f = run_model("exchange", s, arithmetic=arithmetic, rounds=2)
        assert f.history is not None
        assert np.all(f.history[:, ~a.present] == 0.0)
        for rnd in f.diagnostics["rounds"]:
            for ex in rnd["exchanges"]:
                for issue, move in ex["moves"].items():
                    assert a.present[s.actor_ids.index(move["actor"]), s.issue_ids.index(issue)]


def test_no_exchange_possible_returns_the_compromise() -> None:
    # everyone on the same side of the compromise on one issue: no pair can trade
    s = make_scenario([[50, 20], [50, 80], [50, 40]], [[50, 60], [40, 30], [20, 70]],
                      [1.0, 2.0, 3.0])
    for arithmetic in ("fast", "exact"):
        f = run_model("exchange", s, arithmetic=arithmetic, rounds=3)
        assert f.diagnostics["exchanges_per_round"] == [0, 0, 0]
        np.testing.assert_allclose(f.outcome, list(f.diagnostics["start"].values()))
        np.testing.assert_allclose(f.outcome[0], 50.0)
    single = make_scenario([[10], [90]], [[50], [50]], [1.0, 1.0])  # one issue: nothing to trade
    f = run_model("exchange", single)
    assert f.outcome.tolist() == [50.0] and sum(f.diagnostics["exchanges_per_round"]) == 0


def test_zero_rounds_is_the_start() -> None:
    s = load_scenario("korea-2020")
    for arithmetic in ("fast", "exact"):
        f = run_model("exchange", s, rounds=0, arithmetic=arithmetic)
        assert f.diagnostics["rounds"] == []
        np.testing.assert_allclose(f.outcome, list(f.diagnostics["start"].values()))
        assert f.history is not None and f.history.shape[0] == 1


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "message"), [
    ({"arithmetic": "decimal"}, "arithmetic must be 'fast' or 'exact', not 'decimal'"),
    ({"tie_break": "coin"}, "tie_break must be 'none' or 'random'"),
    ({"rounds": -1}, "rounds must be between 0 and"),
    ({"rounds": 2.5}, "rounds must be a whole number"),
    ({"tie_tolerance": 0.5}, "tie_tolerance must be"),
    ({"arithmetic": "exact", "tie_break": "random"}, "tie_break='random' needs arithmetic='fast'"),
    ({"seed": -1}, "seed must be a whole number >= 0"),
    ({"max_turns": 3}, "has no parameter 'max_turns'"),
])
def test_bad_parameters(params: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(AccordError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_model("exchange", load_scenario("example-trade"), **params)


def test_bad_batches() -> None:
    x = np.full((2, 3, 2), 50.0)
    with pytest.raises(AccordError, match=r"\(draws, actors, issues\)"):
        exchange_batch(x[0], x[0], np.ones(3))
    with pytest.raises(AccordError, match="present must be"):
        exchange_batch(x, x, np.ones((2, 3)), present=np.ones((4, 4), dtype=bool))
    with pytest.raises(AccordError, match="positions must lie in 0–100"):
        exchange_batch(x + 60.0, x, np.ones((2, 3)))
    with pytest.raises(AccordError, match="not a finite number"):
        exchange_batch(x, x, np.full((2, 3), np.nan))


def test_zero_salience_or_capability_takes_no_part() -> None:
    s = make_scenario([[10, 80], [90, 20], [30, 70]], [[60, 20], [25, 70], [50, 40]],
                      [1.0, 2.0, 0.0])
    for arithmetic in ("fast", "exact"):
        f = run_model("exchange", s, arithmetic=arithmetic, rounds=2)
        for rnd in f.diagnostics["rounds"]:
            assert all("a2" not in (ex["actor_i"], ex["actor_j"]) for ex in rnd["exchanges"])
