"""Render a scenario in one of the formats accord writes: YAML, KTAB CSV, decide CSV."""

from __future__ import annotations

from typing import Literal

from accord.scenario.schema import Scenario
from accord.scenario.yamlio import dump_scenario

__all__ = ["FORMATS", "Format", "format_scenario"]

Format = Literal["yaml", "ktab-csv", "decide-csv"]
FORMATS: tuple[Format, ...] = ("yaml", "ktab-csv", "decide-csv")


def format_scenario(scenario: Scenario, fmt: Format) -> str:
    """The text of ``scenario`` in format ``fmt``."""
    if fmt == "ktab-csv":
        from accord.scenario.ktab import format_ktab_csv

        return format_ktab_csv(scenario)
    if fmt == "decide-csv":
        from accord.scenario.decide_write import format_decide

        return format_decide(scenario)
    return dump_scenario(scenario)
