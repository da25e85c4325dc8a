"""Scenarios: the schema, YAML and CSV input/output, and the array view models compute on."""

from accord.scenario.arrays import ScenarioArrays, to_arrays
from accord.scenario.schema import (
    Actor,
    Edit,
    Evidence,
    Issue,
    Lever,
    Param,
    RawScale,
    Scenario,
    Source,
)
from accord.scenario.yamlio import dump_scenario, load_scenario_file, load_scenario_text

__all__ = [
    "Actor",
    "Edit",
    "Evidence",
    "Issue",
    "Lever",
    "Param",
    "RawScale",
    "Scenario",
    "ScenarioArrays",
    "Source",
    "dump_scenario",
    "load_scenario_file",
    "load_scenario_text",
    "to_arrays",
]
