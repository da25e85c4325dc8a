"""The model registry: every forecasting model by name, used alike from Python, YAML and CLI."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.errors import AccordError, UnknownNameError
from accord.models.forecast import Forecast
from accord.scenario.arrays import ScenarioArrays, to_arrays
from accord.scenario.schema import Scenario

__all__ = [
    "BatchFn",
    "ModelFn",
    "ModelSpec",
    "available_models",
    "batch_form",
    "get_model",
    "register",
    "run_model",
]

ModelFn = Callable[..., Forecast]
BatchFn = Callable[..., NDArray[np.float64]]


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its name, one-line summary, function and parameter defaults."""

    name: str
    summary: str
    fn: ModelFn
    tolerance: float = 1e-6
    """Forecasts closer than this (0–100 scale) count as the same for the model's invariants."""
    invariance_params: Mapping[str, Any] = field(default_factory=dict)
    """Parameters under which the model is unit-free (used by the conformance tests)."""

    @property
    def defaults(self) -> dict[str, Any]:
        sig = inspect.signature(self.fn)
        return {
            name: p.default
            for name, p in list(sig.parameters.items())[1:]
            if p.default is not inspect.Parameter.empty
        }

    def check_params(self, params: Mapping[str, Any]) -> None:
        """Raise a clear error for parameters this model does not have."""
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            allowed = ", ".join(self.defaults) or "none"
            raise AccordError(
                f"model '{self.name}' has no parameter {', '.join(map(repr, unknown))} "
                f"(its parameters: {allowed})"
            )

    def __call__(self, data: Scenario | ScenarioArrays, **params: Any) -> Forecast:
        self.check_params(params)
        arrays = to_arrays(data) if isinstance(data, Scenario) else data
        return self.fn(arrays, **params)

    @property
    def batch(self) -> BatchFn | None:
        """The batched form ``fn(batch: BatchArrays, **params) -> (draws, issues)``, if any."""
        return _BATCH.get(self.name)


_MODELS: dict[str, ModelSpec] = {}
_BATCH: dict[str, BatchFn] = {}


def register(
    name: str,
    summary: str,
    tolerance: float = 1e-6,
    invariance_params: Mapping[str, Any] | None = None,
) -> Callable[[ModelFn], ModelFn]:
    """Register ``fn(arrays, **params) -> Forecast`` as model ``name``.

    ``tolerance`` is how close two forecasts must be to count as the same for the model (used by
    the conformance tests); a model that rounds or merges positions states its grid here.
    ``invariance_params`` are parameters under which the model does not depend on the units of
    capability, for a model whose default (e.g. for compatibility) does.
    """

    def deco(fn: ModelFn) -> ModelFn:
        if name in _MODELS:
            raise ValueError(f"model '{name}' is registered twice")
        _MODELS[name] = ModelSpec(name, summary, fn, tolerance, dict(invariance_params or {}))
        return fn

    return deco


def batch_form(name: str) -> Callable[[BatchFn], BatchFn]:
    """Register the batched form of model ``name``: forecasts of many draws as one array."""

    def deco(fn: BatchFn) -> BatchFn:
        _BATCH[name] = fn
        return fn

    return deco


def _load_builtin() -> None:
    # importing a model module registers its models
    import accord.models.bdm
    import accord.models.compromise
    import accord.models.exchange
    import accord.models.smp_model  # noqa: F401


def available_models() -> tuple[str, ...]:
    """Names of the registered models, in registration order."""
    _load_builtin()
    return tuple(_MODELS)


def get_model(name: str) -> ModelSpec:
    """The model registered as ``name``; :class:`UnknownNameError` lists the known ones."""
    _load_builtin()
    try:
        return _MODELS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown model '{name}'; available models: {', '.join(_MODELS)}"
        ) from None


def run_model(name: str, data: Scenario | ScenarioArrays, **params: Any) -> Forecast:
    """Run model ``name`` on a scenario (or its arrays) with ``params``."""
    return get_model(name)(data, **params)
