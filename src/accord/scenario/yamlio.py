"""YAML load and dump of scenarios, with errors located by file, line and field path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from accord.errors import Problem, ScenarioError
from accord.scenario.locate import LineMap, line_map
from accord.scenario.schema import Scenario, _number
from accord.scenario.textio import build_scenario, read_text_file

__all__ = ["dump_scenario", "load_scenario_file", "load_scenario_text"]


def _yaml_problem(exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        return Problem((), f"not valid YAML: {exc.problem or exc}", line)
    return Problem((), f"not valid YAML: {exc}")


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str, file: str) -> tuple[Any, LineMap]:
    """The plain data of a YAML text and the line of every node in it (one parse)."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(exc)], file) from None
    finally:
        loader.dispose()
    if root is None:
        raise ScenarioError(
            [Problem((), "the file is empty; a scenario needs id, name, issues and actors", 1)],
            file,
        )
    lines, duplicates = line_map(root)
    if duplicates:
        raise ScenarioError(duplicates, file)
    return data, lines


def load_scenario_text(text: str, file: str = "<string>") -> Scenario:
    """Parse and validate a scenario from YAML text; raise :class:`ScenarioError` if invalid."""
    data, lines = _parse(text, file)
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ScenarioError(
            [Problem((), f"the top level must be a mapping (id, name, issues, actors, ...), "
                         f"not a {kind}", 1)],
            file,
        )
    return build_scenario(data, file, lines)


def load_scenario_file(path: str | Path) -> Scenario:
    """Load a scenario YAML file."""
    text, name = read_text_file(path, "scenario file", legacy=None)
    return load_scenario_text(text, name)


def dump_scenario(scenario: Scenario) -> str:
    """YAML text for ``scenario``; :func:`load_scenario_text` reads it back to an equal scenario."""
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    for issue in data.get("issues", []):
        if "anchors" in issue:  # JSON mode turned the anchor points into strings
            issue["anchors"] = {_number(float(k)): v for k, v in issue["anchors"].items()}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
