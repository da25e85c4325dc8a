"""The crisis-room database: sessions, teams, turns, moves, messages, timeline, forecasts.

SQLAlchemy Core on any URL (SQLite by default). Every state change is a job run by the writer
thread (:mod:`accord.web.writer`) inside a committed transaction, and a caller hears back only
after the commit, so a server killed at any moment restarts with every acknowledged move.
Guarded changes (a move into an open turn, closing a turn, adjudicating it) first update the row
they depend on with a condition and check that it matched: the database decides who wins a race.
On SQLite the database runs in WAL mode with ``synchronous=FULL`` (a commit reaches the disk).

The schema version is kept in ``room_meta``: an older database is migrated in one transaction, a
newer one is refused untouched, as in the run store (:mod:`accord.store.runs`).
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from accord.errors import AccordError
from accord.provenance import scenario_hash
from accord.scenario.schema import Scenario
from accord.web.adjudicate import Adjudication, Outcomes
from accord.web.security import hash_token, new_id, new_token, valid_token
from accord.web.tables import (
    Message,
    Move,
    NewSession,
    Principal,
    Session,
    Statement,
    Team,
    TimelineEntry,
    Turn,
    TurnForecast,
    meta,
    t_credentials,
    t_forecasts,
    t_messages,
    t_meta,
    t_moves,
    t_sessions,
    t_statements,
    t_teams,
    t_timeline,
    t_turns,
)
from accord.web.writer import Writer

__all__ = [
    "SCHEMA_VERSION",
    "Message",
    "Move",
    "NewSession",
    "Principal",
    "RoomDB",
    "Session",
    "Statement",
    "Team",
    "TimelineEntry",
    "Turn",
    "TurnForecast",
    "default_db_url",
]

SCHEMA_VERSION = 1


def default_db_url() -> str:
    """``$ACCORD_ROOM_DB``, else SQLite ``room.sqlite`` in the user's data directory."""
    env = os.environ.get("ACCORD_ROOM_DB")
    if env:
        return env
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('accord', appauthor=False)) / 'room.sqlite'}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RoomDB:
    """The crisis-room database at an SQLAlchemy URL (tables created on first use)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_db_url()
        memory = self.url in ("sqlite://", "sqlite:///:memory:")
        kwargs: dict[str, Any] = {}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30.0}
            if memory:
                kwargs["poolclass"] = sa.pool.StaticPool
            else:
                Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
                kwargs.update(pool_size=10, max_overflow=40)
        try:
            self.engine = sa.create_engine(self.url, **kwargs)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise AccordError(f"cannot open session database '{self.url}': {exc}") from None
        if self.url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        # One shared connection (in-memory SQLite) must not interleave transactions.
        self._lock: Any = threading.RLock() if memory else nullcontext()
        # Every change goes through one writer thread, in batches (see accord.web.writer).
        self._writer = Writer(self.engine, self._lock)
        self._scenarios: OrderedDict[str, Scenario] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._prepare()

    def close(self) -> None:
        """Let pending changes commit, stop the writer and close the connections."""
        self._writer.close()
        self.engine.dispose()

    # --- schema ----------------------------------------------------------------------------
    def _prepare(self) -> None:
        try:
            with self._begin() as conn:
                tables = set(sa.inspect(conn).get_table_names())
                if "room_meta" not in tables:
                    ours = {t for t in tables if t.startswith("room_")}
                    if ours:
                        raise AccordError(
                            f"{self.url} holds crisis-room tables ({', '.join(sorted(ours))}) "
                            "without a schema version; it is damaged or not an accord database"
                        )
                    meta.create_all(conn)
                    conn.execute(t_meta.insert().values(key="schema_version",
                                                        value=str(SCHEMA_VERSION)))
                    return
                row = conn.execute(sa.select(t_meta.c.value).where(
                    t_meta.c.key == "schema_version")).first()
                version = int(row[0]) if row else 0
                if version > SCHEMA_VERSION:
                    raise AccordError(
                        f"{self.url} was written by a newer accord (session schema {version}, "
                        f"this accord reads up to {SCHEMA_VERSION}); upgrade accord to use it"
                    )
                if version < SCHEMA_VERSION:  # pragma: no cover - no older schema exists yet
                    meta.create_all(conn)
                    conn.execute(t_meta.update().where(t_meta.c.key == "schema_version")
                                 .values(value=str(SCHEMA_VERSION)))
        except sa.exc.DatabaseError as exc:
            raise AccordError(f"cannot use session database {self.url}: {exc.orig}") from None

    @contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        with self._lock, self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._lock, self.engine.connect() as conn:
            yield conn

    # --- sessions --------------------------------------------------------------------------
    def create_session(self, name: str, scenario: Scenario, source: str,
                       teams: Sequence[str], models: Sequence[str],
                       baseline: Outcomes) -> NewSession:
        """Store a new session with its teams, turn 1 open and the baseline forecasts (turn 0)."""
        sid = new_id()
        now = _now()
        facilitator = new_token()
        tokens = {team: new_token() for team in teams}

        def job(conn: sa.Connection) -> NewSession:
            conn.execute(t_sessions.insert().values(
                id=sid, name=name, scenario_id=scenario.id,
                scenario_sha256=scenario_hash(scenario),
                scenario=json.dumps(scenario.model_dump(mode="json")), source=source,
                models=json.dumps(list(models)), status="running", messages=0, created=now))
            conn.execute(t_teams.insert(), [
                {"session_id": sid, "team": team, "name": scenario.actor(team).name,
                 "position": k} for k, team in enumerate(teams)])
            conn.execute(t_credentials.insert(), [
                {"token_sha256": hash_token(facilitator), "session_id": sid,
                 "role": "facilitator", "team": None, "created": now},
                *({"token_sha256": hash_token(tok), "session_id": sid, "role": "team",
                   "team": team, "created": now} for team, tok in tokens.items())])
            conn.execute(t_forecasts.insert(), [
                {"session_id": sid, "turn": 0, "model": m, "outcome": json.dumps(outcome),
                 "delta": None, "levers": "[]", "scenario_sha256": scenario_hash(scenario),
                 "created": now} for m, outcome in baseline.items()])
            self._timeline(conn, sid, 0, "note", {"text": "Exercise opened", "name": name})
            self._timeline(conn, sid, 0, "forecasts", {})
            self._open_turn(conn, sid, 1, now)
            return NewSession(sid, facilitator, tokens)

        return self._writer.run(job)

    def _open_turn(self, conn: sa.Connection, sid: str, number: int, now: str) -> None:
        conn.execute(t_turns.insert().values(session_id=sid, number=number, status="open",
                                             submissions=0, opened=now))
        self._timeline(conn, sid, number, "note", {"text": f"Turn {number} opened"})

    @staticmethod
    def _timeline(conn: sa.Connection, sid: str, turn: int, kind: str,
                  body: Mapping[str, Any]) -> None:
        conn.execute(t_timeline.insert().values(session_id=sid, turn=turn, kind=kind,
                                                body=json.dumps(body), created=_now()))

    def session(self, sid: str) -> Session | None:
        columns = [c for c in t_sessions.c if c.name != "scenario"]  # the scenario is big
        with self._read() as conn:
            row = conn.execute(sa.select(*columns).where(t_sessions.c.id == sid)).first()
        if row is None:
            return None
        return Session(row.id, row.name, row.scenario_id, row.source,
                       tuple(json.loads(row.models)), row.status, row.created, row.ended)

    def scenario(self, sid: str) -> Scenario:
        """The session's base scenario (cached: it never changes)."""
        with self._cache_lock:
            if sid in self._scenarios:
                self._scenarios.move_to_end(sid)
                return self._scenarios[sid]
        with self._read() as conn:
            text = conn.execute(sa.select(t_sessions.c.scenario)
                                .where(t_sessions.c.id == sid)).scalar_one()
        scenario = Scenario.model_validate(json.loads(text))
        with self._cache_lock:
            self._scenarios[sid] = scenario
            while len(self._scenarios) > 32:
                self._scenarios.popitem(last=False)
        return scenario

    def end_session(self, sid: str) -> bool:
        """End the exercise: no more moves or messages. False if it had already ended."""
        now = _now()

        def job(conn: sa.Connection) -> bool:
            done = conn.execute(t_sessions.update().where(
                t_sessions.c.id == sid, t_sessions.c.status == "running")
                .values(status="ended", ended=now))
            if done.rowcount != 1:
                return False
            conn.execute(t_turns.update().where(t_turns.c.session_id == sid,
                                                t_turns.c.status == "open")
                         .values(status="closed", closed=now))
            last = conn.execute(sa.select(sa.func.max(t_turns.c.number))
                                .where(t_turns.c.session_id == sid)).scalar_one()
            self._timeline(conn, sid, int(last or 0), "note", {"text": "Exercise ended"})
            return True

        return self._writer.run(job)

    # --- teams and credentials -------------------------------------------------------------
    def teams(self, sid: str) -> list[Team]:
        with self._read() as conn:
            rows = conn.execute(sa.select(t_teams).where(t_teams.c.session_id == sid)
                                .order_by(t_teams.c.position))
            return [Team(r.team, r.name, r.joined) for r in rows]

    def authenticate(self, token: str) -> Principal | None:
        """The principal a token belongs to, or None (malformed or unknown token)."""
        if not valid_token(token):
            return None
        with self._read() as conn:
            row = conn.execute(sa.select(t_credentials).where(
                t_credentials.c.token_sha256 == hash_token(token))).first()
        if row is None:
            return None
        return Principal(row.session_id, row.role, row.team, token)

    def mark_joined(self, sid: str, team: str) -> None:

        def job(conn: sa.Connection) -> None:
            conn.execute(t_teams.update().where(
                t_teams.c.session_id == sid, t_teams.c.team == team, t_teams.c.joined.is_(None))
                .values(joined=_now()))


        return self._writer.run(job)
    def reissue(self, sid: str, team: str) -> str | None:
        """A new join token for ``team``; the old one stops working. None for an unknown team."""
        token = new_token()

        def job(conn: sa.Connection) -> str | None:
            exists = conn.execute(sa.select(t_teams.c.team).where(
                t_teams.c.session_id == sid, t_teams.c.team == team)).first()
            if exists is None:
                return None
            conn.execute(t_credentials.delete().where(
                t_credentials.c.session_id == sid, t_credentials.c.team == team))
            conn.execute(t_credentials.insert().values(
                token_sha256=hash_token(token), session_id=sid, role="team", team=team,
                created=_now()))
            return token

        return self._writer.run(job)

    # --- turns -----------------------------------------------------------------------------
    def turns(self, sid: str) -> list[Turn]:
        with self._read() as conn:
            rows = conn.execute(sa.select(t_turns).where(t_turns.c.session_id == sid)
                                .order_by(t_turns.c.number))
            return [Turn(r.number, r.status, r.opened, r.closed, r.adjudicated) for r in rows]

    def current_turn(self, sid: str) -> Turn:
        with self._read() as conn:
            r = conn.execute(sa.select(t_turns).where(t_turns.c.session_id == sid)
                             .order_by(t_turns.c.number.desc()).limit(1)).one()
        return Turn(r.number, r.status, r.opened, r.closed, r.adjudicated)

    def close_turn(self, sid: str, turn: int) -> bool:
        """Close an open turn to moves. False if it was not open."""

        def job(conn: sa.Connection) -> bool:
            done = conn.execute(t_turns.update().where(
                t_turns.c.session_id == sid, t_turns.c.number == turn,
                t_turns.c.status == "open").values(status="closed", closed=_now()))
            if done.rowcount != 1:
                return False
            self._timeline(conn, sid, turn, "note", {"text": f"Turn {turn} closed"})
            return True

        return self._writer.run(job)

    def record_adjudication(self, sid: str, adj: Adjudication,
                            statements: Sequence[tuple[str, str]]) -> bool:
        """Store a closed turn's adjudication and open the next turn, in one transaction.

        False (nothing written) when the turn is not closed, e.g. adjudicated by a concurrent
        request, or the session has ended.
        """
        now = _now()

        def job(conn: sa.Connection) -> bool:
            done = conn.execute(t_turns.update().where(
                t_turns.c.session_id == sid, t_turns.c.number == adj.turn,
                t_turns.c.status == "closed",
                sa.exists().where(t_sessions.c.id == sid, t_sessions.c.status == "running"),
            ).values(status="adjudicated", adjudicated=now))
            if done.rowcount != 1:
                return False
            if statements:
                conn.execute(t_statements.insert(), [
                    {"session_id": sid, "turn": adj.turn, "team": team, "body": body,
                     "published": now} for team, body in statements])
                self._timeline(conn, sid, adj.turn, "statements", {})
            self._timeline(conn, sid, adj.turn, "levers", {
                "applied": list(adj.applied), "in_force": list(adj.in_force)})
            conn.execute(t_forecasts.insert(), [
                {"session_id": sid, "turn": adj.turn, "model": m,
                 "outcome": json.dumps(outcome), "delta": json.dumps(adj.deltas[m]),
                 "levers": json.dumps(list(adj.in_force)),
                 "scenario_sha256": adj.scenario_sha256, "created": now}
                for m, outcome in adj.forecasts.items()])
            self._timeline(conn, sid, adj.turn, "forecasts", {})
            self._open_turn(conn, sid, adj.turn + 1, now)
            return True

        return self._writer.run(job)

    # --- moves and messages ----------------------------------------------------------------
    def submit_move(self, sid: str, team: str, turn: int, levers: Sequence[str],
                    statement: str) -> bool:
        """Record a team's move for ``turn``; False (nothing written) unless the turn is open.

        Moves are append-only: a team may revise its move while the turn is open, and its
        latest submission is the one that counts.
        """

        def job(conn: sa.Connection) -> bool:
            gate = conn.execute(t_turns.update().where(
                t_turns.c.session_id == sid, t_turns.c.number == turn,
                t_turns.c.status == "open",
                sa.exists().where(t_sessions.c.id == sid, t_sessions.c.status == "running"),
            ).values(submissions=t_turns.c.submissions + 1))
            if gate.rowcount != 1:
                return False
            conn.execute(t_moves.insert().values(
                session_id=sid, turn=turn, team=team, levers=json.dumps(list(levers)),
                statement=statement, submitted=_now()))
            return True

        return self._writer.run(job)

    def send_message(self, sid: str, sender: str, recipient: str, body: str) -> bool:
        """Deliver a private message now; False (nothing written) once the session has ended."""

        def job(conn: sa.Connection) -> bool:
            gate = conn.execute(t_sessions.update().where(
                t_sessions.c.id == sid, t_sessions.c.status == "running")
                .values(messages=t_sessions.c.messages + 1))
            if gate.rowcount != 1:
                return False
            turn = conn.execute(sa.select(sa.func.max(t_turns.c.number))
                                .where(t_turns.c.session_id == sid)).scalar_one()
            conn.execute(t_messages.insert().values(
                session_id=sid, turn=int(turn or 0), sender=sender, recipient=recipient,
                body=body, sent=_now()))
            return True

        return self._writer.run(job)

    def moves(self, sid: str, team: str | None = None, turn: int | None = None) -> list[Move]:
        """Every submission (oldest first); only ``team``'s when given; only ``turn``'s."""
        query = sa.select(t_moves).where(t_moves.c.session_id == sid).order_by(t_moves.c.id)
        if team is not None:
            query = query.where(t_moves.c.team == team)
        if turn is not None:
            query = query.where(t_moves.c.turn == turn)
        with self._read() as conn:
            return [Move(r.id, r.turn, r.team, tuple(json.loads(r.levers)), r.statement,
                         r.submitted) for r in conn.execute(query)]

    def latest_moves(self, sid: str, team: str | None = None) -> list[tuple[Move, int]]:
        """Each team's latest move per turn with its number of submissions (oldest first)."""
        sub = sa.select(sa.func.max(t_moves.c.id).label("id"), sa.func.count().label("n")) \
            .where(t_moves.c.session_id == sid).group_by(t_moves.c.turn, t_moves.c.team)
        if team is not None:
            sub = sub.where(t_moves.c.team == team)
        latest = sub.subquery()
        query = sa.select(t_moves, latest.c.n).join(latest, t_moves.c.id == latest.c.id) \
            .order_by(t_moves.c.id)
        with self._read() as conn:
            return [(Move(r.id, r.turn, r.team, tuple(json.loads(r.levers)), r.statement,
                          r.submitted), int(r.n)) for r in conn.execute(query)]

    def messages(self, sid: str, team: str | None = None,
                 latest: int | None = None) -> tuple[list[Message], int]:
        """(messages oldest first, how many there are in all).

        For a team only those it sent or that are addressed to it; only the ``latest`` ones
        when given.
        """
        where = [t_messages.c.session_id == sid]
        if team is not None:
            where.append(sa.or_(t_messages.c.sender == team, t_messages.c.recipient == team))
        query = sa.select(t_messages).where(*where).order_by(t_messages.c.id.desc())
        if latest is not None:
            query = query.limit(latest)
        with self._read() as conn:
            rows = [Message(r.id, r.turn, r.sender, r.recipient, r.body, r.sent)
                    for r in conn.execute(query)]
            total = len(rows) if latest is None or len(rows) < latest else int(conn.execute(
                sa.select(sa.func.count()).select_from(t_messages).where(*where)).scalar_one())
        return rows[::-1], total

    # --- the shared record -----------------------------------------------------------------
    def timeline(self, sid: str) -> list[TimelineEntry]:
        with self._read() as conn:
            rows = conn.execute(sa.select(t_timeline).where(t_timeline.c.session_id == sid)
                                .order_by(t_timeline.c.id))
            return [TimelineEntry(r.id, r.turn, r.kind, json.loads(r.body), r.created)
                    for r in rows]

    def timeline_version(self, sid: str) -> int:
        """The id of the session's newest timeline entry (grows with every change)."""
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.max(t_timeline.c.id))
                                    .where(t_timeline.c.session_id == sid)).scalar() or 0)

    def statements(self, sid: str) -> list[Statement]:
        with self._read() as conn:
            rows = conn.execute(sa.select(t_statements).where(t_statements.c.session_id == sid)
                                .order_by(t_statements.c.id))
            return [Statement(r.turn, r.team, r.body) for r in rows]

    def forecasts(self, sid: str) -> list[TurnForecast]:
        with self._read() as conn:
            rows = conn.execute(sa.select(t_forecasts).where(t_forecasts.c.session_id == sid)
                                .order_by(t_forecasts.c.turn))
            return [TurnForecast(r.turn, r.model, json.loads(r.outcome),
                             None if r.delta is None else json.loads(r.delta),
                             tuple(json.loads(r.levers))) for r in rows]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                   "busy_timeout=30000"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()
