"""Adjudication: what a turn's moves do to the scenario, and what the models then forecast.

Who may pull a lever
    A team plays one actor. A lever is *its actor's to pull* when at least one of the lever's
    edits names that actor (``edit.actor``): the lever changes that actor's position, salience
    or capability, so it is a move that actor makes or takes part in (``four-nos`` edits the
    United States, China, the DPRK and Congress, so each of those teams may pull it). A lever
    whose edits name no actor at all (it only moves a status quo or a scenario parameter) is
    open to every team.

What a turn does
    Levers accumulate: the state of the world after turn *n* is the session's base scenario with
    every lever pulled in turns 1..n applied once, in the order they were first pulled (within a
    turn: teams in their session order, each team's levers in the scenario's order). Pulling a
    lever that is already in force changes nothing and is recorded as a repeat. The chosen models
    forecast the new state; the deltas are the change per issue against the previous turn's
    forecast of the same model.

This module is pure: it reads scenarios and returns records; the web shell stores them. It
memoises the states it computes (a bounded cache keyed by the base scenario's content hash and
the levers in force), so turn *n + 1* applies only its new levers on top of turn *n*'s state.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from accord.api import forecast_all
from accord.levers import apply_levers
from accord.provenance import scenario_hash
from accord.scenario.schema import Lever, Scenario

__all__ = [
    "Adjudication",
    "TeamMove",
    "adjudicate",
    "baseline",
    "lever_actors",
    "pullable_levers",
]

Outcomes = dict[str, dict[str, float]]
"""``{model: {issue: value}}``."""


def lever_actors(lever: Lever) -> frozenset[str]:
    """The actors a lever's edits name (empty for a lever that moves only status quo/parameters)."""
    return frozenset(e.actor for e in lever.edits if e.actor is not None)


def pullable_levers(scenario: Scenario, actor_id: str) -> tuple[Lever, ...]:
    """The levers the team playing ``actor_id`` may pull, in the scenario's order."""
    return tuple(
        lever for lever in scenario.levers
        if not lever_actors(lever) or actor_id in lever_actors(lever)
    )


@dataclass(frozen=True)
class TeamMove:
    """One team's final move in a turn: the levers it pulls (ids)."""

    team: str
    levers: tuple[str, ...]


@dataclass(frozen=True)
class Adjudication:
    """What a turn did: levers newly in force (and who pulled them), the forecasts, the deltas."""

    turn: int
    in_force: tuple[str, ...]
    """Every lever in force after this turn, in the order first pulled."""
    applied: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Levers newly in force this turn: ``{lever: (teams that pulled it)}``."""
    repeated: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Levers pulled again although already in force (no effect)."""
    forecasts: Outcomes = field(default_factory=dict)
    deltas: Outcomes = field(default_factory=dict)
    scenario_sha256: str = ""


_STATES: OrderedDict[tuple[str, tuple[str, ...]], Scenario] = OrderedDict()
_STATES_LOCK = threading.Lock()


def _state(base: Scenario, key: str, levers: tuple[str, ...]) -> Scenario:
    """``apply_levers(base, levers)``, reusing the longest cached prefix of ``levers``."""
    with _STATES_LOCK:
        for n in range(len(levers), 0, -1):
            hit = _STATES.get((key, levers[:n]))
            if hit is not None:
                start, done = hit, n
                break
        else:
            start, done = base, 0
    if done == len(levers):
        return start
    state = apply_levers(start, levers[done:])
    with _STATES_LOCK:
        _STATES[(key, levers)] = state
        while len(_STATES) > 16:
            _STATES.popitem(last=False)
    return state


def _outcomes(scenario: Scenario, models: Sequence[str]) -> Outcomes:
    return {m: f.outcome_by_issue() for m, f in forecast_all(scenario, models).items()}


def baseline(scenario: Scenario, models: Sequence[str]) -> Outcomes:
    """The forecasts of the base scenario (turn 0), ``{model: {issue: value}}``."""
    return _outcomes(scenario, models)


def adjudicate(
    base: Scenario,
    turn: int,
    in_force: Sequence[str],
    moves: Sequence[TeamMove],
    models: Sequence[str],
    previous: Mapping[str, Mapping[str, float]] | None = None,
) -> Adjudication:
    """Apply the turn's moves on top of the levers already ``in_force`` and forecast the result.

    ``previous`` holds the last recorded forecast per model; a model missing from it is run on
    the previous state, so every delta compares like with like. Unknown lever ids are ignored
    (moves are checked when submitted; a scenario never changes during a session).
    """
    known = {lever.id for lever in base.levers}
    before = tuple(x for x in in_force if x in known)
    applied: dict[str, list[str]] = {}
    repeated: dict[str, list[str]] = {}
    order = {lever.id: k for k, lever in enumerate(base.levers)}
    for move in moves:
        for lever in sorted(set(move.levers) & known, key=order.__getitem__):
            target = repeated if lever in before else applied
            target.setdefault(lever, []).append(move.team)
    after = before + tuple(applied)
    key = scenario_hash(base)
    state = _state(base, key, after)
    forecasts = _outcomes(state, models)
    prev: Outcomes = {m: dict(v) for m, v in (previous or {}).items()}
    missing = [m for m in forecasts if m not in prev]
    if missing:
        prev.update(_outcomes(_state(base, key, before), missing))
    deltas = {
        m: {k: v - prev[m].get(k, v) for k, v in outcome.items()}
        for m, outcome in forecasts.items()
    }
    return Adjudication(
        turn=turn,
        in_force=after,
        applied={k: tuple(v) for k, v in applied.items()},
        repeated={k: tuple(v) for k, v in repeated.items()},
        forecasts=forecasts,
        deltas=deltas,
        scenario_sha256=scenario_hash(state),
    )
