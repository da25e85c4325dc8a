"""The scenario format: valid files load and round-trip; every kind of bad input is located."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from accord import AccordError, ScenarioError, builtin_scenarios, dump_scenario, load_scenario
from accord.scenario import Param, load_scenario_file, load_scenario_text
from accord.scenario.schema import Edit

from .conftest import EXAMPLE

GOOD = EXAMPLE.read_text(encoding="utf-8")


def error_of(text: str, tmp_path: Path, name: str = "my.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario_file(path)
    return str(info.value)


@pytest.mark.parametrize("name", builtin_scenarios())
def test_builtins_round_trip(name: str) -> None:
    s = load_scenario(name)
    again = load_scenario_text(dump_scenario(s))
    assert again == s
    assert dump_scenario(again) == dump_scenario(s)


def test_bare_number_and_long_form_are_the_same_param() -> None:
    assert Param.model_validate(40) == Param.model_validate({"value": 40})
    p = Param.model_validate({"value": 40, "low": 30, "high": 55, "dist": "pert"})
    assert p.uncertain and p.dist == "pert"


def test_variant_via_model_copy_keeps_the_original() -> None:
    s = load_scenario_text(GOOD)
    variant = s.model_copy(update={"name": "renamed"})
    assert variant.name == "renamed" and s.name != "renamed"
    with pytest.raises(ValidationError, match="frozen"):
        s.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("tariffs: 30,", "tariffs: 140,", r"my\.yaml:\d+: actors\[1\]\.positions\.tariffs: 140 is outside 0–100"),
        ("name: Eastland", "name: Eastland\n    colour: red", r"my\.yaml:\d+: actors\[2\]\.colour: unknown key 'colour'"),
        ("id: east", "id: south", r"my\.yaml:\d+: actors\[2\]\.id: duplicate actor id 'south'"),
        ("disputes: 90}", "disputes: 90, fishing: 3}", r"my\.yaml:\d+: actors\[1\]\.positions\.fishing: unknown issue 'fishing'"),
        ("tariffs: 40, disputes: 70}", "tariffs: 40}", r"my\.yaml:\d+: actors\[2\]\.saliences: missing salience for issue 'disputes'"),
        ("disputes: 20}", "disputes: .nan}", r"my\.yaml:\d+: actors\[2\]\.positions\.disputes: NaN and infinity"),
        ("capability: 30", "capability: .inf", r"my\.yaml:\d+: actors\[1\]\.capability: NaN and infinity"),
        ("capability: 30", "capability: -3", r"my\.yaml:\d+: actors\[1\]\.capability: -3 is negative"),
        ("source: example-notes, paragraph", "source: elsewhere, paragraph", r"my\.yaml:\d+: issues\[1\]\.status_quo\.evidence\[0\]\.source: unknown source 'elsewhere'"),
        ("actor: south, issue: tariffs", "actor: west, issue: tariffs", r"my\.yaml:\d+: levers\[0\]\.edits\[0\]\.actor: unknown actor 'west'"),
        ("status_quo: 10", "status_quo: {value: 10, low: 20, high: 30}", r"my\.yaml:\d+: issues\[0\]\.status_quo: value 10 must lie within"),
        ("capability: 60", "capability: sixty", r"my\.yaml:\d+: actors\[0\]\.capability: expected a number"),
        ("  - id: tariffs\n", "  - id: tariffs\n    id: again\n", r"my\.yaml:\d+: issues\[0\]\.id: duplicate key"),
        ("    name: Northland\n", "", r"my\.yaml:\d+: actors\[0\]\.name: required field is missing"),
        ("id: example-trade", "id: 'bad id!'", r"my\.yaml:1: id: "),
    ],
)
def test_bad_input_is_located(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    message = error_of(GOOD.replace(old, new, 1), tmp_path)
    assert re.search(expected, message), message
    assert "Traceback" not in message


def test_line_numbers_point_at_the_offending_value(tmp_path: Path) -> None:
    text = GOOD.replace("tariffs: 30,", "tariffs: 140,")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "tariffs: 140" in t)
    assert f"my.yaml:{line}:" in error_of(text, tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "my.yaml:1: the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("id: [unclosed\n", "not valid YAML"),
        ("- a\n- list\n", "the top level must be a mapping"),
        ("just words", "the top level must be a mapping"),
        ("id: x\n\tname: tab\n", "not valid YAML"),
    ],
)
def test_not_a_scenario_at_all(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(text, tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "blob.yaml"
    path.write_bytes(b"id: x\n\xff\xfe\x00garbage")
    with pytest.raises(ScenarioError, match=r"blob\.yaml:2: .*not UTF-8"):
        load_scenario_file(path)


def test_missing_file_and_unknown_builtin(tmp_path: Path) -> None:
    with pytest.raises(AccordError, match="no such file, and not a built-in scenario"):
        load_scenario(tmp_path / "absent.yaml")
    with pytest.raises(AccordError, match="korea-2020"):
        load_scenario("korea-2031")


def test_many_problems_are_reported_together(tmp_path: Path) -> None:
    text = GOOD.replace("tariffs: 30,", "tariffs: 140,").replace("name: Eastland", "name: Eastland\n    x: 1")
    message = error_of(text, tmp_path)
    assert message.startswith("2 problems:")


def test_absent_from_lets_an_actor_skip_an_issue() -> None:
    text = GOOD.replace(
        "positions: {tariffs: 60, disputes: 20}\n    saliences: {tariffs: 40, disputes: 70}",
        "positions: {tariffs: 60}\n    saliences: {tariffs: 40}\n    absent_from: [disputes]",
    )
    s = load_scenario_text(text)
    assert s.actor("east").absent_from == ("disputes",)
    with pytest.raises(ScenarioError, match="absent_from but has a position"):
        load_scenario_text(text.replace("positions: {tariffs: 60}", "positions: {tariffs: 60, disputes: 5}"))


def test_edit_targets_are_checked() -> None:
    with pytest.raises(ValueError, match="needs an issue"):
        Edit.model_validate({"field": "position", "actor": "a", "value": 3})
    with pytest.raises(ValueError, match="takes no actor"):
        Edit.model_validate({"field": "status_quo", "actor": "a", "issue": "i", "value": 3})
    with pytest.raises(ValueError, match="outside 0–100"):
        Edit.model_validate({"field": "salience", "actor": "a", "issue": "i", "value": 300})


def test_python_built_scenarios_get_the_same_checks() -> None:
    s = load_scenario_text(GOOD)
    data = s.model_dump()
    data["actors"][0]["positions"]["nowhere"] = 5
    with pytest.raises(ScenarioError, match=r"actors\[0\]\.positions\.nowhere: unknown issue"):
        type(s).model_validate(data)
