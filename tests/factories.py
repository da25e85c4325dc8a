"""Build scenarios in tests from plain arrays."""

from __future__ import annotations

from collections.abc import Sequence

from accord import Scenario


def make_scenario(
    positions: Sequence[Sequence[float]],
    saliences: Sequence[Sequence[float]],
    capability: Sequence[float],
    status_quo: Sequence[float] | None = None,
    actor_ids: Sequence[str] | None = None,
) -> Scenario:
    n_actors, n_issues = len(positions), len(positions[0])
    ids = list(actor_ids or [f"a{i}" for i in range(n_actors)])
    issues = [
        {"id": f"i{k}", "name": f"issue {k}"}
        | ({} if status_quo is None else {"status_quo": status_quo[k]})
        for k in range(n_issues)
    ]
    actors = [
        {
            "id": ids[a],
            "name": ids[a],
            "capability": capability[a],
            "positions": {f"i{k}": positions[a][k] for k in range(n_issues)},
            "saliences": {f"i{k}": saliences[a][k] for k in range(n_issues)},
        }
        for a in range(n_actors)
    ]
    return Scenario.model_validate({"id": "t", "name": "t", "issues": issues, "actors": actors})
