"""accord: model multi-party strategic negotiations and forecast where they land.

>>> import accord
>>> scenario = accord.load_scenario("korea-2020")
>>> accord.forecast(scenario, model="mean").outcome.shape
(8,)
"""

from accord.api import DEFAULT_MODELS, forecast, forecast_all
from accord.errors import AccordError, ScenarioError, UnknownNameError
from accord.models import Forecast, available_models, get_model, run_model
from accord.scenario import (
    Actor,
    Edit,
    Evidence,
    Issue,
    Lever,
    Param,
    Scenario,
    Source,
    dump_scenario,
    to_arrays,
)
from accord.scenario.resolve import builtin_scenarios, load_scenario

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODELS",
    "AccordError",
    "Actor",
    "Edit",
    "Evidence",
    "Forecast",
    "Issue",
    "Lever",
    "Param",
    "Scenario",
    "ScenarioError",
    "Source",
    "UnknownNameError",
    "__version__",
    "available_models",
    "builtin_scenarios",
    "dump_scenario",
    "forecast",
    "forecast_all",
    "get_model",
    "load_scenario",
    "run_model",
    "to_arrays",
]
