"""The run store: saved results with their provenance, in SQLite or any SQLAlchemy database."""

from accord.store.runs import SCHEMA_VERSION, Run, RunStore, default_store_url

__all__ = ["SCHEMA_VERSION", "Run", "RunStore", "default_store_url"]
