"""The crisis game over the scenario's uncertainty (crisis_sweep, `accord crisis --draws`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from accord import AccordError, load_scenario
from accord.crisis import CHINA_MOVES, CRISIS_LEVERS, crisis_report, crisis_sweep
from accord.report.build import ReportData
from accord.report.sections import build_sections
from accord.scenario.arrays import to_arrays
from accord.scenario.schema import Scenario
from accord.scenario.uncertainty import (
    batch_from_uniforms,
    ppf,
    scenario_at,
    uncertain_values,
)

CliRun = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def korea() -> Scenario:
    return load_scenario("korea-2020")


def _without_ranges(s: Scenario) -> Scenario:
    """``s`` with every range dropped: the point values only."""
    values = uncertain_values(s)
    point = scenario_at(s, values, np.array([v.param.value for v in values]))
    data = point.model_dump(mode="json")

    def strip(node: object) -> None:
        if isinstance(node, dict):
            if "value" in node and "low" in node:
                node["low"] = node["high"] = None
            for child in node.values():
                strip(child)
        elif isinstance(node, list):
            for child in node:
                strip(child)

    strip(data)
    return Scenario.model_validate(data)


def test_scenario_at_sets_what_the_array_sampler_sets(korea: Scenario) -> None:
    values = uncertain_values(korea)
    u = np.random.default_rng(4).random((3, len(values)))
    sampled, batch = ppf(values, u), batch_from_uniforms(korea, u, values)
    for d in range(3):
        a = to_arrays(scenario_at(korea, values, sampled[d]))
        np.testing.assert_array_equal(a.position, batch.position[d])
        np.testing.assert_array_equal(a.salience, batch.salience[d])
        np.testing.assert_array_equal(a.capability, batch.capability[d])
        np.testing.assert_array_equal(a.status_quo, batch.status_quo[d])
    with pytest.raises(ValueError, match="expected"):
        scenario_at(korea, values, sampled[0][:-1])


def test_same_seed_same_numbers_and_sane_ranges(korea: Scenario) -> None:
    first = crisis_sweep(korea, draws=6, seed=11)
    again = crisis_sweep(korea, draws=6, seed=11)
    assert json.dumps(first.to_dict()) == json.dumps(again.to_dict())
    assert first.draws == 6 and first.seed == 11
    assert first.compared == tuple(lv for lv in CRISIS_LEVERS
                                   if lv in {x.id for x in korea.levers})
    for p in (first.p_strike, first.p_intervene):
        assert np.all((p >= 0) & (p <= 1))
    assert set(first.choice) <= set(CHINA_MOVES)
    assert sum(first.choice_shares().values()) == pytest.approx(1.0)
    for lv in first.compared:
        assert 0.0 <= first.share_changed(lv) <= 1.0
        assert np.all(np.abs(first.delta[lv]) <= 1.0)


def test_without_ranges_every_draw_is_the_point_solution(korea: Scenario) -> None:
    point = _without_ranges(korea)
    assert uncertain_values(point) == ()
    report = crisis_report(point, ["four-nos"], compare=["contingency-plan"])
    swept = crisis_sweep(point, ["four-nos"], draws=3, seed=1, compare=["contingency-plan"])
    np.testing.assert_allclose(swept.p_strike, report.p_strike)
    np.testing.assert_allclose(swept.p_intervene, report.china.p_intervene)
    assert swept.choice == (report.china.choice,) * 3
    effect = report.lever_effects[0]
    assert swept.choice_with["contingency-plan"] == (effect.after.choice,) * 3
    np.testing.assert_allclose(swept.delta["contingency-plan"], effect.delta_intervene)


def test_every_executor_gives_the_same_numbers(korea: Scenario) -> None:
    from accord.analysis import make_executor

    serial = crisis_sweep(korea, draws=12, seed=3)  # two blocks, the second one short
    pooled = crisis_sweep(korea, draws=12, seed=3, executor=make_executor("processes",
                                                                          workers=2))
    assert json.dumps(serial.to_dict()) == json.dumps(pooled.to_dict())
    seen: list[tuple[int, int]] = []
    crisis_sweep(korea, draws=12, seed=3, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(10, 12), (12, 12)]


def test_a_lever_that_adds_a_range_leaves_the_other_draws_alone(korea: Scenario) -> None:
    # drop one range and add a lever that puts it back: comparing that lever too must not
    # change the baseline's draws or another lever's effect
    data = korea.model_dump(mode="json")
    usa = next(a for a in data["actors"] if a["id"] == "usa")
    issue = next(iter(usa["positions"]))
    point = usa["positions"][issue]["value"]
    usa["positions"][issue].update(low=None, high=None)
    data["levers"].append({"id": "widen", "name": "Widen", "edits": [
        {"field": "position", "actor": "usa", "issue": issue, "op": "set",
         "value": {"value": point, "low": max(0.0, point - 20), "high": min(100.0, point + 20)}}]})
    s = Scenario.model_validate(data)
    one = crisis_sweep(s, draws=8, seed=5, compare=["four-nos"])
    two = crisis_sweep(s, draws=8, seed=5, compare=["four-nos", "widen"])
    np.testing.assert_array_equal(one.p_intervene, two.p_intervene)
    assert one.choice == two.choice
    np.testing.assert_array_equal(one.delta["four-nos"], two.delta["four-nos"])


def test_scenario_at_refuses_values_outside_their_ranges(korea: Scenario) -> None:
    values = uncertain_values(korea)
    inside = np.array([v.param.value for v in values])
    for bad in (150.0, float("nan")):
        x = inside.copy()
        x[0] = bad
        with pytest.raises(AccordError, match="outside its range"):
            scenario_at(korea, values, x)


def test_bad_input_fails_before_any_work(korea: Scenario) -> None:
    for draws in (0, -3, 2.5, True):
        with pytest.raises(AccordError, match="draws must be a whole number"):
            crisis_sweep(korea, draws=draws)  # type: ignore[arg-type]
    with pytest.raises(AccordError, match="no-such-lever"):
        crisis_sweep(korea, ["no-such-lever"], draws=2)
    with pytest.raises(AccordError, match="nope"):
        crisis_sweep(korea, draws=2, compare=["nope"])
    for seed in (-1, 2.5, True):
        with pytest.raises(AccordError, match="seed must be a whole number"):
            crisis_sweep(korea, draws=2, seed=seed)  # type: ignore[arg-type]
    # one lever may be named as a plain string, a numpy seed is fine
    single = crisis_sweep(korea, "four-nos", draws=2, seed=np.int64(3), compare="troop-pledge")
    assert single.levers == ("four-nos",) and single.compared == ("troop-pledge",)
    json.dumps(single.to_dict())


def test_cli_draws_json_text_and_errors(cli: CliRun, tmp_path: Path) -> None:
    code, out, _ = cli("crisis", "korea-2020", "--draws", "4", "--seed", "2", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["draws"] == 4 and data["seed"] == 2
    assert set(data["p_intervene_if_strike"]) == {"mean", "q05", "q25", "q50", "q75", "q95"}
    assert {e["lever"] for e in data["lever_effects"]} <= set(CRISIS_LEVERS)
    code, out, _ = cli("crisis", "korea-2020", "--draws", "3", "--seed", "2",
                       "--lever", "four-nos")
    assert code == 0 and "over 3 draws" in out and "with four-nos" in out
    code, _, err = cli("crisis", "korea-2020", "--seed", "2")
    assert code == 1 and "only matter with --draws" in err
    code, _, err = cli("crisis", "korea-2020", "--executor", "processes")
    assert code == 1 and "only matter with --draws" in err
    code, _, err = cli("crisis", "korea-2020", "--draws", "2", "--executor", "threads")
    assert code == 1 and "threads" in err
    code, _, err = cli("crisis", "korea-2020", "--draws", "0")
    assert code != 0
    store = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    code, _, err = cli("crisis", "korea-2020", "--draws", "2", "--seed", "5", "--save",
                       "--store", store)
    assert code == 0 and "saved run" in err
    code, out, _ = cli("runs", "list", "--store", store, "--json")
    assert code == 0 and "crisis_sweep" in out


def test_report_section_reads_a_saved_sweep(korea: Scenario) -> None:
    data = ReportData(korea)
    data.results["crisis_sweep"] = crisis_sweep(korea, draws=3, seed=4).to_dict()
    sections = {s.key: s for s in build_sections(data)}
    sec = sections["crisis_sweep"]
    assert "3 draws" in sec.paragraphs[0]
    table = sec.tables[0]
    assert table.rows[0][0] == "(no lever added)"
    assert [r[0] for r in table.rows[1:]] == [e["lever"] for e in
                                              data.results["crisis_sweep"]["lever_effects"]]
