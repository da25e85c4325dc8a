"""Forecasts of a whole batch of draws with any registered model."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.models.registry import get_model
from accord.scenario.uncertainty import BatchArrays

__all__ = ["batch_forecast"]


def batch_forecast(model: str, batch: BatchArrays, **params: Any) -> NDArray[np.float64]:
    """Forecasts ``(draws, issues)`` of ``model`` for every draw of ``batch``.

    Models with a batched form evaluate all draws as arrays; any other model is run draw by
    draw (correct, but slow: registered models should provide a batched form).
    """
    spec = get_model(model)
    spec.check_params(params)
    if spec.batch is not None:
        return np.asarray(spec.batch(batch, **params), dtype=float)
    return np.stack([spec(batch.draw(d), **params).outcome for d in range(batch.draws)])
