"""Provenance: what produced a result (scenario content hash, model, parameters, seed, version)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from accord.scenario.schema import Scenario

__all__ = ["provenance", "scenario_hash"]


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical JSON: equal content, equal hash."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def provenance(scenario: Scenario, **details: Any) -> dict[str, Any]:
    """A JSON-ready record of what produced a result (no clock time: equal runs, equal records)."""
    from accord import __version__

    return {"scenario": scenario.id, "scenario_sha256": scenario_hash(scenario),
            "accord_version": __version__, **details}
