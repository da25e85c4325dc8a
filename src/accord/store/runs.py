"""Saved runs: every result with the scenario it came from and what produced it.

A run row holds its kind (forecast, sweep, compare, sensitivity, strategy, crisis), the scenario
as JSON (so reports can be rebuilt without the original file), the result as JSON, the parameters
and seed, the scenario's content hash, accord's version and the time. Writes are transactions.

The store records its schema version in a ``meta`` table. An older store is migrated in one
transaction; a newer one, or a database that is not an accord store, is refused with a clear
message and left untouched.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accord.errors import AccordError, UnknownNameError
from accord.scenario.schema import Scenario

__all__ = ["KINDS", "SCHEMA_VERSION", "Run", "RunStore", "default_store_url"]

SCHEMA_VERSION = 1
KINDS = ("forecast", "sweep", "compare", "sensitivity", "strategy", "crisis", "crisis_sweep")


def default_store_url() -> str:
    """``$ACCORD_STORE``, else SQLite in the user's data directory."""
    env = os.environ.get("ACCORD_STORE")
    if env:
        return env
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("accord", appauthor=False))
    return f"sqlite:///{folder / 'runs.sqlite'}"


@dataclass(frozen=True)
class Run:
    """One stored result."""

    id: str
    kind: str
    scenario_id: str
    scenario_sha256: str
    created: str
    accord_version: str
    seed: int | None
    params: dict[str, Any]
    scenario: dict[str, Any]
    result: dict[str, Any]

    def load_scenario(self) -> Scenario:
        """The scenario the run was made from."""
        return Scenario.model_validate(self.scenario)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "scenario_id": self.scenario_id,
            "scenario_sha256": self.scenario_sha256, "created": self.created,
            "accord_version": self.accord_version, "seed": self.seed, "params": self.params,
            "scenario": self.scenario, "result": self.result,
        }


class RunStore:
    """A run store at an SQLAlchemy URL (created on first use)."""

    def __init__(self, url: str | None = None) -> None:
        try:
            import sqlalchemy as sa
        except ImportError:  # pragma: no cover - a core dependency
            raise AccordError("the run store needs SQLAlchemy: pip install sqlalchemy") from None
        self.url = url or default_store_url()
        if self.url.startswith("sqlite:///") and self.url != "sqlite:///:memory:":
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = sa.create_engine(self.url)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise AccordError(f"cannot open run store '{self.url}': {exc}") from None
        meta = sa.MetaData()
        self.meta_table = sa.Table(
            "accord_meta", meta, sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("value", sa.String(256), nullable=False),
        )
        self.runs = sa.Table(
            "accord_runs", meta,
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("kind", sa.String(32), nullable=False, index=True),
            sa.Column("scenario_id", sa.String(128), nullable=False, index=True),
            sa.Column("scenario_sha256", sa.String(64), nullable=False),
            sa.Column("created", sa.String(40), nullable=False),
            sa.Column("accord_version", sa.String(32), nullable=False),
            sa.Column("seed", sa.String(64)),
            sa.Column("params", sa.Text, nullable=False),
            sa.Column("scenario", sa.Text, nullable=False),
            sa.Column("result", sa.Text, nullable=False),
        )
        self._metadata = meta
        self._prepare()

    # --- schema ----------------------------------------------------------------------------
    def _prepare(self) -> None:
        import sqlalchemy as sa

        try:
            with self.engine.begin() as conn:
                tables = set(sa.inspect(conn).get_table_names())
                if "accord_meta" not in tables:
                    if tables - {"accord_runs"}:
                        raise AccordError(
                            f"{self.url} holds other tables ({', '.join(sorted(tables))}) and is "
                            "not an accord run store; choose another --store"
                        )
                    self._metadata.create_all(conn)
                    conn.execute(self.meta_table.insert().values(
                        key="schema_version", value=str(SCHEMA_VERSION)))
                    return
                row = conn.execute(sa.select(self.meta_table.c.value).where(
                    self.meta_table.c.key == "schema_version")).first()
                version = int(row[0]) if row else 0
                if version > SCHEMA_VERSION:
                    raise AccordError(
                        f"{self.url} was written by a newer accord (store schema {version}, this "
                        f"accord reads up to {SCHEMA_VERSION}); upgrade accord to use it"
                    )
                if version < SCHEMA_VERSION:
                    self._migrate(conn, version)
        except sa.exc.DatabaseError as exc:
            raise AccordError(f"cannot use run store {self.url}: {exc.orig}") from None

    def _migrate(self, conn: Any, version: int) -> None:
        """Bring an older store up to date inside the caller's transaction."""
        import sqlalchemy as sa

        if version < 1:  # schema 0: a bare runs table without a version row
            self._metadata.create_all(conn)
        conn.execute(sa.delete(self.meta_table).where(self.meta_table.c.key == "schema_version"))
        conn.execute(self.meta_table.insert().values(key="schema_version",
                                                     value=str(SCHEMA_VERSION)))

    # --- runs ------------------------------------------------------------------------------
    def save(self, kind: str, scenario: Scenario, result: dict[str, Any],
             params: dict[str, Any] | None = None, seed: int | None = None) -> str:
        """Store one result; returns its id."""
        from accord import __version__
        from accord.provenance import scenario_hash

        if kind not in KINDS:
            raise AccordError(f"unknown run kind '{kind}' (kinds: {', '.join(KINDS)})")
        run_id = uuid.uuid4().hex[:12]
        row = {
            "id": run_id, "kind": kind, "scenario_id": scenario.id,
            "scenario_sha256": scenario_hash(scenario),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "accord_version": __version__, "seed": None if seed is None else str(seed),
            "params": json.dumps(params or {}, sort_keys=True),
            "scenario": json.dumps(scenario.model_dump(mode="json")),
            "result": json.dumps(result),
        }
        with self.engine.begin() as conn:
            conn.execute(self.runs.insert().values(**row))
        return run_id

    def _run(self, row: Any) -> Run:
        return Run(
            id=row.id, kind=row.kind, scenario_id=row.scenario_id,
            scenario_sha256=row.scenario_sha256, created=row.created,
            accord_version=row.accord_version,
            seed=None if row.seed is None else int(row.seed),
            params=json.loads(row.params), scenario=json.loads(row.scenario),
            result=json.loads(row.result),
        )

    def list(self, kind: str | None = None, limit: int = 100) -> list[Run]:
        """The newest runs first."""
        import sqlalchemy as sa

        query = sa.select(self.runs).order_by(self.runs.c.created.desc(),
                                              self.runs.c.id).limit(limit)
        if kind:
            query = query.where(self.runs.c.kind == kind)
        with self.engine.connect() as conn:
            return [self._run(r) for r in conn.execute(query)]

    def get(self, run_id: str) -> Run:
        """The run with id ``run_id`` (a unique prefix is enough)."""
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            rows = list(conn.execute(
                sa.select(self.runs).where(self.runs.c.id.startswith(run_id)).limit(2)))
        if not rows:
            raise UnknownNameError(f"no run '{run_id}' in {self.url}")
        if len(rows) > 1:
            raise AccordError(f"run id '{run_id}' is ambiguous in {self.url}; give more of it")
        return self._run(rows[0])
