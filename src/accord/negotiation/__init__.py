"""The strategy lab: does a grand bargain beat an incremental process once cheating,
verification and trust are modelled?

>>> import accord
>>> from accord.negotiation import run_strategy
>>> result = run_strategy(accord.load_scenario("korea-2020"), draws=200, seed=1)
>>> sorted(result.summaries)
['grand_bargain', 'incremental']

The model is written down, with its equations and the reasons for each choice, in
docs/strategy.md. Modules: :mod:`~accord.negotiation.bargaining` (what is agreed),
:mod:`~accord.negotiation.implementation` (compliance, trust, breakdown),
:mod:`~accord.negotiation.protocols` (the two protocols), :mod:`~accord.negotiation.parameters`
(names, defaults, per-draw values) and :mod:`~accord.negotiation.strategy` (runs and results).
"""

from accord.negotiation.parameters import SPECS, ParameterSpec
from accord.negotiation.protocols import MAX_STEPS, PROTOCOLS
from accord.negotiation.strategy import (
    BLOCK,
    DENUCLEARIZATION_LEVELS,
    ProtocolSummary,
    Simulation,
    StrategyResult,
    run_strategy,
    simulate,
)

__all__ = [
    "BLOCK",
    "DENUCLEARIZATION_LEVELS",
    "MAX_STEPS",
    "PROTOCOLS",
    "SPECS",
    "ParameterSpec",
    "ProtocolSummary",
    "Simulation",
    "StrategyResult",
    "run_strategy",
    "simulate",
]
