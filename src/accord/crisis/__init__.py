"""Crisis games: extensive-form trees with chance and private types, solved for equilibrium.

* :mod:`~accord.crisis.spec` — node specifications and their checks (:class:`GameError` with
  field paths);
* :mod:`~accord.crisis.game` — :class:`CrisisGame`, the array form of a tree, and
  :func:`build_game`;
* :mod:`~accord.crisis.io` — the YAML format (errors located by file, line and path);
* :mod:`~accord.crisis.efg` — Gambit ``.efg`` export and import;
* :mod:`~accord.crisis.solve` — backward induction (perfect information) and the logit agent QRE
  traced towards high rationality (imperfect information), with beliefs;
* :mod:`~accord.crisis.korea` — the Korea crisis game generated from a scenario;
* :mod:`~accord.crisis.report` — :func:`crisis_report`: would China intervene, and which levers
  change that.

>>> from accord.crisis import crisis_report
>>> report = crisis_report("korea-2020")
>>> sorted(report.china.probabilities)
['intervene', 'mobilise', 'stay_out']
"""

from accord.crisis.efg import read_efg, read_efg_text, to_efg, write_efg
from accord.crisis.game import (
    Chance,
    CrisisGame,
    Decision,
    GameError,
    InfoSet,
    NodeSpec,
    Terminal,
    build_game,
)
from accord.crisis.io import dump_game, game_from_dict, game_to_dict, load_game, load_game_text
from accord.crisis.korea import (
    CHINA_MOVES,
    DPRK_MOVES,
    STATES,
    KoreaCrisis,
    KoreaCrisisParams,
    Mechanics,
    korea_crisis_game,
    mechanics,
    state_values,
)
from accord.crisis.report import (
    CRISIS_LEVERS,
    ChinaChoice,
    CrisisReport,
    LeverEffect,
    crisis_report,
)
from accord.crisis.solve import Equilibrium, backward_induction, evaluate, logit_qre, solve
from accord.crisis.sweep import CrisisSweep, crisis_sweep

__all__ = [
    "CHINA_MOVES",
    "CRISIS_LEVERS",
    "DPRK_MOVES",
    "STATES",
    "Chance",
    "ChinaChoice",
    "CrisisGame",
    "CrisisReport",
    "CrisisSweep",
    "Decision",
    "Equilibrium",
    "GameError",
    "InfoSet",
    "KoreaCrisis",
    "KoreaCrisisParams",
    "LeverEffect",
    "Mechanics",
    "NodeSpec",
    "Terminal",
    "backward_induction",
    "build_game",
    "crisis_report",
    "crisis_sweep",
    "dump_game",
    "evaluate",
    "game_from_dict",
    "game_to_dict",
    "korea_crisis_game",
    "load_game",
    "load_game_text",
    "logit_qre",
    "mechanics",
    "read_efg",
    "read_efg_text",
    "solve",
    "state_values",
    "to_efg",
    "write_efg",
]
