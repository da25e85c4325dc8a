"""Forecasting models, one registry: ``mean``, ``median``, ``nash`` (and more to come)."""

from accord.models.forecast import Forecast
from accord.models.registry import ModelSpec, available_models, get_model, register, run_model

__all__ = ["Forecast", "ModelSpec", "available_models", "get_model", "register", "run_model"]
