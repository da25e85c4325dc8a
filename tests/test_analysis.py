"""Levers, uncertainty sampling, sweeps on every executor, sensitivity, lever comparison."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord import AccordError, UnknownNameError, forecast, load_scenario
from accord.analysis import batch_forecast, compare, make_executor, sensitivity, sweep
from accord.analysis.executors import DaskExecutor
from accord.levers import apply_levers
from accord.models import registry
from accord.scenario import Param
from accord.scenario.uncertainty import (
    UncertainValue,
    batch_from_uniforms,
    ppf,
    sample_batch,
    uncertain_values,
)

from .conftest import CliResult
from .factories import make_scenario

Cli = Callable[..., CliResult]

KOREA = load_scenario("korea-2020")
TRADE = load_scenario("example-trade")


# --- levers -------------------------------------------------------------------------------------


def test_levers_are_pure_and_apply_their_edits() -> None:
    before = TRADE.model_dump()
    after = apply_levers(TRADE, ["side-payment"])
    assert TRADE.model_dump() == before
    assert after.actor("south").positions["tariffs"].value == 50  # 30 + 20
    assert forecast(after, "mean")["tariffs"] > forecast(TRADE, "mean")["tariffs"]


def test_lever_values_stay_on_their_scale_and_ranges_follow() -> None:
    s = TRADE
    for _ in range(5):  # add 20 five times: 30 -> 100, clipped
        s = apply_levers(s, ["side-payment"])
    assert s.actor("south").positions["tariffs"].value == 100
    edited = Param(value=10, low=5, high=15)
    data = TRADE.model_dump(mode="json")
    data["actors"][1]["positions"]["tariffs"] = edited.model_dump()
    ranged = type(TRADE).model_validate(data)
    moved = apply_levers(ranged, ["side-payment"]).actor("south").positions["tariffs"]
    assert (moved.low, moved.value, moved.high) == (25, 30, 35)


def test_parameter_edits() -> None:
    data = TRADE.model_dump(mode="json")
    data["parameters"] = {"detection": {"value": 0.3, "low": 0.1, "high": 0.5}}
    data["levers"].append({"id": "inspect", "name": "Inspectors",
                           "edits": [{"field": "parameter", "parameter": "detection",
                                      "op": "add", "value": 0.2}]})
    s = type(TRADE).model_validate(data)
    p = apply_levers(s, ["inspect"]).parameters["detection"]
    assert p.value == pytest.approx(0.5) and p.low == pytest.approx(0.3)
    data["levers"][-1]["edits"][0]["parameter"] = "nope"
    with pytest.raises(AccordError, match="unknown parameter 'nope'"):
        type(TRADE).model_validate(data)


def test_levers_give_what_full_validation_gives() -> None:
    # edits rebuild only what they change; the result is the scenario a full re-validation of
    # the edited data gives, for every lever of the built-in scenarios and all of them together
    for s in (KOREA, load_scenario("korea-2018"), TRADE):
        ids = [lv.id for lv in s.levers]
        for chosen in [[i] for i in ids] + [ids]:
            edited = apply_levers(s, chosen)
            assert type(s).model_validate(edited.model_dump()) == edited


def test_foreign_edits_fail_clearly() -> None:
    from accord.levers import apply_edit
    from accord.scenario.schema import Edit, Evidence

    south = TRADE.actor("south")
    cases = [
        (Edit(field="position", actor="nobody", issue="tariffs", value=10), "unknown actor"),
        (Edit(field="position", actor="south", issue="nothing", value=10), "unknown issue"),
        (Edit(field="status_quo", issue="nothing", value=10), "unknown issue"),
        (Edit(field="parameter", parameter="nope", value=1), "unknown parameter 'nope'"),
        (Edit(field="position", actor="south", issue="tariffs",
              value=Param(value=10, evidence=(Evidence(source="elsewhere", paragraph=1,
                                                       claim="x"),))),
         "unknown source 'elsewhere'"),
    ]
    for edit, message in cases:
        with pytest.raises(AccordError, match=message):
            apply_edit(TRADE, edit)
    bad = Evidence.model_construct(source="example-notes", paragraph=0, claim="x")
    with pytest.raises(AccordError, match="lever evidence is invalid"):
        apply_edit(TRADE, Edit(field="position", actor="south", issue="tariffs", value=10),
                   (bad,))
    assert str(apply_edit(TRADE, Edit(field="position", actor="south", issue="tariffs",
                                      value=-0.0)).actor("south").positions["tariffs"].value) \
        == "0.0"  # never a negative zero
    assert apply_levers(TRADE, "side-payment") == apply_levers(TRADE, ["side-payment"])
    # an edit that leaves an issue without weight is refused as the schema refuses it
    zeroed = TRADE
    for actor in TRADE.actors:
        zeroed = apply_edit(zeroed, Edit(field="capability", actor=actor.id, op="scale",
                                         value=0.5))
    assert zeroed.actor("south").capability.value == south.capability.value / 2
    with pytest.raises(AccordError, match="no actor has both capability and salience above 0"):
        for actor in TRADE.actors:
            zeroed = apply_edit(zeroed, Edit(field="salience", actor=actor.id,
                                             issue="tariffs", value=0))


def test_unknown_lever() -> None:
    with pytest.raises(UnknownNameError, match="unknown lever 'magic'"):
        apply_levers(KOREA, ["magic"])
    with pytest.raises(UnknownNameError, match="unknown lever"):
        compare(KOREA, ["magic"])
    with pytest.raises(AccordError, match="name at least one lever"):
        compare(KOREA, [])


def test_compare_deltas_are_differences() -> None:
    r = compare(KOREA, ["four-nos", "dual-freeze"], ["mean", "median"])
    assert r.variants == ("baseline", "four-nos", "dual-freeze", "all levers")
    d = r.to_dict()["deltas"]["four-nos"]["mean"]
    for issue, delta in d.items():
        assert delta == pytest.approx(r.forecasts["four-nos"]["mean"][issue]
                                      - r.forecasts["baseline"]["mean"][issue])
    assert any(abs(v) > 0.1 for v in d.values())


# --- uncertainty ----------------------------------------------------------------------------------


def _value(dist: str, low: float, mode: float, high: float) -> UncertainValue:
    return UncertainValue("x", "parameter", None, None, "x",
                          Param(value=mode, low=low, high=high, dist=dist))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dist", "expected_mean"),
    [("triangular", (10 + 20 + 60) / 3), ("pert", (10 + 4 * 20 + 60) / 6), ("uniform", 35.0)],
)
def test_distributions_have_their_means(dist: str, expected_mean: float) -> None:
    u = (np.arange(200_000) + 0.5) / 200_000  # an exact quadrature of the inverse CDF
    x = ppf((_value(dist, 10, 20, 60),), u[:, None])[:, 0]
    assert x.mean() == pytest.approx(expected_mean, rel=1e-3)
    assert x.min() >= 10 and x.max() <= 60


@settings(max_examples=50, deadline=None)
@given(low=st.floats(0, 50), width=st.floats(1e-3, 50), frac=st.floats(0, 1),
       dist=st.sampled_from(["triangular", "pert", "uniform"]), u=st.floats(0, 1))
def test_ppf_stays_in_range_and_is_monotone(low: float, width: float, frac: float, dist: str,
                                            u: float) -> None:
    v = (_value(dist, low, low + frac * width, low + width),)
    a, b = ppf(v, np.array([[u * 0.5], [u]]))[:, 0]
    assert low <= a <= b + 1e-12 * width and b <= low + width  # monotone up to rounding


def test_samples_land_where_the_scenario_says() -> None:
    values = uncertain_values(KOREA)
    assert len(values) > 50
    batch = sample_batch(KOREA, 500, np.random.default_rng(1))
    for v in values[:20]:
        col = (batch.position[:, v.actor, v.issue] if v.kind == "position"
               else batch.salience[:, v.actor, v.issue] if v.kind == "salience"
               else batch.capability[:, v.actor] if v.kind == "capability"
               else batch.status_quo[:, v.issue] if v.kind == "status_quo"
               else batch.parameters[v.parameter or ""])
        assert v.param.low is not None and v.param.high is not None
        assert col.min() >= v.param.low and col.max() <= v.param.high and col.std() > 0
    fixed = batch_from_uniforms(KOREA, np.full((1, len(values)), 0.5))
    assert np.all(fixed.position >= 0) and np.all(fixed.position <= 100)


# --- sweeps --------------------------------------------------------------------------------------


def test_same_seed_same_sweep_and_models_share_draws() -> None:
    a = sweep(KOREA, ["mean", "median"], draws=3000, seed=3)
    b = sweep(KOREA, ["mean", "median"], draws=3000, seed=3)
    assert a.to_dict() == b.to_dict()
    c = sweep(KOREA, ["mean"], draws=3000, seed=4)
    assert c.summary()["mean"] != a.summary()["mean"]
    np.testing.assert_array_equal(a.samples["mean"], sweep(KOREA, ["mean"], draws=3000, seed=3).samples["mean"])


def test_quantiles_are_ordered_and_within_the_scale() -> None:
    summary = sweep(KOREA, ["mean", "median", "nash"], draws=1000, seed=1).summary()
    for issues in summary.values():
        for st_ in issues.values():
            qs = [st_[k] for k in ("q05", "q25", "q50", "q75", "q95")]
            assert qs == sorted(qs) and qs[0] >= 0 and qs[-1] <= 100


def test_sweep_is_identical_on_every_executor() -> None:
    serial = sweep(KOREA, ["mean", "median", "smp"], draws=2500, seed=11, block=500)
    procs = sweep(KOREA, ["mean", "median", "smp"], draws=2500, seed=11, block=500,
                  executor=make_executor("processes", workers=2))
    assert procs.to_dict() == serial.to_dict()
    one = sweep(KOREA, ["mean", "median", "smp"], draws=2500, seed=11, block=500,
                executor=make_executor("processes", workers=1))
    assert one.to_dict() == serial.to_dict()


def test_sweep_on_a_local_dask_cluster() -> None:
    pytest.importorskip("distributed")
    serial = sweep(KOREA, ["mean"], draws=1000, seed=5, block=250)
    dask = sweep(KOREA, ["mean"], draws=1000, seed=5, block=250,
                 executor=make_executor("dask", workers=2))
    assert dask.to_dict() == serial.to_dict()


def test_unreachable_dask_scheduler_is_a_clear_error() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(AccordError, match="cannot reach the Dask scheduler"):
        sweep(KOREA, ["mean"], draws=10, seed=1,
              executor=DaskExecutor(address="tcp://127.0.0.1:9", timeout="1s"))


def test_models_without_a_batched_form_still_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = registry.get_model("mean")
    monkeypatch.setitem(registry._MODELS, "slow-mean", registry.ModelSpec("slow-mean", "", spec.fn))
    batch = sample_batch(KOREA, 20, np.random.default_rng(0))
    np.testing.assert_allclose(batch_forecast("slow-mean", batch), batch_forecast("mean", batch))


def test_sweep_errors() -> None:
    with pytest.raises(AccordError, match="draws must be at least 1"):
        sweep(KOREA, ["mean"], draws=0)
    with pytest.raises(AccordError, match="has no parameter"):
        sweep(KOREA, ["mean"], draws=5, params={"mean": {"rounds": 3}})
    with pytest.raises(AccordError, match="unknown executor"):
        make_executor("cloud")


# --- sensitivity ---------------------------------------------------------------------------------


def test_sensitivity_finds_the_one_input_that_matters() -> None:
    pytest.importorskip("SALib")
    s = make_scenario([[20, 50], [80, 50]], [[50, 50], [50, 50]], [10, 10], [50, 50])
    data = s.model_dump(mode="json")
    data["actors"][0]["positions"]["i0"] = {"value": 20, "low": 0, "high": 40}
    data["actors"][1]["positions"]["i1"] = {"value": 50, "low": 40, "high": 60}
    r = sensitivity(type(s).model_validate(data), "i0", "mean", samples=256)
    top = r.inputs[0]
    assert top["input"] == "a0.positions.i0" and float(top["ST"]) > 0.9
    assert abs(float(r.inputs[1]["ST"])) < 0.05


def test_sensitivity_errors() -> None:
    pytest.importorskip("SALib")
    with pytest.raises(AccordError, match="power of two"):
        sensitivity(KOREA, "sanctions", samples=100)
    with pytest.raises(UnknownNameError, match="unknown issue"):
        sensitivity(KOREA, "weather")
    with pytest.raises(AccordError, match="no value has an uncertainty range"):
        sensitivity(TRADE.model_copy(update={"issues": (TRADE.issues[0],
                    TRADE.issues[1].model_copy(update={"status_quo": Param(value=20)}))}), "tariffs")


# --- CLI -----------------------------------------------------------------------------------------




def test_cli_compare_sweep_sensitivity_json(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = cli("compare", "korea-2020", "--lever", "four-nos", "--json")
    assert code == 0 and set(json.loads(out)["deltas"]) == {"four-nos"}
    code, out, _ = cli("sweep", "korea-2020", "--draws", "500", "--seed", "7", "--json")
    data = json.loads(out)
    assert code == 0 and data["seed"] == 7 and set(data["summary"]) == {"mean", "median", "nash"}
    code, out2, _ = cli("sweep", "korea-2020", "--draws", "500", "--seed", "7",
                        "--json", "--executor", "processes")
    assert out2 == out
    code, out, _ = cli("sensitivity", "korea-2020", "--output", "sanctions",
                       "--samples", "64", "--json")
    assert code == 0 and json.loads(out)["inputs"][0]["ST"] >= json.loads(out)["inputs"][-1]["ST"]
    code, _, err = cli("compare", "korea-2020", "--lever", "nope")
    assert code == 1 and "unknown lever 'nope'" in err
    code, _, err = cli("sensitivity", "korea-2020")
    assert code == 1 and "--output" in err
