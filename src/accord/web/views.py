"""What each role sees: the data behind every page, assembled from the database.

Access control lives here as much as in the routes: a team's page is built only from the shared
timeline, the team's own moves and the messages it sent or received (the queries are filtered by
the team before anything is rendered). The facilitator's page is built from everything.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.scenario.schema import Scenario
from accord.web.adjudicate import pullable_levers
from accord.web.db import Move, RoomDB, Session, Team, Turn, TurnForecast

__all__ = [
    "MESSAGES_SHOWN",
    "ForecastTable",
    "MoveView",
    "TimelineCache",
    "TimelineItem",
    "TurnBlock",
    "facilitator_view",
    "latest_moves",
    "team_view",
    "timeline_view",
    "trajectories",
]


@dataclass(frozen=True)
class ForecastTable:
    """One model's forecast at one turn: rows of (issue name, value, delta or None, anchor)."""

    model: str
    rows: list[tuple[str, float, float | None, str]]


@dataclass
class TimelineItem:
    kind: str  # note | statements | levers | forecasts
    text: str = ""
    statements: list[tuple[str, str]] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    in_force: list[str] = field(default_factory=list)
    tables: list[ForecastTable] = field(default_factory=list)


@dataclass
class TurnBlock:
    number: int
    items: list[TimelineItem] = field(default_factory=list)


@dataclass(frozen=True)
class MoveView:
    """A team's latest move in a turn, with how many times it was revised."""

    turn: int
    team: str
    team_name: str
    levers: list[str]
    statement: str
    submitted: str
    revisions: int


def _lever_names(scenario: Scenario) -> dict[str, str]:
    return {lever.id: lever.name for lever in scenario.levers}


def _tables(scenario: Scenario, rows: Sequence[TurnForecast]) -> list[ForecastTable]:
    out = []
    for f in rows:
        table = [
            (issue.name, f.outcome.get(issue.id, float("nan")),
             None if f.delta is None else f.delta.get(issue.id),
             issue.nearest_anchor(f.outcome.get(issue.id, 0.0)))
            for issue in scenario.issues
        ]
        out.append(ForecastTable(f.model, table))
    return out


def timeline_view(db: RoomDB, sid: str, scenario: Scenario, teams: Sequence[Team]) -> list[
        TurnBlock]:
    """The shared timeline, turn by turn (the same for every role)."""
    names = {t.id: t.name for t in teams}
    levers = _lever_names(scenario)
    statements: dict[int, list[tuple[str, str]]] = {}
    for s in db.statements(sid):
        statements.setdefault(s.turn, []).append((names.get(s.team, s.team), s.body))
    forecasts: dict[int, list[TurnForecast]] = {}
    for f in db.forecasts(sid):
        forecasts.setdefault(f.turn, []).append(f)
    blocks: list[TurnBlock] = []
    for entry in db.timeline(sid):
        if not blocks or blocks[-1].number != entry.turn:
            blocks.append(TurnBlock(entry.turn))
        item = TimelineItem(entry.kind)
        if entry.kind == "note":
            item.text = str(entry.body.get("text", ""))
        elif entry.kind == "statements":
            item.statements = statements.get(entry.turn, [])
        elif entry.kind == "levers":
            item.applied = [levers.get(x, x) for x in entry.body.get("applied", [])]
            item.in_force = [levers.get(x, x) for x in entry.body.get("in_force", [])]
        elif entry.kind == "forecasts":
            item.tables = _tables(scenario, forecasts.get(entry.turn, []))
        blocks[-1].items.append(item)
    return blocks


