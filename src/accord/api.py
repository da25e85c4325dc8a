"""The friendly top-level API: load a scenario, forecast it with one or more models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from accord.models.forecast import Forecast
from accord.models.registry import run_model
from accord.scenario.resolve import DEFAULT_SCENARIO, load_scenario
from accord.scenario.schema import Scenario

__all__ = ["DEFAULT_MODELS", "forecast", "forecast_all", "parse_params"]

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
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Forecast]:
    """Forecasts of several models, ``{model: Forecast}``, in the order given.

    ``params`` gives each model's parameters by model name.
    """
    s = _scenario(scenario)
    params = params or {}
    return {m: run_model(m, s, **params.get(m, {})) for m in dict.fromkeys(models)}


def parse_params(items: Sequence[str], models: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``["exchange.arithmetic=exact", "rounds=20"]`` -> per-model parameter dicts.

    ``MODEL.NAME=VALUE`` sets one model's parameter; ``NAME=VALUE`` sets it for every listed
    model that has it. Values are read as int, float, true/false or none where they parse.
    """
    from accord.errors import AccordError
    from accord.models.registry import get_model

    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise AccordError(f"--param '{item}': write NAME=VALUE or MODEL.NAME=VALUE")
        value = _value(raw)
        model, dot, name = key.rpartition(".")
        targets = [model] if dot else [m for m in models if name in get_model(m).defaults]
        if dot and model not in models:
            raise AccordError(f"--param '{item}': model '{model}' is not among the models run "
                              f"({', '.join(models)})")
        if not targets:
            raise AccordError(f"--param '{item}': none of the models run ({', '.join(models)}) "
                              f"has a parameter '{name}'")
        for m in targets:
            get_model(m).check_params({name: value})
            out.setdefault(m, {})[name] = value
    return out


def _value(raw: str) -> Any:
    lowered = raw.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw
