"""The compromise models against hand computations and independent optimisers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from accord import (
    AccordError,
    UnknownNameError,
    forecast,
    get_model,
    load_scenario,
    run_model,
    to_arrays,
)
from accord.models.compromise import weighted_mean, weighted_median
from accord.models.utility import utility
from accord.scenario.arrays import ScenarioArrays

from .factories import make_scenario


def test_mean_is_the_capability_salience_weighted_mean() -> None:
    s = load_scenario("example-trade")
    for k, issue in enumerate(s.issue_ids):
        num = den = 0.0
        for actor in s.actors:
            w = actor.capability.value * actor.saliences[issue].value
            num += w * actor.positions[issue].value
            den += w
        assert forecast(s, "mean").outcome[k] == pytest.approx(num / den, rel=1e-14)


@pytest.mark.parametrize(
    ("positions", "weights", "expected"),
    [
        ([10, 50, 90], [1, 1, 1], 50.0),
        ([20, 60], [1, 1], 40.0),  # exact tie: midpoint
        ([20, 60, 99], [1, 1, 0], 40.0),  # zero weight never decides
        ([20, 60, 70], [3, 1, 1], 20.0),
        ([70, 20, 60], [1, 3, 1], 20.0),
        ([0, 100], [1, 2], 100.0),
    ],
)
def test_weighted_median(positions: list[float], weights: list[float], expected: float) -> None:
    x = np.array(positions, dtype=float)[:, None]
    w = np.array(weights, dtype=float)[:, None]
    assert weighted_median(x, w)[0] == expected


def test_batched_forms_match_one_by_one() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 100, (50, 6, 4))
    w = rng.uniform(0, 1, (50, 6, 4))
    batch_mean, batch_median = weighted_mean(x, w), weighted_median(x, w)
    for d in range(50):
        np.testing.assert_allclose(batch_mean[d], weighted_mean(x[d], w[d]))
        np.testing.assert_array_equal(batch_median[d], weighted_median(x[d], w[d]))


_ARRAYS: dict[int, ScenarioArrays] = {}


def _nash_objective(scenario_data: dict, y: np.ndarray) -> float:  # type: ignore[type-arg]
    if id(scenario_data) not in _ARRAYS:
        _ARRAYS[id(scenario_data)] = to_arrays(make_scenario(**scenario_data))
    a = _ARRAYS[id(scenario_data)]
    g = utility(a.position, a.salience, y) - utility(a.position, a.salience, a.status_quo)
    return float(np.sum(a.capability * np.log(g))) if np.all(g > 0) else -np.inf


NASH_CASE = {
    "positions": [[90, 20, 70], [10, 80, 40], [50, 50, 95], [30, 90, 10]],
    "saliences": [[80, 20, 40], [30, 90, 50], [60, 40, 70], [20, 20, 90]],
    "capability": [50, 30, 15, 5],
    "status_quo": [5, 10, 0],
}


def test_nash_beats_an_independent_optimiser() -> None:
    ours = run_model("nash", make_scenario(**NASH_CASE))
    assert ours.diagnostics["agreement"] is True
    best = _nash_objective(NASH_CASE, ours.outcome)
    rng = np.random.default_rng(0)
    def loss(y: np.ndarray) -> float:
        value = _nash_objective(NASH_CASE, y)
        return -value if np.isfinite(value) else 1e6

    for _ in range(5):
        start = ours.outcome + rng.normal(0, 1, 3)
        assert loss(start) < 1e6
        res = minimize(loss, start, method="Nelder-Mead",
                       options={"xatol": 1e-9, "fatol": 1e-14, "maxiter": 20000, "adaptive": True})
        assert -res.fun <= best + 1e-9
        np.testing.assert_allclose(res.x, ours.outcome, atol=1e-3)
    # every party gains relative to the status quo
    assert min(ours.diagnostics["gains"].values()) > 0


def test_nash_with_a_shared_ideal_is_that_ideal() -> None:
    data = {"positions": [[70, 30], [70, 30], [70, 30]], "saliences": [[10, 90], [50, 50], [90, 10]],
            "capability": [1, 2, 3], "status_quo": [0, 100]}
    np.testing.assert_allclose(run_model("nash", make_scenario(**data)).outcome, [70, 30], atol=1e-6)


def test_nash_without_a_mutually_better_outcome_is_the_status_quo() -> None:
    data = {"positions": [[0], [100]], "saliences": [[50], [50]], "capability": [1, 1], "status_quo": [50]}
    f = run_model("nash", make_scenario(**data))
    assert f.outcome.tolist() == [50.0]
    assert f.diagnostics["agreement"] is False


def test_nash_without_status_quo_uses_worst_case_disagreement() -> None:
    data = dict(NASH_CASE)
    data.pop("status_quo")
    f = run_model("nash", make_scenario(**data))
    assert f.diagnostics["disagreement_point"] == "worst_case"
    assert f.diagnostics["agreement"] is True


def test_utilities_are_one_at_the_ideal_point() -> None:
    x = np.array([[20.0, 80.0]])
    s = np.array([[1.0, 3.0]])
    assert utility(x, s, np.array([20.0, 80.0]))[0] == 1.0
    assert utility(x, s, np.array([20.0, 0.0]))[0] == pytest.approx(1 - 0.75 * 0.64)


def test_registry_errors() -> None:
    with pytest.raises(UnknownNameError, match="unknown model 'oracle'; available models: ") as info:
        get_model("oracle")
    assert all(m in str(info.value) for m in ("mean", "median", "nash", "smp", "bdm"))
    with pytest.raises(AccordError, match="has no parameter 'rounds'"):
        run_model("mean", load_scenario("example-trade"), rounds=3)