class TimelineCache:
    """The rendered timeline of each session, re-rendered only when the timeline has grown.

    The timeline is the page everyone reads most and it changes only when a turn is closed or
    adjudicated (statements and forecasts are written in the same transaction as their timeline
    entries), so the newest entry id is a complete version stamp. Thread-safe; bounded.
    """

    def __init__(self, render: Callable[[list[TurnBlock]], str], size: int = 64) -> None:
        self._render = render
        self._size = size
        self._cache: OrderedDict[str, tuple[int, str]] = OrderedDict()
        self._lock = threading.Lock()

    def html(self, db: RoomDB, sid: str) -> str:
        version = db.timeline_version(sid)
        with self._lock:
            hit = self._cache.get(sid)
            if hit is not None and hit[0] == version:
                self._cache.move_to_end(sid)
                return hit[1]
        html = self._render(timeline_view(db, sid, db.scenario(sid), db.teams(sid)))
        with self._lock:
            self._cache[sid] = (version, html)
            self._cache.move_to_end(sid)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return html


def latest_moves(moves: Sequence[tuple[Move, int]], names: dict[str, str],
                 levers: dict[str, str]) -> dict[int, dict[str, MoveView]]:
    """``{turn: {team: latest move}}`` from (latest move, submissions) pairs."""
    out: dict[int, dict[str, MoveView]] = {}
    for m, count in sorted(moves, key=lambda mc: (mc[0].turn, mc[0].id)):
        out.setdefault(m.turn, {})[m.team] = MoveView(
            m.turn, m.team, names.get(m.team, m.team), [levers.get(x, x) for x in m.levers],
            m.statement, m.submitted, count - 1)
    return out


def _common(db: RoomDB, session: Session) -> dict[str, Any]:
    scenario = db.scenario(session.id)
    teams = db.teams(session.id)
    turn: Turn = db.current_turn(session.id)
    return {
        "session": session, "scenario": scenario, "teams": teams,
        "names": {t.id: t.name for t in teams}, "turn": turn,
        "running": session.status == "running",
        "can_move": session.status == "running" and turn.status == "open",
        "lever_names": _lever_names(scenario),
    }


MESSAGES_SHOWN = 50
"""Messages on a page unless all are asked for (keeps pages quick however chatty the room)."""


def team_view(db: RoomDB, session: Session, team: str, every: bool = False) -> dict[str, Any]:
    """A team's page: its own moves, its own messages, its move form (the timeline is added)."""
    ctx = _common(db, session)
    scenario: Scenario = ctx["scenario"]
    own = db.latest_moves(session.id, team=team)
    by_turn = latest_moves(own, ctx["names"], ctx["lever_names"])
    current = [m for m, _ in own if m.turn == ctx["turn"].number]
    ctx.update(
        team=next(t for t in ctx["teams"] if t.id == team),
        pullable=pullable_levers(scenario, team),
        chosen=set(current[-1].levers) if current else set(),
        statement=current[-1].statement if current else "",
        my_moves=[by_turn[t][team] for t in sorted(by_turn, reverse=True)],
        **_messages(db, session.id, team, every),
        others=[t for t in ctx["teams"] if t.id != team],
    )
    return ctx


def _messages(db: RoomDB, sid: str, team: str | None, every: bool) -> dict[str, Any]:
    shown, total = db.messages(sid, team=team, latest=None if every else MESSAGES_SHOWN)
    return {"messages": shown, "messages_total": total}


def facilitator_view(db: RoomDB, session: Session, every: bool = False) -> dict[str, Any]:
    """The facilitator's page: everything, every team's moves and every message."""
    ctx = _common(db, session)
    by_turn = latest_moves(db.latest_moves(session.id), ctx["names"], ctx["lever_names"])
    ctx.update(
        moves=[(t, by_turn[t]) for t in sorted(by_turn, reverse=True)],
        **_messages(db, session.id, None, every),
        turns=db.turns(session.id),
    )
    return ctx


def trajectories(forecasts: Sequence[TurnForecast]) -> dict[str, list[tuple[int,
                                                                             dict[str, float]]]]:
    """``{model: [(turn, {issue: value}), ...]}`` in turn order."""
    out: dict[str, list[tuple[int, dict[str, float]]]] = {}
    for f in sorted(forecasts, key=lambda f: f.turn):
        out.setdefault(f.model, []).append((f.turn, f.outcome))
    return out
