"""The command line: each command on built-in scenarios, user files and bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from accord import load_scenario

from .conftest import EXAMPLE, REFERENCE, CliResult, need

Cli = Callable[..., CliResult]




def test_forecast_defaults_to_korea(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = cli("forecast")
    assert code == 0
    s = load_scenario("korea-2020")
    assert s.name in out
    for issue in s.issues:
        assert issue.name in out
    for model in ("mean", "median", "nash"):
        assert model in out


def test_forecast_json_is_only_json(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = cli("forecast", "--json")
    assert code == 0
    data = json.loads(out)
    s = load_scenario("korea-2020")
    assert data["scenario"] == "korea-2020"
    assert list(data["forecasts"]) == ["mean", "median", "nash"]
    assert list(data["forecasts"]["nash"]) == list(s.issue_ids)


def test_forecast_ktab_csv_mean_is_the_weighted_mean(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    path = need(REFERENCE / "ktab-smp" / "dummyData_3Dim.csv")
    code, out, _ = cli("forecast", str(path), "--model", "mean", "--json")
    assert code == 0
    got = json.loads(out)["forecasts"]["mean"]
    rows = [r for r in csv.reader(path.read_text().splitlines())][2:]
    rows = [r for r in rows if r and r[0].strip()]
    for k, value in enumerate(got.values()):
        num = sum(float(r[2]) * float(r[4 + 2 * k]) * float(r[3 + 2 * k]) for r in rows)
        den = sum(float(r[2]) * float(r[4 + 2 * k]) for r in rows)
        assert value == pytest.approx(num / den, rel=1e-12)


def test_forecast_decide_file(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    path = need(REFERENCE / "exchange" / "copenhagen.csv")
    code, out, _ = cli("forecast", str(path), "-m", "mean", "--json")
    assert code == 0
    # the reference README gives the starting compromise point of Newtreaty
    assert json.loads(out)["forecasts"]["mean"]["Newtreaty"] == pytest.approx(61.5763, abs=5e-5)


def test_unknown_model_and_scenario(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = cli("forecast", "--model", "oracle")
    assert code == 1 and "unknown model 'oracle'" in err and "Traceback" not in err
    code, _, err = cli("forecast", "no-such-scenario")
    assert code == 1 and "not a built-in scenario" in err


def test_validate(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = cli("validate", str(EXAMPLE))
    assert code == 0 and out.strip() == "ok"
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("tariffs: 30,", "tariffs: 140,"))
    code, out, err = cli("validate", str(bad))
    assert code == 1
    assert "bad.yaml:" in err and "actors[1].positions.tariffs: 140 is outside 0–100" in err
    assert "Traceback" not in err and out == ""


def test_import_export_round_trip_and_no_clobbering(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    src = need(REFERENCE / "ktab-smp" / "SOE-Pol-Comp.csv")
    out_yaml = tmp_path / "soe.yaml"
    assert cli("import", str(src), "-o", str(out_yaml))[0] == 0
    assert load_scenario(out_yaml) == load_scenario(src)
    before = out_yaml.read_text()
    code, _, err = cli("import", str(src), "-o", str(out_yaml))
    assert code == 1 and "already exists" in err and out_yaml.read_text() == before
    out_csv = tmp_path / "soe.csv"
    assert cli("export", str(out_yaml), "--format", "ktab-csv", "-o", str(out_csv))[0] == 0
    assert load_scenario(out_csv) == load_scenario(src)
    out_decide = tmp_path / "trade.txt"
    assert cli("export", "example-trade", "-f", "decide-csv", "-o", str(out_decide))[0] == 0
    again = load_scenario(out_decide)
    assert again.actor_ids == load_scenario("example-trade").actor_ids
    code, out, _ = cli("export", "example-trade")
    assert code == 0 and out.startswith("id: example-trade")


def test_export_bad_format(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = cli("export", "example-trade", "--format", "pdf")
    assert code == 2 and "pdf" in err


def test_scenarios_show_models(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = cli("scenarios")
    assert code == 0 and "korea-2020" in out and "korea-2018" in out
    code, out, _ = cli("show", "example-trade")
    assert code == 0 and "Northland" in out and "90 / 80" in out
    code, out, _ = cli("models")
    assert code == 0 and "nash" in out


def test_the_installed_command_is_fast_and_clean(tmp_path: Path) -> None:
    start = time.perf_counter()
    done = subprocess.run(["accord", "forecast"], capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    assert elapsed < 10  # generous for loaded CI machines; the benchmark reports the real number
    bad = tmp_path / "empty.yaml"
    bad.write_text("")
    done = subprocess.run(["accord", "validate", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "empty.yaml:1: the file is empty" in done.stderr
    assert "Traceback" not in done.stderr


def test_smp_history_json_matches_ktab(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    path = need(REFERENCE / "ktab-smp" / "dummyData_3Dim.csv")
    code, out, _ = cli("forecast", str(path), "--model", "smp", "--history", "--json")
    assert code == 0
    hist = json.loads(out)["history"]["smp"]
    lines = (REFERENCE / "ktab-smp" / "dummyData_3Dim.history.txt").read_text().splitlines()
    assert hist["states"] == 11
    first = [float(v) for v in lines[1].rsplit(":", 1)[1].split()]  # SActor-00, Pstn1
    assert [round(p[0][0], 1) for p in hist["positions"]] == first
    assert ["%.4f" % p for p in hist["prob"][-1]] == ["0.3340", "0.3340", "0.0183", "0.0957", "0.1512", "0.4009", "0.1512"]  # noqa: UP031


def test_smp_history_table(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = cli("forecast", "example-trade", "--model", "smp", "--history")
    assert code == 0 and "positions by state" in out and "prob" in out and "stopped" in out
    code, out, _ = cli("forecast", "example-trade", "--model", "mean", "--history", "--json")
    assert code == 0 and json.loads(out)["history"] == {}


def test_strategy_cli(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = cli("strategy", "korea-2020", "--draws", "300", "--seed", "7", "--json")
    data = json.loads(out)
    assert code == 0 and set(data["protocols"]) == {"grand_bargain", "incremental"}
    for p in data["protocols"].values():
        lv = p["p_denuclearization"]
        assert 1 >= lv["25"] >= lv["50"] >= lv["75"] >= 0 and 0 <= p["p_breakdown"] <= 1
    code, out2, _ = cli("strategy", "korea-2020", "--draws", "300", "--seed", "7", "--json")
    assert out2 == out
    code, out, _ = cli("strategy", "korea-2020", "--draws", "200", "--seed", "1",
                       "--protocol", "incremental", "--lever", "yongbyon-deal")
    assert code == 0 and "incremental" in out and "grand_bargain" not in out
    code, _, err = cli("strategy", "--protocol", "nope")
    assert code == 1 and "unknown protocol 'nope'" in err


def test_model_parameters_and_deals(cli: Cli) -> None:
    path = need(REFERENCE / "exchange" / "copenhagen.csv")
    code, out, _ = cli("forecast", str(path), "--model", "exchange", "-P", "exchange.arithmetic=exact", "--json")
    assert code == 0
    # the spec's round-10 compromise points (reference README), exact arithmetic
    expected = {"Newtreaty": 63.8841, "DevlopC2020": 76.0868, "Domestred": 32.9948, "MRVdecrease": 38.7480,
                "Commitments": 19.1683, "Control": 75.9037, "Extra": 94.0266}
    got = json.loads(out)["forecasts"]["exchange"]
    assert {k: round(v, 4) for k, v in got.items()} == expected
    code, out, _ = cli("forecast", "korea-2020", "--deals")
    assert code == 0 and "package deal" in out and "gives ground" in out
    code, out, _ = cli("forecast", "korea-2020", "-m", "bdm", "-m", "exchange", "--history", "--json")
    data = json.loads(out)
    assert set(data["history"]) == {"bdm", "exchange"} and data["history"]["bdm"]["states"] == 11
    code, _, err = cli("forecast", "-P", "bogus=1")
    assert code == 1 and "has a parameter 'bogus'" in err
    code, _, err = cli("forecast", "-P", "justtext")
    assert code == 1 and "NAME=VALUE" in err
    code, _, err = cli("forecast", "-m", "smp", "-P", "smp.voting_rule=majority")
    assert code == 1 and "voting_rule must be one of" in err


def test_crisis_cli(cli: Cli) -> None:
    code, out, _ = cli("crisis", "korea-2020", "--json")
    data = json.loads(out)
    assert code == 0 and abs(sum(p["probability"] for p in data["paths"]) - 1) < 1e-3
    assert {e["lever"] for e in data["lever_effects"]} >= {"four-nos", "contingency-plan"}
    code, out, _ = cli("crisis", "korea-2020", "--lever", "four-nos", "--json")
    assert code == 0 and json.loads(out)["levers"] == ["four-nos"]
    code, out, _ = cli("crisis", "korea-2020")
    assert code == 0 and "China" in out and "equilibrium paths" in out and "contingency-plan" in out
    code, _, err = cli("crisis", "example-trade")
    assert code == 1 and "lacks what the Korea crisis game needs" in err
