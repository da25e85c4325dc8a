"""The friendly top-level API: load a scenario, forecast it with one or more models."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from accord.models.forecast import Forecast
from accord.models.registry import run_model
from accord.scenario.resolve import DEFAULT_SCENARIO, load_scenario
from accord.scenario.schema import Scenario

__all__ = ["DEFAULT_MODELS", "forecast", "forecast_all"]

DEFAULT_MODELS = ("mean", "median", "nash")


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def forecast(
    scenario: Scenario | str | Path = DEFAULT_SCENARIO, model: str = "mean", **params: Any
) -> Forecast:
    """Forecast ``scenario`` (object, built-in name or file) with one model."""
    return run_model(model, _scenario(scenario), **params)


def forecast_all(
    scenario: Scenario | str | Path = DEFAULT_SCENARIO,
    models: Sequence[str] = DEFAULT_MODELS,
) -> dict[str, Forecast]:
    """Forecasts of several models, ``{model: Forecast}``, in the order given."""
    s = _scenario(scenario)
    return {m: run_model(m, s) for m in dict.fromkeys(models)}
