"""The crisis-room schema (SQLAlchemy Core tables) and the records read from it.

Tables are prefixed ``room_`` so a session database can share a file with other accord data.
Moves and messages are append-only; a team's latest move in a turn is the one that counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

__all__ = [
    "Message",
    "Move",
    "NewSession",
    "Principal",
    "Session",
    "Statement",
    "Team",
    "TimelineEntry",
    "Turn",
    "TurnForecast",
    "meta",
    "t_credentials",
    "t_forecasts",
    "t_messages",
    "t_meta",
    "t_moves",
    "t_sessions",
    "t_statements",
    "t_teams",
    "t_timeline",
    "t_turns",
]

meta = sa.MetaData()


def _id(name: str, length: int = 80, *args: Any, **kw: Any) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), *args, **kw)


def _time(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(40), nullable=nullable)


t_meta = sa.Table("room_meta", meta, _id("key", 64, primary_key=True),
                  sa.Column("value", sa.String(256), nullable=False))
t_sessions = sa.Table(
    "room_sessions", meta, _id("id", 32, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    _id("scenario_id", 128, nullable=False), _id("scenario_sha256", 64, nullable=False),
    sa.Column("scenario", sa.Text, nullable=False),
    sa.Column("source", sa.String(300), nullable=False),
    sa.Column("models", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("messages", sa.Integer, nullable=False, default=0),
    _time("created"), _time("ended", nullable=True),
)
t_teams = sa.Table(
    "room_teams", meta,
    _id("session_id", 32, sa.ForeignKey("room_sessions.id"), primary_key=True),
    _id("team", primary_key=True), sa.Column("name", sa.String(200), nullable=False),
    sa.Column("position", sa.Integer, nullable=False), _time("joined", nullable=True),
)
t_credentials = sa.Table(
    "room_credentials", meta, _id("token_sha256", 64, primary_key=True),
    _id("session_id", 32, sa.ForeignKey("room_sessions.id"), nullable=False, index=True),
    sa.Column("role", sa.String(16), nullable=False), _id("team", nullable=True),
    _time("created"),
)
t_turns = sa.Table(
    "room_turns", meta,
    _id("session_id", 32, sa.ForeignKey("room_sessions.id"), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("submissions", sa.Integer, nullable=False, default=0),
    _time("opened"), _time("closed", nullable=True), _time("adjudicated", nullable=True),
)
t_moves = sa.Table(
    "room_moves", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _id("session_id", 32, nullable=False), sa.Column("turn", sa.Integer, nullable=False),
    _id("team", nullable=False), sa.Column("levers", sa.Text, nullable=False),
    sa.Column("statement", sa.Text, nullable=False), _time("submitted"),
    sa.Index("room_moves_by_team", "session_id", "team", "turn"),
)
t_messages = sa.Table(
    "room_messages", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _id("session_id", 32, nullable=False), sa.Column("turn", sa.Integer, nullable=False),
    _id("sender", nullable=False), _id("recipient", nullable=False),
    sa.Column("body", sa.Text, nullable=False), _time("sent"),
    sa.Index("room_messages_by_sender", "session_id", "sender"),
    sa.Index("room_messages_by_recipient", "session_id", "recipient"),
)
t_statements = sa.Table(
    "room_statements", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _id("session_id", 32, nullable=False, index=True), sa.Column("turn", sa.Integer,
                                                                  nullable=False),
    _id("team", nullable=False), sa.Column("body", sa.Text, nullable=False), _time("published"),
)
t_timeline = sa.Table(
    "room_timeline", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _id("session_id", 32, nullable=False, index=True), sa.Column("turn", sa.Integer,
                                                                  nullable=False),
    sa.Column("kind", sa.String(32), nullable=False), sa.Column("body", sa.Text, nullable=False),
    _time("created"),
)
t_forecasts = sa.Table(
    "room_forecasts", meta,
    _id("session_id", 32, sa.ForeignKey("room_sessions.id"), primary_key=True),
    sa.Column("turn", sa.Integer, primary_key=True), _id("model", 64, primary_key=True),
    sa.Column("outcome", sa.Text, nullable=False), sa.Column("delta", sa.Text),
    sa.Column("levers", sa.Text, nullable=False), _id("scenario_sha256", 64, nullable=False),
    _time("created"),
)


@dataclass(frozen=True)
class Principal:
    """Who a request is: the facilitator of a session, or one of its teams."""

    session_id: str
    role: str  # "facilitator" | "team"
    team: str | None
    secret: str
    """The caller's own token (keys its CSRF tokens; never stored)."""


@dataclass(frozen=True)
class Session:
    id: str
    name: str
    scenario_id: str
    source: str
    models: tuple[str, ...]
    status: str
    created: str
    ended: str | None


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    joined: str | None


@dataclass(frozen=True)
class Turn:
    number: int
    status: str  # open | closed | adjudicated
    opened: str
    closed: str | None
    adjudicated: str | None


@dataclass(frozen=True)
class Move:
    id: int
    turn: int
    team: str
    levers: tuple[str, ...]
    statement: str
    submitted: str


@dataclass(frozen=True)
class Message:
    id: int
    turn: int
    sender: str
    recipient: str
    body: str
    sent: str


@dataclass(frozen=True)
class Statement:
    turn: int
    team: str
    body: str


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    turn: int
    kind: str  # note | statements | levers | forecasts
    body: dict[str, Any]
    created: str


@dataclass(frozen=True)
class TurnForecast:
    turn: int
    model: str
    outcome: dict[str, float]
    delta: dict[str, float] | None
    levers: tuple[str, ...]


@dataclass(frozen=True)
class NewSession:
    """A created session: its id and the secret tokens, which exist only here (stored hashed)."""

    id: str
    facilitator_token: str
    team_tokens: dict[str, str]
