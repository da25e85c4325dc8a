"""Mutated scenario files: the loader answers with a scenario or an accord error, nothing else."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord import AccordError, Scenario
from accord.scenario import load_scenario_text

from .conftest import EXAMPLE

TEXT = EXAMPLE.read_text(encoding="utf-8")
LINES = TEXT.splitlines(keepends=True)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(text: str) -> None:
    try:
        result = load_scenario_text(text, "fuzz.yaml")
    except AccordError as exc:
        message = str(exc)
        assert "fuzz.yaml" in message and "Traceback" not in message
    else:
        assert isinstance(result, Scenario)


@FUZZ
@given(st.data())
def test_character_edits(data: st.DataObject) -> None:
    text = TEXT
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        kind = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        char = data.draw(st.sampled_from([*list("-:{}[],'\"#&*!|>%@` \n\t0123456789.eE"), "nan", ".inf", "~"]))
        if kind == "delete":
            text = text[:i] + text[i + 1 :]
        elif kind == "insert":
            text = text[:i] + char + text[i:]
        else:
            text = text[:i] + char + text[i + 1 :]
    _check(text)


@FUZZ
@given(st.data())
def test_line_edits(data: st.DataObject) -> None:
    lines = list(LINES)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        kind = data.draw(st.sampled_from(["drop", "duplicate", "swap"]))
        if kind == "drop":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        else:
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        if not lines:
            break
    _check("".join(lines))


def _leaves(node: object, path: tuple = ()) -> list[tuple]:  # type: ignore[type-arg]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


LEAVES = _leaves(yaml.safe_load(TEXT))
ODD_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30), st.text(max_size=5),
    st.booleans(), st.none(), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@FUZZ
@given(path=st.sampled_from(LEAVES), value=ODD_VALUES)
def test_value_swaps(path: tuple, value: object) -> None:  # type: ignore[type-arg]
    data = yaml.safe_load(TEXT)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    _check(yaml.safe_dump(data))


def test_the_unmodified_file_loads(tmp_path: Path) -> None:
    assert load_scenario_text(TEXT).id == "example-trade"
