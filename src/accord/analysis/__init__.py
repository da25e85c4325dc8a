"""Experiments: lever comparison, Monte Carlo sweeps, sensitivity; executors to run them on."""

from accord.analysis.batch import batch_forecast
from accord.analysis.compare import CompareResult, compare
from accord.analysis.executors import make_executor
from accord.analysis.sensitivity import SensitivityResult, sensitivity
from accord.analysis.sweep import SweepResult, sweep

__all__ = [
    "CompareResult",
    "SensitivityResult",
    "SweepResult",
    "batch_forecast",
    "compare",
    "make_executor",
    "sensitivity",
    "sweep",
]
