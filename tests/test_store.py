"""The run store: save, list, show, export; schema versions; foreign databases refused."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from accord import AccordError, UnknownNameError, load_scenario
from accord.store import SCHEMA_VERSION, RunStore

from .conftest import CliResult

Cli = Callable[..., CliResult]


def url(tmp_path: Path, name: str = "runs.sqlite") -> str:
    return f"sqlite:///{tmp_path / name}"


def test_save_list_get(tmp_path: Path) -> None:
    store = RunStore(url(tmp_path))
    s = load_scenario("example-trade")
    a = store.save("forecast", s, {"forecasts": {"mean": {"tariffs": 1.0}}}, {"models": ["mean"]})
    b = store.save("sweep", s, {"summary": {}}, seed=7)
    runs = store.list()
    assert {r.id for r in runs} == {a, b}
    got = store.get(b[:6])
    assert got.kind == "sweep" and got.seed == 7 and got.load_scenario() == s
    assert [r.id for r in store.list(kind="forecast")] == [a]
    with pytest.raises(UnknownNameError, match="no run 'nope'"):
        store.get("nope")
    with pytest.raises(AccordError, match="unknown run kind"):
        store.save("poem", s, {})


def test_failed_save_writes_nothing(tmp_path: Path) -> None:
    store = RunStore(url(tmp_path))
    with pytest.raises(TypeError):
        store.save("forecast", load_scenario("example-trade"), {"bad": object()})
    assert store.list() == []


def test_older_store_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    con.execute("create table accord_runs (id varchar(32) primary key, kind varchar(32) not null,"
                " scenario_id varchar(128) not null, scenario_sha256 varchar(64) not null,"
                " created varchar(40) not null, accord_version varchar(32) not null,"
                " seed varchar(64), params text not null, scenario text not null,"
                " result text not null)")
    con.commit()
    con.close()
    store = RunStore(f"sqlite:///{path}")
    store.save("forecast", load_scenario("example-trade"), {})
    row = sqlite3.connect(path).execute(
        "select value from accord_meta where key='schema_version'").fetchone()
    assert row == (str(SCHEMA_VERSION),)


def test_newer_or_foreign_store_is_refused_untouched(tmp_path: Path) -> None:
    RunStore(url(tmp_path))
    path = tmp_path / "runs.sqlite"
    con = sqlite3.connect(path)
    con.execute("update accord_meta set value='99' where key='schema_version'")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(AccordError, match="newer accord"):
        RunStore(url(tmp_path))
    assert path.read_bytes() == before
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("create table notes (x int)")
    with pytest.raises(AccordError, match="not an accord run store"):
        RunStore(f"sqlite:///{other}")
    with pytest.raises(AccordError, match="cannot open run store"):
        RunStore("nonsense://host/db")




def test_cli_save_list_show_export(tmp_path: Path, cli: Cli,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_STORE", url(tmp_path))
    code, _, err = cli("forecast", "example-trade", "--save")
    assert code == 0 and "saved run" in err
    code, out, _ = cli("runs", "list", "--json")
    runs = json.loads(out)
    assert code == 0 and runs[0]["kind"] == "forecast"
    code, out, _ = cli("runs", "show", runs[0]["id"])
    shown = json.loads(out)
    assert shown["result"]["forecasts"]["mean"]["outcome"]["tariffs"] > 0
    target = tmp_path / "run.json"
    assert cli("runs", "export", runs[0]["id"], "-o", str(target))[0] == 0
    assert json.loads(target.read_text())["id"] == runs[0]["id"]
    code, _, err = cli("runs", "export", runs[0]["id"], "-o", str(target))
    assert code == 1 and "already exists" in err
    code, _, err = cli("runs", "show", "zzzz")
    assert code == 1 and "no run 'zzzz'" in err
