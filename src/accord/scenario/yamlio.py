"""YAML load and dump of scenarios, with errors located by file, line and field path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from accord.errors import AccordError, Problem, ScenarioError
from accord.scenario.locate import LineMap, line_map
from accord.scenario.schema import Scenario, _number

__all__ = ["dump_scenario", "load_scenario_file", "load_scenario_text", "problems_from_pydantic"]


def _friendly(error: Any) -> str:
    kind = error["type"]
    loc = error["loc"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}'" if loc else "unknown key"
    if kind == "finite_number":
        return "NaN and infinity are not allowed; give a finite number"
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    shown = repr(error.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{msg[0].lower()}{msg[1:]} (got {shown})"


def problems_from_pydantic(exc: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into accord problems (path + plain message)."""
    errors = exc.errors()
    paths = [tuple(p for p in err["loc"] if isinstance(p, int | str)) for err in errors]
    problems = []
    for err, path in zip(errors, paths, strict=True):
        # "too short after validation" only echoes failures of the items themselves
        if err["type"] == "too_short" and any(
            len(q) > len(path) and q[: len(path)] == path for q in paths
        ):
            continue
        problems.append(Problem(path, _friendly(err)))
    return problems


def _yaml_problem(exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        return Problem((), f"not valid YAML: {exc.problem or exc}", line)
    return Problem((), f"not valid YAML: {exc}")


def _parse(text: str, file: str) -> tuple[Any, LineMap]:
    """The plain data of a YAML text and the line of every node in it."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text) if root is not None else None
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(exc)], file) from None
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
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_pydantic(exc)).located(file, lines) from None
    except ScenarioError as exc:
        raise exc.located(file, lines) from None


def load_scenario_file(path: str | Path) -> Scenario:
    """Load a scenario YAML file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise AccordError(f"{p}: file not found") from None
    except IsADirectoryError:
        raise AccordError(f"{p}: is a directory, not a scenario file") from None
    except OSError as exc:
        raise AccordError(f"{p}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [Problem((), "not a text file (not UTF-8); a scenario is a YAML text file", line)],
            str(p),
        ) from None
    return load_scenario_text(text, str(p))


def dump_scenario(scenario: Scenario) -> str:
    """YAML text for ``scenario``; :func:`load_scenario_text` reads it back to an equal scenario."""
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    for issue in data.get("issues", []):
        if "anchors" in issue:  # JSON mode turned the anchor points into strings
            issue["anchors"] = {_number(float(k)): v for k, v in issue["anchors"].items()}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
